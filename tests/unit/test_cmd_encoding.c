// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * How commands reach the kernel: write() framing of legacy and extended
 * uverbs commands (captured through a pipe standing in for the uverbs fd),
 * the flattening of post_send, and RDMA_VERBS_IOCTL attribute packing,
 * including attributes gathered from a linked driver block.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <infiniband/driver.h>
#include <infiniband/marshall.h>
#include <rdma/ib_user_ioctl_cmds.h>
#include <rdma/smlx-abi.h>

#include "unit_test.h"

DECLARE_DRV_CMD(test_create_cq_ex, IB_USER_VERBS_EX_CMD_CREATE_CQ,
		smlx_alloc_ucontext_cmd, smlx_alloc_pd_resp);
DECLARE_DRV_CMD(test_alloc_pd, IB_USER_VERBS_CMD_ALLOC_PD,
		smlx_alloc_ucontext_cmd, smlx_alloc_pd_resp);

static int pipe_fds[2];

static void init_ctx(struct verbs_context *vctx, int fd)
{
	memset(vctx, 0, sizeof(*vctx));
	vctx->context.cmd_fd = fd;
	vctx->context.async_fd = -1;
	vctx->context.abi_compat = __VERBS_ABI_IS_EXTENDED;
	vctx->sz = sizeof(*vctx);
}

static size_t drain(void *buf, size_t len)
{
	ssize_t n = read(pipe_fds[0], buf, len);

	return n < 0 ? 0 : (size_t)n;
}

static void test_legacy_write(struct ibv_context *ctx)
{
	struct test_alloc_pd cmd;
	struct test_alloc_pd_resp resp;
	struct ibv_pd pd = {};
	uint8_t wire[256];
	struct ib_uverbs_cmd_hdr *hdr = (void *)wire;
	struct ib_uverbs_alloc_pd *core = (void *)(hdr + 1);
	struct smlx_alloc_ucontext_cmd *drv = (void *)(core + 1);
	size_t n;

	memset(&cmd, 0xee, sizeof(cmd));
	cmd.provider_abi = 1;
	cmd.reserved = 0;
	memset(&resp, 0, sizeof(resp));
	CHECK_EQ(ibv_cmd_alloc_pd(ctx, &pd, &cmd.ibv_cmd, sizeof(cmd),
				  &resp.ibv_resp, sizeof(resp)), 0);
	n = drain(wire, sizeof(wire));
	CHECK_EQ(n, sizeof(cmd));
	CHECK_EQ(hdr->command, IB_USER_VERBS_CMD_ALLOC_PD);
	CHECK_EQ(hdr->in_words, sizeof(cmd) / 4);
	CHECK_EQ(hdr->out_words, sizeof(resp) / 4);
	CHECK_EQ(core->response, (uintptr_t)&resp);
	CHECK_EQ(drv->provider_abi, 1);
	CHECK(pd.context == ctx);
}

/* librxe passes no cmd/resp buffers when it has no driver data */
static void test_null_buffers(struct ibv_context *ctx)
{
	uint8_t wire[256];
	struct ib_uverbs_cmd_hdr *hdr = (void *)wire;
	struct ib_uverbs_create_cq *core = (void *)(hdr + 1);
	struct ibv_cq cq = {};

	CHECK_EQ(ibv_cmd_create_cq(ctx, 16, NULL, 0, &cq, NULL, 0, NULL, 0), 0);
	CHECK_EQ(drain(wire, sizeof(wire)), sizeof(struct ibv_create_cq));
	CHECK_EQ(hdr->command, IB_USER_VERBS_CMD_CREATE_CQ);
	CHECK_EQ(hdr->in_words, sizeof(struct ibv_create_cq) / 4);
	CHECK_EQ(hdr->out_words, sizeof(struct ib_uverbs_create_cq_resp) / 4);
	CHECK(core->response != 0);
	CHECK_EQ(core->user_handle, (uintptr_t)&cq);
	CHECK_EQ(core->cqe, 16);
}

