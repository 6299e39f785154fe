// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ODP with IBV_ACCESS_HUGETLB: the MR is mirrored in 2 MiB pages
 * (drv_page_shift 21).  Memory known at registration to be in small pages
 * is refused there (EINVAL); memory that turns out small when it is
 * faulted fails the fault with EINVAL.  Needs free huge pages (the case
 * reserves them, or vm-run --hugepages N).
 */
#include <infiniband/verbs.h>

#include "check.h"
#include "odp_test.h"
#include "test_device.h"

#define HPAGE (2 * MIB)
#define ODP_HUGE (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
		  IBV_ACCESS_REMOTE_READ | IBV_ACCESS_ON_DEMAND | \
		  IBV_ACCESS_HUGETLB)

static int advise(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		  struct ibv_mr *mr, void *addr, size_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)addr,
		.length = (uint32_t)len,
		.lkey = mr->lkey,
	};

	return ibv_advise_mr(pd, advice, IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1);
}

static long mr_page_shift(uint32_t lkey)
{
	char cmd[128], line[1024], want[32];
	long shift = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "rdma -dd resource show mr dev %s",
		 odp_dev_name());
	snprintf(want, sizeof(want), "lkey 0x%x ", lkey);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want))
			odp_field(line, "drv_page_shift", &shift);
	pclose(f);
	return shift;
}

int main(void)
{
	struct ibv_context *ctx = test_open_device();
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	size_t len = 4 * HPAGE;
	struct odp_mr_info a;
	struct ibv_mr *mr;
	char *huge, *small, *hole;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!pd) {
		perror("ibv_alloc_pd");
		return 2;
	}
	huge = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (huge == MAP_FAILED) {
		printf("no huge pages available: %s\n", strerror(errno));
		return 77;
	}

	SUBTEST("HUGETLB ODP MR over hugetlbfs memory mirrors 2 MiB pages");
	mr = ibv_reg_mr(pd, huge, len, ODP_HUGE);
	CHECK(mr, "reg: %s", strerror(errno));
	if (!mr)
		return check_finish("odp_hugetlb");
	CHECK(mr_page_shift(mr->lkey) == 21, "page_shift %ld",
	      mr_page_shift(mr->lkey));
	CHECK(odp_resident(huge, len) == 0, "registration faulted pages in");
	ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, mr,
		     huge + HPAGE + 4096, 4096);
	CHECK(ret == 0, "prefetch of one small piece: %s", strerror(ret));
	odp_mr_get("one piece prefetched", mr->lkey, &a);
	CHECK(a.odp_pages == (long)(HPAGE / PAGE),
	      "one huge page is %ld small entries, want %ld", a.odp_pages,
	      (long)(HPAGE / PAGE));
	ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, mr, huge, len);
	CHECK(ret == 0, "prefetch all: %s", strerror(ret));
	odp_mr_get("all prefetched", mr->lkey, &a);
	CHECK(a.odp_pages == (long)(len / PAGE), "pages %ld", a.odp_pages);

	SUBTEST("munmap of a huge page zaps all of it");
	CHECK(!munmap(huge + HPAGE, HPAGE), "munmap");
	odp_mr_get("after munmap", mr->lkey, &a);
	CHECK(a.odp_pages == (long)((len - HPAGE) / PAGE),
	      "pages %ld after munmap", a.odp_pages);

	SUBTEST("small pages mapped where a huge page was fail the fault");
	small = odp_map(huge + HPAGE, HPAGE, PROT_READ | PROT_WRITE,
			MAP_FIXED);
	madvise(small, HPAGE, MADV_NOHUGEPAGE);
	memset(small, 1, HPAGE);
	ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH, mr, small, 4096);
	CHECK_ERRNO(ret, EINVAL, "prefetch over small pages");
	CHECK(!ibv_dereg_mr(mr), "dereg");
	munmap(huge, len);

	SUBTEST("registration over memory known to be small pages fails");
	small = odp_map(NULL, len, PROT_READ | PROT_WRITE, 0);
	madvise(small, len, MADV_NOHUGEPAGE);
	mr = ibv_reg_mr(pd, small, len, ODP_HUGE);
	CHECK(!mr && errno == EINVAL, "reg over small pages: %s",
	      mr ? "succeeded" : strerror(errno));
	if (mr)
		ibv_dereg_mr(mr);

	SUBTEST("registration over a hole is checked at fault time");
	/* 2 MiB aligned, so the huge pages the MR covers are all ours. */
	hole = (char *)(((uintptr_t)small + HPAGE - 1) & ~(HPAGE - 1));
	munmap(small, len);
	len -= HPAGE;
	mr = ibv_reg_mr(pd, hole, len, ODP_HUGE);
	CHECK(mr, "reg over a hole: %s", strerror(errno));
	if (mr) {
		small = odp_map(hole, len, PROT_READ | PROT_WRITE, MAP_FIXED);
		madvise(small, len, MADV_NOHUGEPAGE);
		ret = advise(pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE, mr,
			     small, len);
		CHECK_ERRNO(ret, EINVAL, "fault over small pages");
		odp_mr_get("after the failed fault", mr->lkey, &a);
		CHECK(a.odp_pages == 0, "pages %ld", a.odp_pages);
		CHECK(!ibv_dereg_mr(mr), "dereg");
		munmap(small, len);
	}

	SUBTEST("HUGETLB is refused for an implicit MR and without ODP");
	mr = ibv_reg_mr(pd, NULL, SIZE_MAX, ODP_HUGE);
	CHECK(!mr && errno == EINVAL, "implicit HUGETLB: %s",
	      mr ? "succeeded" : strerror(errno));
	huge = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (huge != MAP_FAILED) {
		mr = ibv_reg_mr(pd, huge, HPAGE,
				ODP_HUGE & ~IBV_ACCESS_ON_DEMAND);
		CHECK(!mr && errno == EINVAL, "HUGETLB without ODP: %s",
		      mr ? "succeeded" : strerror(errno));
		munmap(huge, HPAGE);
	}

	CHECK(!ibv_dealloc_pd(pd), "dealloc_pd");
	CHECK(!ibv_close_device(ctx), "close");
	return check_finish("odp_hugetlb");
}
