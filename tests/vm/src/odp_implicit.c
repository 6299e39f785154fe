// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Implicit ODP on smlx: one MR over the whole address space whose device
 * view is built lazily, one child per 1 GiB chunk touched, and torn down
 * again when the memory behind a child goes away.  Children are made here
 * by ibv_advise_mr (the data path makes them the same way on a fault) and
 * counted with "rdma resource show mr -dd" (drv_odp_children).
 */
#include <pthread.h>
#include <infiniband/verbs.h>

#include "check.h"
#include "odp_test.h"
#include "test_device.h"

#define ODP_RW (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND)
#define CHUNK GIB
#define NCHUNKS 4
#define REGION (2 * MIB)
#define WAIT_MS 5000

static int advise(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		  uint32_t flags, uint32_t lkey, void *addr, size_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr,
		.length = (uint32_t)len,
		.lkey = lkey,
	};

	return ibv_advise_mr(pd, advice, flags, &sge, 1);
}

/* NCHUNKS + 2 chunks of address space, 1 GiB aligned, nothing mapped. */
static char *reserve_chunks(void)
{
	size_t len = (NCHUNKS + 3) * CHUNK;
	char *p = odp_map(NULL, len, PROT_NONE, MAP_NORESERVE);
	char *base = (char *)(((uintptr_t)p + CHUNK - 1) & ~(CHUNK - 1));

	munmap(p, base - p);
	munmap(base + (NCHUNKS + 2) * CHUNK,
	       p + len - (base + (NCHUNKS + 2) * CHUNK));
	munmap(base, (NCHUNKS + 2) * CHUNK);
	return base;
}