static void test_ex_write(struct ibv_context *ctx)
{
	struct test_create_cq_ex cmd = {};
	struct test_create_cq_ex_resp resp = {};
	struct ibv_cq_init_attr_ex attr = {
		.cqe = 64,
		.comp_vector = 2,
		.wc_flags = IBV_WC_EX_WITH_COMPLETION_TIMESTAMP,
	};
	struct verbs_cq cq = {};
	uint8_t wire[256];
	struct ex_hdr *hdr = (void *)wire;
	struct ib_uverbs_ex_create_cq *core = (void *)(hdr + 1);
	size_t n;

	cmd.provider_abi = 7;
	CHECK_EQ(ibv_cmd_create_cq_ex(ctx, &attr, &cq, &cmd.ibv_cmd, sizeof(cmd),
				      &resp.ibv_resp, sizeof(resp), 0), 0);
	n = drain(wire, sizeof(wire));
	CHECK_EQ(n, sizeof(cmd));
	CHECK_EQ(hdr->hdr.command,
		 IB_USER_VERBS_CMD_FLAG_EXTENDED | IB_USER_VERBS_EX_CMD_CREATE_CQ);
	CHECK_EQ(hdr->hdr.in_words, sizeof(struct ib_uverbs_ex_create_cq) / 8);
	CHECK_EQ(hdr->hdr.out_words,
		 sizeof(struct ib_uverbs_ex_create_cq_resp) / 8);
	CHECK_EQ(hdr->ex_hdr.provider_in_words,
		 sizeof(struct smlx_alloc_ucontext_cmd) / 8);
	CHECK_EQ(hdr->ex_hdr.provider_out_words,
		 sizeof(struct smlx_alloc_pd_resp) / 8);
	CHECK_EQ(hdr->ex_hdr.response, (uintptr_t)&resp);
	CHECK_EQ(hdr->ex_hdr.cmd_hdr_reserved, 0);
	CHECK_EQ(core->user_handle, (uintptr_t)&cq.cq);
	CHECK_EQ(core->cqe, 64);
	CHECK_EQ(core->comp_vector, 2);
	CHECK_EQ(core->comp_channel, -1);
	CHECK_EQ(core->flags, IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION);

	/* wall-clock stamps need the device clock unless the provider says no */
	attr.wc_flags = IBV_WC_EX_WITH_COMPLETION_TIMESTAMP_WALLCLOCK;
	CHECK_EQ(ibv_cmd_create_cq_ex(ctx, &attr, &cq, &cmd.ibv_cmd, sizeof(cmd),
				      &resp.ibv_resp, sizeof(resp), 0), 0);
	drain(wire, sizeof(wire));
	CHECK_EQ(core->flags, IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION);
	CHECK_EQ(ibv_cmd_create_cq_ex(ctx, &attr, &cq, &cmd.ibv_cmd, sizeof(cmd),
				      &resp.ibv_resp, sizeof(resp),
				      CREATE_CQ_CMD_FLAGS_TS_IGNORED_EX), 0);
	drain(wire, sizeof(wire));
	CHECK_EQ(core->flags, 0);

	/* unknown comp_mask bits never reach the kernel */
	attr.comp_mask = 1u << 20;
	CHECK_EQ(ibv_cmd_create_cq_ex(ctx, &attr, &cq, &cmd.ibv_cmd, sizeof(cmd),
				      &resp.ibv_resp, sizeof(resp), 0),
		 EOPNOTSUPP);
}

