// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_advise_mr() on smlx ODP MRs: each advice synchronous (FLUSH) and
 * queued, what it maps (seen in "rdma resource show mr -d"), what it
 * counts ("rdma statistic mr"), what it does to the process's memory
 * (mincore) and the errors of bad requests.  Also the invalidations the
 * CPU side causes on prefetched pages (MADV_DONTNEED, munmap, COW after a
 * read-only prefetch, MADV_PAGEOUT), with the device's view dropping the
 * pages each time.
 */
#include <infiniband/verbs.h>

#include "check.h"
#include "fuse_file.h"
#include "odp_test.h"
#include "test_device.h"

#define RW_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		   IBV_ACCESS_REMOTE_READ)
#define ODP_RW (RW_ACCESS | IBV_ACCESS_ON_DEMAND)
#define ASYNC_WAIT_MS 5000

static int advise(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		  uint32_t flags, struct ibv_mr *mr, void *addr, size_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr,
		.length = (uint32_t)len,
		.lkey = mr->lkey,
	};

	return ibv_advise_mr(pd, advice, flags, &sge, 1);
}

/* An advice that must succeed (a macro: failures name the caller's line). */
#define ADVISE_OK(pd, advice, flags, mr, addr, len)                            \
	do {                                                                   \
		int advise_ret = advise(pd, advice, flags, mr, addr, len);     \
									       \
		CHECK(advise_ret == 0, "advise: %s", strerror(advise_ret));    \
	} while (0)

static struct ibv_mr *reg(struct ibv_pd *pd, void *addr, size_t len,
			  int access)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, addr, len, access);

	if (!mr) {
		fprintf(stderr, "ibv_reg_mr(%p, %zu, %#x): %s\n", addr, len,
			access, strerror(errno));
		exit(2);
	}
	return mr;
}

/* PREFETCH_WRITE + FLUSH: every page is there, writable, on return. */
static void test_sync_write(struct ibv_pd *pd)
{
	size_t len = 16 * MIB;
	long npages = len / PAGE;
	char *buf = odp_map(NULL, len, PROT_READ | PROT_WRITE, 0);
	struct odp_mr_info a, b;
	struct ibv_mr *mr;
	int ret;

	SUBTEST("PREFETCH_WRITE with FLUSH maps and faults in every page");
	/* Small pages: a THP split would zap more than the range asked. */
	madvise(buf, len, MADV_NOHUGEPAGE);
	mr = reg(pd, buf, len, ODP_RW);
	odp_mr_get("registered", mr->lkey, &a);
	CHECK(a.odp_pages == 0 && a.page_prefetch == 0,
	      "fresh MR mirrors %ld pages, prefetch %ld", a.odp_pages,
	      a.page_prefetch);
	CHECK(odp_resident(buf, len) == 0, "registration faulted pages in");

	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		  IBV_ADVISE_MR_FLAG_FLUSH, mr, buf, len);
	odp_mr_get("prefetched", mr->lkey, &b);
	CHECK(b.odp_pages == npages, "mirrors %ld pages, want %ld",
	      b.odp_pages, npages);
	CHECK(b.page_prefetch == npages, "page_prefetch %ld, want %ld",
	      b.page_prefetch, npages);
	CHECK(b.page_faults == 0, "prefetch counted as %ld faults",
	      b.page_faults);
	CHECK(odp_resident(buf, len) == npages,
	      "%ld of %ld pages resident after a write prefetch",
	      odp_resident(buf, len), npages);

	SUBTEST("MADV_DONTNEED zaps the translation");
	CHECK(!madvise(buf, len / 2, MADV_DONTNEED), "madvise");
	odp_mr_get("after DONTNEED of half", mr->lkey, &a);
	CHECK(a.odp_pages == npages / 2, "mirrors %ld pages, want %ld",
	      a.odp_pages, npages / 2);
	CHECK(a.page_invalidations == npages / 2,
	      "page_invalidations %ld, want %ld", a.page_invalidations,
	      npages / 2);
	CHECK(a.page_invalidations_handled >= 1,
	      "page_invalidations_handled %ld", a.page_invalidations_handled);

	SUBTEST("munmap zaps the rest");
	CHECK(!munmap(buf + len / 2, len / 2), "munmap");
	odp_mr_get("after munmap of the other half", mr->lkey, &b);
	CHECK(b.odp_pages == 0, "mirrors %ld pages after munmap",
	      b.odp_pages);
	CHECK(b.page_invalidations == npages, "page_invalidations %ld",
	      b.page_invalidations);

	SUBTEST("prefetch of an unmapped range fails, maps nothing");
	ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		     IBV_ADVISE_MR_FLAG_FLUSH, mr, buf + len / 2, PAGE);
	CHECK(ret == EFAULT, "advise on a hole: %s", strerror(ret));
	CHECK(!ibv_dereg_mr(mr), "dereg");
	munmap(buf, len / 2);
}

