// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ODP page-fault handler, in the manner of mlx5's.
 *
 * When an access of the engine finds an ODP page absent (or read-only for
 * a write) the engine stalls that one QP and hands us the faulting range
 * (smlx_engine_fault_handler).  We queue the fault on the ODP queue of the
 * QP's user context (smlx_odp_mr.c), whose work runs that context's faults
 * one after the other, so a fault that blocks stalls nobody else; the
 * work item mirrors the pages with smlx_umem_odp_map_and_lock
 * (writable, breaking COW, when the access writes), which publishes the
 * translation under umem_mutex, counts, and resumes the QP, whose engine
 * redoes the access.  A fault that cannot be resolved (no VMA, no
 * permission, the owner gone, the MR gone, a HUGETLB MR over small pages)
 * resumes with an error: the engine's next attempt at the same access
 * fails with it, so the requester completes with a local protection error
 * or the responder NAKs with a remote access error.
 */
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "smlx.h"
#include "smlx_odp.h"

/*
 * A fault on the queue of the QP's context.  It holds no reference on the
 * QP nor on the MR while it waits or runs, so destroy_qp and dereg_mr do
 * not wait for it: it looks the QP up again by number when done and
 * resumes it only if it is the same QP, still there.
 */
struct smlx_odp_fault_work {
	struct smlx_odp_item item;
	u32 qpn;
	const struct smlx_qp *qp;	/* identity only, never dereferenced */
	struct smlx_odp_queue *q;	/* held by its running work */
	unsigned long queued_at;	/* jiffies */
	struct smlx_fault fault;
};

/*
 * Maps what follows a resolved fault of @done bytes: the rest of the
 * message (@ahead), and at least SMLX_ODP_FAULT_AHEAD_BYTES in all, up to
 * SMLX_ODP_FAULT_MAX_BYTES and within the MR.  Best effort: the memory past
 * the fault may legitimately be absent or forbidden.  Its QP runs again
 * already.
 */
static void smlx_odp_read_ahead(const struct smlx_odp_target *t, u64 iova,
				u64 done, u64 ahead, unsigned int flags,
				u64 *pages)
{
	u64 end = t->implicit ? TASK_SIZE : t->iova + t->length;
	u64 length;

	if (done < SMLX_ODP_FAULT_AHEAD_BYTES)
		ahead = max(ahead, SMLX_ODP_FAULT_AHEAD_BYTES - done);
	if (done >= SMLX_ODP_FAULT_MAX_BYTES || iova >= end || !ahead)
		return;
	length = min3(ahead, SMLX_ODP_FAULT_MAX_BYTES - done, end - iova);
	/*
	 * Once: the next fault of this context waits behind us, and a
	 * read-ahead that races an invalidation may take a second of retries.
	 */
	smlx_odp_map_range(t, iova, length, flags | SMLX_ODP_MAP_ONCE, pages);
}

/*
 * Resolves @f in the worker: 0, or why the access must fail.  On 0 with
 * @t set up (*@held), the caller resumes the QP first and then reads ahead
 * (smlx_odp_fault_ahead()): the QP goes on with what it faulted for while
 * the rest is mapped, so a slow read-ahead (a walk under a migration storm
 * can take seconds) never stalls a responder that a READ's requester is
 * timing.
 */
static int smlx_odp_resolve(struct smlx_dev *sdev, const struct smlx_fault *f,
			    struct smlx_odp_queue *q,
			    struct smlx_odp_target *t, bool *held)
{
	unsigned long start;
	unsigned int flags;
	struct smlx_mr *mr;
	u64 pages = 0, length;
	int ret;

	*held = false;
	/* Deregistered meanwhile: the access fails as with a bad key. */
	mr = smlx_mr_get(sdev, f->key);
	if (!mr)
		return -EFAULT;
	if (!smlx_mr_is_odp(mr)) {
		/* Nothing to fault: the engine never stalls on one. */
		smlx_mr_put(mr);
		return 0;
	}
	/* The umem, not the MR, is held while the fault may block. */
	smlx_odp_target_init(t, mr);
	smlx_mr_put(mr);

	length = min_t(u64, f->length, SMLX_ODP_FAULT_MAX_BYTES);
	flags = f->write ? SMLX_ODP_MAP_WRITE : 0;
	start = jiffies;
	ret = smlx_odp_map_range(t, f->iova, length, flags, &pages);
	smlx_keep_longest(&q->max_map, start);
	/*
	 * Invalidations kept racing us: let the engine retry, it faults
	 * again if the pages are still not there.
	 */
	if (ret == -EBUSY)
		ret = 0;
	if (ret) {
		smlx_odp_target_fini(t);
		return ret;
	}
	smlx_odp_count(t->odp, SMLX_ODP_PAGE_FAULTS, pages);
	smlx_odp_count(t->odp, SMLX_ODP_PAGE_FAULTS_HANDLED, 1);
	*held = true;
	return 0;
}