static void test_modify_qp(struct ibv_context *ctx)
{
	struct ibv_qp qp = { .context = ctx, .handle = 42 };
	struct ibv_qp_attr attr = {};
	struct ibv_modify_qp cmd;
	uint8_t wire[256];
	struct ib_uverbs_cmd_hdr *hdr = (void *)wire;
	struct ib_uverbs_modify_qp *core = (void *)(hdr + 1);

	attr.qp_state = IBV_QPS_RTR;
	attr.path_mtu = IBV_MTU_1024;
	attr.dest_qp_num = 0x1234;
	attr.ah_attr.is_global = 1;
	attr.ah_attr.grh.dgid.raw[15] = 0x77;
	attr.ah_attr.grh.sgid_index = 3;
	attr.ah_attr.port_num = 1;
	attr.qkey = 0x11111111; /* not in the mask: must not be sent */
	CHECK_EQ(ibv_cmd_modify_qp(&qp, &attr,
				   IBV_QP_STATE | IBV_QP_PATH_MTU |
					   IBV_QP_DEST_QPN | IBV_QP_AV,
				   &cmd, sizeof(cmd)), 0);
	CHECK_EQ(drain(wire, sizeof(wire)), sizeof(cmd));
	CHECK_EQ(hdr->command, IB_USER_VERBS_CMD_MODIFY_QP);
	CHECK_EQ(hdr->in_words, sizeof(cmd) / 4);
	CHECK_EQ(hdr->out_words, 0);
	CHECK_EQ(core->qp_handle, 42);
	CHECK_EQ(core->qp_state, IBV_QPS_RTR);
	CHECK_EQ(core->path_mtu, IBV_MTU_1024);
	CHECK_EQ(core->dest_qp_num, 0x1234);
	CHECK_EQ(core->dest.dgid[15], 0x77);
	CHECK_EQ(core->dest.sgid_index, 3);
	CHECK_EQ(core->dest.is_global, 1);
	CHECK_EQ(core->qkey, 0);

	/* rate limit needs the extended command */
	CHECK_EQ(ibv_cmd_modify_qp(&qp, &attr, IBV_QP_RATE_LIMIT, &cmd,
				   sizeof(cmd)), EOPNOTSUPP);
}

static void test_post_send(struct ibv_context *ctx)
{
	struct ibv_qp qp = { .context = ctx, .handle = 9, .qp_type = IBV_QPT_UD };
	struct ibv_ah ah = { .handle = 5 };
	struct ibv_sge sge[3] = {
		{ .addr = 0x1000, .length = 16, .lkey = 1 },
		{ .addr = 0x2000, .length = 32, .lkey = 2 },
		{ .addr = 0x3000, .length = 64, .lkey = 3 },
	};
	struct ibv_send_wr wr2 = {
		.wr_id = 2, .sg_list = &sge[1], .num_sge = 2,
		.opcode = IBV_WR_SEND,
	};
	struct ibv_send_wr wr1 = {
		.wr_id = 1, .next = &wr2, .sg_list = &sge[0], .num_sge = 1,
		.opcode = IBV_WR_SEND_WITH_IMM, .imm_data = 0xabcd,
	};
	struct ibv_send_wr *bad = (void *)1;
	uint8_t wire[1024];
	struct ib_uverbs_cmd_hdr *hdr = (void *)wire;
	struct ib_uverbs_post_send *core = (void *)(hdr + 1);
	struct ibv_sge *ksge;
	size_t expect = sizeof(*hdr) + sizeof(*core) +
			2 * sizeof(struct ib_uverbs_send_wr) + 3 * sizeof(sge[0]);

	wr1.wr.ud.ah = &ah;
	wr1.wr.ud.remote_qpn = 0x99;
	wr1.wr.ud.remote_qkey = 0x11111111;
	wr2.wr.ud.ah = &ah;
	CHECK_EQ(ibv_cmd_post_send(&qp, &wr1, &bad), 0);
	CHECK(bad == NULL);
	CHECK_EQ(drain(wire, sizeof(wire)), expect);
	CHECK_EQ(hdr->command, IB_USER_VERBS_CMD_POST_SEND);
	CHECK_EQ(hdr->in_words, expect / 4);
	CHECK_EQ(core->qp_handle, 9);
	CHECK_EQ(core->wr_count, 2);
	CHECK_EQ(core->sge_count, 3);
	CHECK_EQ(core->wqe_size, sizeof(struct ib_uverbs_send_wr));
	CHECK_EQ(core->send_wr[0].wr_id, 1);
	CHECK_EQ(core->send_wr[0].opcode, IBV_WR_SEND_WITH_IMM);
	CHECK_EQ(core->send_wr[0].ex.imm_data, 0xabcd);
	CHECK_EQ(core->send_wr[0].wr.ud.ah, 5);
	CHECK_EQ(core->send_wr[0].wr.ud.remote_qpn, 0x99);
	CHECK_EQ(core->send_wr[1].num_sge, 2);
	ksge = (struct ibv_sge *)&core->send_wr[2];
	CHECK_EQ(ksge[0].addr, 0x1000);
	CHECK_EQ(ksge[2].length, 64);
	CHECK_EQ(ksge[2].lkey, 3);
}

