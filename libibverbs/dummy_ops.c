// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Defaults for every op a provider leaves out, so the public API never calls
 * through a NULL pointer: verbs that create objects fail with errno
 * EOPNOTSUPP, the others return EOPNOTSUPP, notifications are ignored.
 * verbs_set_ops() merges a provider's table over these defaults.
 */
#include <errno.h>
#include <string.h>

#include "ibverbs.h"

#define FAIL_PTR() ({ errno = EOPNOTSUPP; NULL; })

static int advise_mr(struct ibv_pd *pd, enum ibv_advise_mr_advice advice,
		     uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sges)
{
	(void)pd; (void)advice; (void)flags; (void)sg_list; (void)num_sges;
	return EOPNOTSUPP;
}

static struct ibv_dm *alloc_dm(struct ibv_context *context,
			       struct ibv_alloc_dm_attr *attr)
{
	(void)context; (void)attr;
	return FAIL_PTR();
}

static struct ibv_mw *alloc_mw(struct ibv_pd *pd, enum ibv_mw_type type)
{
	(void)pd; (void)type;
	return FAIL_PTR();
}

static struct ibv_mr *alloc_null_mr(struct ibv_pd *pd)
{
	(void)pd;
	return FAIL_PTR();
}

static struct ibv_pd *alloc_parent_domain(struct ibv_context *context,
					  struct ibv_parent_domain_init_attr *attr)
{
	(void)context; (void)attr;
	return FAIL_PTR();
}

static struct ibv_pd *alloc_pd(struct ibv_context *context)
{
	(void)context;
	return FAIL_PTR();
}

static struct ibv_td *alloc_td(struct ibv_context *context,
			       struct ibv_td_init_attr *init_attr)
{
	(void)context; (void)init_attr;
	return FAIL_PTR();
}

static void async_event(struct ibv_context *context,
			struct ibv_async_event *event)
{
	(void)context; (void)event;
}

static int attach_counters_point_flow(struct ibv_counters *counters,
				      struct ibv_counter_attach_attr *attr,
				      struct ibv_flow *flow)
{
	(void)counters; (void)attr; (void)flow;
	return EOPNOTSUPP;
}

static int attach_mcast(struct ibv_qp *qp, const union ibv_gid *gid,
			uint16_t lid)
{
	(void)qp; (void)gid; (void)lid;
	return EOPNOTSUPP;
}

static int bind_mw(struct ibv_qp *qp, struct ibv_mw *mw,
		   struct ibv_mw_bind *mw_bind)
{
	(void)qp; (void)mw; (void)mw_bind;
	return EOPNOTSUPP;
}

static int close_xrcd(struct ibv_xrcd *xrcd)
{
	(void)xrcd;
	return EOPNOTSUPP;
}

static void cq_event(struct ibv_cq *cq)
{
	(void)cq;
}

static struct ibv_ah *create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	(void)pd; (void)attr;
	return FAIL_PTR();
}

static struct ibv_counters *create_counters(struct ibv_context *context,
					    struct ibv_counters_init_attr *init_attr)
{
	(void)context; (void)init_attr;
	return FAIL_PTR();
}

static struct ibv_cq *create_cq(struct ibv_context *context, int cqe,
				struct ibv_comp_channel *channel,
				int comp_vector)
{
	(void)context; (void)cqe; (void)channel; (void)comp_vector;
	return FAIL_PTR();
}

static struct ibv_cq_ex *create_cq_ex(struct ibv_context *context,
				      struct ibv_cq_init_attr_ex *init_attr)
{
	(void)context; (void)init_attr;
	return FAIL_PTR();
}

static struct ibv_flow *create_flow(struct ibv_qp *qp,
				    struct ibv_flow_attr *flow_attr)
{
	(void)qp; (void)flow_attr;
	return FAIL_PTR();
}

static struct ibv_flow_action *create_flow_action_esp(
	struct ibv_context *context, struct ibv_flow_action_esp_attr *attr)
{
	(void)context; (void)attr;
	return FAIL_PTR();
}

static struct ibv_qp *create_qp(struct ibv_pd *pd,
				struct ibv_qp_init_attr *attr)
{
	(void)pd; (void)attr;
	return FAIL_PTR();
}

