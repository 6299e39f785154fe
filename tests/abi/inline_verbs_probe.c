// SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
/*
 * Behaviour of the header-inline verbs. The inline wrappers are compiled
 * into applications, so what they do (which op or exported symbol they
 * call, with which arguments, and their fallbacks) is ABI just like struct
 * layouts. This program drives them against recording stubs and prints a
 * trace; abi_compare.py builds it with our headers and with rdma-core 44's
 * and requires identical traces.
 *
 * The stubs define the exported functions the inlines fall back to; the
 * names are parenthesised so the header's function-like macros (ibv_reg_mr,
 * ibv_query_port) do not expand.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <infiniband/verbs.h>

static void trace(const char *what)
{
	printf("  -> %s\n", what);
}

/* ---- exported-symbol stubs ------------------------------------------ */

static struct ibv_mr stub_mr;
static struct ibv_qp stub_qp;
static struct ibv_srq stub_srq;

struct ibv_mr *(ibv_reg_mr)(struct ibv_pd *pd, void *addr, size_t length,
			    int access)
{
	(void)pd;
	printf("  -> ibv_reg_mr(addr=%p len=%zu access=0x%x)\n", addr, length,
	       access);
	return &stub_mr;
}

struct ibv_mr *(ibv_reg_mr_iova)(struct ibv_pd *pd, void *addr, size_t length,
				 uint64_t iova, int access)
{
	(void)pd;
	printf("  -> ibv_reg_mr_iova(addr=%p len=%zu iova=0x%llx access=0x%x)\n",
	       addr, length, (unsigned long long)iova, access);
	return &stub_mr;
}

struct ibv_mr *ibv_reg_mr_iova2(struct ibv_pd *pd, void *addr, size_t length,
				uint64_t iova, unsigned int access)
{
	(void)pd;
	printf("  -> ibv_reg_mr_iova2(addr=%p len=%zu iova=0x%llx access=0x%x)\n",
	       addr, length, (unsigned long long)iova, access);
	return &stub_mr;
}

int (ibv_query_port)(struct ibv_context *context, uint8_t port_num,
		     struct _compat_ibv_port_attr *port_attr)
{
	struct ibv_port_attr *attr = (struct ibv_port_attr *)port_attr;

	(void)context;
	printf("  -> exported ibv_query_port(port=%u) saw state=%d lid=%u\n",
	       port_num, attr->state, attr->lid);
	attr->lid = 0x1111;
	return 0;
}

int ibv_query_device(struct ibv_context *context,
		     struct ibv_device_attr *device_attr)
{
	(void)context;
	printf("  -> exported ibv_query_device() saw max_qp=%d\n",
	       device_attr->max_qp);
	device_attr->max_qp = 77;
	return 0;
}

struct ibv_qp *ibv_create_qp(struct ibv_pd *pd,
			     struct ibv_qp_init_attr *qp_init_attr)
{
	(void)pd;
	printf("  -> exported ibv_create_qp(qp_type=%d)\n", qp_init_attr->qp_type);
	return &stub_qp;
}

struct ibv_srq *ibv_create_srq(struct ibv_pd *pd,
			       struct ibv_srq_init_attr *srq_init_attr)
{
	(void)pd;
	printf("  -> exported ibv_create_srq(max_wr=%u)\n",
	       srq_init_attr->attr.max_wr);
	return &stub_srq;
}

int _ibv_query_gid_ex(struct ibv_context *context, uint32_t port_num,
		      uint32_t gid_index, struct ibv_gid_entry *entry,
		      uint32_t flags, size_t entry_size)
{
	(void)context;
	(void)entry;
	printf("  -> _ibv_query_gid_ex(port=%u index=%u flags=%u size=%zu)\n",
	       port_num, gid_index, flags, entry_size);
	return 0;
}

ssize_t _ibv_query_gid_table(struct ibv_context *context,
			     struct ibv_gid_entry *entries, size_t max_entries,
			     uint32_t flags, size_t entry_size)
{
	(void)context;
	(void)entries;
	printf("  -> _ibv_query_gid_table(max=%zu flags=%u size=%zu)\n",
	       max_entries, flags, entry_size);
	return 3;
}

/* ---- recording provider ops ---------------------------------------- */

static int op_query_port_rc;