/* POST_RECV and POST_SRQ_RECV: header, the WRs, then every SGE */
static void test_post_recv(struct ibv_context *ctx)
{
	struct ibv_qp qp = { .context = ctx, .handle = 11 };
	struct ibv_srq srq = { .context = ctx, .handle = 12 };
	struct ibv_sge sge[3] = {
		{ .addr = 0x1000, .length = 16, .lkey = 1 },
		{ .addr = 0x2000, .length = 32, .lkey = 2 },
		{ .addr = 0x3000, .length = 64, .lkey = 3 },
	};
	struct ibv_recv_wr wr2 = { .wr_id = 2, .sg_list = &sge[1], .num_sge = 2 };
	struct ibv_recv_wr wr1 = {
		.wr_id = 1, .next = &wr2, .sg_list = &sge[0], .num_sge = 1,
	};
	struct ibv_recv_wr *bad = (void *)1;
	uint8_t wire[1024];
	struct ib_uverbs_cmd_hdr *hdr = (void *)wire;
	struct ib_uverbs_post_recv *core = (void *)(hdr + 1);
	struct ibv_sge *ksge = (struct ibv_sge *)&core->recv_wr[2];
	size_t expect = sizeof(*hdr) + sizeof(*core) +
			2 * sizeof(struct ib_uverbs_recv_wr) + 3 * sizeof(sge[0]);

	CHECK_EQ(ibv_cmd_post_recv(&qp, &wr1, &bad), 0);
	CHECK(bad == NULL);
	CHECK_EQ(drain(wire, sizeof(wire)), expect);
	CHECK_EQ(hdr->command, IB_USER_VERBS_CMD_POST_RECV);
	CHECK_EQ(hdr->in_words, expect / 4);
	CHECK_EQ(hdr->out_words, sizeof(struct ib_uverbs_post_recv_resp) / 4);
	CHECK(core->response != 0);
	CHECK_EQ(core->qp_handle, 11);
	CHECK_EQ(core->wr_count, 2);
	CHECK_EQ(core->sge_count, 3);
	CHECK_EQ(core->wqe_size, sizeof(struct ib_uverbs_recv_wr));
	CHECK_EQ(core->recv_wr[0].wr_id, 1);
	CHECK_EQ(core->recv_wr[0].num_sge, 1);
	CHECK_EQ(core->recv_wr[1].wr_id, 2);
	CHECK_EQ(core->recv_wr[1].num_sge, 2);
	CHECK_EQ(ksge[0].addr, 0x1000);
	CHECK_EQ(ksge[1].lkey, 2);
	CHECK_EQ(ksge[2].length, 64);

	bad = (void *)1;
	CHECK_EQ(ibv_cmd_post_srq_recv(&srq, &wr2, &bad), 0);
	CHECK(bad == NULL);
	expect = sizeof(*hdr) + sizeof(*core) +
		 sizeof(struct ib_uverbs_recv_wr) + 2 * sizeof(sge[0]);
	CHECK_EQ(drain(wire, sizeof(wire)), expect);
	CHECK_EQ(hdr->command, IB_USER_VERBS_CMD_POST_SRQ_RECV);
	CHECK_EQ(core->qp_handle, 12);
	CHECK_EQ(core->wr_count, 1);
	CHECK_EQ(core->sge_count, 2);
	CHECK_EQ(core->recv_wr[0].wr_id, 2);
	ksge = (struct ibv_sge *)&core->recv_wr[1];
	CHECK_EQ(ksge[1].addr, 0x3000);
}