/*
 * PREFETCH (read) of untouched anonymous memory mirrors the shared zero
 * page read-only: nothing becomes resident, and the first CPU write
 * (COW away from the zero page) must invalidate the device's view.
 */
static void test_sync_read(struct ibv_pd *pd)
{
	size_t len = 4 * MIB;
	long npages = len / PAGE;
	char *buf = odp_map(NULL, len, PROT_READ | PROT_WRITE, 0);
	struct odp_mr_info a;
	struct ibv_mr *mr;

	SUBTEST("PREFETCH with FLUSH maps read-only without breaking COW");
	/* Keep THP out: a huge zero page would change the counts. */
	madvise(buf, len, MADV_NOHUGEPAGE);
	mr = reg(pd, buf, len, ODP_RW);
	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, IBV_ADVISE_MR_FLAG_FLUSH,
		  mr, buf, len);
	odp_mr_get("read-prefetched", mr->lkey, &a);
	CHECK(a.odp_pages == npages, "mirrors %ld pages, want %ld",
	      a.odp_pages, npages);
	CHECK(a.page_prefetch == npages, "page_prefetch %ld", a.page_prefetch);
	CHECK(odp_resident(buf, len) == npages,
	      "zero page mapped: mincore says %ld", odp_resident(buf, len));

	SUBTEST("a CPU write after a read prefetch invalidates (COW)");
	memset(buf, 0x11, len);
	odp_mr_get("after the CPU wrote", mr->lkey, &a);
	CHECK(a.odp_pages == 0, "still mirrors %ld stale pages", a.odp_pages);
	CHECK(a.page_invalidations == npages, "page_invalidations %ld",
	      a.page_invalidations);
	CHECK(!ibv_dereg_mr(mr), "dereg");
	munmap(buf, len);
}

/* NO_FAULT: a snapshot of what is present; nothing new comes in. */
static void test_no_fault(struct ibv_pd *pd)
{
	size_t len = 8 * MIB, touched = 2 * MIB;
	char *buf = odp_map(NULL, len, PROT_READ | PROT_WRITE, 0);
	struct odp_mr_info a;
	struct ibv_mr *mr;

	SUBTEST("PREFETCH_NO_FAULT with FLUSH maps only present pages");
	madvise(buf, len, MADV_NOHUGEPAGE);
	memset(buf, 0x22, touched);
	mr = reg(pd, buf, len, ODP_RW);
	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
		  IBV_ADVISE_MR_FLAG_FLUSH, mr, buf, len);
	odp_mr_get("snapshot", mr->lkey, &a);
	CHECK(a.odp_pages == (long)(touched / PAGE),
	      "mirrors %ld pages, want the %ld present", a.odp_pages,
	      (long)(touched / PAGE));
	CHECK(odp_resident(buf, len) == (long)(touched / PAGE),
	      "NO_FAULT faulted pages in: %ld resident",
	      odp_resident(buf, len));

	SUBTEST("PREFETCH_NO_FAULT queued (no FLUSH) also maps no new page");
	CHECK(!madvise(buf, len, MADV_DONTNEED), "madvise");
	memset(buf + len - touched, 0x33, touched);
	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT, 0, mr, buf, len);
	CHECK(odp_mr_wait(mr->lkey, touched / PAGE, -1, ASYNC_WAIT_MS, &a),
	      "queued snapshot mirrors %ld pages, want %ld", a.odp_pages,
	      (long)(touched / PAGE));
	CHECK(odp_resident(buf, len) == (long)(touched / PAGE),
	      "queued NO_FAULT faulted pages in: %ld resident",
	      odp_resident(buf, len));
	CHECK(!ibv_dereg_mr(mr), "dereg");
	munmap(buf, len);
}

