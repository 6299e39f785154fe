// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * An rdma_cm connection whose MRs are all ODP, as an MPI library over
 * librdmacm would set one up: librdmacm resolves, connects and creates the
 * QP; the server hands its buffer's address and rkey over in the accept's
 * private data.  The client WRITEs 1 MiB into the server's untouched ODP
 * buffer (responder faults), READs it back into an untouched buffer of its
 * own (requester faults) and SENDs 64 KiB into an ODP receive buffer.  Both
 * sides check every byte, and the per-MR counters ("rdma statistic mr")
 * must show that the device faulted the pages in.
 *
 * usage: rdmacm_odp ADDRESS PORT   (server in the parent, client in a child)
 */
#include <inttypes.h>
#include <rdma/rdma_cma.h>
#include <rdma/rdma_verbs.h>
#include <sys/wait.h>

#include "odp_test.h"

#define XFER_LEN	(1 * MIB)
#define SEND_LEN	(64 * KIB)
#define ODP_ACCESS	(IBV_ACCESS_ON_DEMAND | IBV_ACCESS_LOCAL_WRITE | \
			 IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ)

struct odp_peer_info {
	uint64_t addr;
	uint32_t rkey;
	uint32_t len;
};

static uint8_t pattern(size_t i, unsigned int salt)
{
	return (uint8_t)((i * 131 + (i >> 12) * 7 + salt) & 0xff);
}

static void fill(uint8_t *p, size_t len, unsigned int salt)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(i, salt);
}

static size_t first_wrong(const uint8_t *p, size_t len, unsigned int salt)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(i, salt))
			return i;
	return len;
}

static struct rdma_addrinfo *resolve(const char *addr, const char *port,
				     int passive)
{
	struct rdma_addrinfo hints = {
		.ai_port_space = RDMA_PS_TCP,
		.ai_flags = passive ? RAI_PASSIVE : 0,
	};
	struct rdma_addrinfo *res = NULL;
	int ret = rdma_getaddrinfo(addr, port, &hints, &res);

	CHECK(!ret, "rdma_getaddrinfo(%s, %s): %s", addr, port,
	      strerror(errno));
	if (ret)
		exit(check_finish("rdmacm_odp"));
	return res;
}

/* A PD on @id's device, and @id's RC QP in it (librdmacm's own CQs). */
static struct ibv_pd *qp_create(struct rdma_cm_id *id, const char *who)
{
	struct ibv_qp_init_attr attr = {
		.cap = {
			.max_send_wr = 4, .max_recv_wr = 4,
			.max_send_sge = 1, .max_recv_sge = 1,
		},
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
	};
	struct ibv_pd *pd = ibv_alloc_pd(id->verbs);

	CHECK(pd, "%s: ibv_alloc_pd: %s", who, strerror(errno));
	if (pd && rdma_create_qp(id, pd, &attr)) {
		CHECK(0, "%s: rdma_create_qp: %s", who, strerror(errno));
		ibv_dealloc_pd(pd);
		pd = NULL;
	}
	return pd;
}

static struct ibv_mr *odp_reg(struct ibv_pd *pd, void *buf, size_t len,
			      const char *what)
{
	struct ibv_mr *mr = ibv_reg_mr(pd, buf, len, ODP_ACCESS);

	CHECK(mr, "%s: ODP ibv_reg_mr: %s", what, strerror(errno));
	if (!mr)
		exit(check_finish("rdmacm_odp"));
	return mr;
}

/* Waits for one completion on @id's CQ of that kind; checks its status. */
static void complete(struct rdma_cm_id *id, int send, const char *what)
{
	struct ibv_wc wc;
	int ret = send ? rdma_get_send_comp(id, &wc) :
			 rdma_get_recv_comp(id, &wc);

	CHECK(ret > 0, "%s: no completion: %s", what, strerror(errno));
	if (ret > 0)
		CHECK(wc.status == IBV_WC_SUCCESS, "%s: %s", what,
		      ibv_wc_status_str(wc.status));
}