/* A legacy destroy command: header + handle, with or without a response. */
static void check_destroy(int ret, uint32_t command, uint32_t handle,
			  size_t req_len, size_t resp_len)
{
	uint8_t wire[256];
	struct ib_uverbs_cmd_hdr *hdr = (void *)wire;
	size_t n = drain(wire, sizeof(wire));
	uint32_t sent_handle;
	uint64_t response;

	CHECK_EQ(ret, 0);
	CHECK_EQ(n, req_len);
	CHECK_EQ(hdr->command, command);
	CHECK_EQ(hdr->in_words, req_len / 4);
	CHECK_EQ(hdr->out_words, resp_len / 4);
	/* requests with a response carry its address in front of the handle */
	if (resp_len) {
		memcpy(&response, hdr + 1, sizeof(response));
		CHECK(response != 0);
		memcpy(&sent_handle, (uint8_t *)(hdr + 1) + 8, sizeof(sent_handle));
	} else {
		memcpy(&sent_handle, hdr + 1, sizeof(sent_handle));
	}
	CHECK_EQ(sent_handle, handle);
}

/* The extended destroy commands: ex header + handle. */
static void check_destroy_ex(int ret, uint32_t command, uint32_t handle,
			     size_t req_len, size_t resp_len)
{
	uint8_t wire[256];
	struct ex_hdr *hdr = (void *)wire;
	uint32_t sent_handle, comp_mask;

	CHECK_EQ(ret, 0);
	CHECK_EQ(drain(wire, sizeof(wire)), req_len);
	CHECK_EQ(hdr->hdr.command, IB_USER_VERBS_CMD_FLAG_EXTENDED | command);
	CHECK_EQ(hdr->hdr.in_words, (req_len - sizeof(*hdr)) / 8);
	CHECK_EQ(hdr->hdr.out_words, resp_len / 8);
	CHECK_EQ(!!hdr->ex_hdr.response, !!resp_len);
	/* every extended request starts with its comp_mask */
	memcpy(&comp_mask, hdr + 1, sizeof(comp_mask));
	CHECK_EQ(comp_mask, 0);
	memcpy(&sent_handle, (uint8_t *)(hdr + 1) + 4, sizeof(sent_handle));
	CHECK_EQ(sent_handle, handle);
}

/* The sizes follow from the command; "empty" responses have size 0. */
#define CHECK_DESTROY(ret, enum_, handle)                                      \
	check_destroy(ret, enum_, handle, sizeof(IBV_ABI_REQ(enum_)),          \
		      sizeof(IBV_ABI_RESP(enum_)))
#define CHECK_DESTROY_EX(ret, enum_, handle)                                   \
	check_destroy_ex(ret, enum_, handle, sizeof(IBV_ABI_REQ(enum_)),       \
			 sizeof(IBV_ABI_RESP(enum_)))

