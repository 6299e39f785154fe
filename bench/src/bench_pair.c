// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "bench_pair.h"
#include "bench_result.h"

#define PORT 1
#define STALL_NS (60LL * 1000000000)

static int gid_set(const union ibv_gid *gid)
{
	static const union ibv_gid zero;

	return memcmp(gid, &zero, sizeof(zero)) != 0;
}

void bench_dev_open(struct bench_dev *d, const char *name)
{
	struct ibv_device **list;
	const char *env = getenv("SMLX_DEV");
	int i, n;

	memset(d, 0, sizeof(*d));
	d->name = name ? name : env && *env ? env : "smlx0";
	list = ibv_get_device_list(&n);
	if (!list)
		bench_die("ibv_get_device_list: %s", strerror(errno));
	for (i = 0; i < n && !d->ctx; i++)
		if (!strcmp(ibv_get_device_name(list[i]), d->name))
			d->ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!d->ctx)
		bench_die("cannot open %s", d->name);
	d->pd = ibv_alloc_pd(d->ctx);
	if (!d->pd || ibv_query_port(d->ctx, PORT, &d->port))
		bench_die("%s: PD or port: %s", d->name, strerror(errno));
	/* GID 1 is the IPv4-mapped RoCE v2 one on the guest's netdev. */
	d->gid_index = 0;
	if (d->port.gid_tbl_len > 1 &&
	    !ibv_query_gid(d->ctx, PORT, 1, &d->gid) && gid_set(&d->gid))
		d->gid_index = 1;
	if (ibv_query_gid(d->ctx, PORT, d->gid_index, &d->gid))
		bench_die("ibv_query_gid: %s", strerror(errno));
}

void bench_dev_close(struct bench_dev *d)
{
	ibv_dealloc_pd(d->pd);
	ibv_close_device(d->ctx);
}

struct ibv_mr *bench_reg(struct bench_dev *d, void *addr, size_t len, int odp)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		     IBV_ACCESS_REMOTE_READ;
	struct ibv_mr *mr;

	mr = ibv_reg_mr(d->pd, addr, len,
			access | (odp ? IBV_ACCESS_ON_DEMAND : 0));
	if (!mr)
		bench_die("ibv_reg_mr %zu bytes%s: %s", len,
			  odp ? " ODP" : "", strerror(errno));
	return mr;
}

static struct ibv_qp *make_qp(struct bench_dev *d, struct ibv_cq *cq)
{
	struct ibv_qp_init_attr a = {
		.send_cq = cq,
		.recv_cq = cq,
		.cap = { .max_send_wr = BENCH_DEPTH, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};
	struct ibv_qp_attr init = {
		.qp_state = IBV_QPS_INIT,
		.port_num = PORT,
		.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};
	struct ibv_qp *qp = ibv_create_qp(d->pd, &a);

	if (!qp || ibv_modify_qp(qp, &init, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				 IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		bench_die("RC QP to INIT: %s", strerror(errno));
	return qp;
}

static void to_rts(struct bench_dev *d, struct ibv_qp *qp, uint32_t dest)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_RTR,
		.path_mtu = d->port.active_mtu,
		.dest_qp_num = dest,
		.max_dest_rd_atomic = 1,
		.min_rnr_timer = 1,
		.ah_attr = {
			.is_global = 1,
			.port_num = PORT,
			.grh = { .dgid = d->gid, .sgid_index = d->gid_index,
				 .hop_limit = 64 },
		},
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		bench_die("RC QP to RTR: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_SQ_PSN |
			  IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
			  IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC))
		bench_die("RC QP to RTS: %s", strerror(errno));
}

void bench_pair_connect(struct bench_dev *d, struct bench_pair *p)
{
	p->cq = ibv_create_cq(d->ctx, 2 * BENCH_DEPTH, NULL, NULL, 0);
	if (!p->cq)
		bench_die("ibv_create_cq: %s", strerror(errno));
	p->req = make_qp(d, p->cq);
	p->resp = make_qp(d, p->cq);
	to_rts(d, p->req, p->resp->qp_num);
	to_rts(d, p->resp, p->req->qp_num);
}

void bench_pair_destroy(struct bench_pair *p)
{
	ibv_destroy_qp(p->req);
	ibv_destroy_qp(p->resp);
	ibv_destroy_cq(p->cq);
}

int64_t bench_write_pass(struct bench_pair *p, const void *src, uint32_t lkey,
			 void *dst, uint32_t rkey, size_t len, size_t chunk)
{
	size_t posted = 0, done = 0, nmsg = (len + chunk - 1) / chunk;
	int64_t t0 = bench_now_ns(), last = t0;
	struct ibv_wc wc[BENCH_DEPTH];

	while (done < nmsg) {
		while (posted < nmsg && posted - done < BENCH_DEPTH) {
			size_t off = posted * chunk;
			struct ibv_sge sge = {
				.addr = (uintptr_t)src + off,
				.length = (uint32_t)(len - off < chunk ?
						     len - off : chunk),
				.lkey = lkey,
			};
			struct ibv_send_wr wr = {
				.wr_id = posted,
				.sg_list = &sge,
				.num_sge = 1,
				.opcode = IBV_WR_RDMA_WRITE,
				.send_flags = IBV_SEND_SIGNALED,
				.wr.rdma = { .remote_addr = (uintptr_t)dst + off,
					     .rkey = rkey },
			}, *bad;
			int ret = ibv_post_send(p->req, &wr, &bad);

			if (ret)
				bench_die("ibv_post_send: %s", strerror(ret));
			posted++;
		}
		int n = ibv_poll_cq(p->cq, BENCH_DEPTH, wc), i;

		if (n < 0)
			bench_die("ibv_poll_cq: %d", n);
		for (i = 0; i < n; i++)
			if (wc[i].status != IBV_WC_SUCCESS)
				bench_die("RDMA WRITE completed with %s",
					  ibv_wc_status_str(wc[i].status));
		if (n) {
			done += n;
			last = bench_now_ns();
			continue;
		}
		if (bench_now_ns() - last > STALL_NS)
			bench_die("RDMA WRITE: nothing completed for 60 s");
		/*
		 * The device is kernel threads on the same few CPUs: spinning
		 * through our time slice would only delay them.
		 */
		sched_yield();
	}
	return bench_now_ns() - t0;
}