static struct ibv_qp *create_qp_ex(struct ibv_context *context,
				   struct ibv_qp_init_attr_ex *qp_init_attr_ex)
{
	(void)context; (void)qp_init_attr_ex;
	return FAIL_PTR();
}

static struct ibv_rwq_ind_table *create_rwq_ind_table(
	struct ibv_context *context,
	struct ibv_rwq_ind_table_init_attr *init_attr)
{
	(void)context; (void)init_attr;
	return FAIL_PTR();
}

static struct ibv_srq *create_srq(struct ibv_pd *pd,
				  struct ibv_srq_init_attr *srq_init_attr)
{
	(void)pd; (void)srq_init_attr;
	return FAIL_PTR();
}

static struct ibv_srq *create_srq_ex(struct ibv_context *context,
				     struct ibv_srq_init_attr_ex *srq_init_attr_ex)
{
	(void)context; (void)srq_init_attr_ex;
	return FAIL_PTR();
}

static struct ibv_wq *create_wq(struct ibv_context *context,
				struct ibv_wq_init_attr *wq_init_attr)
{
	(void)context; (void)wq_init_attr;
	return FAIL_PTR();
}

#define DUMMY_INT_OP1(name, type)                                              \
	static int name(type a)                                                \
	{                                                                      \
		(void)a;                                                       \
		return EOPNOTSUPP;                                             \
	}

DUMMY_INT_OP1(dealloc_mw, struct ibv_mw *)
DUMMY_INT_OP1(dealloc_pd, struct ibv_pd *)
DUMMY_INT_OP1(dealloc_td, struct ibv_td *)
DUMMY_INT_OP1(dereg_mr, struct verbs_mr *)
DUMMY_INT_OP1(destroy_ah, struct ibv_ah *)
DUMMY_INT_OP1(destroy_counters, struct ibv_counters *)
DUMMY_INT_OP1(destroy_cq, struct ibv_cq *)
DUMMY_INT_OP1(destroy_flow, struct ibv_flow *)
DUMMY_INT_OP1(destroy_flow_action, struct ibv_flow_action *)
DUMMY_INT_OP1(destroy_qp, struct ibv_qp *)
DUMMY_INT_OP1(destroy_rwq_ind_table, struct ibv_rwq_ind_table *)
DUMMY_INT_OP1(destroy_srq, struct ibv_srq *)
DUMMY_INT_OP1(destroy_wq, struct ibv_wq *)
DUMMY_INT_OP1(free_dm, struct ibv_dm *)

static int detach_mcast(struct ibv_qp *qp, const union ibv_gid *gid,
			uint16_t lid)
{
	(void)qp; (void)gid; (void)lid;
	return EOPNOTSUPP;
}

static void free_context(struct ibv_context *context)
{
	(void)context;
}

static int get_srq_num(struct ibv_srq *srq, uint32_t *srq_num)
{
	(void)srq; (void)srq_num;
	return EOPNOTSUPP;
}

static struct ibv_dm *import_dm(struct ibv_context *context, uint32_t handle)
{
	(void)context; (void)handle;
	return FAIL_PTR();
}

static struct ibv_mr *import_mr(struct ibv_pd *pd, uint32_t handle)
{
	(void)pd; (void)handle;
	return FAIL_PTR();
}

static struct ibv_pd *import_pd(struct ibv_context *context, uint32_t handle)
{
	(void)context; (void)handle;
	return FAIL_PTR();
}

static int modify_cq(struct ibv_cq *cq, struct ibv_modify_cq_attr *attr)
{
	(void)cq; (void)attr;
	return EOPNOTSUPP;
}

static int modify_flow_action_esp(struct ibv_flow_action *action,
				  struct ibv_flow_action_esp_attr *attr)
{
	(void)action; (void)attr;
	return EOPNOTSUPP;
}

static int modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
		     int attr_mask)
{
	(void)qp; (void)attr; (void)attr_mask;
	return EOPNOTSUPP;
}

static int modify_qp_rate_limit(struct ibv_qp *qp,
				struct ibv_qp_rate_limit_attr *attr)
{
	(void)qp; (void)attr;
	return EOPNOTSUPP;
}

