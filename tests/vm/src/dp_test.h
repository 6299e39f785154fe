/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers of the data-path test programs (datapath_*.c): one device, QPs
 * connected to each other in loopback through the port's own GID, MRs
 * over malloc'd buffers, and polling with a deadline so a stuck queue
 * fails the test instead of hanging it.
 *
 * Everything is static inline so each program stays one source file.
 */
#ifndef SMLX_DP_TEST_H
#define SMLX_DP_TEST_H

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <infiniband/verbs.h>

#include "check.h"
#include "test_device.h"

#define DP_PORT 1
#define DP_QKEY 0x11111111u
/*
 * How long an expected completion may take before the test calls it lost:
 * a hang detector, not a speed check, so generous enough for emulation on
 * a loaded host (vCPUs starved for seconds were seen).
 */
#define DP_TIMEOUT_MS 30000
#define DP_ALL_ACCESS                                                          \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |                    \
	 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)

/*
 * Set when the device is rxe (named rxe*): the reference run of these tests
 * with Debian's provider.  Error completions then only need to be errors:
 * rxe reports some with other statuses than mlx5 and the IB spec give.
 */
static int dp_reference;

struct dp_dev {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_port_attr port;
	union ibv_gid gid;
	int gid_index;
};

struct dp_buf {
	void *addr;
	size_t len;
	struct ibv_mr *mr;
};

static inline int64_t dp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void dp_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static inline void dp_die(const char *what)
{
	fprintf(stderr, "FATAL: %s: %s\n", what, strerror(errno));
	exit(2);
}

static inline int dp_gid_usable(const union ibv_gid *gid)
{
	static const union ibv_gid zero;

	return memcmp(gid, &zero, sizeof(zero)) != 0;
}

/*
 * Opens $SMLX_DEV and picks the GID the QPs address each other with:
 * $SMLX_GID_INDEX, else index 1 (what ibv_rc_pingpong -g 1 uses), else 0.
 */
static inline void dp_open(struct dp_dev *d)
{
	const char *env = getenv("SMLX_GID_INDEX");

	memset(d, 0, sizeof(*d));
	d->ctx = test_open_device();
	d->pd = ibv_alloc_pd(d->ctx);
	if (!d->pd)
		dp_die("ibv_alloc_pd");
	if (ibv_query_port(d->ctx, DP_PORT, &d->port))
		dp_die("ibv_query_port");
	if (env && *env) {
		d->gid_index = atoi(env);
	} else {
		d->gid_index = 0;
		if (d->port.gid_tbl_len > 1 &&
		    !ibv_query_gid(d->ctx, DP_PORT, 1, &d->gid) &&
		    dp_gid_usable(&d->gid))
			d->gid_index = 1;
	}
	if (ibv_query_gid(d->ctx, DP_PORT, d->gid_index, &d->gid))
		dp_die("ibv_query_gid");
	dp_reference = !strncmp(ibv_get_device_name(d->ctx->device), "rxe", 3);
	printf("device %s, GID index %d%s\n",
	       ibv_get_device_name(d->ctx->device), d->gid_index,
	       dp_reference ? " (reference run: rxe)" : "");
}

static inline void dp_close(struct dp_dev *d)
{
	CHECK(!ibv_dealloc_pd(d->pd), "ibv_dealloc_pd: %s", strerror(errno));
	CHECK(!ibv_close_device(d->ctx), "ibv_close_device");
}

static inline void dp_ah_attr(const struct dp_dev *d, struct ibv_ah_attr *ah)
{
	memset(ah, 0, sizeof(*ah));
	ah->port_num = DP_PORT;
	ah->dlid = d->port.lid;
	if (d->port.link_layer != IBV_LINK_LAYER_INFINIBAND ||
	    !d->port.lid) {
		ah->is_global = 1;
		ah->grh.dgid = d->gid;
		ah->grh.sgid_index = d->gid_index;
		ah->grh.hop_limit = 64;
	}
}

static inline void dp_buf_alloc(struct dp_dev *d, struct dp_buf *b, size_t len,
				int access)
{
	b->len = len;
	b->addr = aligned_alloc(4096, (len + 4095) & ~4095UL);
	if (!b->addr)
		dp_die("aligned_alloc");
	memset(b->addr, 0, len);
	b->mr = ibv_reg_mr(d->pd, b->addr, len, access);
	if (!b->mr)
		dp_die("ibv_reg_mr");
}

static inline void dp_buf_free(struct dp_buf *b)
{
	CHECK(!ibv_dereg_mr(b->mr), "ibv_dereg_mr");
	free(b->addr);
}

static inline struct ibv_sge dp_sge(const struct dp_buf *b, size_t off,
				    uint32_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)b->addr + off,
		.length = len,
		.lkey = b->mr->lkey,
	};
	return sge;
}

