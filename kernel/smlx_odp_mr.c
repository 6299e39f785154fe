// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ODP side of an MR: the workqueue ODP work runs on, mirroring a range
 * of an explicit or implicit ODP MR (shared by the page-fault handler and
 * advise_mr), and what registration and deregistration do for ODP.
 */
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "smlx.h"
#include "smlx_odp.h"

/*
 * Fault and prefetch work: one work item per smlx_odp_queue (per user
 * context), so as many workers as contexts with work, not one per fault.
 * WQ_MEM_RECLAIM: a fault may be what stands between reclaim and the
 * pages it waits for (writeback over RDMA).
 */
static struct workqueue_struct *smlx_odp_wq;

static void smlx_odp_inflight_put(struct smlx_dev *sdev)
{
	/* wake_up_var() only hashes the address: sdev may be gone by then. */
	if (atomic_dec_and_test(&sdev->odp_inflight))
		wake_up_var(&sdev->odp_inflight);
}

static void smlx_odp_queue_work(struct work_struct *work)
{
	struct smlx_odp_queue *q =
		container_of(work, struct smlx_odp_queue, work);
	struct smlx_odp_item *item;
	struct smlx_dev *sdev;

	for (;;) {
		spin_lock(&q->lock);
		item = list_first_entry_or_null(&q->items, struct smlx_odp_item,
						node);
		if (!item) {
			q->scheduled = false;
			spin_unlock(&q->lock);
			break;
		}
		list_del(&item->node);
		q->queued--;
		spin_unlock(&q->lock);

		sdev = item->sdev;
		item->run(item);
		smlx_odp_inflight_put(sdev);
		cond_resched();
	}
	smlx_odp_queue_put(q);
}

struct smlx_odp_queue *smlx_odp_queue_alloc(void)
{
	struct smlx_odp_queue *q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);

	if (!q)
		return NULL;
	refcount_set(&q->ref, 1);
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->items);
	INIT_WORK(&q->work, smlx_odp_queue_work);
	return q;
}

void smlx_odp_queue_put(struct smlx_odp_queue *q)
{
	if (q && refcount_dec_and_test(&q->ref)) {
		WARN_ON_ONCE(!list_empty(&q->items));
		kfree(q);
	}
}

/* The queue of the context @pd belongs to, or the device's for a kernel PD. */
struct smlx_odp_queue *smlx_odp_queue_of(struct smlx_dev *sdev,
					 struct ib_pd *pd)
{
	if (pd && pd->uobject && pd->uobject->context)
		return to_suctx(pd->uobject->context)->odp_queue;
	return sdev->odp_queue;
}

/**
 * smlx_odp_queue_add - run @item on @q's work, after what @q holds already
 * @q: the queue of the context the work is for
 * @item: run and sdev set; run frees it
 *
 * The device of @item waits for it before it goes (smlx_odp_dev_drain()).
 */
void smlx_odp_queue_add(struct smlx_odp_queue *q, struct smlx_odp_item *item)
{
	atomic_inc(&item->sdev->odp_inflight);
	spin_lock(&q->lock);
	list_add_tail(&item->node, &q->items);
	q->queued++;
	if (!q->scheduled) {
		q->scheduled = true;
		refcount_inc(&q->ref);
		queue_work(smlx_odp_wq, &q->work);
	}
	spin_unlock(&q->lock);
}

/*
 * Before @sdev is freed: every fault and prefetch that names it is done.
 * Bounded by the faults themselves (a FUSE fault lasts until its server
 * answers or is killed): objects were destroyed without waiting for them.
 */
void smlx_odp_dev_drain(struct smlx_dev *sdev)
{
	wait_var_event(&sdev->odp_inflight, !atomic_read(&sdev->odp_inflight));
}

/**
 * smlx_odp_target_init - what mapping a range of @mr needs, without @mr
 * @t: filled, with a reference on the umem
 * @mr: ODP MR, with a reference the caller may drop once this returns
 */
