// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory registration on an smlx device: pinned, explicit ODP, implicit ODP,
 * and the errors a user gets for bad input.  ODP registration must not fault
 * in or pin a single page, which we see in the process's own counters.
 *
 * usage: mr_registration            all sub-tests
 *        mr_registration cycles N   N register/deregister cycles only
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "test_device.h"

#define MIB (1024UL * 1024)
#define GIB (1024 * MIB)

#define RW_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		   IBV_ACCESS_REMOTE_READ)
#define ODP_ACCESS (RW_ACCESS | IBV_ACCESS_ON_DEMAND)

/* Slack for RSS noise from libc and the library themselves. */
#define RSS_SLACK_KB 1024

static void *map_anon(size_t len, int extra_flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static void test_pinned(struct ibv_pd *pd)
{
	size_t len = 4 * MIB;
	struct proc_mem before, during, after;
	char *buf = map_anon(len, 0);
	struct ibv_mr *mr;

	SUBTEST("pinned MR pins exactly its pages and releases them");
	memset(buf, 0x5a, len);
	test_read_proc_mem(&before);
	mr = ibv_reg_mr(pd, buf, len, RW_ACCESS);
	CHECK(mr, "ibv_reg_mr pinned: %s", strerror(errno));
	if (!mr)
		goto out;
	test_read_proc_mem(&during);
	CHECK(mr->addr == buf && mr->length == len && mr->pd == pd,
	      "mr fields addr %p len %zu", mr->addr, mr->length);
	CHECK(mr->lkey != mr->rkey || mr->lkey != 0, "keys lkey %#x rkey %#x",
	      mr->lkey, mr->rkey);
	/* ib_umem_get charges pinned_vm: this is what the ODP test relies on. */
	CHECK(during.pin_kb - before.pin_kb == (long)(len / 1024),
	      "VmPin moved by %ld kB, expected %zu", during.pin_kb - before.pin_kb,
	      len / 1024);
	CHECK(ibv_dereg_mr(mr) == 0, "dereg pinned: %s", strerror(errno));
	test_read_proc_mem(&after);
	CHECK(after.pin_kb == before.pin_kb, "VmPin %ld kB after dereg, was %ld",
	      after.pin_kb, before.pin_kb);
out:
	munmap(buf, len);
}

static void check_nothing_faulted(const struct proc_mem *before,
				  const char *what)
{
	struct proc_mem now;

	test_read_proc_mem(&now);
	CHECK(now.rss_kb - before->rss_kb < RSS_SLACK_KB,
	      "%s: RSS grew by %ld kB", what, now.rss_kb - before->rss_kb);
	CHECK(now.pin_kb == before->pin_kb, "%s: VmPin %ld -> %ld kB", what,
	      before->pin_kb, now.pin_kb);
	CHECK(now.lck_kb == before->lck_kb, "%s: VmLck %ld -> %ld kB", what,
	      before->lck_kb, now.lck_kb);
}

static void test_explicit_odp(struct ibv_pd *pd)
{
	size_t len = 64 * GIB;
	struct proc_mem before;
	char *buf = map_anon(len, MAP_NORESERVE);
	struct ibv_mr *mr, *mr2;

	SUBTEST("explicit ODP MR over 64 GiB touches and pins nothing");
	test_read_proc_mem(&before);
	mr = ibv_reg_mr(pd, buf, len, ODP_ACCESS);
	CHECK(mr, "ibv_reg_mr ODP 64 GiB: %s", strerror(errno));
	if (mr) {
		CHECK(mr->length == len, "length %zu", mr->length);
		check_nothing_faulted(&before, "64 GiB ODP registered");
	}
	/* The ibv_reg_mr_iova2 path, with an iova unrelated to the address. */
	mr2 = ibv_reg_mr_iova2(pd, buf, len, 0x100000000000ULL, ODP_ACCESS);
	CHECK(mr2, "ibv_reg_mr_iova2 ODP 64 GiB: %s", strerror(errno));
	if (mr2)
		check_nothing_faulted(&before, "second 64 GiB ODP registered");
	if (mr2)
		CHECK(ibv_dereg_mr(mr2) == 0, "dereg: %s", strerror(errno));
	if (mr)
		CHECK(ibv_dereg_mr(mr) == 0, "dereg: %s", strerror(errno));
	check_nothing_faulted(&before, "after dereg");
	munmap(buf, len);
}

static void test_implicit_odp(struct ibv_context *ctx, struct ibv_pd *pd)
{
	struct ibv_device_attr_ex attr;
	struct proc_mem before;
	struct ibv_mr *mr;

	SUBTEST("implicit ODP MR over the whole address space");
	memset(&attr, 0, sizeof(attr));
	CHECK(ibv_query_device_ex(ctx, NULL, &attr) == 0, "query_device_ex");
	CHECK(attr.odp_caps.general_caps & IBV_ODP_SUPPORT_IMPLICIT,
	      "device does not advertise implicit ODP (caps %#llx)",
	      (unsigned long long)attr.odp_caps.general_caps);

	test_read_proc_mem(&before);
	mr = ibv_reg_mr(pd, NULL, SIZE_MAX, ODP_ACCESS);
	CHECK(mr, "implicit via ibv_reg_mr: %s", strerror(errno));
	if (mr) {
		CHECK(mr->addr == NULL && mr->length == SIZE_MAX,
		      "implicit mr addr %p length %#zx", mr->addr, mr->length);
		check_nothing_faulted(&before, "implicit registered");
		CHECK(ibv_dereg_mr(mr) == 0, "dereg implicit: %s",
		      strerror(errno));
	}
	mr = ibv_reg_mr_iova2(pd, NULL, SIZE_MAX, 0, ODP_ACCESS);
	CHECK(mr, "implicit via ibv_reg_mr_iova2: %s", strerror(errno));
	if (mr)
		CHECK(ibv_dereg_mr(mr) == 0, "dereg implicit: %s",
		      strerror(errno));

	/* Without ON_DEMAND the whole address space cannot be pinned. */
	errno = 0;
	mr = ibv_reg_mr(pd, NULL, SIZE_MAX, IBV_ACCESS_LOCAL_WRITE);
	CHECK(!mr, "pinned whole-address-space MR was accepted");
	if (mr)
		ibv_dereg_mr(mr);
	else
		CHECK_ERRNO(errno, EINVAL, "pinned SIZE_MAX");
}

/* Registers with @access and expects failure with @want. */
static void expect_reg_error(struct ibv_pd *pd, void *addr, size_t len,
			     unsigned int access, int want, const char *what)
{
	struct ibv_mr *mr;

	errno = 0;
	mr = ibv_reg_mr_iova2(pd, addr, len, (uintptr_t)addr, access);
	CHECK(!mr, "%s: registration succeeded", what);
	if (mr) {
		ibv_dereg_mr(mr);
		return;
	}
	CHECK_ERRNO(errno, want, what);
}

static void test_bad_input(struct ibv_context *ctx, struct ibv_pd *pd)
{
	size_t len = MIB;
	char *buf = map_anon(len, 0);
	char *hole = map_anon(len, 0);
	struct ibv_context *other_ctx;
	struct ibv_pd *other_pd, foreign;
	struct ibv_mr *mr;

	SUBTEST("bad flags, addresses, lengths and PDs fail with the right errno");
	memset(buf, 1, len);
	munmap(hole, len);

	expect_reg_error(pd, buf, len, IBV_ACCESS_LOCAL_WRITE | (1u << 15),
			 EINVAL, "unknown access bit");
	expect_reg_error(pd, buf, len, IBV_ACCESS_REMOTE_WRITE, EINVAL,
			 "remote write without local write");
	expect_reg_error(pd, buf, len, IBV_ACCESS_REMOTE_ATOMIC, EINVAL,
			 "remote atomic without local write");
	expect_reg_error(pd, buf, len,
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_HUGETLB, EINVAL,
			 "HUGETLB without ON_DEMAND");
	expect_reg_error(pd, buf, 0, IBV_ACCESS_LOCAL_WRITE, EINVAL,
			 "zero length pinned");
	expect_reg_error(pd, buf, 0, ODP_ACCESS, EINVAL, "zero length ODP");
	expect_reg_error(pd, hole, len, IBV_ACCESS_LOCAL_WRITE, EFAULT,
			 "pinned MR over unmapped memory");
	expect_reg_error(pd, (void *)(uintptr_t)0x10000, SIZE_MAX - 0x1000,
			 ODP_ACCESS, EINVAL, "ODP range wraps the address space");

	/* A PD handle that belongs to another open context. */
	other_ctx = test_open_device();
	other_pd = ibv_alloc_pd(other_ctx);
	CHECK(other_pd, "alloc second pd: %s", strerror(errno));
	if (other_pd) {
		foreign = *other_pd;
		foreign.context = ctx;
		/* Make sure the handle is not also valid in ctx by chance. */
		if (foreign.handle != pd->handle)
			expect_reg_error(&foreign, buf, len,
					 IBV_ACCESS_LOCAL_WRITE, EINVAL,
					 "PD handle of another context");
		ibv_dealloc_pd(other_pd);
	}
	ibv_close_device(other_ctx);

	/* A PD still used by an MR cannot go away. */
	mr = ibv_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE);
	CHECK(mr, "reg for busy-pd test: %s", strerror(errno));
	if (mr) {
		int ret = ibv_dealloc_pd(pd);

		CHECK(ret == EBUSY, "dealloc of PD with MR returned %d", ret);
		CHECK(ibv_dereg_mr(mr) == 0, "dereg: %s", strerror(errno));
	}
	munmap(buf, len);
}

