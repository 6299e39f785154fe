// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * CQ overrun, in detail: a QP completes more work into its send CQ than
 * the CQ holds while nobody polls.  The device must raise IBV_EVENT_CQ_ERR
 * for that CQ, never overwrite a CQE the process has not polled (the first
 * `cqe` completions come back intact and in order), move the QP to the
 * error state (its other CQ gets the flushed receives), leave the peer and
 * its CQ alone, and tear everything down normally afterwards.
 *
 * datapath_errors has the short form (just the event); this one checks
 * that nothing else was damaged.
 */
#include "dp_test.h"

#define SLOT 256		/* bytes each WRITE puts into the target */

/* Waits for IBV_EVENT_CQ_ERR on @cq; other events are counted and dropped. */
static int wait_cq_err(struct dp_dev *d, struct ibv_cq *cq, int *others)
{
	struct ibv_async_event ev;
	int64_t deadline = dp_now_ms() + DP_TIMEOUT_MS;
	int got = 0;

	while (!got && dp_now_ms() < deadline &&
	       dp_fd_ready(d->ctx->async_fd, DP_TIMEOUT_MS)) {
		if (ibv_get_async_event(d->ctx, &ev))
			break;
		if (ev.event_type == IBV_EVENT_CQ_ERR)
			got = ev.element.cq == cq ? 1 : -1;
		else
			(*others)++;
		ibv_ack_async_event(&ev);
	}
	return got;
}

