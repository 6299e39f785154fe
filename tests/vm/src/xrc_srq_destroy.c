// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An XRC initiator that stops in the middle of a message must not keep the
 * target's SRQ from being destroyed (issue 8, item 3e).
 *
 * The initiator sends a three-packet SEND whose third packet cannot be
 * gathered (its SGE has a bad lkey): the first and the middle packet reach
 * the XRC target, which claims a receive WQE of the SRQ for the message;
 * the initiator's WQE fails with LOC_PROT_ERR and nothing follows.  The SRQ's
 * limit event shows the claim happened.  Then, in a child process so that
 * a hang is bounded by the test and not by the case's timeout:
 *   destroy: ibv_destroy_srq must return within BOUND_MS;
 *   exit:    the process exits with everything still open (the SRQ, made
 *            after the target QP, is torn down first) and must be gone
 *            within BOUND_MS.
 * No receive completion may appear for the half message.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp_test.h"

#define SEG 4096
#define MSG_LEN (3 * SEG)
#define BOUND_MS 10000

struct xrc {
	struct ibv_xrcd *xrcd;
	struct ibv_cq *cq_ini, *cq_srq;
	struct ibv_srq *srq;
	struct ibv_qp *tgt, *ini;
	struct dp_buf src, dst;
	uint32_t srqn;
};

