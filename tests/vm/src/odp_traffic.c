// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Traffic on ODP memory: every opcode of every transport with the ODP MR
 * on the requester, on the responder and on both sides, in loopback, the
 * data checked byte for byte.  The ODP buffers are fresh mappings the
 * device has never seen, so each transfer starts with page faults, which
 * "rdma statistic mr" must have counted.
 *
 * usage: odp_traffic [rc|uc|ud|srq|xrc]...   (default: all)
 *
 * XRC: an XRC_SEND QP towards an XRC_RECV QP, every message naming the
 * XRC SRQ the receives and the responder's PD come from.
 */
#include <arpa/inet.h>

#include "odp_pair.h"

#define MSG_LEN (3 * PAGE + 1000)	/* crosses 4 pages */
#define MSG_OFF 123
#define BIG_LEN (1 * MIB + 4321)
#define UD_LEN 512
#define GRH 40

enum where { ON_REQ = 1, ON_RESP = 2, ON_BOTH = 3 };

static const char *const where_name[] = {
	[ON_REQ] = "requester", [ON_RESP] = "responder", [ON_BOTH] = "both",
};

static int data_equal(const char *what, const char *got, const char *want,
		      size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			CHECK(0, "%s: byte %zu of %zu is %#x, want %#x", what,
			      i, len, (unsigned char)got[i],
			      (unsigned char)want[i]);
			return 0;
		}
	}
	return 1;
}

/* SEND (or WRITE_WITH_IMM when @imm) of @len bytes from a to b. */
static void run_send(struct dp_dev *d, enum ibv_qp_type type, int srq,
		     enum where w, size_t len, int write_imm)
{
	size_t off = type == IBV_QPT_UD ? 0 : MSG_OFF;
	size_t rlen = len + off + (type == IBV_QPT_UD ? GRH : 0);
	struct obuf src, dst;
	struct pair p;
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	struct ibv_wc wc;
	char what[128];

	snprintf(what, sizeof(what), "%s%s %s %zu bytes, ODP on %s",
		 type_name(type), srq ? "+SRQ" : "", write_imm ? "WRITE_WITH_IMM" : "SEND", len,
		 where_name[w]);
	SUBTEST(what);
	pair_make(d, &p, type, srq);
	obuf_make(d, &src, len + off, w & ON_REQ, 11);
	obuf_make(d, &dst, rlen, w & ON_RESP, -1);

	if (write_imm)
		post_recv(&p, &dst, 0, 0);
	else
		post_recv(&p, &dst, off, (uint32_t)(rlen - off));
	sge = (struct ibv_sge){ (uintptr_t)src.addr + off, (uint32_t)len,
				src.mr->lkey };
	dp_wr(&wr, 0, write_imm ? IBV_WR_RDMA_WRITE_WITH_IMM : IBV_WR_SEND,
	      &sge, 1, 0, 0);
	if (write_imm) {
		wr.imm_data = htonl(0x1234);
		wr.wr.rdma.remote_addr = (uintptr_t)dst.addr + off;
		wr.wr.rdma.rkey = dst.mr->rkey;
	}
	post_send(&p, &wr);
	if (!dp_expect(p.cqa, 9, IBV_WC_SUCCESS, -1, what, NULL) &&
	    !dp_expect(p.cqb, 7, IBV_WC_SUCCESS, -1, what, &wc)) {
		if (!write_imm)
			CHECK(wc.byte_len == len + (type == IBV_QPT_UD ? GRH : 0),
			      "%s: byte_len %u", what, wc.byte_len);
		data_equal(what,
			   dst.addr + off + (type == IBV_QPT_UD ? GRH : 0),
			   src.addr + off, len);
		obuf_check_faulted(&src, what);
		obuf_check_faulted(&dst, what);
	}
	pair_destroy(&p);
	obuf_free(&src);
	obuf_free(&dst);
}

static void run_rdma(struct dp_dev *d, enum ibv_qp_type type,
		     enum ibv_wr_opcode op, enum where w, size_t len)
{
	int is_read = op == IBV_WR_RDMA_READ;
	struct obuf local, remote;
	struct pair p;
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	char what[128];

	snprintf(what, sizeof(what), "%s %s %zu bytes, ODP on %s",
		 type_name(type), is_read ? "READ" : "WRITE",
		 len, where_name[w]);
	SUBTEST(what);
	pair_make(d, &p, type, 0);
	obuf_make(d, &local, len + MSG_OFF, w & ON_REQ, is_read ? -1 : 21);
	obuf_make(d, &remote, len + MSG_OFF, w & ON_RESP, is_read ? 22 : -1);

	sge = (struct ibv_sge){ (uintptr_t)local.addr + MSG_OFF, (uint32_t)len,
				local.mr->lkey };
	dp_wr(&wr, 0, op, &sge, 1, (uintptr_t)remote.addr + MSG_OFF,
	      remote.mr->rkey);
	post_send(&p, &wr);
	if (!dp_expect(p.cqa, 9, IBV_WC_SUCCESS, -1, what, NULL)) {
		/*
		 * UC has no acknowledgement: the requester completes once the
		 * WRITE is sent, maybe while the responder still faults.
		 */
		if (type == IBV_QPT_UC)
			wait_equal(remote.addr + MSG_OFF, local.addr + MSG_OFF,
				   len);
		if (is_read)
			data_equal(what, local.addr + MSG_OFF,
				   remote.addr + MSG_OFF, len);
		else
			data_equal(what, remote.addr + MSG_OFF,
				   local.addr + MSG_OFF, len);
		obuf_check_faulted(&local, what);
		obuf_check_faulted(&remote, what);
	}
	pair_destroy(&p);
	obuf_free(&local);
	obuf_free(&remote);
}

