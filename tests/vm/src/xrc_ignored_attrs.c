// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What an XRC QP ignores stays ignored.  The verbs API says an XRC
 * initiator (XRC_SEND) ignores recv_cq and srq, and an XRC target
 * (XRC_RECV) every CQ and the SRQ: the kernel takes no reference on them,
 * so the application may destroy them, or never have had them.  Found by
 * the fuzzer (seed 0x70): an XRC_SEND QP made with a recv_cq that was then
 * destroyed crashed in ibv_modify_qp(RESET), where the provider dropped
 * the QP's CQEs from that CQ.
 *
 * Each subtest names, as the ignored attributes, a page that is mapped
 * PROT_NONE (any touch is a SIGSEGV) or a CQ and SRQ destroyed after the
 * QP was made, then takes the QP through INIT, RESET and INIT again, and
 * destroys it.
 */
#include <fcntl.h>
#include <sys/mman.h>

#include "dp_test.h"

static void *poison_page(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		dp_die("mmap");
	return p;
}

static void reset_and_destroy(struct ibv_qp *qp, const char *what)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };

	CHECK(!dp_to_init(qp), "%s: to INIT", what);
	CHECK(!ibv_modify_qp(qp, &a, IBV_QP_STATE), "%s: to RESET", what);
	CHECK(!dp_to_init(qp), "%s: to INIT again", what);
	CHECK(!ibv_destroy_qp(qp), "%s: destroy", what);
}

static struct ibv_qp *make_initiator(struct dp_dev *d, struct ibv_cq *scq,
				     struct ibv_cq *rcq, struct ibv_srq *srq)
{
	struct ibv_qp_init_attr_ex ia = {
		.cap = { .max_send_wr = 8, .max_send_sge = 1 },
		.qp_type = IBV_QPT_XRC_SEND,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = d->pd,
		.send_cq = scq,
		.recv_cq = rcq,
		.srq = srq,
	};
	struct ibv_qp *qp = ibv_create_qp_ex(d->ctx, &ia);

	if (!qp)
		dp_die("create XRC_SEND");
	return qp;
}

static void test_initiator_poison(struct dp_dev *d)
{
	void *bad = poison_page();
	struct ibv_cq *cq = ibv_create_cq(d->ctx, 16, NULL, NULL, 0);

	SUBTEST("XRC_SEND: recv_cq and srq point at unmapped memory");
	if (!cq)
		dp_die("ibv_create_cq");
	reset_and_destroy(make_initiator(d, cq, bad, bad), "XRC_SEND");
	CHECK(!ibv_destroy_cq(cq), "destroy send cq");
	munmap(bad, 4096);
}

static void test_initiator_destroyed(struct dp_dev *d)
{
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = 8, .max_sge = 1 } };
	struct ibv_cq *scq = ibv_create_cq(d->ctx, 16, NULL, NULL, 0);
	struct ibv_cq *rcq = ibv_create_cq(d->ctx, 16, NULL, NULL, 0);
	struct ibv_srq *srq = ibv_create_srq(d->pd, &sa);
	struct ibv_qp *qp;

	SUBTEST("XRC_SEND: the recv_cq and srq it was made with are destroyed");
	if (!scq || !rcq || !srq)
		dp_die("create cq/srq");
	qp = make_initiator(d, scq, rcq, srq);
	/* the kernel holds neither: both go while the QP lives */
	CHECK(!ibv_destroy_cq(rcq), "destroy the ignored recv_cq");
	CHECK(!ibv_destroy_srq(srq), "destroy the ignored srq");
	reset_and_destroy(qp, "XRC_SEND");
	CHECK(!ibv_destroy_cq(scq), "destroy send cq");
}

static void test_target_poison(struct dp_dev *d)
{
	struct ibv_xrcd_init_attr xa = {
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.fd = -1,
		.oflags = O_CREAT,
	};
	void *bad = poison_page();
	struct ibv_qp_init_attr_ex ta = {
		.qp_type = IBV_QPT_XRC_RECV,
		.comp_mask = IBV_QP_INIT_ATTR_XRCD,
		.send_cq = bad,
		.recv_cq = bad,
		.srq = bad,
	};
	struct ibv_qp *qp;

	SUBTEST("XRC_RECV: send_cq, recv_cq and srq point at unmapped memory");
	ta.xrcd = ibv_open_xrcd(d->ctx, &xa);
	if (!ta.xrcd)
		dp_die("ibv_open_xrcd");
	qp = ibv_create_qp_ex(d->ctx, &ta);
	if (!qp)
		dp_die("create XRC_RECV");
	reset_and_destroy(qp, "XRC_RECV");
	CHECK(!ibv_close_xrcd(ta.xrcd), "close xrcd");
	munmap(bad, 4096);
}

DP_SUBTEST_MAIN("xrc_ignored_attrs", DP_SUBTEST(initiator_poison),
		DP_SUBTEST(initiator_destroyed), DP_SUBTEST(target_poison))
