// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Concurrent ibv_modify_qp on one QP while it carries traffic.
 *
 * ib_uverbs holds only a shared lock on a QP during modify_qp, so two
 * threads may modify the same QP at once; the driver must serialise them
 * itself, as mlx5 does.  Each round posts a SEND of many packets to a
 * responder that takes its receive WQEs from an SRQ, and while that
 * message is in flight three threads move the responder to RESET at the
 * same moment and another rewrites the requester's retry attributes
 * (RTS -> RTS), which the engine owns while it runs.  Unserialised, both
 * resets release the SRQ WQE the open message holds (the refcount
 * underflows: a WARN, or with XRC a use-after-free), and the requester's
 * PSN state is rewritten under the engine.  The kernel log is checked by
 * the case; here every round must end with both QPs working again: the
 * next round's message is delivered, byte for byte.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "dp_test.h"

#define MSG_LEN		(1024 * 1024)	/* hundreds of packets: long in flight */
#define RESETTERS	3
#define SRQ_DEPTH	1024

struct race {
	struct dp_dev *d;
	struct ibv_qp *req, *resp;
	atomic_int go;			/* round number the threads run */
	atomic_int done;		/* threads finished this round */
	atomic_int stop;
	atomic_int failed;
};

/*
 * Waits for the next round (or the end: 0); @seen is the round this thread
 * ran last.
 */
static int next_round(struct race *r, int *seen)
{
	int round;

	while (!atomic_load(&r->stop)) {
		round = atomic_load(&r->go);
		if (round != *seen) {
			*seen = round;
			return round;
		}
		sched_yield();
	}
	return 0;
}

static void *reset_thread(void *arg)
{
	struct race *r = arg;
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	int seen = 0, round;

	while ((round = next_round(r, &seen))) {
		if (ibv_modify_qp(r->resp, &a, IBV_QP_STATE)) {
			fprintf(stderr, "round %d: modify to RESET: %s\n",
				round, strerror(errno));
			atomic_store(&r->failed, 1);
		}
		atomic_fetch_add(&r->done, 1);
	}
	return NULL;
}

static void *rts_thread(void *arg)
{
	struct race *r = arg;
	struct ibv_qp_attr a;
	int seen = 0;

	while (next_round(r, &seen)) {
		memset(&a, 0, sizeof(a));
		a.qp_state = IBV_QPS_RTS;
		a.retry_cnt = 7;
		a.rnr_retry = 7;
		a.timeout = 14;
		/* Fails once the engine moved the QP to error: allowed. */
		ibv_modify_qp(r->req, &a, IBV_QP_STATE | IBV_QP_RETRY_CNT |
			      IBV_QP_RNR_RETRY | IBV_QP_TIMEOUT);
		atomic_fetch_add(&r->done, 1);
	}
	return NULL;
}

static int to_reset(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };

	return ibv_modify_qp(qp, &a, IBV_QP_STATE);
}

static void drain(struct ibv_cq *cq)
{
	struct ibv_wc wc[16];

	while (ibv_poll_cq(cq, 16, wc) > 0)
		;
}

static int connect_pair(struct dp_dev *d, struct ibv_qp *a, struct ibv_qp *b)
{
	if (dp_to_init(a) || dp_to_init(b) ||
	    dp_to_rts(d, a, b->qp_num, NULL) || dp_to_rts(d, b, a->qp_num, NULL))
		return -1;
	return 0;
}

static int post_srq(struct ibv_srq *srq, struct dp_buf *rbuf, int n)
{
	struct ibv_recv_wr wr, *bad;
	struct ibv_sge sge;
	int i;

	for (i = 0; i < n; i++) {
		sge = dp_sge(rbuf, 0, MSG_LEN);
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = i;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		if (ibv_post_srq_recv(srq, &wr, &bad))
			return -1;
	}
	return 0;
}

/*
 * One SEND that must arrive whole: the QPs are back in working order.  It
 * brings its own receive WQE: the rounds only top up what they take, and
 * 80 checks in a run of 5,120 rounds once emptied the SRQ, leaving this
 * message in RNR retries for good.
 */