static void expect_faults(struct ibv_mr *mr, const char *what)
{
	struct odp_mr_info info;

	odp_mr_get(what, mr->lkey, &info);
	CHECK(info.page_faults_handled > 0,
	      "%s: the device took no page faults on this ODP MR", what);
}

static int server(const char *addr, const char *port, int ready_fd)
{
	struct rdma_addrinfo *res = resolve(addr, port, 1);
	struct rdma_cm_id *listen_id, *id;
	struct rdma_conn_param param = {};
	struct odp_peer_info info;
	struct ibv_mr *mr, *rmr;
	uint8_t *buf, *rbuf;
	struct ibv_pd *pd;
	size_t bad;
	int ret;

	ret = rdma_create_ep(&listen_id, res, NULL, NULL);
	CHECK(!ret, "server rdma_create_ep: %s", strerror(errno));
	rdma_freeaddrinfo(res);
	if (ret)
		return 1;
	ret = rdma_listen(listen_id, 1);
	CHECK(!ret, "rdma_listen: %s", strerror(errno));
	if (write(ready_fd, "r", 1) != 1)
		perror("write");
	ret = rdma_get_request(listen_id, &id);
	CHECK(!ret, "rdma_get_request: %s", strerror(errno));
	if (ret)
		return 1;

	pd = qp_create(id, "server");
	if (!pd)
		return 1;

	/* Untouched: the device faults every page of both in. */
	buf = odp_map(NULL, XFER_LEN, PROT_READ | PROT_WRITE, 0);
	rbuf = odp_map(NULL, SEND_LEN, PROT_READ | PROT_WRITE, 0);
	mr = odp_reg(pd, buf, XFER_LEN, "server WRITE target");
	rmr = odp_reg(pd, rbuf, SEND_LEN, "server receive buffer");
	ret = rdma_post_recv(id, NULL, rbuf, SEND_LEN, rmr);
	CHECK(!ret, "rdma_post_recv: %s", strerror(errno));

	info.addr = (uintptr_t)buf;
	info.rkey = mr->rkey;
	info.len = XFER_LEN;
	param.private_data = &info;
	param.private_data_len = sizeof(info);
	param.responder_resources = 1;
	param.initiator_depth = 1;
	ret = rdma_accept(id, &param);
	CHECK(!ret, "rdma_accept: %s", strerror(errno));
	if (ret)
		return 1;

	/* The client SENDs after its WRITE and READ are complete. */
	complete(id, 0, "server receive");
	bad = first_wrong(rbuf, SEND_LEN, 2);
	CHECK(bad == SEND_LEN, "received SEND: byte %zu is wrong", bad);
	bad = first_wrong(buf, XFER_LEN, 1);
	CHECK(bad == XFER_LEN, "WRITE target: byte %zu is wrong", bad);
	expect_faults(mr, "server WRITE target");
	expect_faults(rmr, "server receive buffer");

	rdma_disconnect(id);
	rdma_dereg_mr(mr);
	rdma_dereg_mr(rmr);
	rdma_destroy_qp(id);
	ibv_dealloc_pd(pd);
	rdma_destroy_ep(id);
	rdma_destroy_ep(listen_id);
	munmap(buf, XFER_LEN);
	munmap(rbuf, SEND_LEN);
	return 0;
}