static void test_destroy(struct ibv_context *ctx)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct ibv_pd pd = { .context = ctx, .handle = 21 };
	struct verbs_xrcd xrcd = { .xrcd.context = ctx, .handle = 22 };
	struct ibv_mw mw = { .context = ctx, .handle = 23 };
	struct ibv_ah ah = { .context = ctx, .handle = 24 };
	struct verbs_mr mr = { .ibv_mr.context = ctx, .ibv_mr.handle = 25 };
	struct ibv_qp qp = { .context = ctx, .handle = 26, .mutex = m, .cond = c };
	struct ibv_cq cq = { .context = ctx, .handle = 27, .mutex = m, .cond = c };
	struct ibv_srq srq = { .context = ctx, .handle = 28, .mutex = m,
			       .cond = c };
	struct ibv_wq wq = { .context = ctx, .handle = 29, .mutex = m, .cond = c };
	struct ibv_rwq_ind_table tbl = { .context = ctx, .ind_tbl_handle = 30 };
	struct ibv_flow flow = { .context = ctx, .handle = 31 };
	union ibv_gid gid = {};
	uint8_t wire[256];
	struct ib_uverbs_cmd_hdr *hdr = (void *)wire;
	struct ib_uverbs_detach_mcast *mcast = (void *)(hdr + 1);

	CHECK_DESTROY(ibv_cmd_dealloc_pd(&pd), IB_USER_VERBS_CMD_DEALLOC_PD, 21);
	CHECK_DESTROY(ibv_cmd_close_xrcd(&xrcd), IB_USER_VERBS_CMD_CLOSE_XRCD, 22);
	CHECK_DESTROY(ibv_cmd_dealloc_mw(&mw), IB_USER_VERBS_CMD_DEALLOC_MW, 23);
	CHECK_DESTROY(ibv_cmd_destroy_ah(&ah), IB_USER_VERBS_CMD_DESTROY_AH, 24);
	CHECK_DESTROY(ibv_cmd_dereg_mr(&mr), IB_USER_VERBS_CMD_DEREG_MR, 25);
	/* the pipe writes no response: zero events reported, none to wait for */
	CHECK_DESTROY(ibv_cmd_destroy_qp(&qp), IB_USER_VERBS_CMD_DESTROY_QP, 26);
	CHECK_DESTROY(ibv_cmd_destroy_cq(&cq), IB_USER_VERBS_CMD_DESTROY_CQ, 27);
	CHECK_DESTROY(ibv_cmd_destroy_srq(&srq), IB_USER_VERBS_CMD_DESTROY_SRQ,
		      28);
	CHECK_DESTROY_EX(ibv_cmd_destroy_wq(&wq),
			 IB_USER_VERBS_EX_CMD_DESTROY_WQ, 29);
	CHECK_DESTROY_EX(ibv_cmd_destroy_rwq_ind_table(&tbl),
			 IB_USER_VERBS_EX_CMD_DESTROY_RWQ_IND_TBL, 30);
	CHECK_DESTROY_EX(ibv_cmd_destroy_flow(&flow),
			 IB_USER_VERBS_EX_CMD_DESTROY_FLOW, 31);

	gid.raw[15] = 0x42;
	CHECK_EQ(ibv_cmd_detach_mcast(&qp, &gid, 0x1234), 0);
	CHECK_EQ(drain(wire, sizeof(wire)), sizeof(struct ibv_detach_mcast));
	CHECK_EQ(hdr->command, IB_USER_VERBS_CMD_DETACH_MCAST);
	CHECK_EQ(hdr->out_words, 0);
	CHECK_EQ(mcast->gid[15], 0x42);
	CHECK_EQ(mcast->qp_handle, 26);
	CHECK_EQ(mcast->mlid, 0x1234);
}

/* Every event kind acks on the counter its destroy command waits for. */
static void test_ack_async_event(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct ibv_qp qp = { .mutex = m, .cond = c };
	struct ibv_cq cq = { .mutex = m, .cond = c };
	struct ibv_srq srq = { .mutex = m, .cond = c };
	struct ibv_wq wq = { .mutex = m, .cond = c };
	const struct {
		enum ibv_event_type type;
		void *object;
	} events[] = {
		{ IBV_EVENT_CQ_ERR, &cq },
		{ IBV_EVENT_QP_FATAL, &qp },
		{ IBV_EVENT_QP_LAST_WQE_REACHED, &qp },
		{ IBV_EVENT_PATH_MIG_ERR, &qp },
		{ IBV_EVENT_SRQ_LIMIT_REACHED, &srq },
		{ IBV_EVENT_SRQ_ERR, &srq },
		{ IBV_EVENT_WQ_FATAL, &wq },
		/* port and device events belong to no object */
		{ IBV_EVENT_PORT_ACTIVE, NULL },
		{ IBV_EVENT_DEVICE_FATAL, NULL },
	};
	struct ibv_async_event ev;
	unsigned int i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.event_type = events[i].type;
		if (events[i].object)
			ev.element.qp = events[i].object;
		else
			ev.element.port_num = 1;
		ibv_ack_async_event(&ev);
	}
	CHECK_EQ(cq.async_events_completed, 1);
	CHECK_EQ(cq.comp_events_completed, 0);
	CHECK_EQ(qp.events_completed, 3);
	CHECK_EQ(srq.events_completed, 2);
	CHECK_EQ(wq.events_completed, 1);
}

