// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Posting and polling from several threads at once, which verbs allow on
 * one QP, CQ or SRQ: every work request must complete exactly once, with
 * success, and every message must arrive.
 *
 * Four threads post RDMA writes and sends on one RC QP (plain post_send
 * and the ibv_wr_* API mixed), two threads post receives to the target's
 * SRQ, and two threads poll each CQ.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "dp_test.h"

#define POSTERS 4
#define PER_POSTER 400
#define TOTAL (POSTERS * PER_POSTER)
#define SENDS_PER_POSTER (PER_POSTER / 4)	/* every 4th WR is a SEND */
#define TOTAL_SENDS (POSTERS * SENDS_PER_POSTER)
#define SQ_DEPTH 64

struct shared {
	struct dp_dev *d;
	struct ibv_qp *a;
	struct ibv_qp_ex *ax;
	struct ibv_srq *srq;
	struct ibv_cq *cqa, *cqb;
	struct dp_buf src, dst;
	atomic_int outstanding;		/* sends posted, not yet completed */
	atomic_int send_done[TOTAL];
	atomic_int recv_done;
	atomic_int recv_posted;
	atomic_int errors;
	atomic_int stop;
};

static void *poster(void *arg)
{
	struct shared *sh = ((void **)arg)[0];
	int id = (int)(intptr_t)((void **)arg)[1];
	int i;

	for (i = 0; i < PER_POSTER; i++) {
		uint64_t wr_id = (uint64_t)id * PER_POSTER + i;
		struct ibv_sge s = dp_sge(&sh->src, 64 * id, 32);
		int is_send = (i % 4) == 3, ret;

		/* keep the SQ from overflowing: at most SQ_DEPTH in flight */
		while (atomic_fetch_add(&sh->outstanding, 1) >= SQ_DEPTH) {
			atomic_fetch_sub(&sh->outstanding, 1);
			if (atomic_load(&sh->stop))
				return NULL;
		}
		if (i & 1) {
			ibv_wr_start(sh->ax);
			sh->ax->wr_id = wr_id;
			sh->ax->wr_flags = IBV_SEND_SIGNALED;
			if (is_send)
				ibv_wr_send(sh->ax);
			else
				ibv_wr_rdma_write(sh->ax, sh->dst.mr->rkey,
						  (uintptr_t)sh->dst.addr + 64 * id);
			ibv_wr_set_sge(sh->ax, s.lkey, s.addr, s.length);
			ret = ibv_wr_complete(sh->ax);
		} else {
			struct ibv_send_wr wr = {
				.wr_id = wr_id, .sg_list = &s, .num_sge = 1,
				.opcode = is_send ? IBV_WR_SEND : IBV_WR_RDMA_WRITE,
				.send_flags = IBV_SEND_SIGNALED,
			}, *bad;

			wr.wr.rdma.remote_addr = (uintptr_t)sh->dst.addr + 64 * id;
			wr.wr.rdma.rkey = sh->dst.mr->rkey;
			ret = ibv_post_send(sh->a, &wr, &bad);
		}
		if (ret) {
			fprintf(stderr, "poster %d: post %d: %s\n", id, i,
				strerror(ret));
			atomic_fetch_add(&sh->errors, 1);
			atomic_fetch_sub(&sh->outstanding, 1);
		}
	}
	return NULL;
}

static void *recv_poster(void *arg)
{
	struct shared *sh = arg;
	int k;

	/* half of the receives each, posted in small batches */
	for (k = 0; k < TOTAL_SENDS / 2; k++) {
		struct ibv_sge r = dp_sge(&sh->dst, 65536, 64);
		struct ibv_recv_wr wr = { .wr_id = 7, .sg_list = &r,
					  .num_sge = 1 }, *bad;
		int ret;

		do {
			ret = ibv_post_srq_recv(sh->srq, &wr, &bad);
		} while (ret == ENOMEM && !atomic_load(&sh->stop));
		if (ret) {
			fprintf(stderr, "post_srq_recv: %s\n", strerror(ret));
			atomic_fetch_add(&sh->errors, 1);
			return NULL;
		}
		atomic_fetch_add(&sh->recv_posted, 1);
	}
	return NULL;
}

static void *send_poller(void *arg)
{
	struct shared *sh = arg;
	struct ibv_wc wc[8];
	int n, i;

	while (!atomic_load(&sh->stop)) {
		n = ibv_poll_cq(sh->cqa, 8, wc);
		for (i = 0; i < n; i++) {
			if (wc[i].status != IBV_WC_SUCCESS ||
			    wc[i].wr_id >= TOTAL ||
			    atomic_fetch_add(&sh->send_done[wc[i].wr_id], 1)) {
				fprintf(stderr, "send wc: wr_id %llu status %s\n",
					(unsigned long long)wc[i].wr_id,
					ibv_wc_status_str(wc[i].status));
				atomic_fetch_add(&sh->errors, 1);
			}
			atomic_fetch_sub(&sh->outstanding, 1);
		}
	}
	return NULL;
}

