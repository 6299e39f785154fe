// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * "rdma resource show qp -dd": the engine's view of a QP, so that a QP that
 * stopped moving can be read off a live system (a test that lost a
 * completion prints it).  Read without the engine held: a snapshot that may
 * be a packet behind, never a consistent cut.
 */
#include <linux/math64.h>
#include <rdma/ib_verbs.h>
#include <rdma/restrack.h>

#include "smlx.h"
#include "smlx_odp.h"

struct smlx_res_flag {
	int bit;
	const char *name;
};

static const struct smlx_res_flag smlx_res_flags[] = {
	{ SMLX_QPF_TIMER_FIRED, "timer_fired" },
	{ SMLX_QPF_STALLED, "stalled" },
	{ SMLX_QPF_FAULT_FAILED, "fault_failed" },
	{ SMLX_QPF_RNR_STALL, "rnr_stall" },
	{ SMLX_QPF_RUNNING, "running" },
	{ SMLX_QPF_RERUN, "rerun" },
};

static int smlx_res_put_flags(struct sk_buff *msg, struct smlx_qp *qp)
{
	unsigned long flags = READ_ONCE(qp->flags);
	char buf[96];
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(smlx_res_flags); i++)
		if (test_bit(smlx_res_flags[i].bit, &flags))
			len += scnprintf(buf + len, sizeof(buf) - len, "%s%s",
					 len ? "," : "",
					 smlx_res_flags[i].name);
	return rdma_nl_put_driver_string(msg, "engine", len ? buf : "idle");
}

static int smlx_res_put_req(struct sk_buff *msg, struct smlx_qp *qp)
{
	if (!qp->sq)
		return 0;
	if (rdma_nl_put_driver_u32(msg, "sq_kidx", READ_ONCE(qp->sq->kidx)) ||
	    rdma_nl_put_driver_u32(msg, "req_send", READ_ONCE(qp->req.send)) ||
	    rdma_nl_put_driver_u32(msg, "req_fetch",
				   READ_ONCE(qp->req.fetch)) ||
	    rdma_nl_put_driver_u32_hex(msg, "req_psn",
				       READ_ONCE(qp->req.psn)) ||
	    rdma_nl_put_driver_u32_hex(msg, "req_una",
				       READ_ONCE(qp->req.una)) ||
	    rdma_nl_put_driver_u32(msg, "rd_out", READ_ONCE(qp->req.rd_out)) ||
	    rdma_nl_put_driver_u32(msg, "retry_left",
				   READ_ONCE(qp->req.retry_left)) ||
	    rdma_nl_put_driver_u32(msg, "rnr_left",
				   READ_ONCE(qp->req.rnr_left)) ||
	    rdma_nl_put_driver_u32(msg, "timer_armed",
				   READ_ONCE(qp->req.timer_armed)) ||
	    rdma_nl_put_driver_u32(msg, "timer_pending",
				   timer_pending(&qp->timer)) ||
	    rdma_nl_put_driver_u32(msg, "rnr_wait",
				   READ_ONCE(qp->req.rnr_wait)) ||
	    rdma_nl_put_driver_u32(msg, "blocked", READ_ONCE(qp->req.blocked)))
		return -EMSGSIZE;
	return 0;
}

/* The fault the QP is stalled on: how long, how far it got, what it is. */
static int smlx_res_put_fault(struct sk_buff *msg, struct smlx_qp *qp)
{
	static const char * const phases[] = {
		[SMLX_FAULT_NONE] = "none",
		[SMLX_FAULT_QUEUED] = "queued",
		[SMLX_FAULT_RUNNING] = "running",
	};
	u8 phase = READ_ONCE(qp->fault_phase);
	u32 age = 0;

	if (phase >= ARRAY_SIZE(phases))
		phase = SMLX_FAULT_NONE;
	if (phase != SMLX_FAULT_NONE)
		age = jiffies_to_msecs(jiffies - READ_ONCE(qp->fault_since));
	if (rdma_nl_put_driver_string(msg, "fault_phase", phases[phase]) ||
	    rdma_nl_put_driver_u32(msg, "fault_age_ms", age) ||
	    rdma_nl_put_driver_u32(msg, "fault_max_ms",
				   jiffies_to_msecs(READ_ONCE(qp->fault_max))) ||
	    rdma_nl_put_driver_u64(msg, "fault_len",
				   READ_ONCE(qp->fault.length)) ||
	    rdma_nl_put_driver_u32(msg, "fault_write",
				   READ_ONCE(qp->fault.write)))
		return -EMSGSIZE;
	return 0;
}