static void overrun(struct dp_dev *d, int want_cqe)
{
	struct ibv_cq *small, *rcq_a, *cq_b;
	struct dp_buf src, dst, rbuf;
	struct ibv_qp *a, *b;
	struct ibv_wc wc[64];
	int i, n, got, cqe, others = 0, state_ok = 0;
	int64_t deadline;

	printf("-- overrun a send CQ of %d entries\n", want_cqe);
	small = ibv_create_cq(d->ctx, want_cqe, NULL, NULL, 0);
	rcq_a = ibv_create_cq(d->ctx, 64, NULL, NULL, 0);
	cq_b = ibv_create_cq(d->ctx, 64, NULL, NULL, 0);
	if (!small || !rcq_a || !cq_b)
		dp_die("ibv_create_cq");
	cqe = small->cqe;
	CHECK(cqe >= want_cqe && cqe < 64, "CQ of %d entries has %d", want_cqe,
	      cqe);
	n = cqe + 8;
	a = dp_create_qp(d, IBV_QPT_RC, small, rcq_a, NULL, n, 1, 0);
	b = dp_create_qp(d, IBV_QPT_RC, cq_b, cq_b, NULL, 16, 1, 0);
	if (dp_to_init(a) || dp_to_init(b) ||
	    dp_to_rts(d, a, b->qp_num, NULL) || dp_to_rts(d, b, a->qp_num, NULL))
		dp_die("connect");
	dp_buf_alloc(d, &src, (size_t)n * SLOT, DP_ALL_ACCESS);
	dp_buf_alloc(d, &dst, (size_t)n * SLOT, DP_ALL_ACCESS);
	dp_buf_alloc(d, &rbuf, 4 * SLOT, DP_ALL_ACCESS);

	/* a's receive CQ: two receives used before the overrun, two left */
	for (i = 0; i < 4; i++) {
		struct ibv_sge r = dp_sge(&rbuf, (size_t)i * SLOT, SLOT);
		struct ibv_recv_wr wr = { .wr_id = 100 + i, .sg_list = &r,
					  .num_sge = 1 }, *bad;

		CHECK(!ibv_post_recv(a, &wr, &bad), "post_recv %d", i);
	}
	for (i = 0; i < 2; i++) {
		struct ibv_sge s = dp_sge(&src, (size_t)i * SLOT, 64);
		struct ibv_send_wr wr = {
			.wr_id = 200 + i, .sg_list = &s, .num_sge = 1,
			.opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED,
		}, *bad;

		dp_fill(src.addr + (size_t)i * SLOT, 64, 50 + i);
		CHECK(!ibv_post_send(b, &wr, &bad), "b: post_send %d", i);
	}
	for (i = 0; i < 2; i++) {
		dp_expect(cq_b, 200 + i, IBV_WC_SUCCESS, IBV_WC_SEND, "b: send",
			  NULL);
		dp_expect(rcq_a, 100 + i, IBV_WC_SUCCESS, IBV_WC_RECV,
			  "a: receive before the overrun", NULL);
	}

	/* now n signalled WRITEs from a into a CQ of cqe < n, unpolled */
	for (i = 0; i < n; i++) {
		struct ibv_sge s = dp_sge(&src, (size_t)i * SLOT, SLOT);
		struct ibv_send_wr wr = {
			.wr_id = i, .sg_list = &s, .num_sge = 1,
			.opcode = IBV_WR_RDMA_WRITE,
			.send_flags = IBV_SEND_SIGNALED,
		}, *bad;

		dp_fill(src.addr + (size_t)i * SLOT, SLOT, 1000 + i);
		wr.wr.rdma.remote_addr = (uintptr_t)dst.addr + (size_t)i * SLOT;
		wr.wr.rdma.rkey = dst.mr->rkey;
		CHECK(!ibv_post_send(a, &wr, &bad), "a: post WRITE %d", i);
	}

	got = wait_cq_err(d, small, &others);
	CHECK(got == 1, "IBV_EVENT_CQ_ERR for the overrun CQ: %d (cqe %d, %d WRITEs)",
	      got, cqe, n);

	/* the QP that could not complete goes to the error state */
	deadline = dp_now_ms() + DP_TIMEOUT_MS;
	while (!(state_ok = dp_qp_state(a) == IBV_QPS_ERR) &&
	       dp_now_ms() < deadline)
		;
	CHECK(state_ok, "QP of the overrun CQ in state %d, want ERR",
	      dp_qp_state(a));

	/* what the CQ did hold is intact and in order; nothing after it */
	got = dp_poll(small, wc, cqe, DP_TIMEOUT_MS);
	CHECK(got == cqe, "%d CQEs polled from the dead CQ, want its %d",
	      got, cqe);
	for (i = 0; i < got; i++) {
		CHECK(wc[i].wr_id == (uint64_t)i && wc[i].status == IBV_WC_SUCCESS &&
		      wc[i].opcode == IBV_WC_RDMA_WRITE && wc[i].qp_num == a->qp_num,
		      "CQE %d: wr_id %llu status %s opcode %d qp %#x", i,
		      (unsigned long long)wc[i].wr_id,
		      ibv_wc_status_str(wc[i].status), wc[i].opcode,
		      wc[i].qp_num);
		/* a WRITE completed: its data is at the target */
		CHECK(!memcmp(dst.addr + (size_t)i * SLOT,
			      src.addr + (size_t)i * SLOT, SLOT),
		      "WRITE %d completed but its data differs", i);
	}
	got = ibv_poll_cq(small, 64, wc);
	CHECK(got <= 0, "%d more CQEs after the overrun", got);

	/* the error state flushes a's remaining receives into its other CQ */
	for (i = 2; i < 4; i++)
		dp_expect(rcq_a, 100 + i, IBV_WC_WR_FLUSH_ERR, -1,
			  "a: receive flushed after the overrun", NULL);
	CHECK(dp_cq_stays_empty(rcq_a, 50), "extra CQEs on a's receive CQ");
	/* the messages received before the overrun were not disturbed */
	for (i = 0; i < 2; i++) {
		unsigned char want[64];

		dp_fill(want, sizeof(want), 50 + i);
		CHECK(!memcmp(rbuf.addr + (size_t)i * SLOT, want, sizeof(want)),
		      "message %d received before the overrun changed", i);
	}

	/* the peer saw nothing wrong: no completion, still RTS */
	CHECK(dp_cq_stays_empty(cq_b, 50), "the peer got a completion");
	CHECK(dp_qp_state(b) == IBV_QPS_RTS, "peer QP in state %d",
	      dp_qp_state(b));

	CHECK(!ibv_destroy_qp(a) && !ibv_destroy_qp(b), "destroy qps");
	CHECK(!ibv_destroy_cq(small), "destroy the dead CQ: %s",
	      strerror(errno));
	CHECK(!ibv_destroy_cq(rcq_a) && !ibv_destroy_cq(cq_b), "destroy cqs");
	dp_buf_free(&src);
	dp_buf_free(&dst);
	dp_buf_free(&rbuf);
	printf("   ok (%d other async events)\n", others);
}

int main(void)
{
	struct dp_dev d;

	dp_open(&d);
	overrun(&d, 1);
	overrun(&d, 4);
	overrun(&d, 16);
	dp_close(&d);
	return check_finish("datapath_cq_overrun");
}