static void xrc_make(struct dp_dev *d, struct xrc *x)
{
	struct ibv_xrcd_init_attr xa = {
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.fd = -1,
		.oflags = O_CREAT,
	};
	struct ibv_qp_init_attr_ex ta = {
		.qp_type = IBV_QPT_XRC_RECV,
		.comp_mask = IBV_QP_INIT_ATTR_XRCD,
	};
	struct ibv_qp_init_attr_ex ia = {
		.cap = { .max_send_wr = 8, .max_send_sge = 2 },
		.qp_type = IBV_QPT_XRC_SEND,
		.comp_mask = IBV_QP_INIT_ATTR_PD,
		.pd = d->pd,
	};
	struct ibv_srq_init_attr_ex sa = {
		.attr = { .max_wr = 8, .max_sge = 1 },
		.comp_mask = IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
			     IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ,
		.srq_type = IBV_SRQT_XRC,
		.pd = d->pd,
	};
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = IBV_MTU_1024,
		.max_dest_rd_atomic = 4,
		.min_rnr_timer = 1,
	};

	memset(x, 0, sizeof(*x));
	x->xrcd = ibv_open_xrcd(d->ctx, &xa);
	if (!x->xrcd)
		dp_die("ibv_open_xrcd");
	x->cq_ini = ibv_create_cq(d->ctx, 16, NULL, NULL, 0);
	x->cq_srq = ibv_create_cq(d->ctx, 16, NULL, NULL, 0);
	if (!x->cq_ini || !x->cq_srq)
		dp_die("ibv_create_cq");
	/* The target QP first: process exit then destroys the SRQ first. */
	ta.xrcd = x->xrcd;
	x->tgt = ibv_create_qp_ex(d->ctx, &ta);
	if (!x->tgt)
		dp_die("create XRC_RECV");
	ia.send_cq = x->cq_ini;
	ia.recv_cq = x->cq_ini;
	x->ini = ibv_create_qp_ex(d->ctx, &ia);
	if (!x->ini)
		dp_die("create XRC_SEND");
	sa.xrcd = x->xrcd;
	sa.cq = x->cq_srq;
	x->srq = ibv_create_srq_ex(d->ctx, &sa);
	if (!x->srq)
		dp_die("ibv_create_srq_ex");
	if (ibv_get_srq_num(x->srq, &x->srqn))
		dp_die("ibv_get_srq_num");

	if (dp_to_init(x->ini) || dp_to_init(x->tgt) ||
	    dp_to_rts(d, x->ini, x->tgt->qp_num, NULL))
		dp_die("connect XRC_SEND");
	a.dest_qp_num = x->ini->qp_num;
	dp_ah_attr(d, &a.ah_attr);
	if (ibv_modify_qp(x->tgt, &a, IBV_QP_STATE | IBV_QP_AV |
			  IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		dp_die("XRC_RECV to RTR");
	dp_buf_alloc(d, &x->src, MSG_LEN, DP_ALL_ACCESS);
	dp_buf_alloc(d, &x->dst, 2 * MSG_LEN, DP_ALL_ACCESS);
}

/* Waits for @type on the context's async queue; 0 when it came. */
static int wait_async(struct ibv_context *ctx, enum ibv_event_type type,
		      int timeout_ms)
{
	int64_t deadline = dp_now_ms() + timeout_ms;
	struct ibv_async_event ev;

	while (dp_now_ms() < deadline) {
		if (!dp_fd_ready(ctx->async_fd, 100))
			continue;
		if (ibv_get_async_event(ctx, &ev))
			return -1;
		ibv_ack_async_event(&ev);
		if (ev.event_type == type)
			return 0;
		printf("   async event %d while waiting for %d\n",
		       ev.event_type, type);
	}
	return -1;
}

/*
 * The initiator sends the first two packets of a three-packet SEND and
 * fails on the third; the target has claimed an SRQ WQE for it.
 */
static int half_message(struct dp_dev *d, struct xrc *x)
{
	struct ibv_srq_attr limit = { .srq_limit = 2 };
	struct ibv_sge s[2];
	struct ibv_send_wr wr, *bad = NULL;
	int i;

	for (i = 0; i < 2; i++) {
		struct ibv_sge r = dp_sge(&x->dst, (size_t)i * MSG_LEN, MSG_LEN);
		struct ibv_recv_wr rwr = { .wr_id = 100 + i, .sg_list = &r,
					   .num_sge = 1 };
		struct ibv_recv_wr *rbad;

		if (ibv_post_srq_recv(x->srq, &rwr, &rbad))
			dp_die("ibv_post_srq_recv");
	}
	/* two posted, limit 2: the first claim raises the limit event */
	if (ibv_modify_srq(x->srq, &limit, IBV_SRQ_LIMIT))
		dp_die("ibv_modify_srq limit");

	dp_fill(x->src.addr, MSG_LEN, 3);
	s[0] = dp_sge(&x->src, 0, 2 * SEG);
	s[1] = dp_sge(&x->src, 2 * SEG, SEG);
	s[1].lkey ^= 0x7fffff00u;	/* the third packet cannot be gathered */
	dp_wr(&wr, 1, IBV_WR_SEND, s, 2, 0, 0);
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.qp_type.xrc.remote_srqn = x->srqn;
	if (ibv_post_send(x->ini, &wr, &bad))
		dp_die("ibv_post_send");
	if (dp_expect(x->cq_ini, 1, IBV_WC_LOC_PROT_ERR, -1,
		      "SEND failing at its third packet", NULL))
		return -1;
	if (wait_async(d->ctx, IBV_EVENT_SRQ_LIMIT_REACHED, DP_TIMEOUT_MS)) {
		CHECK(0, "no SRQ limit event: the target never claimed a WQE");
		return -1;
	}
	CHECK(dp_cq_stays_empty(x->cq_srq, 200),
	      "a receive completed for a message that never ended");
	return 0;
}

enum mode { MODE_DESTROY, MODE_EXIT };

/* The child: builds the half message, then destroys the SRQ or exits. */
static void child(enum mode mode, int wfd)
{
	struct dp_dev d;
	struct xrc x;

	dp_open(&d);
	xrc_make(&d, &x);
	if (half_message(&d, &x))
		_exit(3);
	if (write(wfd, "H", 1) != 1)
		_exit(4);
	if (mode == MODE_EXIT)
		exit(0);	/* everything still open */

	CHECK(!ibv_destroy_srq(x.srq), "ibv_destroy_srq: %s", strerror(errno));
	if (write(wfd, "D", 1) != 1)
		_exit(4);
	CHECK(dp_cq_stays_empty(x.cq_srq, 100),
	      "a receive completed after its SRQ was destroyed");
	CHECK(!ibv_destroy_qp(x.ini) && !ibv_destroy_qp(x.tgt), "destroy qps");
	CHECK(!ibv_destroy_cq(x.cq_ini) && !ibv_destroy_cq(x.cq_srq),
	      "destroy cqs");
	CHECK(!ibv_close_xrcd(x.xrcd), "close xrcd");
	dp_buf_free(&x.src);
	dp_buf_free(&x.dst);
	dp_close(&d);
	_exit(check_failures ? 1 : 0);
}

/* Reads one byte from @fd within @ms; the byte, or -1. */
static int read_byte(int fd, int ms)
{
	char c;

	if (!dp_fd_ready(fd, ms) || read(fd, &c, 1) != 1)
		return -1;
	return c;
}

/* waitpid() within @ms: the exit status, or -1 when the child is still there. */
static int wait_child(pid_t pid, int ms)
{
	int64_t deadline = dp_now_ms() + ms;
	int status;

	do {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		dp_sleep_ms(10);
	} while (dp_now_ms() < deadline);
	return -1;
}

static void run(enum mode mode)
{
	const char *what = mode == MODE_DESTROY ? "ibv_destroy_srq" :
						  "process exit";
	int fds[2], status, c;
	int64_t t0;
	pid_t pid;

	if (pipe(fds))
		dp_die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		dp_die("fork");
	if (!pid) {
		close(fds[0]);
		child(mode, fds[1]);
	}
	close(fds[1]);
	c = read_byte(fds[0], 2 * DP_TIMEOUT_MS);
	CHECK(c == 'H', "child could not leave a half message (%d)", c);
	if (c != 'H')
		goto reap;
	t0 = dp_now_ms();
	if (mode == MODE_DESTROY) {
		c = read_byte(fds[0], BOUND_MS);
		CHECK(c == 'D', "%s did not return within %d ms: the XRC "
		      "target still holds the SRQ", what, BOUND_MS);
		if (c == 'D')
			printf("   %s returned in %lld ms\n", what,
			       (long long)(dp_now_ms() - t0));
	} else {
		status = wait_child(pid, BOUND_MS);
		CHECK(status >= 0, "%s did not finish within %d ms: the XRC "
		      "target still holds the SRQ", what, BOUND_MS);
		if (status >= 0) {
			printf("   %s took %lld ms\n", what,
			       (long long)(dp_now_ms() - t0));
			CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
			      "child status %#x", status);
			pid = 0;
		}
	}
reap:
	close(fds[0]);
	if (!pid)
		return;
	status = wait_child(pid, BOUND_MS);
	if (status < 0) {
		kill(pid, SIGKILL);
		status = wait_child(pid, 2000);
		CHECK(status >= 0, "child %d survives SIGKILL (stuck in the "
		      "kernel)", (int)pid);
		return;
	}
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "child status %#x",
	      status);
}