static int modify_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr,
		      int srq_attr_mask)
{
	(void)srq; (void)srq_attr; (void)srq_attr_mask;
	return EOPNOTSUPP;
}

static int modify_wq(struct ibv_wq *wq, struct ibv_wq_attr *wq_attr)
{
	(void)wq; (void)wq_attr;
	return EOPNOTSUPP;
}

static struct ibv_qp *open_qp(struct ibv_context *context,
			      struct ibv_qp_open_attr *attr)
{
	(void)context; (void)attr;
	return FAIL_PTR();
}

static struct ibv_xrcd *open_xrcd(struct ibv_context *context,
				  struct ibv_xrcd_init_attr *xrcd_init_attr)
{
	(void)context; (void)xrcd_init_attr;
	return FAIL_PTR();
}

/* A negative count is the poll_cq error convention. */
static int poll_cq(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc)
{
	(void)cq; (void)num_entries; (void)wc;
	errno = EOPNOTSUPP;
	return -1;
}

static int post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr,
		     struct ibv_recv_wr **bad_wr)
{
	(void)qp;
	*bad_wr = wr;
	return EOPNOTSUPP;
}

static int post_send(struct ibv_qp *qp, struct ibv_send_wr *wr,
		     struct ibv_send_wr **bad_wr)
{
	(void)qp;
	*bad_wr = wr;
	return EOPNOTSUPP;
}

static int post_srq_ops(struct ibv_srq *srq, struct ibv_ops_wr *op,
			struct ibv_ops_wr **bad_op)
{
	(void)srq;
	*bad_op = op;
	return EOPNOTSUPP;
}

static int post_srq_recv(struct ibv_srq *srq, struct ibv_recv_wr *recv_wr,
			 struct ibv_recv_wr **bad_recv_wr)
{
	(void)srq;
	*bad_recv_wr = recv_wr;
	return EOPNOTSUPP;
}

static int query_device_ex(struct ibv_context *context,
			   const struct ibv_query_device_ex_input *input,
			   struct ibv_device_attr_ex *attr, size_t attr_size)
{
	(void)context; (void)input; (void)attr; (void)attr_size;
	return EOPNOTSUPP;
}

static int query_ece(struct ibv_qp *qp, struct ibv_ece *ece)
{
	(void)qp; (void)ece;
	return EOPNOTSUPP;
}

static int query_port(struct ibv_context *context, uint8_t port_num,
		      struct ibv_port_attr *port_attr)
{
	(void)context; (void)port_num; (void)port_attr;
	return EOPNOTSUPP;
}

static int query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr,
		    int attr_mask, struct ibv_qp_init_attr *init_attr)
{
	(void)qp; (void)attr; (void)attr_mask; (void)init_attr;
	return EOPNOTSUPP;
}

/* "not guaranteed in order" is the safe answer when nobody knows */
static int query_qp_data_in_order(struct ibv_qp *qp, enum ibv_wr_opcode op,
				  uint32_t flags)
{
	(void)qp; (void)op; (void)flags;
	return 0;
}

static int query_rt_values(struct ibv_context *context,
			   struct ibv_values_ex *values)
{
	(void)context; (void)values;
	return EOPNOTSUPP;
}

static int query_srq(struct ibv_srq *srq, struct ibv_srq_attr *srq_attr)
{
	(void)srq; (void)srq_attr;
	return EOPNOTSUPP;
}

static int read_counters(struct ibv_counters *counters,
			 uint64_t *counters_value, uint32_t ncounters,
			 uint32_t flags)
{
	(void)counters; (void)counters_value; (void)ncounters; (void)flags;
	return EOPNOTSUPP;
}

static struct ibv_mr *reg_dm_mr(struct ibv_pd *pd, struct ibv_dm *dm,
				uint64_t dm_offset, size_t length,
				unsigned int access)
{
	(void)pd; (void)dm; (void)dm_offset; (void)length; (void)access;
	return FAIL_PTR();
}

static struct ibv_mr *reg_dmabuf_mr(struct ibv_pd *pd, uint64_t offset,
				    size_t length, uint64_t iova, int fd,
				    int access)
{
	(void)pd; (void)offset; (void)length; (void)iova; (void)fd;
	(void)access;
	return FAIL_PTR();
}