static int op_query_port(struct ibv_context *context, uint8_t port_num,
			 struct ibv_port_attr *port_attr, size_t len)
{
	(void)context;
	printf("  -> op query_port(port=%u len=%zu)\n", port_num, len);
	port_attr->lid = 0x2222;
	return op_query_port_rc;
}

static int op_query_device_ex_rc;

static int op_query_device_ex(struct ibv_context *context,
			      const struct ibv_query_device_ex_input *input,
			      struct ibv_device_attr_ex *attr, size_t size)
{
	(void)context;
	printf("  -> op query_device_ex(input=%s size=%zu)\n",
	       input ? "set" : "NULL", size);
	attr->orig_attr.max_qp = 99;
	attr->odp_caps.general_caps = IBV_ODP_SUPPORT;
	return op_query_device_ex_rc;
}

static struct ibv_qp *op_create_qp_ex(struct ibv_context *context,
				      struct ibv_qp_init_attr_ex *attr)
{
	(void)context;
	printf("  -> op create_qp_ex(comp_mask=0x%x send_ops=0x%llx)\n",
	       attr->comp_mask, (unsigned long long)attr->send_ops_flags);
	return &stub_qp;
}

static struct ibv_srq *op_create_srq_ex(struct ibv_context *context,
					struct ibv_srq_init_attr_ex *attr)
{
	(void)context;
	printf("  -> op create_srq_ex(comp_mask=0x%x type=%d)\n",
	       attr->comp_mask, attr->srq_type);
	return &stub_srq;
}

static struct ibv_xrcd stub_xrcd;

static struct ibv_xrcd *op_open_xrcd(struct ibv_context *context,
				     struct ibv_xrcd_init_attr *attr)
{
	printf("  -> op open_xrcd(comp_mask=0x%x fd=%d)\n", attr->comp_mask,
	       attr->fd);
	stub_xrcd.context = context;
	return &stub_xrcd;
}

static int op_close_xrcd(struct ibv_xrcd *xrcd)
{
	(void)xrcd;
	trace("op close_xrcd");
	return 0;
}

static int op_advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
			uint32_t flags, struct ibv_sge *sg_list,
			uint32_t num_sges)
{
	(void)pd;
	printf("  -> op advise_mr(advice=%d flags=%u lkey=0x%x n=%u)\n", advice,
	       flags, sg_list[0].lkey, num_sges);
	return 0;
}

static struct ibv_cq_ex stub_cq_ex;

static struct ibv_cq_ex *op_create_cq_ex(struct ibv_context *context,
					 struct ibv_cq_init_attr_ex *attr)
{
	(void)context;
	printf("  -> op create_cq_ex(cqe=%u wc_flags=0x%llx)\n", attr->cqe,
	       (unsigned long long)attr->wc_flags);
	return &stub_cq_ex;
}

static int op_get_srq_num(struct ibv_srq *srq, uint32_t *num)
{
	(void)srq;
	trace("op get_srq_num");
	*num = 0x55;
	return 0;
}

static struct ibv_wq stub_wq;

static struct ibv_wq *op_create_wq(struct ibv_context *context,
				   struct ibv_wq_init_attr *attr)
{
	(void)context;
	printf("  -> op create_wq(max_wr=%u)\n", attr->max_wr);
	stub_wq.events_completed = 123;
	return &stub_wq;
}

static int op_poll_cq(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
	(void)cq;
	printf("  -> ops.poll_cq(n=%d)\n", n);
	wc[0].wr_id = 42;
	return 1;
}

static int op_req_notify_cq(struct ibv_cq *cq, int solicited)
{
	(void)cq;
	printf("  -> ops.req_notify_cq(solicited=%d)\n", solicited);
	return 0;
}

static int op_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr,
			struct ibv_send_wr **bad)
{
	(void)qp;
	(void)bad;
	printf("  -> ops.post_send(opcode=%d)\n", wr->opcode);
	return 0;
}

static int op_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr,
			struct ibv_recv_wr **bad)
{
	(void)qp;
	(void)bad;
	printf("  -> ops.post_recv(wr_id=%llu)\n", (unsigned long long)wr->wr_id);
	return 0;
}

static int op_post_srq_recv(struct ibv_srq *srq, struct ibv_recv_wr *wr,
			    struct ibv_recv_wr **bad)
{
	(void)srq;
	(void)bad;
	printf("  -> ops.post_srq_recv(wr_id=%llu)\n",
	       (unsigned long long)wr->wr_id);
	return 0;
}