static void run_atomic(struct dp_dev *d, enum ibv_qp_type type,
		       enum ibv_wr_opcode op, enum where w)
{
	int cas = op == IBV_WR_ATOMIC_CMP_AND_SWP;
	size_t at = 2 * PAGE + 64;	/* third page of the target */
	struct obuf local, remote;
	struct pair p;
	struct ibv_sge sge;
	struct ibv_send_wr wr;
	char what[128];
	uint64_t v;

	snprintf(what, sizeof(what), "%s %s, ODP on %s", type_name(type),
		 cas ? "CMP_AND_SWP" : "FETCH_AND_ADD", where_name[w]);
	SUBTEST(what);
	pair_make(d, &p, type, 0);
	obuf_make(d, &local, 4 * PAGE, w & ON_REQ, -1);
	obuf_make(d, &remote, 4 * PAGE, w & ON_RESP, 31);
	v = 0x1111222233334444ULL;
	memcpy(remote.addr + at, &v, 8);

	sge = (struct ibv_sge){ (uintptr_t)local.addr + PAGE + 8, 8,
				local.mr->lkey };
	dp_wr(&wr, 0, op, &sge, 1, 0, 0);
	wr.wr.atomic.remote_addr = (uintptr_t)remote.addr + at;
	wr.wr.atomic.rkey = remote.mr->rkey;
	wr.wr.atomic.compare_add = cas ? v : 5;
	wr.wr.atomic.swap = 0xabcdef;
	post_send(&p, &wr);
	if (!dp_expect(p.cqa, 9, IBV_WC_SUCCESS, -1, what, NULL)) {
		uint64_t orig, now;

		memcpy(&orig, local.addr + PAGE + 8, 8);
		memcpy(&now, remote.addr + at, 8);
		CHECK(orig == v, "%s: original %#llx", what,
		      (unsigned long long)orig);
		CHECK(now == (cas ? 0xabcdef : v + 5), "%s: now %#llx", what,
		      (unsigned long long)now);
		obuf_check_faulted(&local, what);
		obuf_check_faulted(&remote, what);
	}
	pair_destroy(&p);
	obuf_free(&local);
	obuf_free(&remote);
}

int main(int argc, char **argv)
{
	struct dp_dev d;
	enum where w;

	setvbuf(stdout, NULL, _IOLBF, 0);
	dp_open(&d);
	for (w = ON_REQ; w <= ON_BOTH; w++) {
		if (check_selected(argc, argv, "rc")) {
			run_send(&d, IBV_QPT_RC, 0, w, MSG_LEN, 0);
			run_send(&d, IBV_QPT_RC, 0, w, BIG_LEN, 0);
			run_send(&d, IBV_QPT_RC, 0, w, MSG_LEN, 1);
			run_rdma(&d, IBV_QPT_RC, IBV_WR_RDMA_WRITE, w, MSG_LEN);
			run_rdma(&d, IBV_QPT_RC, IBV_WR_RDMA_WRITE, w, BIG_LEN);
			run_rdma(&d, IBV_QPT_RC, IBV_WR_RDMA_READ, w, MSG_LEN);
			run_rdma(&d, IBV_QPT_RC, IBV_WR_RDMA_READ, w, BIG_LEN);
			run_atomic(&d, IBV_QPT_RC, IBV_WR_ATOMIC_FETCH_AND_ADD,
				   w);
			run_atomic(&d, IBV_QPT_RC, IBV_WR_ATOMIC_CMP_AND_SWP,
				   w);
		}
		if (check_selected(argc, argv, "xrc")) {
			run_send(&d, IBV_QPT_XRC_SEND, 1, w, MSG_LEN, 0);
			run_rdma(&d, IBV_QPT_XRC_SEND, IBV_WR_RDMA_WRITE, w,
				 MSG_LEN);
			run_rdma(&d, IBV_QPT_XRC_SEND, IBV_WR_RDMA_READ, w,
				 MSG_LEN);
			run_atomic(&d, IBV_QPT_XRC_SEND,
				   IBV_WR_ATOMIC_FETCH_AND_ADD, w);
			run_atomic(&d, IBV_QPT_XRC_SEND,
				   IBV_WR_ATOMIC_CMP_AND_SWP, w);
		}
		if (check_selected(argc, argv, "srq")) {
			run_send(&d, IBV_QPT_RC, 1, w, MSG_LEN, 0);
			run_send(&d, IBV_QPT_UD, 1, w, UD_LEN, 0);
		}
		if (check_selected(argc, argv, "uc")) {
			run_send(&d, IBV_QPT_UC, 0, w, MSG_LEN, 0);
			run_send(&d, IBV_QPT_UC, 0, w, MSG_LEN, 1);
			run_rdma(&d, IBV_QPT_UC, IBV_WR_RDMA_WRITE, w, MSG_LEN);
		}
		if (check_selected(argc, argv, "ud"))
			run_send(&d, IBV_QPT_UD, 0, w, UD_LEN, 0);
	}
	dp_close(&d);
	return check_finish("odp_traffic");
}