static struct ibv_mr *reg_mr(struct ibv_pd *pd, void *addr, size_t length,
			     uint64_t hca_va, int access)
{
	(void)pd; (void)addr; (void)length; (void)hca_va; (void)access;
	return FAIL_PTR();
}

static int req_notify_cq(struct ibv_cq *cq, int solicited_only)
{
	(void)cq; (void)solicited_only;
	return EOPNOTSUPP;
}

static int rereg_mr(struct verbs_mr *vmr, int flags, struct ibv_pd *pd,
		    void *addr, size_t length, int access)
{
	(void)vmr; (void)flags; (void)pd; (void)addr; (void)length;
	(void)access;
	errno = EOPNOTSUPP;
	return IBV_REREG_MR_ERR_INPUT;
}

static int resize_cq(struct ibv_cq *cq, int cqe)
{
	(void)cq; (void)cqe;
	return EOPNOTSUPP;
}

static int set_ece(struct ibv_qp *qp, struct ibv_ece *ece)
{
	(void)qp; (void)ece;
	return EOPNOTSUPP;
}

static void unimport_dm(struct ibv_dm *dm)
{
	(void)dm;
}

static void unimport_mr(struct ibv_mr *mr)
{
	(void)mr;
}

static void unimport_pd(struct ibv_pd *pd)
{
	(void)pd;
}

#define OP(name) .name = name
const struct verbs_context_ops verbs_dummy_ops = {
	OP(advise_mr), OP(alloc_dm), OP(alloc_mw), OP(alloc_null_mr),
	OP(alloc_parent_domain), OP(alloc_pd), OP(alloc_td), OP(async_event),
	OP(attach_counters_point_flow), OP(attach_mcast), OP(bind_mw),
	OP(close_xrcd), OP(cq_event), OP(create_ah), OP(create_counters),
	OP(create_cq), OP(create_cq_ex), OP(create_flow),
	OP(create_flow_action_esp), OP(create_qp), OP(create_qp_ex),
	OP(create_rwq_ind_table), OP(create_srq), OP(create_srq_ex),
	OP(create_wq), OP(dealloc_mw), OP(dealloc_pd), OP(dealloc_td),
	OP(dereg_mr), OP(destroy_ah), OP(destroy_counters), OP(destroy_cq),
	OP(destroy_flow), OP(destroy_flow_action), OP(destroy_qp),
	OP(destroy_rwq_ind_table), OP(destroy_srq), OP(destroy_wq),
	OP(detach_mcast), OP(free_context), OP(free_dm), OP(get_srq_num),
	OP(import_dm), OP(import_mr), OP(import_pd), OP(modify_cq),
	OP(modify_flow_action_esp), OP(modify_qp), OP(modify_qp_rate_limit),
	OP(modify_srq), OP(modify_wq), OP(open_qp), OP(open_xrcd),
	OP(poll_cq), OP(post_recv), OP(post_send), OP(post_srq_ops),
	OP(post_srq_recv), OP(query_device_ex), OP(query_ece),
	OP(query_port), OP(query_qp), OP(query_qp_data_in_order),
	OP(query_rt_values), OP(query_srq), OP(read_counters),
	OP(reg_dm_mr), OP(reg_dmabuf_mr), OP(reg_mr), OP(req_notify_cq),
	OP(rereg_mr), OP(resize_cq), OP(set_ece), OP(unimport_dm),
	OP(unimport_mr), OP(unimport_pd),
};
#undef OP

/*
 * Take every op the provider supplies.  The private table is what the
 * exported functions call; the ops that applications' inline wrappers reach
 * directly are mirrored into ibv_context.ops and the verbs_context slots.
 */