static int client(const char *addr, const char *port)
{
	struct rdma_addrinfo *res = resolve(addr, port, 0);
	const struct odp_peer_info *peer;
	struct rdma_cm_event *event;
	struct rdma_conn_param param = {};
	struct odp_peer_info info;
	struct ibv_mr *smr, *dmr;
	uint8_t *src, *dst;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	size_t bad;
	int ret;

	ret = rdma_create_ep(&id, res, NULL, NULL);
	CHECK(!ret, "client rdma_create_ep: %s", strerror(errno));
	rdma_freeaddrinfo(res);
	if (ret)
		return 1;
	pd = qp_create(id, "client");
	if (!pd)
		return 1;

	src = odp_map(NULL, XFER_LEN, PROT_READ | PROT_WRITE, 0);
	dst = odp_map(NULL, XFER_LEN, PROT_READ | PROT_WRITE, 0);
	fill(src, XFER_LEN, 1);
	smr = odp_reg(pd, src, XFER_LEN, "client source");
	dmr = odp_reg(pd, dst, XFER_LEN, "client READ target");

	param.responder_resources = 1;
	param.initiator_depth = 1;
	param.retry_count = 7;
	ret = rdma_connect(id, &param);
	CHECK(!ret, "rdma_connect: %s", strerror(errno));
	if (ret)
		return 1;
	/* A synchronous id keeps the ESTABLISHED event, and its data, here. */
	CHECK(id->event &&
	      id->event->param.conn.private_data_len >= sizeof(info),
	      "the accept carried no buffer address");
	if (check_failures)
		return 1;
	peer = id->event->param.conn.private_data;
	memcpy(&info, peer, sizeof(info));
	/* rdma_destroy_ep() waits for every event to be acknowledged */
	rdma_ack_cm_event(id->event);
	id->event = NULL;
	printf("   server buffer %#" PRIx64 " rkey %#x, %u bytes\n",
	       info.addr, info.rkey, info.len);

	SUBTEST("RDMA WRITE 1 MiB into the server's untouched ODP buffer");
	ret = rdma_post_write(id, NULL, src, XFER_LEN, smr, 0, info.addr,
			      info.rkey);
	CHECK(!ret, "rdma_post_write: %s", strerror(errno));
	complete(id, 1, "WRITE");

	SUBTEST("RDMA READ it back into an untouched ODP buffer");
	ret = rdma_post_read(id, NULL, dst, XFER_LEN, dmr, 0, info.addr,
			     info.rkey);
	CHECK(!ret, "rdma_post_read: %s", strerror(errno));
	complete(id, 1, "READ");
	bad = first_wrong(dst, XFER_LEN, 1);
	CHECK(bad == XFER_LEN, "READ back: byte %zu is wrong", bad);
	expect_faults(dmr, "client READ target");

	SUBTEST("SEND 64 KiB into the server's ODP receive buffer");
	fill(src, SEND_LEN, 2);
	ret = rdma_post_send(id, NULL, src, SEND_LEN, smr, 0);
	CHECK(!ret, "rdma_post_send: %s", strerror(errno));
	complete(id, 1, "SEND");
	expect_faults(smr, "client source");

	/* until the server has checked and disconnects */
	if (!rdma_get_cm_event(id->channel, &event))
		rdma_ack_cm_event(event);
	rdma_disconnect(id);
	rdma_dereg_mr(smr);
	rdma_dereg_mr(dmr);
	rdma_destroy_qp(id);
	ibv_dealloc_pd(pd);
	rdma_destroy_ep(id);
	munmap(src, XFER_LEN);
	munmap(dst, XFER_LEN);
	return 0;
}

int main(int argc, char **argv)
{
	int fds[2], status = 1;
	pid_t pid;
	char c;

	if (argc != 3) {
		fprintf(stderr, "usage: %s ADDRESS PORT\n", argv[0]);
		return 2;
	}
	if (pipe(fds)) {
		perror("pipe");
		return 2;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (!pid) {
		close(fds[1]);
		/* until the server listens */
		if (read(fds[0], &c, 1) != 1)
			_exit(2);
		client(argv[1], argv[2]);
		_exit(check_finish("rdmacm_odp client"));
	}
	close(fds[0]);
	server(argv[1], argv[2], fds[1]);
	/* a server that never listened lets the client go too */
	close(fds[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		CHECK(0, "the client failed (status %#x)", status);
	return check_finish("rdmacm_odp server");
}