static void *recv_poller(void *arg)
{
	struct shared *sh = arg;
	struct ibv_wc wc[8];
	int n, i;

	while (!atomic_load(&sh->stop)) {
		n = ibv_poll_cq(sh->cqb, 8, wc);
		for (i = 0; i < n; i++) {
			if (wc[i].status != IBV_WC_SUCCESS || wc[i].wr_id != 7 ||
			    wc[i].byte_len != 32) {
				fprintf(stderr, "recv wc: status %s len %u\n",
					ibv_wc_status_str(wc[i].status),
					wc[i].byte_len);
				atomic_fetch_add(&sh->errors, 1);
			}
			atomic_fetch_add(&sh->recv_done, 1);
		}
	}
	return NULL;
}

static int all_done(struct shared *sh)
{
	int i;

	for (i = 0; i < TOTAL; i++)
		if (!atomic_load(&sh->send_done[i]))
			return 0;
	return atomic_load(&sh->recv_done) == TOTAL_SENDS;
}

int main(void)
{
	static struct shared sh;
	pthread_t post[POSTERS], rpost[2], spoll[2], rpoll[2];
	void *args[POSTERS][2];
	struct ibv_srq_init_attr sa = { .attr = { .max_wr = 128, .max_sge = 1 } };
	struct ibv_qp_init_attr_ex ia;
	struct ibv_qp *b;
	struct dp_dev d;
	int64_t deadline;
	int i, missing = 0;

	dp_open(&d);
	if (dp_reference) {
		/* rxe's wr_* API does not work (see datapath_ops) */
		printf("reference run: skipped\n");
		return 77;
	}
	SUBTEST("4 posting threads on one QP, 2 SRQ posters, 2 pollers per CQ");
	sh.d = &d;
	sh.cqa = ibv_create_cq(d.ctx, 256, NULL, NULL, 0);
	sh.cqb = ibv_create_cq(d.ctx, 256, NULL, NULL, 0);
	sh.srq = ibv_create_srq(d.pd, &sa);
	if (!sh.cqa || !sh.cqb || !sh.srq)
		dp_die("create cq/srq");
	memset(&ia, 0, sizeof(ia));
	ia.send_cq = sh.cqa;
	ia.recv_cq = sh.cqa;
	ia.cap.max_send_wr = SQ_DEPTH;
	ia.cap.max_recv_wr = 1;
	ia.cap.max_send_sge = 1;
	ia.cap.max_recv_sge = 1;
	ia.qp_type = IBV_QPT_RC;
	ia.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	ia.pd = d.pd;
	ia.send_ops_flags = IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_RDMA_WRITE;
	sh.a = ibv_create_qp_ex(d.ctx, &ia);
	if (!sh.a)
		dp_die("ibv_create_qp_ex");
	sh.ax = ibv_qp_to_qp_ex(sh.a);
	b = dp_create_qp(&d, IBV_QPT_RC, sh.cqb, sh.cqb, sh.srq, 8, 1, 0);
	if (!sh.ax || dp_to_init(sh.a) || dp_to_init(b) ||
	    dp_to_rts(&d, sh.a, b->qp_num, NULL) ||
	    dp_to_rts(&d, b, sh.a->qp_num, NULL))
		dp_die("connect");
	dp_buf_alloc(&d, &sh.src, 4096, DP_ALL_ACCESS);
	dp_buf_alloc(&d, &sh.dst, 65536 + 4096, DP_ALL_ACCESS);

	for (i = 0; i < 2; i++) {
		pthread_create(&rpost[i], NULL, recv_poster, &sh);
		pthread_create(&spoll[i], NULL, send_poller, &sh);
		pthread_create(&rpoll[i], NULL, recv_poller, &sh);
	}
	for (i = 0; i < POSTERS; i++) {
		args[i][0] = &sh;
		args[i][1] = (void *)(intptr_t)i;
		pthread_create(&post[i], NULL, poster, args[i]);
	}
	deadline = dp_now_ms() + 120 * 1000;
	while (!all_done(&sh) && dp_now_ms() < deadline &&
	       !atomic_load(&sh.errors))
		dp_sleep_ms(10);
	atomic_store(&sh.stop, 1);
	for (i = 0; i < POSTERS; i++)
		pthread_join(post[i], NULL);
	for (i = 0; i < 2; i++) {
		pthread_join(rpost[i], NULL);
		pthread_join(spoll[i], NULL);
		pthread_join(rpoll[i], NULL);
	}
	for (i = 0; i < TOTAL; i++)
		missing += !atomic_load(&sh.send_done[i]);
	CHECK(!atomic_load(&sh.errors), "%d errors", atomic_load(&sh.errors));
	CHECK(!missing, "%d of %d send completions missing", missing, TOTAL);
	CHECK(atomic_load(&sh.recv_done) == TOTAL_SENDS,
	      "%d of %d receives completed", atomic_load(&sh.recv_done),
	      TOTAL_SENDS);

	CHECK(!ibv_destroy_qp(sh.a) && !ibv_destroy_qp(b), "destroy qps");
	CHECK(!ibv_destroy_srq(sh.srq), "destroy srq");
	CHECK(!ibv_destroy_cq(sh.cqa) && !ibv_destroy_cq(sh.cqb), "destroy cqs");
	dp_buf_free(&sh.src);
	dp_buf_free(&sh.dst);
	dp_close(&d);
	return check_finish("datapath_threads");
}