IBV_EXPORT void verbs_set_ops(struct verbs_context *vctx,
			      const struct verbs_context_ops *ops)
{
	struct verbs_ex_private *priv = vctx->priv;
	struct ibv_context_ops *ctx_ops = &vctx->context.ops;

#define SET_PRIV(name)                                                         \
	do {                                                                   \
		if (ops->name)                                                 \
			priv->ops.name = ops->name;                            \
	} while (0)
#define SET_CTX(name)                                                          \
	do {                                                                   \
		if (ops->name) {                                               \
			priv->ops.name = ops->name;                            \
			ctx_ops->name = ops->name;                             \
		}                                                              \
	} while (0)
#define SET_VCTX(name)                                                         \
	do {                                                                   \
		if (ops->name) {                                               \
			priv->ops.name = ops->name;                            \
			vctx->name = ops->name;                                \
		}                                                              \
	} while (0)

	SET_VCTX(advise_mr);
	SET_VCTX(alloc_dm);
	SET_CTX(alloc_mw);
	SET_VCTX(alloc_null_mr);
	SET_VCTX(alloc_parent_domain);
	SET_PRIV(alloc_pd);
	SET_VCTX(alloc_td);
	SET_PRIV(async_event);
	SET_VCTX(attach_counters_point_flow);
	SET_PRIV(attach_mcast);
	SET_CTX(bind_mw);
	SET_VCTX(close_xrcd);
	SET_PRIV(cq_event);
	SET_PRIV(create_ah);
	SET_VCTX(create_counters);
	SET_PRIV(create_cq);
	/* vctx->create_cq_ex stays the library's wrapper */
	SET_PRIV(create_cq_ex);
	if (ops->create_flow) {
		priv->ops.create_flow = ops->create_flow;
		vctx->ibv_create_flow = ops->create_flow;
	}
	SET_VCTX(create_flow_action_esp);
	SET_PRIV(create_qp);
	SET_VCTX(create_qp_ex);
	SET_VCTX(create_rwq_ind_table);
	SET_PRIV(create_srq);
	SET_VCTX(create_srq_ex);
	SET_VCTX(create_wq);
	SET_CTX(dealloc_mw);
	SET_PRIV(dealloc_pd);
	SET_VCTX(dealloc_td);
	SET_PRIV(dereg_mr);
	SET_PRIV(destroy_ah);
	SET_VCTX(destroy_counters);
	SET_PRIV(destroy_cq);
	if (ops->destroy_flow) {
		priv->ops.destroy_flow = ops->destroy_flow;
		vctx->ibv_destroy_flow = ops->destroy_flow;
	}
	SET_VCTX(destroy_flow_action);
	SET_PRIV(destroy_qp);
	SET_VCTX(destroy_rwq_ind_table);
	SET_PRIV(destroy_srq);
	SET_VCTX(destroy_wq);
	SET_PRIV(detach_mcast);
	SET_PRIV(free_context);
	SET_VCTX(free_dm);
	SET_VCTX(get_srq_num);
	SET_PRIV(import_dm);
	SET_PRIV(import_mr);
	SET_PRIV(import_pd);
	SET_VCTX(modify_cq);
	SET_VCTX(modify_flow_action_esp);
	SET_PRIV(modify_qp);
	SET_VCTX(modify_qp_rate_limit);
	SET_PRIV(modify_srq);
	SET_VCTX(modify_wq);
	SET_VCTX(open_qp);
	SET_VCTX(open_xrcd);
	SET_CTX(poll_cq);
	SET_CTX(post_recv);
	SET_CTX(post_send);
	SET_VCTX(post_srq_ops);
	SET_CTX(post_srq_recv);
	SET_VCTX(query_device_ex);
	SET_PRIV(query_ece);
	/* vctx->query_port stays the library's wrapper */
	SET_PRIV(query_port);
	SET_PRIV(query_qp);
	SET_PRIV(query_qp_data_in_order);
	SET_VCTX(query_rt_values);
	SET_PRIV(query_srq);
	SET_VCTX(read_counters);
	SET_VCTX(reg_dm_mr);
	SET_PRIV(reg_dmabuf_mr);
	SET_PRIV(reg_mr);
	SET_CTX(req_notify_cq);
	SET_PRIV(rereg_mr);
	SET_PRIV(resize_cq);
	SET_PRIV(set_ece);
	SET_PRIV(unimport_dm);
	SET_PRIV(unimport_mr);
	SET_PRIV(unimport_pd);

#undef SET_PRIV
#undef SET_CTX
#undef SET_VCTX
}