/* librdmacm's path record conversions: every member, both directions */
static void test_path_rec_marshall(void)
{
	struct ibv_sa_path_rec rec, back;
	struct ib_user_path_rec kern;
	unsigned int i;

	memset(&rec, 0, sizeof(rec));
	memset(&back, 0, sizeof(back));
	memset(&kern, 0, sizeof(kern));

	for (i = 0; i < sizeof(rec.dgid.raw); i++) {
		rec.dgid.raw[i] = (uint8_t)(0x10 + i);
		rec.sgid.raw[i] = (uint8_t)(0x80 + i);
	}
	rec.dlid = 0x1111;
	rec.slid = 0x2222;
	rec.raw_traffic = 1;
	rec.flow_label = 0x12345;
	rec.hop_limit = 7;
	rec.traffic_class = 9;
	rec.reversible = 1;
	rec.numb_path = 3;
	rec.pkey = 0xffff;
	rec.sl = 5;
	rec.mtu_selector = 2;
	rec.mtu = IBV_MTU_4096;
	rec.rate_selector = 1;
	rec.rate = 6;
	rec.packet_life_time = 17;
	rec.preference = 4;
	rec.packet_life_time_selector = 3;

	ibv_copy_path_rec_to_kern(&kern, &rec);
	CHECK_EQ(kern.dgid[0], 0x10);
	CHECK_EQ(kern.sgid[15], 0x8f);
	CHECK_EQ(kern.dlid, 0x1111);
	CHECK_EQ(kern.slid, 0x2222);
	CHECK_EQ(kern.flow_label, 0x12345);
	CHECK_EQ(kern.mtu, IBV_MTU_4096);
	CHECK_EQ(kern.packet_life_time_selector, 3);

	ibv_copy_path_rec_from_kern(&back, &kern);
	CHECK(memcmp(&back, &rec, sizeof(rec)) == 0);
}

static void test_attr_packing(void)
{
	struct { uint64_t a, b; } big = { 1, 2 };
	uint8_t small[3] = { 0xa, 0xb, 0xc };
	struct ib_uverbs_attr *attr;

	DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_DEVICE,
			       UVERBS_METHOD_QUERY_PORT, 4);
	CHECK_EQ(cmdb->hdr.object_id, UVERBS_OBJECT_DEVICE);
	CHECK_EQ(cmdb->hdr.method_id, UVERBS_METHOD_QUERY_PORT);
	CHECK_EQ(cmdb->last_attr - cmdb->next_attr, 4);

	attr = fill_attr_in_uint32(cmdb, 10, 0xdeadbeef);
	CHECK_EQ(attr->attr_id, 10);
	CHECK_EQ(attr->len, 4);
	CHECK_EQ(attr->flags, UVERBS_ATTR_F_MANDATORY);
	CHECK_EQ((uint32_t)attr->data, 0xdeadbeef);

	attr = fill_attr_in(cmdb, 11, &big, sizeof(big));
	CHECK_EQ(attr->len, 16);
	CHECK_EQ(attr->data, (uintptr_t)&big); /* > 8 bytes: by pointer */

	attr = attr_optional(fill_attr_in(cmdb, 12, small, sizeof(small)));
	CHECK_EQ(attr->len, 3);
	CHECK_EQ(attr->flags, 0);
	CHECK(!memcmp(&attr->data, small, 3)); /* <= 8 bytes: inline */

	CHECK(fill_attr_in_fd(cmdb, 13, -1) == NULL);
	CHECK_EQ(cmdb->next_attr - cmdb->hdr.attrs, 3);
	CHECK(find_attr_by_id(cmdb, 11) == &cmdb->hdr.attrs[1]);

	fill_attr_out_obj(cmdb, 14);
	CHECK_EQ(cmdb->buffer_error, 0);
	fill_attr_in_uint64(cmdb, 15, 1); /* one too many */
	CHECK_EQ(cmdb->buffer_error, 1);
}