static void test_destroy(struct dp_dev *d)
{
	(void)d;
	SUBTEST("XRC initiator stops mid-message: ibv_destroy_srq returns");
	run(MODE_DESTROY);
}

static void test_exit(struct dp_dev *d)
{
	(void)d;
	SUBTEST("XRC initiator stops mid-message: the SRQ's process exits");
	run(MODE_EXIT);
}

/* After both: a whole message still goes through a fresh XRC pair. */
static void test_after(struct dp_dev *d)
{
	struct ibv_sge s, r;
	struct ibv_send_wr wr, *bad = NULL;
	struct ibv_recv_wr rwr = { .wr_id = 7, .sg_list = &r, .num_sge = 1 };
	struct ibv_recv_wr *rbad;
	struct ibv_wc wc;
	struct xrc x;

	SUBTEST("a whole XRC message afterwards");
	xrc_make(d, &x);
	r = dp_sge(&x.dst, 0, MSG_LEN);
	CHECK(!ibv_post_srq_recv(x.srq, &rwr, &rbad), "post_srq_recv");
	dp_fill(x.src.addr, MSG_LEN, 9);
	s = dp_sge(&x.src, 0, MSG_LEN);
	dp_wr(&wr, 8, IBV_WR_SEND, &s, 1, 0, 0);
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.qp_type.xrc.remote_srqn = x.srqn;
	CHECK(!ibv_post_send(x.ini, &wr, &bad), "post_send");
	dp_expect(x.cq_ini, 8, IBV_WC_SUCCESS, IBV_WC_SEND, "XRC send", NULL);
	if (!dp_expect(x.cq_srq, 7, IBV_WC_SUCCESS, IBV_WC_RECV, "XRC receive",
		       &wc))
		CHECK(wc.byte_len == MSG_LEN &&
		      !memcmp(x.dst.addr, x.src.addr, MSG_LEN),
		      "XRC receive: %u bytes or data wrong", wc.byte_len);
	CHECK(!ibv_destroy_qp(x.ini) && !ibv_destroy_qp(x.tgt), "destroy qps");
	CHECK(!ibv_destroy_srq(x.srq), "destroy srq");
	CHECK(!ibv_destroy_cq(x.cq_ini) && !ibv_destroy_cq(x.cq_srq),
	      "destroy cqs");
	CHECK(!ibv_close_xrcd(x.xrcd), "close xrcd");
	dp_buf_free(&x.src);
	dp_buf_free(&x.dst);
}

DP_SUBTEST_MAIN("xrc_srq_destroy",
		DP_SUBTEST(destroy), DP_SUBTEST(exit), DP_SUBTEST(after))
