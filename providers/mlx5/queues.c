// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The queue verbs this provider implements, merged into every context's
 * ops next to the device, PD and MR verbs (mlx5.c).
 */
#include "smlx.h"
#include "queues.h"

const struct verbs_context_ops smlx_queue_ops = {
	.close_xrcd = smlx_close_xrcd,
	.create_ah = smlx_create_ah,
	.create_cq = smlx_create_cq,
	.create_cq_ex = smlx_create_cq_ex,
	.create_qp = smlx_create_qp,
	.create_qp_ex = smlx_create_qp_ex,
	.create_srq = smlx_create_srq,
	.create_srq_ex = smlx_create_srq_ex,
	.destroy_ah = smlx_destroy_ah,
	.destroy_cq = smlx_destroy_cq,
	.destroy_qp = smlx_destroy_qp,
	.destroy_srq = smlx_destroy_srq,
	.get_srq_num = smlx_get_srq_num,
	.modify_qp = smlx_modify_qp,
	.modify_srq = smlx_modify_srq,
	.open_qp = smlx_open_qp,
	.open_xrcd = smlx_open_xrcd,
	.poll_cq = smlx_poll_cq,
	.post_recv = smlx_post_recv,
	.post_send = smlx_post_send,
	.post_srq_recv = smlx_post_srq_recv,
	.query_qp = smlx_query_qp,
	.query_srq = smlx_query_srq,
	.req_notify_cq = smlx_req_notify_cq,
	.resize_cq = smlx_resize_cq,
};