/* Without FLUSH the work is queued and done in the background. */
static void test_async(struct ibv_pd *pd)
{
	size_t len = 8 * MIB;
	long npages = len / PAGE;
	char *buf = odp_map(NULL, len, PROT_READ | PROT_WRITE, 0);
	struct odp_mr_info a;
	struct ibv_mr *mr;

	SUBTEST("PREFETCH_WRITE queued maps every page in the background");
	mr = reg(pd, buf, len, ODP_RW);
	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0, mr, buf, len);
	CHECK(odp_mr_wait(mr->lkey, npages, -1, ASYNC_WAIT_MS, &a),
	      "queued prefetch mirrors %ld of %ld pages", a.odp_pages, npages);
	CHECK(odp_resident(buf, len) == npages, "%ld resident",
	      odp_resident(buf, len));

	SUBTEST("PREFETCH queued maps every page in the background");
	CHECK(!madvise(buf, len, MADV_DONTNEED), "madvise");
	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0, mr, buf, len);
	CHECK(odp_mr_wait(mr->lkey, npages, -1, ASYNC_WAIT_MS, &a),
	      "queued prefetch mirrors %ld of %ld pages", a.odp_pages, npages);

	SUBTEST("deregistration right after a queued prefetch");
	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0, mr, buf, len);
	CHECK(!ibv_dereg_mr(mr), "dereg with a prefetch queued");
	munmap(buf, len);
}

/*
 * A prefetch queued before its MR was deregistered faults in nothing once
 * its turn comes: by then the range may be another mapping's.  The faults
 * and prefetches of one context run in turn, so a prefetch of a FUSE file
 * whose first READ is answered after 2 s holds the one behind it back.
 * Meanwhile the MR goes, and an mmap(MAP_FIXED) puts a new mapping over
 * its range; it waits for mmap_lock, which the FUSE fault holds, and gets
 * it before the worker's next walk, since a waiting writer goes first.
 */
static void test_after_dereg(struct ibv_pd *pd)
{
	size_t len = 4 * MIB;
	struct odp_mr_info a;
	struct ibv_mr *fmr, *mr;
	struct fuse_file ff;
	char *file, *buf;

	SUBTEST("a prefetch queued before deregistration faults nothing after it");
	fuse_file_start(&ff, len, 2000);
	file = fuse_file_map(&ff, len);
	fmr = reg(pd, file, len, ODP_RW);
	buf = odp_map(NULL, len, PROT_READ | PROT_WRITE, 0);
	mr = reg(pd, buf, len, ODP_RW);

	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0, fmr, file, PAGE);
	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0, mr, buf, len);
	CHECK(!ibv_dereg_mr(mr), "dereg with a prefetch queued");
	CHECK(odp_map(buf, len, PROT_READ | PROT_WRITE, MAP_FIXED) == buf,
	      "new mapping over the old");
	madvise(buf, len, MADV_NOHUGEPAGE);
	/* Queued last: once it is done, so is the dead MR's prefetch. */
	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, 0, fmr,
		  file + PAGE, PAGE);
	CHECK(odp_mr_wait(fmr->lkey, 2, -1, ASYNC_WAIT_MS, &a),
	      "the FUSE file's prefetches mirror %ld pages, want 2",
	      a.odp_pages);
	CHECK(*ff.reads > 0, "no READ reached the FUSE server");
	CHECK(odp_resident(buf, len) == 0,
	      "the deregistered MR's prefetch faulted in %ld pages of the new mapping",
	      odp_resident(buf, len));
	CHECK(!ibv_dereg_mr(fmr), "dereg");
	munmap(buf, len);
	munmap(file, len);
	fuse_file_stop(&ff);
}

/* Pages the device mirrors stay reclaimable: nothing is pinned. */
static void test_pageout(struct ibv_pd *pd)
{
	size_t len = 8 * MIB;
	long npages = len / PAGE;
	char *buf = odp_map(NULL, len, PROT_READ | PROT_WRITE, 0);
	struct proc_mem m;
	struct odp_mr_info a;
	struct ibv_mr *mr;
	int ret;

	SUBTEST("MADV_PAGEOUT reclaims prefetched pages while registered");
	madvise(buf, len, MADV_NOHUGEPAGE);
	odp_fill(buf, len, 7);
	mr = reg(pd, buf, len, ODP_RW);
	ADVISE_OK(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		  IBV_ADVISE_MR_FLAG_FLUSH, mr, buf, len);
	test_read_proc_mem(&m);
	CHECK(m.pin_kb == 0 && m.lck_kb == 0, "VmPin %ld kB VmLck %ld kB",
	      m.pin_kb, m.lck_kb);
	ret = madvise(buf, len, MADV_PAGEOUT);
	if (ret && errno == EINVAL) {
		printf("   MADV_PAGEOUT unsupported here, skipped\n");
	} else {
		CHECK(ret == 0, "MADV_PAGEOUT: %s", strerror(errno));
		odp_mr_get("after MADV_PAGEOUT", mr->lkey, &a);
		printf("   resident after pageout: %ld of %ld, mirrored %ld\n",
		       odp_resident(buf, len), npages, a.odp_pages);
		/* Anonymous pages can only go where there is swap. */
		if (odp_have_swap()) {
			CHECK(odp_resident(buf, len) < npages / 2,
			      "pages stayed resident: %ld",
			      odp_resident(buf, len));
			CHECK(a.odp_pages < npages / 2,
			      "device still mirrors %ld pages", a.odp_pages);
		} else {
			printf("   no swap: pages cannot be reclaimed\n");
		}
		CHECK(a.odp_pages + a.page_invalidations == npages,
		      "every page is either mirrored or was invalidated: "
		      "%ld + %ld != %ld", a.odp_pages, a.page_invalidations,
		      npages);
	}
	CHECK(odp_verify(buf, len, 7) < 0, "data changed by pageout");
	CHECK(!ibv_dereg_mr(mr), "dereg");
	munmap(buf, len);
}