static void test_linked_ioctl(void)
{
	struct verbs_context vctx;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	init_ctx(&vctx, fd);
	{
		DECLARE_COMMAND_BUFFER(drv, UVERBS_OBJECT_DEVICE,
				       UVERBS_METHOD_INFO_HANDLES, 2);
		fill_attr_in_uint32(drv, UVERBS_ATTR_UHW_IN, 1);
		fill_attr_in_uint32(drv, UVERBS_ATTR_UHW_OUT, 2);
		CHECK_EQ(__ioctl_final_num_attrs(2, drv), 4);
		{
			DECLARE_COMMAND_BUFFER_LINK(cmdb, UVERBS_OBJECT_PD,
						    UVERBS_METHOD_PD_DESTROY, 1,
						    drv);
			CHECK_EQ(cmdb->last_attr - cmdb->next_attr, 3);
			fill_attr_in_obj(cmdb, 0, 77);
			/* /dev/null is no uverbs device: the ioctl fails */
			CHECK_EQ(execute_ioctl(&vctx.context, cmdb), ENOTTY);
			CHECK_EQ(cmdb->hdr.num_attrs, 3);
			CHECK_EQ(cmdb->hdr.length,
				 sizeof(cmdb->hdr) + 3 * sizeof(struct ib_uverbs_attr));
			CHECK_EQ(cmdb->hdr.attrs[0].data, 77);
			CHECK_EQ(cmdb->hdr.attrs[1].attr_id, UVERBS_ATTR_UHW_IN);
			CHECK_EQ(cmdb->hdr.attrs[2].attr_id, UVERBS_ATTR_UHW_OUT);
		}
	}
	{
		DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_PD,
				       UVERBS_METHOD_PD_DESTROY, 1);
		fill_attr_in_obj(cmdb, 0, 1);
		fill_attr_in_obj(cmdb, 1, 2); /* overflows the block */
		CHECK_EQ(execute_ioctl(&vctx.context, cmdb), EINVAL);
	}
	close(fd);
}

static void test_sysfs_read(void)
{
	char dir[] = "/tmp/ibv-sysfs-XXXXXX", path[64], buf[8];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/attr", dir);
	f = fopen(path, "w");
	fputs("abcdef\n", f);
	fclose(f);
	CHECK_EQ(ibv_read_sysfs_file(dir, "attr", buf, sizeof(buf)), 6);
	CHECK(!strcmp(buf, "abcdef"));
	CHECK_EQ(ibv_read_sysfs_file(dir, "attr", buf, 4), 3);
	CHECK(!strcmp(buf, "abc"));
	errno = 0;
	CHECK_EQ(ibv_read_sysfs_file(dir, "missing", buf, sizeof(buf)), -1);
	CHECK_EQ(errno, ENOENT);
	unlink(path);
	rmdir(dir);

	/* set in main() before the library first looked */
	CHECK(!strcmp(ibv_get_sysfs_path(), "/nonexistent/sysfs-root"));
}

int main(void)
{
	struct verbs_context vctx;

	setenv("SYSFS_PATH", "/nonexistent/sysfs-root//", 1);
	if (pipe(pipe_fds))
		return 1;
	init_ctx(&vctx, pipe_fds[1]);

	test_legacy_write(&vctx.context);
	test_null_buffers(&vctx.context);
	test_ex_write(&vctx.context);
	test_modify_qp(&vctx.context);
	test_post_send(&vctx.context);
	test_post_recv(&vctx.context);
	test_destroy(&vctx.context);
	test_ack_async_event();
	test_path_rec_marshall();
	test_attr_packing();
	test_linked_ioctl();
	test_sysfs_read();
	return finish_checks();
}