static int op_bind_mw(struct ibv_qp *qp, struct ibv_mw *mw,
		      struct ibv_mw_bind *bind)
{
	(void)qp;
	(void)mw;
	printf("  -> ops.bind_mw(wr_id=%llu)\n", (unsigned long long)bind->wr_id);
	return 0;
}

/* ibv_qp_ex builders */
static void qpx_start(struct ibv_qp_ex *qp) { (void)qp; trace("wr_start"); }
static int qpx_complete(struct ibv_qp_ex *qp)
{
	printf("  -> wr_complete(wr_id=%llu flags=%u)\n",
	       (unsigned long long)qp->wr_id, qp->wr_flags);
	return 0;
}
static void qpx_abort(struct ibv_qp_ex *qp) { (void)qp; trace("wr_abort"); }
static void qpx_send(struct ibv_qp_ex *qp) { (void)qp; trace("wr_send"); }
static void qpx_rdma_write(struct ibv_qp_ex *qp, uint32_t rkey, uint64_t raddr)
{
	(void)qp;
	printf("  -> wr_rdma_write(rkey=0x%x raddr=0x%llx)\n", rkey,
	       (unsigned long long)raddr);
}
static void qpx_cmp_swp(struct ibv_qp_ex *qp, uint32_t rkey, uint64_t raddr,
			uint64_t cmp, uint64_t swp)
{
	(void)qp;
	printf("  -> wr_atomic_cmp_swp(rkey=0x%x raddr=0x%llx %llu %llu)\n", rkey,
	       (unsigned long long)raddr, (unsigned long long)cmp,
	       (unsigned long long)swp);
}
static void qpx_set_sge(struct ibv_qp_ex *qp, uint32_t lkey, uint64_t addr,
			uint32_t len)
{
	(void)qp;
	printf("  -> wr_set_sge(lkey=0x%x addr=0x%llx len=%u)\n", lkey,
	       (unsigned long long)addr, len);
}
static void qpx_set_ud_addr(struct ibv_qp_ex *qp, struct ibv_ah *ah,
			    uint32_t qpn, uint32_t qkey)
{
	(void)qp;
	(void)ah;
	printf("  -> wr_set_ud_addr(qpn=%u qkey=0x%x)\n", qpn, qkey);
}

/* ibv_cq_ex iterator */
static int cqx_start(struct ibv_cq_ex *cq, struct ibv_poll_cq_attr *attr)
{
	(void)attr;
	cq->wr_id = 7;
	cq->status = IBV_WC_SUCCESS;
	trace("start_poll");
	return 0;
}
static int cqx_next(struct ibv_cq_ex *cq) { (void)cq; return ENOENT; }
static void cqx_end(struct ibv_cq_ex *cq) { (void)cq; trace("end_poll"); }
static enum ibv_wc_opcode cqx_opcode(struct ibv_cq_ex *cq)
{
	(void)cq;
	return IBV_WC_RDMA_READ;
}
static uint32_t cqx_byte_len(struct ibv_cq_ex *cq) { (void)cq; return 512; }
static __be32 cqx_imm(struct ibv_cq_ex *cq) { (void)cq; return 0xabcd; }

/* ---- context construction ------------------------------------------ */

static struct verbs_context vctx;
static struct ibv_context legacy_ctx;

static void reset_contexts(void)
{
	memset(&vctx, 0, sizeof(vctx));
	vctx.sz = sizeof(vctx);
	vctx.context.abi_compat = __VERBS_ABI_IS_EXTENDED;
	vctx.query_port = op_query_port;
	vctx.query_device_ex = op_query_device_ex;
	vctx.create_qp_ex = op_create_qp_ex;
	vctx.create_srq_ex = op_create_srq_ex;
	vctx.open_xrcd = op_open_xrcd;
	vctx.close_xrcd = op_close_xrcd;
	vctx.advise_mr = op_advise_mr;
	vctx.create_cq_ex = op_create_cq_ex;
	vctx.get_srq_num = op_get_srq_num;
	vctx.create_wq = op_create_wq;
	vctx.context.ops.poll_cq = op_poll_cq;
	vctx.context.ops.req_notify_cq = op_req_notify_cq;
	vctx.context.ops.post_send = op_post_send;
	vctx.context.ops.post_recv = op_post_recv;
	vctx.context.ops.post_srq_recv = op_post_srq_recv;
	vctx.context.ops.bind_mw = op_bind_mw;
	memset(&legacy_ctx, 0, sizeof(legacy_ctx));
	op_query_port_rc = 0;
	op_query_device_ex_rc = 0;
	errno = 0;
}