static int run_cycles(struct ibv_pd *pd, long n)
{
	size_t len = 256 * 1024;
	char *buf = map_anon(len, 0);
	long i;

	memset(buf, 3, len);
	for (i = 0; i < n; i++) {
		unsigned int access = (i & 1) ? ODP_ACCESS : RW_ACCESS;
		struct ibv_mr *mr = ibv_reg_mr(pd, buf, len, access);

		if (!mr) {
			fprintf(stderr, "cycle %ld: reg: %s\n", i,
				strerror(errno));
			return 1;
		}
		if (ibv_dereg_mr(mr)) {
			fprintf(stderr, "cycle %ld: dereg failed\n", i);
			return 1;
		}
	}
	munmap(buf, len);
	printf("%ld register/deregister cycles done\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	struct ibv_context *ctx = test_open_device();
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	int ret;

	if (!pd) {
		perror("ibv_alloc_pd");
		return 2;
	}
	if (argc == 3 && !strcmp(argv[1], "cycles")) {
		ret = run_cycles(pd, strtol(argv[2], NULL, 0));
	} else {
		test_pinned(pd);
		test_explicit_odp(pd);
		test_implicit_odp(ctx, pd);
		test_bad_input(ctx, pd);
		ret = check_finish(argv[0]);
	}
	CHECK(ibv_dealloc_pd(pd) == 0, "dealloc pd");
	CHECK(ibv_close_device(ctx) == 0, "close device");
	return ret || check_failures;
}
