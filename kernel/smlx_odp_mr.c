// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ODP side of an MR: the workqueue ODP work runs on, mirroring a range
 * of an explicit or implicit ODP MR (shared by the page-fault handler and
 * advise_mr), and what registration and deregistration do for ODP.
 */
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/workqueue.h>

#include "smlx.h"
#include "smlx_odp.h"

/*
 * Fault and prefetch work.  WQ_MEM_RECLAIM: a fault may be what
 * stands between reclaim and the pages it waits for (writeback over RDMA).
 */
static struct workqueue_struct *smlx_odp_wq;

bool smlx_odp_queue(struct work_struct *work)
{
	return queue_work(smlx_odp_wq, work);
}

/**
 * smlx_odp_map_range - mirror [@iova, @iova + @length) of an ODP MR
 * @mr: explicit or implicit ODP MR, with a reference
 * @iova: device address in @mr
 * @length: bytes, not zero
 * @flags: enum smlx_odp_map_flags
 * @pages: incremented by the pages handled
 *
 * Sleeps.  On return the translation of every page is in place (unless
 * SMLX_ODP_MAP_SNAPSHOT, which mirrors only what is present and faults
 * nothing), though an invalidation may retire it again at any time.
 * Returns 0 or the error of smlx_umem_odp_map_and_lock(); -EFAULT also for
 * a range outside the MR.
 */
int smlx_odp_map_range(struct smlx_mr *mr, u64 iova, u64 length,
		       unsigned int flags, u64 *pages)
{
	u64 mask = SMLX_ODP_PAGE_READ;
	bool fault = !(flags & SMLX_ODP_MAP_SNAPSHOT);
	u64 uva, end, bcnt;
	int ret;

	if (flags & SMLX_ODP_MAP_WRITE)
		mask |= SMLX_ODP_PAGE_WRITE;
	if (!length || iova < mr->iova ||
	    check_add_overflow(iova, length, &end))
		return -EFAULT;
	if (mr->kind == SMLX_MR_IMPLICIT) {
		if (end > TASK_SIZE)
			return -EFAULT;
	} else if (end > mr->iova + mr->length) {
		return -EFAULT;
	}
	uva = mr->user_va + (iova - mr->iova);
	end = uva + length;

	while (uva < end) {
		struct smlx_umem_odp *odp = mr->odp;

		bcnt = end - uva;
		if (mr->kind == SMLX_MR_IMPLICIT) {
			u64 chunk_end = ALIGN_DOWN(uva, 1ULL << SMLX_ODP_CHUNK_SHIFT) +
					(1ULL << SMLX_ODP_CHUNK_SHIFT);

			bcnt = min(bcnt, chunk_end - uva);
			odp = smlx_odp_child_get_or_create(mr->odp, uva);
			if (IS_ERR(odp))
				return PTR_ERR(odp);
		}

		ret = smlx_umem_odp_map_and_lock(odp, uva, bcnt, mask, fault);
		if (ret > 0) {
			mutex_unlock(&odp->umem_mutex);
			*pages += ret;
			/* It handled @ret pages from the aligned start on. */
			uva = ALIGN_DOWN(uva, 1ULL << odp->page_shift) +
			      ((u64)ret << PAGE_SHIFT);
		}
		if (mr->kind == SMLX_MR_IMPLICIT)
			smlx_odp_child_put(odp);
		if (ret < 0)
			return ret;
		cond_resched();
	}
	return 0;
}

/*
 * A HUGETLB MR is mirrored in huge pages: refuse one whose memory is known
 * at registration to come in small pages.  What is not mapped yet is
 * checked when it faults.
 */
static int smlx_odp_check_hugetlb(struct smlx_mr *mr)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret = 0;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, mr->user_va);
	if (vma && !is_vm_hugetlb_page(vma) && !(vma->vm_flags & VM_HUGEPAGE))
		ret = -EINVAL;
	mmap_read_unlock(mm);
	return ret;
}

/**
 * smlx_odp_mr_init - the ODP part of registering @mr
 * @mr: new explicit or implicit ODP MR whose umem exists, key not yet live
 *
 * Called by the registering process.
 */
int smlx_odp_mr_init(struct smlx_mr *mr)
{
	struct smlx_dev *sdev = to_sdev(mr->ibmr.device);
	int ret;

	if (mr->kind == SMLX_MR_ODP && (mr->access & IB_ACCESS_HUGETLB)) {
		ret = smlx_odp_check_hugetlb(mr);
		if (ret)
			return ret;
	}
	mr->odp->dev_counters = &sdev->odp_counters;
	if (mr->kind == SMLX_MR_IMPLICIT)
		smlx_odp_implicit_init(mr->odp);
	return 0;
}

/**
 * smlx_odp_mr_fini - the ODP part of deregistering @mr
 * @mr: ODP MR no access, fault or prefetch can reach any more
 *
 * Stops the reaping of implicit children; releasing the umem frees them.
 */
void smlx_odp_mr_fini(struct smlx_mr *mr)
{
	if (mr->kind == SMLX_MR_IMPLICIT)
		smlx_odp_implicit_stop(mr->odp);
}

int smlx_odp_init(void)
{
	int ret = smlx_odp_reaper_init();

	if (ret)
		return ret;
	smlx_odp_wq = alloc_workqueue("smlx_page_fault",
				      WQ_UNBOUND | WQ_MEM_RECLAIM | WQ_HIGHPRI,
				      0);
	if (!smlx_odp_wq) {
		smlx_odp_reaper_exit();
		return -ENOMEM;
	}
	return 0;
}

/* After every device is gone: no fault or prefetch is left. */
void smlx_odp_exit(void)
{
	destroy_workqueue(smlx_odp_wq);
	smlx_odp_reaper_exit();
}