static void scenario(const char *name)
{
	reset_contexts();
	printf("%s\n", name);
}

/* Access flags the compiler cannot see through. */
static volatile unsigned int runtime_access = IBV_ACCESS_LOCAL_WRITE;

static void reg_mr_scenarios(void)
{
	struct ibv_pd pd = { .context = &vctx.context };
	char *buf = (char *)0x10000;

	scenario("reg_mr: constant flags without optional bits");
	ibv_reg_mr(&pd, buf, 4096, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
	scenario("reg_mr: constant flags with RELAXED_ORDERING");
	ibv_reg_mr(&pd, buf, 4096,
		   IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_RELAXED_ORDERING);
	scenario("reg_mr: flags known only at run time");
	ibv_reg_mr(&pd, buf, 4096, runtime_access);
	scenario("reg_mr: implicit ODP (NULL, SIZE_MAX)");
	ibv_reg_mr(&pd, NULL, SIZE_MAX, IBV_ACCESS_ON_DEMAND);
	scenario("reg_mr_iova: constant flags");
	ibv_reg_mr_iova(&pd, buf, 64, 0x7000, IBV_ACCESS_REMOTE_READ);
	scenario("reg_mr_iova: run-time flags");
	ibv_reg_mr_iova(&pd, buf, 64, 0x7000, runtime_access);
}

static void query_scenarios(void)
{
	struct ibv_device_attr_ex dattr;
	struct ibv_query_device_ex_input input = { .comp_mask = 1 };
	struct ibv_port_attr pattr;
	struct ibv_gid_entry entries[4];
	int rc;

	scenario("query_port: extended context");
	memset(&pattr, 0x5a, sizeof(pattr));
	rc = ibv_query_port(&vctx.context, 1, &pattr);
	printf("  rc=%d lid=0x%x\n", rc, pattr.lid);

	scenario("query_port: op fails");
	op_query_port_rc = EINVAL;
	rc = ibv_query_port(&vctx.context, 1, &pattr);
	printf("  rc=%d\n", rc);

	scenario("query_port: op missing");
	vctx.query_port = NULL;
	memset(&pattr, 0x5a, sizeof(pattr));
	rc = ibv_query_port(&vctx.context, 2, &pattr);
	printf("  rc=%d lid=0x%x\n", rc, pattr.lid);

	scenario("query_port: library table too short for query_port");
	vctx.sz = sizeof(vctx) - offsetof(struct verbs_context, query_port) - 1;
	memset(&pattr, 0x5a, sizeof(pattr));
	rc = ibv_query_port(&vctx.context, 1, &pattr);
	printf("  rc=%d lid=0x%x\n", rc, pattr.lid);

	scenario("query_port: table exactly long enough");
	vctx.sz = sizeof(vctx) - offsetof(struct verbs_context, query_port);
	rc = ibv_query_port(&vctx.context, 1, &pattr);
	printf("  rc=%d lid=0x%x\n", rc, pattr.lid);

	scenario("query_port: legacy context");
	memset(&pattr, 0x5a, sizeof(pattr));
	rc = ibv_query_port(&legacy_ctx, 1, &pattr);
	printf("  rc=%d lid=0x%x\n", rc, pattr.lid);

	scenario("query_device_ex: op answers");
	memset(&dattr, 0x5a, sizeof(dattr));
	rc = ibv_query_device_ex(&vctx.context, NULL, &dattr);
	printf("  rc=%d max_qp=%d odp=0x%llx\n", rc, dattr.orig_attr.max_qp,
	       (unsigned long long)dattr.odp_caps.general_caps);

	scenario("query_device_ex: op says EOPNOTSUPP");
	op_query_device_ex_rc = EOPNOTSUPP;
	memset(&dattr, 0x5a, sizeof(dattr));
	rc = ibv_query_device_ex(&vctx.context, NULL, &dattr);
	printf("  rc=%d max_qp=%d odp=0x%llx xrc_odp=0x%x\n", rc,
	       dattr.orig_attr.max_qp,
	       (unsigned long long)dattr.odp_caps.general_caps,
	       dattr.xrc_odp_caps);

	scenario("query_device_ex: op says ENOSYS");
	op_query_device_ex_rc = ENOSYS;
	rc = ibv_query_device_ex(&vctx.context, NULL, &dattr);
	printf("  rc=%d max_qp=%d\n", rc, dattr.orig_attr.max_qp);

	scenario("query_device_ex: op fails otherwise");
	op_query_device_ex_rc = EIO;
	rc = ibv_query_device_ex(&vctx.context, NULL, &dattr);
	printf("  rc=%d\n", rc);

	scenario("query_device_ex: input with comp_mask");
	rc = ibv_query_device_ex(&vctx.context, &input, &dattr);
	printf("  rc=%d\n", rc);

	scenario("query_device_ex: legacy context");
	memset(&dattr, 0x5a, sizeof(dattr));
	rc = ibv_query_device_ex(&legacy_ctx, NULL, &dattr);
	printf("  rc=%d max_qp=%d odp=0x%llx\n", rc, dattr.orig_attr.max_qp,
	       (unsigned long long)dattr.odp_caps.general_caps);

	scenario("query_gid_ex / query_gid_table pass the entry size");
	ibv_query_gid_ex(&vctx.context, 1, 3, &entries[0], 0);
	printf("  n=%zd\n", ibv_query_gid_table(&vctx.context, entries, 4, 0));
}

static void create_scenarios(void)
{
	struct ibv_pd pd = { .context = &vctx.context };
	struct ibv_qp_init_attr_ex qpx = { .qp_type = IBV_QPT_RC, .pd = &pd };
	struct ibv_srq_init_attr_ex srqx = { .pd = &pd, .attr = { .max_wr = 9 } };
	struct ibv_xrcd_init_attr xattr = { .comp_mask = 3, .fd = 5 };
	struct ibv_cq_init_attr_ex cqx = { .cqe = 16, .wc_flags = 0x7f };
	struct ibv_wq_init_attr wqa = { .max_wr = 8, .wq_context = &pd };
	struct ibv_srq srq = { .context = &vctx.context };
	struct ibv_xrcd *xrcd;
	struct ibv_wq *wq;
	uint32_t srqn = 0;
	void *obj;
	int rc;

	scenario("create_qp_ex: PD only");
	qpx.comp_mask = IBV_QP_INIT_ATTR_PD;
	ibv_create_qp_ex(&vctx.context, &qpx);
	scenario("create_qp_ex: PD and send ops (perftest default)");
	qpx.comp_mask = IBV_QP_INIT_ATTR_PD | IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
	qpx.send_ops_flags = IBV_QP_EX_WITH_SEND | IBV_QP_EX_WITH_RDMA_WRITE;
	ibv_create_qp_ex(&vctx.context, &qpx);
	scenario("create_qp_ex: op missing");
	vctx.create_qp_ex = NULL;
	obj = ibv_create_qp_ex(&vctx.context, &qpx);
	printf("  obj=%s errno=%d\n", obj ? "set" : "NULL", errno);

	scenario("create_srq_ex: PD only");
	srqx.comp_mask = IBV_SRQ_INIT_ATTR_PD;
	ibv_create_srq_ex(&vctx.context, &srqx);
	scenario("create_srq_ex: PD + TYPE basic");
	srqx.comp_mask = IBV_SRQ_INIT_ATTR_PD | IBV_SRQ_INIT_ATTR_TYPE;
	srqx.srq_type = IBV_SRQT_BASIC;
	ibv_create_srq_ex(&vctx.context, &srqx);
	scenario("create_srq_ex: XRC");
	srqx.comp_mask = IBV_SRQ_INIT_ATTR_PD | IBV_SRQ_INIT_ATTR_TYPE |
			 IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ;
	srqx.srq_type = IBV_SRQT_XRC;
	ibv_create_srq_ex(&vctx.context, &srqx);
	scenario("create_srq_ex: TYPE without PD");
	srqx.comp_mask = IBV_SRQ_INIT_ATTR_TYPE;
	srqx.srq_type = IBV_SRQT_BASIC;
	ibv_create_srq_ex(&vctx.context, &srqx);
	scenario("create_srq_ex: op missing");
	vctx.create_srq_ex = NULL;
	srqx.comp_mask = IBV_SRQ_INIT_ATTR_PD | IBV_SRQ_INIT_ATTR_CQ;
	obj = ibv_create_srq_ex(&vctx.context, &srqx);
	printf("  obj=%s errno=%d\n", obj ? "set" : "NULL", errno);

	scenario("open_xrcd / close_xrcd");
	xrcd = ibv_open_xrcd(&vctx.context, &xattr);
	printf("  close rc=%d\n", ibv_close_xrcd(xrcd));
	scenario("open_xrcd: legacy context");
	obj = ibv_open_xrcd(&legacy_ctx, &xattr);
	printf("  obj=%s errno=%d\n", obj ? "set" : "NULL", errno);

	scenario("create_cq_ex");
	obj = ibv_create_cq_ex(&vctx.context, &cqx);
	printf("  same object=%d\n", obj == (void *)&stub_cq_ex);
	scenario("create_cq_ex: op missing");
	vctx.create_cq_ex = NULL;
	obj = ibv_create_cq_ex(&vctx.context, &cqx);
	printf("  obj=%s errno=%d\n", obj ? "set" : "NULL", errno);

	scenario("get_srq_num");
	rc = ibv_get_srq_num(&srq, &srqn);
	printf("  rc=%d num=0x%x\n", rc, srqn);

	scenario("create_wq initialises the library-owned members");
	wq = ibv_create_wq(&vctx.context, &wqa);
	printf("  events_completed=%u context_ok=%d\n", wq->events_completed,
	       wq->wq_context == (void *)&pd);
}

static void datapath_scenarios(void)
{
	struct ibv_pd pd = { .context = &vctx.context };
	struct ibv_sge sge = { .addr = 0x1000, .length = 64, .lkey = 0x77 };
	struct ibv_cq cq = { .context = &vctx.context };
	struct ibv_qp qp = { .context = &vctx.context };
	struct ibv_srq srq = { .context = &vctx.context };
	struct ibv_send_wr swr = { .opcode = IBV_WR_RDMA_READ }, *bad_s;
	struct ibv_recv_wr rwr = { .wr_id = 5 }, *bad_r;
	struct ibv_mr mr_a = { .pd = &pd }, mr_b = { .pd = NULL };
	struct ibv_mw mw = { .context = &vctx.context, .pd = &pd,
			     .type = IBV_MW_TYPE_1 };
	struct ibv_mw_bind bind = { .wr_id = 3 };
	struct ibv_qp_ex qpx = {
		.wr_start = qpx_start, .wr_complete = qpx_complete,
		.wr_abort = qpx_abort, .wr_send = qpx_send,
		.wr_rdma_write = qpx_rdma_write,
		.wr_atomic_cmp_swp = qpx_cmp_swp, .wr_set_sge = qpx_set_sge,
		.wr_set_ud_addr = qpx_set_ud_addr,
	};
	struct ibv_cq_ex cqx = {
		.start_poll = cqx_start, .next_poll = cqx_next,
		.end_poll = cqx_end, .read_opcode = cqx_opcode,
		.read_byte_len = cqx_byte_len, .read_imm_data = cqx_imm,
	};
	struct ibv_poll_cq_attr pattr = {};
	struct ibv_wc wc[2];
	struct ibv_mw *mw_obj;
	int n;

	scenario("advise_mr through the op");
	printf("  rc=%d\n", ibv_advise_mr(&pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
					  IBV_ADVISE_MR_FLAG_FLUSH, &sge, 1));
	scenario("advise_mr: op missing");
	vctx.advise_mr = NULL;
	printf("  rc=%d\n", ibv_advise_mr(&pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0,
					  &sge, 1));
	scenario("advise_mr: legacy context");
	pd.context = &legacy_ctx;
	printf("  rc=%d\n", ibv_advise_mr(&pd, IBV_ADVISE_MR_ADVICE_PREFETCH, 0,
					  &sge, 1));
	pd.context = &vctx.context;

	scenario("poll / notify / post through ibv_context.ops");
	n = ibv_poll_cq(&cq, 2, wc);
	printf("  n=%d wr_id=%llu\n", n, (unsigned long long)wc[0].wr_id);
	ibv_req_notify_cq(&cq, 1);
	ibv_post_send(&qp, &swr, &bad_s);
	ibv_post_recv(&qp, &rwr, &bad_r);
	ibv_post_srq_recv(&srq, &rwr, &bad_r);

	scenario("alloc_mw: op missing");
	mw_obj = ibv_alloc_mw(&pd, IBV_MW_TYPE_2);
	printf("  obj=%s errno=%d\n", mw_obj ? "set" : "NULL", errno);
	scenario("bind_mw: checks before the op");
	bind.bind_info.mr = &mr_a;
	printf("  ok rc=%d\n", ibv_bind_mw(&qp, &mw, &bind));
	bind.bind_info.mr = &mr_b;
	printf("  other pd rc=%d\n", ibv_bind_mw(&qp, &mw, &bind));
	bind.bind_info.mr = NULL;
	bind.bind_info.length = 4;
	printf("  no mr but length rc=%d\n", ibv_bind_mw(&qp, &mw, &bind));
	mw.type = IBV_MW_TYPE_2;
	printf("  type 2 rc=%d\n", ibv_bind_mw(&qp, &mw, &bind));

	scenario("ibv_wr_* go through ibv_qp_ex");
	ibv_wr_start(&qpx);
	qpx.wr_id = 11;
	qpx.wr_flags = IBV_SEND_SIGNALED;
	ibv_wr_rdma_write(&qpx, 0x99, 0x2000);
	ibv_wr_set_sge(&qpx, 0x77, 0x1000, 64);
	ibv_wr_atomic_cmp_swp(&qpx, 0x98, 0x3000, 1, 2);
	ibv_wr_send(&qpx);
	ibv_wr_set_ud_addr(&qpx, NULL, 17, 0x11111111);
	printf("  complete rc=%d\n", ibv_wr_complete(&qpx));
	ibv_wr_abort(&qpx);

	scenario("ibv_cq_ex polling helpers");
	n = ibv_start_poll(&cqx, &pattr);
	printf("  start=%d wr_id=%llu status=%d\n", n,
	       (unsigned long long)cqx.wr_id, cqx.status);
	printf("  opcode=%d len=%u imm=0x%x inv=0x%x\n", ibv_wc_read_opcode(&cqx),
	       ibv_wc_read_byte_len(&cqx), ibv_wc_read_imm_data(&cqx),
	       ibv_wc_read_invalidated_rkey(&cqx));
	printf("  next=%d\n", ibv_next_poll(&cqx));
	ibv_end_poll(&cqx);
	printf("  cq_ex_to_cq same=%d\n",
	       (void *)ibv_cq_ex_to_cq(&cqx) == (void *)&cqx);
}

static void helper_scenarios(void)
{
	static const uint32_t rkeys[] = { 0, 0x12345678, 0x123456ff, 0xffffffff };
	static const uint32_t labels[] = { 0, 1, 0x3fff, 0x4000, 0xfffff,
					   0x12345 };
	size_t i;

	scenario("ibv_inc_rkey");
	for (i = 0; i < sizeof(rkeys) / sizeof(rkeys[0]); i++)
		printf("  0x%08x -> 0x%08x\n", rkeys[i], ibv_inc_rkey(rkeys[i]));
	scenario("ibv_flow_label_to_udp_sport");
	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		printf("  0x%05x -> 0x%04x\n", labels[i],
		       ibv_flow_label_to_udp_sport(labels[i]));
	scenario("ibv_is_qpt_supported");
	printf("  %d %d %d\n", ibv_is_qpt_supported(1u << IBV_QPT_UD, IBV_QPT_UD),
	       ibv_is_qpt_supported(1u << IBV_QPT_UD, IBV_QPT_RC),
	       ibv_is_qpt_supported(0xffffffff, IBV_QPT_RAW_PACKET));
	scenario("vext_field_avail");
	printf("  %d %d\n",
	       (int)vext_field_avail(struct ibv_device_attr_ex, xrc_odp_caps, 396),
	       (int)vext_field_avail(struct ibv_device_attr_ex, xrc_odp_caps, 392));
}

int main(void)
{
	reg_mr_scenarios();
	query_scenarios();
	create_scenarios();
	datapath_scenarios();
	helper_scenarios();
	return 0;
}