/* The read-ahead of a resolved fault, after its QP was resumed. */
static void smlx_odp_fault_ahead(const struct smlx_fault *f,
				 struct smlx_odp_queue *q,
				 struct smlx_odp_target *t)
{
	u64 length = min_t(u64, f->length, SMLX_ODP_FAULT_MAX_BYTES);
	unsigned long start = jiffies;
	u64 pages = 0;

	smlx_odp_read_ahead(t, f->iova + length, length,
			    f->length - length + f->ahead,
			    f->write ? SMLX_ODP_MAP_WRITE : 0, &pages);
	smlx_keep_longest(&q->max_ahead, start);
	smlx_odp_count(t->odp, SMLX_ODP_PAGE_FAULTS, pages);
	smlx_odp_target_fini(t);
}

/* The QP @pf faulted for, with a reference, if it is still there. */
static struct smlx_qp *smlx_odp_fault_qp(struct smlx_odp_fault_work *pf)
{
	struct smlx_qp *qp = smlx_qp_get(pf->item.sdev, pf->qpn);

	if (qp && (qp != pf->qp || READ_ONCE(qp->dying))) {
		smlx_qp_put(qp);
		qp = NULL;
	}
	return qp;
}

static void smlx_odp_clocks_read(struct smlx_odp_clocks *c)
{
	c->wall = jiffies;
	c->cpu_ns = current->se.sum_exec_runtime;
	c->runq_ns = current->sched_info.run_delay;
	c->sleeps = current->nvcsw;
	c->cpu_faults = current->min_flt + current->maj_flt;
}

/* Keeps @since's split of the time if it is the queue's slowest. */
static void smlx_odp_keep_slowest(struct smlx_odp_queue *q,
				  const struct smlx_odp_clocks *since)
{
	struct smlx_odp_clocks now;

	smlx_odp_clocks_read(&now);
	if (now.wall - since->wall <= READ_ONCE(q->slowest.wall))
		return;
	WRITE_ONCE(q->slowest.cpu_ns, now.cpu_ns - since->cpu_ns);
	WRITE_ONCE(q->slowest.runq_ns, now.runq_ns - since->runq_ns);
	WRITE_ONCE(q->slowest.sleeps, now.sleeps - since->sleeps);
	WRITE_ONCE(q->slowest.cpu_faults, now.cpu_faults - since->cpu_faults);
	WRITE_ONCE(q->slowest.wall, now.wall - since->wall);
}

static void smlx_odp_fault_run(struct smlx_odp_item *item)
{
	struct smlx_odp_clocks clocks;
	struct smlx_odp_fault_work *pf =
		container_of(item, struct smlx_odp_fault_work, item);
	struct smlx_odp_target t;
	struct smlx_qp *qp;
	bool held;
	int status;

	/* Destroyed while queued: nothing to do (a quick drain). */
	qp = smlx_odp_fault_qp(pf);
	if (qp) {
		if (READ_ONCE(qp->fault.seq) == pf->fault.seq)
			WRITE_ONCE(qp->fault_phase, SMLX_FAULT_RUNNING);
		smlx_qp_put(qp);
		smlx_keep_longest(&pf->q->max_wait, pf->queued_at);
		smlx_odp_clocks_read(&clocks);
		status = smlx_odp_resolve(item->sdev, &pf->fault, pf->q, &t,
					  &held);
		smlx_odp_keep_slowest(pf->q, &clocks);
		qp = smlx_odp_fault_qp(pf);
		if (qp) {
			smlx_qp_resume(qp, &pf->fault, status);
			smlx_qp_put(qp);
		}
		if (held)
			smlx_odp_fault_ahead(&pf->fault, pf->q, &t);
	} else {
		atomic_inc(&pf->q->orphans);
	}
	kfree(pf);
}

/*
 * smlx_engine_fault_handler: called by the QP's worker, which has marked
 * the QP stalled and runs it no further until smlx_qp_resume().
 */
static int smlx_odp_page_fault(struct smlx_qp *qp,
			       const struct smlx_fault *fault)
{
	struct smlx_odp_fault_work *pf;

	pf = kmalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;
	pf->item.run = smlx_odp_fault_run;
	pf->item.sdev = qp->sdev;
	pf->qpn = qp->ibqp.qp_num;
	pf->qp = qp;
	pf->fault = *fault;
	pf->q = smlx_odp_queue_of(qp->sdev, qp->ibqp.pd);
	pf->queued_at = jiffies;
	smlx_odp_queue_add(pf->q, &pf->item);
	return 0;
}

/* Runs after smlx_odp_init(): faults are queued on its workqueue. */
void smlx_odp_fault_init(void)
{
	WRITE_ONCE(smlx_engine_fault_handler, smlx_odp_page_fault);
}

/* Before smlx_odp_exit(), once no QP is left to fault. */
void smlx_odp_fault_exit(void)
{
	WRITE_ONCE(smlx_engine_fault_handler, NULL);
}