static void test_errors(struct ibv_context *ctx, struct ibv_pd *pd)
{
	size_t len = 1 * MIB;
	char *buf = odp_map(NULL, len, PROT_READ | PROT_WRITE, 0);
	struct ibv_mr *odp, *ro, *pinned, *other_mr;
	struct ibv_pd *other = ibv_alloc_pd(ctx);
	struct ibv_sge sge;
	uint32_t flags;
	int ret;

	if (!other) {
		perror("ibv_alloc_pd");
		exit(2);
	}
	odp = reg(pd, buf, len, ODP_RW);
	ro = reg(pd, buf, len, IBV_ACCESS_ON_DEMAND | IBV_ACCESS_REMOTE_READ);
	pinned = reg(pd, buf, len, RW_ACCESS);
	other_mr = reg(other, buf, len, ODP_RW);

	for (flags = 0; flags <= IBV_ADVISE_MR_FLAG_FLUSH; flags++) {
		printf("-- advise_mr errors, flags %#x\n", flags);
		sge = (struct ibv_sge){ (uintptr_t)buf, PAGE, odp->lkey ^ 0x80 };
		ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, flags,
				    &sge, 1);
		CHECK_ERRNO(ret, ENOENT, "stale key variant");
		sge.lkey = 0xfffff0;
		ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, flags,
				    &sge, 1);
		CHECK_ERRNO(ret, ENOENT, "unknown key");
		sge.lkey = pinned->lkey;
		ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, flags,
				    &sge, 1);
		CHECK_ERRNO(ret, EINVAL, "pinned MR");
		sge.lkey = other_mr->lkey;
		ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, flags,
				    &sge, 1);
		CHECK_ERRNO(ret, EPERM, "MR of another PD");
		sge.lkey = ro->lkey;
		ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
				    flags, &sge, 1);
		CHECK_ERRNO(ret, EPERM, "PREFETCH_WRITE of a read-only MR");
		ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
				    flags, &sge, 1);
		CHECK_ERRNO(ret, 0, "PREFETCH of a read-only MR");
		sge = (struct ibv_sge){ (uintptr_t)buf + len - PAGE, 2 * PAGE,
					odp->lkey };
		ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, flags,
				    &sge, 1);
		CHECK_ERRNO(ret, EFAULT, "range past the MR's end");
		sge = (struct ibv_sge){ (uintptr_t)buf, PAGE, odp->lkey };
		/*
		 * ib_uverbs requires at least one SGE in the attribute and
		 * refuses an empty list before any driver sees it.
		 */
		ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, flags,
				    &sge, 0);
		CHECK_ERRNO(ret, EINVAL, "no SGE at all");
		ret = ibv_advise_mr(pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
				    flags | 2, &sge, 1);
		CHECK_ERRNO(ret, EINVAL, "unknown flag");
	}

	CHECK(!ibv_dereg_mr(other_mr), "dereg");
	CHECK(!ibv_dereg_mr(pinned), "dereg");
	CHECK(!ibv_dereg_mr(ro), "dereg");
	CHECK(!ibv_dereg_mr(odp), "dereg");
	CHECK(!ibv_dealloc_pd(other), "dealloc_pd");
	munmap(buf, len);
}

int main(void)
{
	struct ibv_context *ctx = test_open_device();
	struct ibv_pd *pd = ibv_alloc_pd(ctx);

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!pd) {
		perror("ibv_alloc_pd");
		return 2;
	}
	test_errors(ctx, pd);
	test_sync_write(pd);
	test_sync_read(pd);
	test_no_fault(pd);
	test_async(pd);
	test_after_dereg(pd);
	test_pageout(pd);
	CHECK(!ibv_dealloc_pd(pd), "dealloc_pd");
	CHECK(!ibv_close_device(ctx), "close");
	return check_finish("odp_prefetch");
}