static inline void dp_fill(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i < len; i++)
		c[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

/*
 * A send WR of @num_sge SGEs; RDMA reads and writes aim at @remote_addr
 * with @rkey (0 and 0 for opcodes with no remote address; atomics keep
 * theirs elsewhere in the WR and set them themselves).
 */
static inline void dp_wr(struct ibv_send_wr *wr, uint64_t wr_id,
			 enum ibv_wr_opcode opcode, struct ibv_sge *sge,
			 int num_sge, uint64_t remote_addr, uint32_t rkey)
{
	memset(wr, 0, sizeof(*wr));
	wr->wr_id = wr_id;
	wr->sg_list = sge;
	wr->num_sge = num_sge;
	wr->opcode = opcode;
	wr->wr.rdma.remote_addr = remote_addr;
	wr->wr.rdma.rkey = rkey;
}

/* RESET -> INIT, for any connected or datagram QP. */
static inline int dp_to_init(struct ibv_qp *qp)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = DP_PORT,
	};
	int mask = IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT;

	if (qp->qp_type == IBV_QPT_UD) {
		a.qkey = DP_QKEY;
		mask |= IBV_QP_QKEY;
	} else {
		a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				    IBV_ACCESS_REMOTE_READ |
				    IBV_ACCESS_REMOTE_ATOMIC;
		mask |= IBV_QP_ACCESS_FLAGS;
	}
	return ibv_modify_qp(qp, &a, mask);
}

struct dp_conn_opts {
	uint8_t rnr_retry;	/* 7: infinite */
	uint8_t retry_cnt;
	uint8_t min_rnr_timer;
	uint8_t timeout;
};

static const struct dp_conn_opts dp_default_conn = {
	.rnr_retry = 7, .retry_cnt = 7, .min_rnr_timer = 1, .timeout = 14,
};

/* INIT -> RTR -> RTS towards @remote_qpn on our own port. */
static inline int dp_to_rts(const struct dp_dev *d, struct ibv_qp *qp,
			    uint32_t remote_qpn, const struct dp_conn_opts *o)
{
	struct ibv_qp_attr a;
	int ret;

	if (!o)
		o = &dp_default_conn;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	if (qp->qp_type == IBV_QPT_UD) {
		ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
		if (ret)
			return ret;
		a.qp_state = IBV_QPS_RTS;
		a.sq_psn = 0;
		return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN);
	}

	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = remote_qpn;
	a.rq_psn = 0;
	dp_ah_attr(d, &a.ah_attr);
	int mask = IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
		   IBV_QP_DEST_QPN | IBV_QP_RQ_PSN;
	if (qp->qp_type != IBV_QPT_UC) {
		a.max_dest_rd_atomic = 4;
		a.min_rnr_timer = o->min_rnr_timer;
		mask |= IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER;
	}
	ret = ibv_modify_qp(qp, &a, mask);
	if (ret)
		return ret;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.sq_psn = 0;
	mask = IBV_QP_STATE | IBV_QP_SQ_PSN;
	if (qp->qp_type != IBV_QPT_UC) {
		a.timeout = o->timeout;
		a.retry_cnt = o->retry_cnt;
		a.rnr_retry = o->rnr_retry;
		a.max_rd_atomic = 4;
		mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			IBV_QP_MAX_QP_RD_ATOMIC;
	}
	return ibv_modify_qp(qp, &a, mask);
}

/* The QP's current state, or -1 when it cannot be queried. */
static inline enum ibv_qp_state dp_qp_state(struct ibv_qp *qp)
{
	struct ibv_qp_init_attr ia;
	struct ibv_qp_attr a;

	if (ibv_query_qp(qp, &a, IBV_QP_STATE, &ia))
		return (enum ibv_qp_state)-1;
	return a.qp_state;
}

/* Polls until @n completions arrived or the deadline passed; returns count. */
static inline int dp_poll(struct ibv_cq *cq, struct ibv_wc *wc, int n,
			  int timeout_ms)
{
	int64_t deadline = dp_now_ms() + timeout_ms;
	int got = 0, ret;

	while (got < n) {
		ret = ibv_poll_cq(cq, n - got, wc + got);
		if (ret < 0) {
			fprintf(stderr, "ibv_poll_cq: %d\n", ret);
			return got;
		}
		got += ret;
		if (!ret && dp_now_ms() > deadline)
			break;
	}
	return got;
}

/*
 * A completion that never came: what the kernel's engine holds of every QP
 * of the device (rdma resource show qp -dd), so the log says where it
 * stopped.  Once per process: a lost completion tends to bring more.
 */
static inline void dp_dump_engine(void)
{
	static int dumped;
	const char *dev = getenv("SMLX_DEV");
	const char *repo = getenv("SMLX_REPO");
	char cmd[512];

	if (dumped++ || !dev || strncmp(dev, "smlx", 4))
		return;
	fflush(stdout);
	/* tests/vm/engine-dump: the stacks, the CPU hogs, the QPs and CQs */
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/vm/engine-dump' '%s' >&2",
		 repo && *repo ? repo : ".", dev);
	if (system(cmd))
		fprintf(stderr, "(%s failed)\n", cmd);
}

