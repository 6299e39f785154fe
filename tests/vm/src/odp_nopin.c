// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ODP pins nothing: a 16 GiB explicit ODP MR and an implicit MR leave the
 * process's RSS, VmPin and VmLck where they were; RDMA into the middle of
 * them makes exactly the touched memory resident, still unpinned; and
 * those pages can be reclaimed with MADV_PAGEOUT while registered (when
 * there is swap), after which the device faults them back in intact.
 */
#include "odp_pair.h"

#define BIG (16 * GIB)
#define TOUCH (1 * MIB)
#define RSS_SLACK_KB 2048

static void show(const char *what, const struct proc_mem *m)
{
	printf("   %s: VmRSS %ld kB VmPin %ld kB VmLck %ld kB\n", what,
	       m->rss_kb, m->pin_kb, m->lck_kb);
}

/* WRITE @len bytes of pattern @seed from @src into @mr at @dst. */
static int rdma_write(struct pair *p, struct obuf *src, struct ibv_mr *mr,
		      char *dst, size_t len, unsigned int seed)
{
	struct ibv_sge sge = { (uintptr_t)src->addr, (uint32_t)len,
			       src->mr->lkey };
	struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE };

	odp_fill(src->addr, len, seed);
	wr.wr.rdma.remote_addr = (uintptr_t)dst;
	wr.wr.rdma.rkey = mr->rkey;
	post_send(p, &wr);
	return dp_expect(p->cqa, 9, IBV_WC_SUCCESS, -1, "RDMA WRITE", NULL);
}

static void check_region(struct pair *p, struct obuf *src, struct ibv_mr *mr,
			 char *base, const char *what)
{
	char *target = base + BIG / 2 + 12345 * PAGE;
	struct proc_mem m0, m1, m2;
	long grew;

	SUBTEST(what);
	madvise(base, BIG, MADV_NOHUGEPAGE);
	test_read_proc_mem(&m0);
	show("registered", &m0);
	CHECK(m0.pin_kb == 0 && m0.lck_kb == 0, "pinned or locked memory");

	if (rdma_write(p, src, mr, target, TOUCH, 3))
		return;
	CHECK(odp_verify(target, TOUCH, 3) < 0, "data written is wrong");
	test_read_proc_mem(&m1);
	show("after a 1 MiB RDMA WRITE", &m1);
	grew = m1.rss_kb - m0.rss_kb;
	CHECK(grew >= (long)(TOUCH / KIB) &&
	      grew <= (long)(TOUCH / KIB) + RSS_SLACK_KB,
	      "RSS grew %ld kB for a %lu kB write", grew, TOUCH / KIB);
	CHECK(m1.pin_kb == 0 && m1.lck_kb == 0, "touched pages were pinned");

	if (!odp_have_swap()) {
		printf("   no swap: MADV_PAGEOUT cannot reclaim, not checked\n");
		return;
	}
	CHECK(!madvise(target, TOUCH, MADV_PAGEOUT), "MADV_PAGEOUT: %s",
	      strerror(errno));
	test_read_proc_mem(&m2);
	show("after MADV_PAGEOUT", &m2);
	CHECK(odp_resident(target, TOUCH) < (long)(TOUCH / PAGE / 2),
	      "registered pages were not reclaimed: %ld resident",
	      odp_resident(target, TOUCH));
	/* The device writes there again: faults them back, data intact. */
	if (!rdma_write(p, src, mr, target, TOUCH, 4))
		CHECK(odp_verify(target, TOUCH, 4) < 0,
		      "data written after reclaim is wrong");
}

int main(void)
{
	struct dp_dev d;
	struct obuf src;
	struct pair p;
	struct ibv_mr *mr;
	struct proc_mem m0, m1;
	char *big;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dp_open(&d);
	pair_make(&d, &p, IBV_QPT_RC, 0);
	/* ODP as well: nothing at all may be pinned in this process. */
	obuf_make(&d, &src, TOUCH, 1, 1);

	big = odp_map(NULL, BIG, PROT_READ | PROT_WRITE, MAP_NORESERVE);
	test_read_proc_mem(&m0);
	mr = ibv_reg_mr(d.pd, big, BIG, DP_ALL_ACCESS | IBV_ACCESS_ON_DEMAND);
	CHECK(mr, "16 GiB ODP MR: %s", strerror(errno));
	test_read_proc_mem(&m1);
	CHECK(m1.rss_kb - m0.rss_kb < RSS_SLACK_KB &&
	      m1.pin_kb == m0.pin_kb && m1.lck_kb == m0.lck_kb,
	      "registering 16 GiB moved RSS %ld -> %ld kB, VmPin %ld -> %ld",
	      m0.rss_kb, m1.rss_kb, m0.pin_kb, m1.pin_kb);
	if (mr) {
		check_region(&p, &src, mr, big,
			     "16 GiB explicit ODP MR: only what RDMA touched");
		CHECK(!ibv_dereg_mr(mr), "dereg");
	}

	test_read_proc_mem(&m0);
	mr = ibv_reg_mr(d.pd, NULL, SIZE_MAX,
			DP_ALL_ACCESS | IBV_ACCESS_ON_DEMAND);
	CHECK(mr, "implicit ODP MR: %s", strerror(errno));
	test_read_proc_mem(&m1);
	CHECK(m1.rss_kb - m0.rss_kb < RSS_SLACK_KB &&
	      m1.pin_kb == m0.pin_kb && m1.lck_kb == m0.lck_kb,
	      "implicit registration moved RSS %ld -> %ld kB", m0.rss_kb,
	      m1.rss_kb);
	if (mr) {
		madvise(big, BIG, MADV_DONTNEED);
		check_region(&p, &src, mr, big,
			     "implicit ODP MR: only what RDMA touched");
		CHECK(!ibv_dereg_mr(mr), "dereg");
	}

	munmap(big, BIG);
	pair_destroy(&p);
	obuf_free(&src);
	dp_close(&d);
	return check_finish("odp_nopin");
}