void smlx_odp_target_init(struct smlx_odp_target *t, struct smlx_mr *mr)
{
	t->odp = smlx_umem_odp_hold(mr->odp);
	t->implicit = mr->kind == SMLX_MR_IMPLICIT;
	t->iova = mr->iova;
	t->user_va = mr->user_va;
	t->length = mr->length;
}

void smlx_odp_target_fini(struct smlx_odp_target *t)
{
	smlx_umem_odp_release(t->odp);
}

/*
 * Where a snapshot of [@uva, @end) in @mm has something to find: the start
 * of the first mapping there, or @end when there is none.  Nothing is
 * present where nothing is mapped, and a walk of such a hole leaf by leaf
 * costs a lock round and a page walk per leaf: a NO_FAULT prefetch of
 * 1 TiB of nothing took 4 s on Debian's kernel and over 300 s under KASAN.
 * With the owner gone @uva is returned: the walk reports that.
 */
static u64 smlx_odp_next_mapped(struct mm_struct *mm, u64 uva, u64 end)
{
	struct vm_area_struct *vma;
	u64 next = end;

	if (!mmget_not_zero(mm))
		return uva;
	mmap_read_lock(mm);
	vma = find_vma(mm, uva);
	if (vma && vma->vm_start < end)
		next = max_t(u64, uva, vma->vm_start);
	mmap_read_unlock(mm);
	mmput(mm);
	return next;
}

/**
 * smlx_odp_map_range - mirror [@iova, @iova + @length) of an ODP MR
 * @t: the MR's target (smlx_odp_target_init())
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
int smlx_odp_map_range(const struct smlx_odp_target *t, u64 iova, u64 length,
		       unsigned int flags, u64 *pages)
{
	u64 mask = SMLX_ODP_PAGE_READ;
	unsigned int mode = 0;
	u64 uva, end, bcnt;
	int ret;

	if (flags & SMLX_ODP_MAP_WRITE)
		mask |= SMLX_ODP_PAGE_WRITE;
	if (!(flags & SMLX_ODP_MAP_SNAPSHOT))
		mode |= SMLX_UMEM_ODP_FAULT;
	if (flags & SMLX_ODP_MAP_ONCE)
		mode |= SMLX_UMEM_ODP_ONCE;
	if (!length || iova < t->iova ||
	    check_add_overflow(iova, length, &end))
		return -EFAULT;
	if (t->implicit) {
		if (end > TASK_SIZE)
			return -EFAULT;
	} else if (end > t->iova + t->length) {
		return -EFAULT;
	}
	uva = t->user_va + (iova - t->iova);
	end = uva + length;

	while (uva < end) {
		struct smlx_umem_odp *odp = t->odp;

		/* Its MR is gone: no new child, no walk (and see there). */
		if (smlx_umem_odp_dead(odp))
			return -EFAULT;
		if (!(mode & SMLX_UMEM_ODP_FAULT)) {
			uva = smlx_odp_next_mapped(odp->mm, uva, end);
			if (uva >= end)
				break;
		}
		bcnt = end - uva;
		if (t->implicit) {
			u64 chunk_end = ALIGN_DOWN(uva, 1ULL << SMLX_ODP_CHUNK_SHIFT) +
					(1ULL << SMLX_ODP_CHUNK_SHIFT);

			bcnt = min(bcnt, chunk_end - uva);
			odp = smlx_odp_child_get_or_create(t->odp, uva);
			if (IS_ERR(odp))
				return PTR_ERR(odp);
		}

		ret = smlx_umem_odp_map_and_lock(odp, uva, bcnt, mask, mode);
		if (ret > 0) {
			mutex_unlock(&odp->umem_mutex);
			*pages += ret;
			/* It handled @ret pages from the aligned start on. */
			uva = ALIGN_DOWN(uva, 1ULL << odp->page_shift) +
			      ((u64)ret << PAGE_SHIFT);
		}
		if (t->implicit)
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
	/* As many contexts as may have faults blocked at once. */
	smlx_odp_wq = alloc_workqueue("smlx_page_fault",
				      WQ_UNBOUND | WQ_MEM_RECLAIM | WQ_HIGHPRI,
				      WQ_UNBOUND_MAX_ACTIVE);
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