/* No completion on @cq after @ms: a failed check, and the engine's dump. */
static inline void dp_lost(struct ibv_cq *cq, const char *what, int ms)
{
	struct ibv_wc wc;

	CHECK(0, "%s: no completion within %d ms", what, ms);
	dp_dump_engine();
	/* The dump took a while: late, or never to be seen? */
	if (dp_poll(cq, &wc, 1, 1000) == 1)
		printf("   %s: the completion came after the dump (wr_id %#llx, %s)\n",
		       what, (unsigned long long)wc.wr_id,
		       ibv_wc_status_str(wc.status));
}

/* A completion that came, checked against what the test expects. */
static inline int dp_check_wc(const struct ibv_wc *wc, uint64_t wr_id,
			      enum ibv_wc_status status, int opcode,
			      const char *what)
{
	CHECK(wc->wr_id == wr_id, "%s: wr_id %#llx, want %#llx", what,
	      (unsigned long long)wc->wr_id, (unsigned long long)wr_id);
	if (dp_reference && status != IBV_WC_SUCCESS && wc->status != status &&
	    wc->status != IBV_WC_SUCCESS) {
		printf("   (reference: %s gives %s, not %s)\n", what,
		       ibv_wc_status_str(wc->status), ibv_wc_status_str(status));
		status = wc->status;
	}
	CHECK(wc->status == status, "%s: status %s (%d), want %s", what,
	      ibv_wc_status_str(wc->status), wc->status,
	      ibv_wc_status_str(status));
	/* the transport's retries spent: how long the faults took */
	if (wc->status == IBV_WC_RETRY_EXC_ERR && status != wc->status)
		dp_dump_engine();
	if (opcode >= 0 && wc->status == IBV_WC_SUCCESS)
		CHECK((int)wc->opcode == opcode, "%s: opcode %d, want %d", what,
		      wc->opcode, opcode);
	return wc->wr_id == wr_id && wc->status == status ? 0 : -1;
}

/* One completion within DP_TIMEOUT_MS, checked; else the engine's dump. */
static inline int dp_expect(struct ibv_cq *cq, uint64_t wr_id,
			    enum ibv_wc_status status, int opcode,
			    const char *what, struct ibv_wc *out)
{
	struct ibv_wc wc;

	if (dp_poll(cq, &wc, 1, DP_TIMEOUT_MS) != 1) {
		dp_lost(cq, what, DP_TIMEOUT_MS);
		return -1;
	}
	if (out)
		*out = wc;
	return dp_check_wc(&wc, wr_id, status, opcode, what);
}

/* No completion shows up on @cq for @ms milliseconds. */
static inline int dp_cq_stays_empty(struct ibv_cq *cq, int ms)
{
	struct ibv_wc wc;

	return dp_poll(cq, &wc, 1, ms) == 0;
}

/* Waits for readability of @fd; 1 if readable, 0 on timeout. */
static inline int dp_fd_ready(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

static inline struct ibv_qp *dp_create_qp(struct dp_dev *d,
					  enum ibv_qp_type type,
					  struct ibv_cq *scq, struct ibv_cq *rcq,
					  struct ibv_srq *srq, uint32_t depth,
					  uint32_t sge, uint32_t inline_data)
{
	struct ibv_qp_init_attr ia = {
		.send_cq = scq,
		.recv_cq = rcq,
		.srq = srq,
		.cap = {
			.max_send_wr = depth,
			.max_recv_wr = srq ? 0 : depth,
			.max_send_sge = sge,
			.max_recv_sge = srq ? 0 : sge,
			.max_inline_data = inline_data,
		},
		.qp_type = type,
	};
	struct ibv_qp *qp = ibv_create_qp(d->pd, &ia);

	if (!qp)
		dp_die("ibv_create_qp");
	return qp;
}

struct dp_subtest {
	const char *name;
	void (*run)(struct dp_dev *d);
};

#define DP_SUBTEST(name) { #name, test_##name }

/* Runs the subtests named on the command line, or all, on one device. */
static inline int dp_run_subtests(int argc, char **argv, const char *prog,
				  const struct dp_subtest *tests, size_t n)
{
	struct dp_dev d;
	size_t i;

	dp_open(&d);
	for (i = 0; i < n; i++)
		if (check_selected(argc, argv, tests[i].name))
			tests[i].run(&d);
	dp_close(&d);
	return check_finish(prog);
}

/* The main() of a program of DP_SUBTEST()s, run by dp_run_subtests. */
#define DP_SUBTEST_MAIN(prog, ...)                                             \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		static const struct dp_subtest tests[] = { __VA_ARGS__ };      \
									       \
		return dp_run_subtests(argc, argv, prog, tests,                \
				       sizeof(tests) / sizeof(tests[0]));      \
	}

#endif