static char *map_at(char *addr, size_t len)
{
	char *p = odp_map(addr, len, PROT_READ | PROT_WRITE, MAP_FIXED);

	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

struct racer {
	struct ibv_pd *pd;
	uint32_t lkey;
	char *addr;
	int ret;
};

static void *race_prefetch(void *arg)
{
	struct racer *r = arg;

	r->ret = advise(r->pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			IBV_ADVISE_MR_FLAG_FLUSH, r->lkey, r->addr, REGION);
	return NULL;
}

int main(void)
{
	struct ibv_context *ctx = test_open_device();
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct proc_mem m0, m1;
	struct odp_mr_info a;
	struct ibv_mr *mr;
	char *base, *cross;
	pthread_t tids[8];
	struct racer racers[8];
	int i, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!pd) {
		perror("ibv_alloc_pd");
		return 2;
	}

	SUBTEST("implicit MR: no child, no page, nothing pinned at registration");
	test_read_proc_mem(&m0);
	mr = ibv_reg_mr(pd, NULL, SIZE_MAX, ODP_RW);
	if (!mr) {
		perror("ibv_reg_mr implicit");
		return 2;
	}
	test_read_proc_mem(&m1);
	odp_mr_get("registered", mr->lkey, &a);
	CHECK(a.odp_children == 0 && a.odp_pages == 0,
	      "children %ld pages %ld", a.odp_children, a.odp_pages);
	CHECK(m1.pin_kb == m0.pin_kb && m1.lck_kb == m0.lck_kb,
	      "VmPin %ld -> %ld kB, VmLck %ld -> %ld kB", m0.pin_kb, m1.pin_kb,
	      m0.lck_kb, m1.lck_kb);

	SUBTEST("a prefetch in each of 4 chunks creates 4 children");
	base = reserve_chunks();
	for (i = 0; i < NCHUNKS; i++) {
		char *p = map_at(base + i * CHUNK + 3 * REGION, REGION);

		ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			     IBV_ADVISE_MR_FLAG_FLUSH, mr->lkey, p, REGION);
		CHECK(ret == 0, "prefetch chunk %d: %s", i, strerror(ret));
	}
	odp_mr_get("4 chunks prefetched", mr->lkey, &a);
	CHECK(a.odp_children == NCHUNKS, "children %ld, want %d",
	      a.odp_children, NCHUNKS);
	CHECK(a.odp_pages == NCHUNKS * (long)(REGION / PAGE),
	      "pages %ld, want %ld", a.odp_pages,
	      NCHUNKS * (long)(REGION / PAGE));
	CHECK(a.page_prefetch == a.odp_pages, "page_prefetch %ld",
	      a.page_prefetch);
	test_read_proc_mem(&m1);
	CHECK(m1.pin_kb == m0.pin_kb, "prefetch pinned: VmPin %ld kB",
	      m1.pin_kb);

	SUBTEST("one SGE across a chunk boundary uses both chunks");
	cross = map_at(base + (NCHUNKS + 1) * CHUNK - REGION, 2 * REGION);
	ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
		     IBV_ADVISE_MR_FLAG_FLUSH, mr->lkey, cross, 2 * REGION);
	CHECK(ret == 0, "prefetch across chunks: %s", strerror(ret));
	odp_mr_get("across a boundary", mr->lkey, &a);
	CHECK(a.odp_children == NCHUNKS + 2, "children %ld, want %d",
	      a.odp_children, NCHUNKS + 2);

	SUBTEST("racing creators of one child leave exactly one");
	munmap(cross, 2 * REGION);
	CHECK(odp_mr_wait(mr->lkey, NCHUNKS * (long)(REGION / PAGE), NCHUNKS,
			  WAIT_MS, &a),
	      "emptied children not torn down: %ld children %ld pages",
	      a.odp_children, a.odp_pages);
	cross = map_at(base + NCHUNKS * CHUNK + REGION, REGION);
	for (i = 0; i < 8; i++) {
		racers[i] = (struct racer){ pd, mr->lkey, cross, -1 };
		pthread_create(&tids[i], NULL, race_prefetch, &racers[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(tids[i], NULL);
		CHECK(racers[i].ret == 0, "racer %d: %s", i,
		      strerror(racers[i].ret));
	}
	odp_mr_get("after the race", mr->lkey, &a);
	CHECK(a.odp_children == NCHUNKS + 1, "children %ld, want %d",
	      a.odp_children, NCHUNKS + 1);
	CHECK(a.odp_pages == (NCHUNKS + 1) * (long)(REGION / PAGE),
	      "pages %ld", a.odp_pages);

	SUBTEST("munmap tears the emptied children down");
	for (i = 0; i < NCHUNKS; i++)
		munmap(base + i * CHUNK + 3 * REGION, REGION);
	CHECK(odp_mr_wait(mr->lkey, REGION / PAGE, 1, WAIT_MS, &a),
	      "children %ld pages %ld after munmap, want 1 and %ld",
	      a.odp_children, a.odp_pages, (long)(REGION / PAGE));
	CHECK(a.page_invalidations >= NCHUNKS * (long)(REGION / PAGE),
	      "page_invalidations %ld", a.page_invalidations);

	SUBTEST("a torn-down chunk gets a new child on the next prefetch");
	map_at(base + 3 * REGION, REGION);
	ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
		     IBV_ADVISE_MR_FLAG_FLUSH, mr->lkey, base + 3 * REGION,
		     REGION);
	CHECK(ret == 0, "prefetch: %s", strerror(ret));
	odp_mr_get("chunk 0 again", mr->lkey, &a);
	CHECK(a.odp_children == 2, "children %ld, want 2", a.odp_children);

	SUBTEST("NO_FAULT on an implicit MR maps only what is present");
	munmap(base + 3 * REGION, REGION);
	map_at(base + CHUNK, REGION);
	memset(base + CHUNK, 1, REGION / 4);
	ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT,
		     IBV_ADVISE_MR_FLAG_FLUSH, mr->lkey, base + CHUNK, REGION);
	CHECK(ret == 0, "snapshot: %s", strerror(ret));
	CHECK(odp_resident(base + CHUNK, REGION) == (long)(REGION / 4 / PAGE),
	      "snapshot faulted pages in");
	CHECK(odp_mr_wait(mr->lkey, (REGION + REGION / 4) / PAGE, -1,
			  WAIT_MS, &a),
	      "pages %ld, want %ld", a.odp_pages,
	      (long)((REGION + REGION / 4) / PAGE));

	SUBTEST("addresses outside the user address space fail");
	ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
		     IBV_ADVISE_MR_FLAG_FLUSH, mr->lkey,
		     (void *)0xffff800000000000UL, PAGE);
	CHECK_ERRNO(ret, EFAULT, "kernel address");
	ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH,
		     IBV_ADVISE_MR_FLAG_FLUSH, mr->lkey, base + 2 * CHUNK,
		     PAGE);
	CHECK_ERRNO(ret, EFAULT, "unmapped address");

	SUBTEST("deregistration with live children frees them");
	CHECK(!ibv_dereg_mr(mr), "dereg: %s", strerror(errno));
	munmap(base, (NCHUNKS + 2) * CHUNK);
	CHECK(!ibv_dealloc_pd(pd), "dealloc_pd");
	CHECK(!ibv_close_device(ctx), "close");
	return check_finish("odp_implicit");
}