static int check_message(struct race *r, struct ibv_cq *scq,
			 struct ibv_cq *rcq, struct ibv_srq *srq,
			 struct dp_buf *sbuf, struct dp_buf *rbuf, int round)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge = dp_sge(sbuf, 0, MSG_LEN);
	struct ibv_wc wc;
	char what[64];

	post_srq(srq, rbuf, 1);	/* fails only when the SRQ is full */
	dp_fill(sbuf->addr, MSG_LEN, round);
	memset(rbuf->addr, 0, MSG_LEN);
	dp_wr(&wr, 1, IBV_WR_SEND, &sge, 1, 0, 0);
	wr.send_flags = IBV_SEND_SIGNALED;
	if (ibv_post_send(r->req, &wr, &bad))
		return -1;
	snprintf(what, sizeof(what), "round %d: send", round);
	if (dp_expect(scq, 1, IBV_WC_SUCCESS, IBV_WC_SEND, what, NULL))
		return -1;
	snprintf(what, sizeof(what), "round %d: receive", round);
	if (dp_poll(rcq, &wc, 1, DP_TIMEOUT_MS) != 1 ||
	    wc.status != IBV_WC_SUCCESS || wc.byte_len != MSG_LEN) {
		CHECK(0, "%s: lost or failed", what);
		return -1;
	}
	dp_fill(sbuf->addr, MSG_LEN, round);
	CHECK(!memcmp(rbuf->addr, sbuf->addr, MSG_LEN), "%s: data differs",
	      what);
	return 0;
}

static void test_reset_race(struct dp_dev *d)
{
	int seconds = check_env_count("RACE_SECONDS", 40);
	/* how many rounds those seconds must hold (fewer under the debug kernel) */
	int min_rounds = check_env_count("RACE_ROUNDS", 64);
	struct ibv_srq_init_attr sa = {
		.attr = { .max_wr = SRQ_DEPTH, .max_sge = 1 },
	};
	struct ibv_cq *scq, *rcq;
	struct dp_buf sbuf, rbuf;
	struct ibv_srq *srq;
	struct race r = { .d = d };
	pthread_t th[RESETTERS + 1];
	int64_t end;
	int round, i;

	scq = ibv_create_cq(d->ctx, 256, NULL, NULL, 0);
	rcq = ibv_create_cq(d->ctx, 256, NULL, NULL, 0);
	srq = ibv_create_srq(d->pd, &sa);
	if (!scq || !rcq || !srq)
		dp_die("create cq/srq");
	dp_buf_alloc(d, &sbuf, MSG_LEN, DP_ALL_ACCESS);
	dp_buf_alloc(d, &rbuf, MSG_LEN, DP_ALL_ACCESS);
	r.req = dp_create_qp(d, IBV_QPT_RC, scq, scq, NULL, 64, 1, 0);
	r.resp = dp_create_qp(d, IBV_QPT_RC, rcq, rcq, srq, 64, 1, 0);
	if (connect_pair(d, r.req, r.resp) || post_srq(srq, &rbuf, 64))
		dp_die("setup");

	for (i = 0; i < RESETTERS; i++)
		pthread_create(&th[i], NULL, reset_thread, &r);
	pthread_create(&th[RESETTERS], NULL, rts_thread, &r);

	end = dp_now_ms() + seconds * 1000;
	for (round = 1; dp_now_ms() < end && !check_failures; round++) {
		struct ibv_sge sge = dp_sge(&sbuf, 0, MSG_LEN);
		struct ibv_send_wr wr, *bad;

		/* a message in flight, its SRQ WQE claimed, then the race */
		dp_wr(&wr, 2, IBV_WR_SEND, &sge, 1, 0, 0);
		if (ibv_post_send(r.req, &wr, &bad))
			dp_die("ibv_post_send");
		atomic_store(&r.done, 0);
		atomic_store(&r.go, round);
		while (atomic_load(&r.done) < RESETTERS + 1)
			sched_yield();
		if (atomic_load(&r.failed)) {
			CHECK(0, "round %d: a concurrent modify failed", round);
			break;
		}
		if (to_reset(r.req))
			dp_die("reset requester");
		drain(scq);
		drain(rcq);
		if (connect_pair(d, r.req, r.resp))
			dp_die("reconnect");
		/*
		 * Top up what the round took; a message the reset caught
		 * before it arrived took nothing, so the SRQ may be full.
		 */
		post_srq(srq, &rbuf, 1);
		if (round % 64 == 0 &&
		    check_message(&r, scq, rcq, srq, &sbuf, &rbuf, round))
			break;
	}
	atomic_store(&r.stop, 1);
	for (i = 0; i <= RESETTERS; i++)
		pthread_join(th[i], NULL);
	printf("%d rounds of concurrent RESET + RTS->RTS in %d s\n", round - 1,
	       seconds);
	CHECK(round > min_rounds, "only %d rounds, not %d", round - 1,
	      min_rounds);
	if (!check_failures)
		check_message(&r, scq, rcq, srq, &sbuf, &rbuf, round);

	CHECK(!ibv_destroy_qp(r.req), "destroy req");
	CHECK(!ibv_destroy_qp(r.resp), "destroy resp");
	CHECK(!ibv_destroy_srq(srq), "destroy srq");
	dp_buf_free(&sbuf);
	dp_buf_free(&rbuf);
	CHECK(!ibv_destroy_cq(scq), "destroy scq");
	CHECK(!ibv_destroy_cq(rcq), "destroy rcq");
}

DP_SUBTEST_MAIN("qp_modify_race", DP_SUBTEST(reset_race))
