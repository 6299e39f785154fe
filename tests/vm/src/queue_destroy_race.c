// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_destroy_cq racing ibv_destroy_qp of a QP that uses the CQ, from
 * another thread.  The kernel lets the CQ go as soon as it has destroyed
 * the QP; the provider still walks the QP's CQs after that, to drop its
 * unpolled CQEs, the send CQ's first.  Each round one thread destroys the
 * QP while the other retries destroying its receive CQ for as long as it
 * is busy: that destroy must
 * answer EBUSY or succeed, never anything else, and nothing may crash (the
 * fuzzer found the provider reading a CQ ring that was gone, in 70-fuzz).
 *
 * The window is the walk of the send CQ, between the QP's destroy command
 * returning and the provider reaching the receive CQ: a full send CQ makes
 * it long, and threads that only burn CPU get the destroying thread
 * preempted in it now and then, as the fuzzer's twelve threads on two
 * vCPUs did (9 ms once).
 *
 * QUEUE_RACE_ROUNDS sets the rounds (default 3000).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "dp_test.h"

#define SPINNERS 4
#define FILL 4096

static atomic_int spin_stop;

struct race {
	pthread_barrier_t go;
	struct ibv_qp *qp;
	struct ibv_cq *cq;	/* what the racer destroys */
	int ret;		/* the racer's last answer */
	unsigned int busy;	/* EBUSY answers before it */
};

static unsigned int rounds(void)
{
	return (unsigned int)check_env_count("QUEUE_RACE_ROUNDS", 3000);
}

static void *racer(void *arg)
{
	struct race *r = arg;

	pthread_barrier_wait(&r->go);
	r->busy = 0;
	for (;;) {
		r->ret = ibv_destroy_cq(r->cq);
		if (r->ret != EBUSY)
			break;
		r->busy++;
	}
	return NULL;
}

static void *spinner(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&spin_stop, memory_order_relaxed))
		;
	return NULL;
}

/* Destroys r->qp while racer() destroys what it uses; 0 if both went. */
static int race_round(struct race *r)
{
	pthread_t tid;
	int ret;

	if (pthread_create(&tid, NULL, racer, r))
		dp_die("pthread_create");
	pthread_barrier_wait(&r->go);
	ret = ibv_destroy_qp(r->qp);
	pthread_join(tid, NULL);
	CHECK(!ret, "ibv_destroy_qp: %s", strerror(ret));
	CHECK(!r->ret, "the racing destroy answered %s (%d) after %u EBUSY",
	      strerror(r->ret), r->ret, r->busy);
	return ret || r->ret;
}

/*
 * A CQ full of another QP's completions, never polled: every destroy_qp
 * walks all of them before it reaches the QP's receive CQ, which is what
 * the racer destroys.  The completions are the filler QP's receives,
 * flushed because it is in the error state.
 */
static struct ibv_cq *full_cq(struct dp_dev *d, struct ibv_qp **filler,
			      struct dp_buf *buf)
{
	struct ibv_cq *cq = ibv_create_cq(d->ctx, 2 * FILL, NULL, NULL, 0);
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_ERR };
	struct ibv_recv_wr wr, *bad;
	struct ibv_sge sge;
	unsigned int i;

	if (!cq)
		dp_die("ibv_create_cq");
	dp_buf_alloc(d, buf, 64, IBV_ACCESS_LOCAL_WRITE);
	*filler = dp_create_qp(d, IBV_QPT_RC, cq, cq, NULL, FILL, 1, 0);
	CHECK(!dp_to_init(*filler), "filler to INIT");
	CHECK(!ibv_modify_qp(*filler, &a, IBV_QP_STATE), "filler to ERR");
	sge = dp_sge(buf, 0, 64);
	for (i = 0; i < FILL; i++) {
		memset(&wr, 0, sizeof(wr));
		wr.wr_id = i;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		CHECK(!ibv_post_recv(*filler, &wr, &bad), "post_recv %u", i);
	}
	dp_sleep_ms(1000);	/* the flushes are the kernel's, asynchronous */
	return cq;
}

static void test_cq_vs_destroy_qp(struct dp_dev *d)
{
	unsigned int n = rounds(), i, busy = 0;
	pthread_t spin[SPINNERS];
	struct race r = {};
	struct ibv_qp *filler;
	struct ibv_cq *scq;
	struct dp_buf buf;
	int got;

	SUBTEST("cq_vs_destroy_qp");
	scq = full_cq(d, &filler, &buf);
	pthread_barrier_init(&r.go, NULL, 2);
	for (i = 0; i < SPINNERS; i++)
		if (pthread_create(&spin[i], NULL, spinner, NULL))
			dp_die("pthread_create");
	for (i = 0; i < n; i++) {
		r.cq = ibv_create_cq(d->ctx, 16, NULL, NULL, 0);
		if (!r.cq)
			dp_die("ibv_create_cq");
		r.qp = dp_create_qp(d, IBV_QPT_RC, scq, r.cq, NULL, 8, 1, 0);
		if (race_round(&r))
			break;
		busy += r.busy;
	}
	atomic_store(&spin_stop, 1);
	for (unsigned int k = 0; k < SPINNERS; k++)
		pthread_join(spin[k], NULL);
	printf("%u rounds, the CQ was busy %u times\n", i, busy);
	pthread_barrier_destroy(&r.go);
	/* Walked by every round, and not one of them dropped. */
	for (i = 0; i < FILL; i += (unsigned int)got) {
		struct ibv_wc wc[64];

		got = ibv_poll_cq(scq, 64, wc);
		if (got <= 0)
			break;
	}
	CHECK(i == FILL, "the full CQ held %u of the filler's %u CQEs", i, FILL);
	CHECK(!ibv_destroy_qp(filler), "destroy the filler QP");
	CHECK(!ibv_destroy_cq(scq), "destroy the full CQ");
	dp_buf_free(&buf);
}

DP_SUBTEST_MAIN("queue_destroy_race",
		DP_SUBTEST(cq_vs_destroy_qp))