/*
 * The ODP queue the QP's faults wait on: a fault left "queued" with work
 * neither pending nor running, or with orphans counted while its QP is
 * still there, is a fault the queue lost.
 */
static int smlx_res_put_odp_queue(struct sk_buff *msg, struct smlx_qp *qp)
{
	struct smlx_odp_queue *q = smlx_odp_queue_of(qp->sdev, qp->ibqp.pd);
	unsigned int queued;
	bool scheduled;

	if (!q)
		return 0;
	spin_lock(&q->lock);
	queued = q->queued;
	scheduled = q->scheduled;
	spin_unlock(&q->lock);
	if (rdma_nl_put_driver_u32(msg, "odp_queued", queued) ||
	    rdma_nl_put_driver_u32(msg, "odp_scheduled", scheduled) ||
	    rdma_nl_put_driver_u32(msg, "odp_work_pending",
				   work_pending(&q->work)) ||
	    rdma_nl_put_driver_u32(msg, "odp_orphans",
				   atomic_read(&q->orphans)) ||
	    rdma_nl_put_driver_u32(msg, "odp_max_wait_ms",
				   jiffies_to_msecs(READ_ONCE(q->max_wait))) ||
	    rdma_nl_put_driver_u32(msg, "odp_max_map_ms",
				   jiffies_to_msecs(READ_ONCE(q->max_map))) ||
	    rdma_nl_put_driver_u32(msg, "odp_max_ahead_ms",
				   jiffies_to_msecs(READ_ONCE(q->max_ahead))) ||
	    rdma_nl_put_driver_u32(msg, "odp_slowest_ms",
				   jiffies_to_msecs(READ_ONCE(q->slowest.wall))) ||
	    rdma_nl_put_driver_u32(msg, "odp_slowest_cpu_ms",
				   div_u64(READ_ONCE(q->slowest.cpu_ns),
					   NSEC_PER_MSEC)) ||
	    rdma_nl_put_driver_u32(msg, "odp_slowest_runq_ms",
				   div_u64(READ_ONCE(q->slowest.runq_ns),
					   NSEC_PER_MSEC)) ||
	    rdma_nl_put_driver_u32(msg, "odp_slowest_sleeps",
				   READ_ONCE(q->slowest.sleeps)) ||
	    rdma_nl_put_driver_u32(msg, "odp_slowest_cpu_faults",
				   READ_ONCE(q->slowest.cpu_faults)))
		return -EMSGSIZE;
	return 0;
}

int smlx_fill_res_qp_entry(struct sk_buff *msg, struct ib_qp *ibqp)
{
	struct smlx_qp *qp = to_sqp(ibqp);
	struct nlattr *table;

	table = nla_nest_start_noflag(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;
	if (smlx_res_put_flags(msg, qp) ||
	    rdma_nl_put_driver_u32(msg, "inbox", READ_ONCE(qp->inbox_len)) ||
	    rdma_nl_put_driver_u32(msg, "fault_seq",
				   READ_ONCE(qp->fault_seq)) ||
	    rdma_nl_put_driver_u32_hex(msg, "fault_key",
				       READ_ONCE(qp->fault.key)) ||
	    rdma_nl_put_driver_u64_hex(msg, "fault_iova",
				       READ_ONCE(qp->fault.iova)) ||
	    smlx_res_put_fault(msg, qp) ||
	    smlx_res_put_odp_queue(msg, qp) ||
	    rdma_nl_put_driver_u32_hex(msg, "resp_epsn",
				       READ_ONCE(qp->resp.epsn)) ||
	    rdma_nl_put_driver_u32(msg, "resp_active",
				   READ_ONCE(qp->resp.active)) ||
	    rdma_nl_put_driver_u32(msg, "resp_have_wqe",
				   READ_ONCE(qp->resp.have_wqe)) ||
	    rdma_nl_put_driver_u32(msg, "resp_dup_reads",
				   READ_ONCE(qp->resp.dup_reads)) ||
	    rdma_nl_put_driver_u32(msg, "resp_dup_reads_dropped",
				   READ_ONCE(qp->resp.dup_reads_dropped)) ||
	    smlx_res_put_req(msg, qp))
		goto err_cancel;
	nla_nest_end(msg, table);
	return 0;

err_cancel:
	nla_nest_cancel(msg, table);
	return -EMSGSIZE;
}
