// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ODP page-fault handler, in the manner of mlx5's.
 *
 * When an access of the engine finds an ODP page absent (or read-only for
 * a write) the engine stalls that one QP and hands us the faulting range
 * (smlx_engine_fault_handler).  We queue the fault on a dedicated
 * workqueue; the work item mirrors the pages with smlx_umem_odp_map_and_lock
 * (writable, breaking COW, when the access writes), which publishes the
 * translation under umem_mutex, counts, and resumes the QP, whose engine
 * redoes the access.  A fault that cannot be resolved (no VMA, no
 * permission, the owner gone, the MR gone, a HUGETLB MR over small pages)
 * resumes with an error: the engine's next attempt at the same access
 * fails with it, so the requester completes with a local protection error
 * or the responder NAKs with a remote access error.
 */
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "smlx.h"
#include "smlx_odp.h"

struct smlx_odp_fault_work {
	struct work_struct work;
	struct smlx_qp *qp;		/* with a reference */
	struct smlx_fault fault;
};

/*
 * Maps what follows a resolved fault of @done bytes, up to
 * SMLX_ODP_FAULT_AHEAD_BYTES in all and within the MR.  Best effort: the
 * memory past the fault may legitimately be absent or forbidden.
 */
static void smlx_odp_read_ahead(struct smlx_mr *mr, u64 iova, u64 done,
				unsigned int flags, u64 *pages)
{
	u64 end = mr->kind == SMLX_MR_IMPLICIT ? TASK_SIZE :
						  mr->iova + mr->length;
	u64 length;

	if (done >= SMLX_ODP_FAULT_AHEAD_BYTES || iova >= end)
		return;
	length = min(SMLX_ODP_FAULT_AHEAD_BYTES - done, end - iova);
	smlx_odp_map_range(mr, iova, length, flags, pages);
}

/* Resolves @f in the worker: 0, or why the access must fail. */
static int smlx_odp_resolve(struct smlx_dev *sdev, const struct smlx_fault *f)
{
	unsigned int flags;
	struct smlx_mr *mr;
	u64 pages = 0, length;
	int ret;

	/* Deregistered meanwhile: the access fails as with a bad key. */
	mr = smlx_mr_get(sdev, f->key);
	if (!mr)
		return -EFAULT;
	if (mr->kind == SMLX_MR_PINNED) {
		/* Nothing to fault: the engine never stalls on one. */
		smlx_mr_put(mr);
		return 0;
	}

	length = min_t(u64, f->length, SMLX_ODP_FAULT_MAX_BYTES);
	flags = f->write ? SMLX_ODP_MAP_WRITE : 0;
	ret = smlx_odp_map_range(mr, f->iova, length, flags, &pages);
	/*
	 * Invalidations kept racing us: let the engine retry, it faults
	 * again if the pages are still not there.
	 */
	if (ret == -EBUSY)
		ret = 0;
	if (!ret) {
		smlx_odp_read_ahead(mr, f->iova + length, length, flags,
				    &pages);
		smlx_odp_count(mr->odp, SMLX_ODP_PAGE_FAULTS, pages);
		smlx_odp_count(mr->odp, SMLX_ODP_PAGE_FAULTS_HANDLED, 1);
	}
	smlx_mr_put(mr);
	return ret;
}

static void smlx_odp_fault_work(struct work_struct *work)
{
	struct smlx_odp_fault_work *pf =
		container_of(work, struct smlx_odp_fault_work, work);
	struct smlx_qp *qp = pf->qp;

	smlx_qp_resume(qp, &pf->fault, smlx_odp_resolve(qp->sdev, &pf->fault));
	smlx_qp_put(qp);
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
	/* Held until resumed: destroy waits for the fault to finish. */
	pf->qp = smlx_qp_get(qp->sdev, qp->ibqp.qp_num);
	if (!pf->qp) {
		kfree(pf);
		return -ENODEV;
	}
	pf->fault = *fault;
	INIT_WORK(&pf->work, smlx_odp_fault_work);
	smlx_odp_queue(&pf->work);
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
