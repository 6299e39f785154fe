// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Implicit ODP: an MR over the whole address space, mirrored by one child
 * umem per 1 << SMLX_ODP_CHUNK_SHIFT bytes that the device touched.
 *
 * Children live in the parent's xarray by chunk index.  A child is created
 * by the first fault or prefetch in its chunk; when two race, the one whose
 * xa_cmpxchg() loses frees its never-published child and uses the winner.
 * An invalidation that leaves a child without a page marks it idle and
 * queues the parent's reap work, which frees it once no access or fault
 * holds it.  Lookups run under RCU and take a reference (users); the reaper
 * erases an idle child only by dropping the last, published, reference
 * (refcount_dec_if_one()), so a lookup either gets a live child or none,
 * and waits an RCU grace period before freeing.
 */
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "smlx.h"
#include "smlx_odp.h"

#define SMLX_ODP_CHILD_IDLE	XA_MARK_1
#define SMLX_ODP_CHUNK_SIZE	(1ULL << SMLX_ODP_CHUNK_SHIFT)

/* Children freed per RCU grace period by the reaper. */
#define SMLX_ODP_REAP_BATCH	16

/*
 * The reapers' own workqueue.  A fault waits for a reaper (flush_work in
 * smlx_odp_child_get_or_create()) from the fault workqueue, which is
 * WQ_MEM_RECLAIM; so this one is too, with a rescuer of its own: a reap
 * that needed the faults' rescuer when memory is short would wait on
 * itself.
 */
static struct workqueue_struct *smlx_odp_reap_wq;

static unsigned long smlx_odp_chunk(u64 uva)
{
	return uva >> SMLX_ODP_CHUNK_SHIFT;
}

/*
 * The child of @idx with a reference, or NULL.  *@dying tells a child the
 * reaper is freeing from no child at all.
 */
static struct smlx_umem_odp *smlx_odp_child_lookup(struct smlx_umem_odp *parent,
						   unsigned long idx,
						   bool *dying)
{
	struct smlx_umem_odp *child;

	rcu_read_lock();
	child = xa_load(&parent->children, idx);
	*dying = child && !refcount_inc_not_zero(&child->users);
	if (*dying)
		child = NULL;
	rcu_read_unlock();
	return child;
}

/**
 * smlx_odp_child_get - the child mirroring @uva, if there is one
 * @parent: implicit parent
 * @uva: user address
 *
 * Returns the child with a reference (smlx_odp_child_put()), or NULL when
 * the chunk has none yet: the access then faults.  Never sleeps.
 */
struct smlx_umem_odp *smlx_odp_child_get(struct smlx_umem_odp *parent, u64 uva)
{
	bool dying;

	return smlx_odp_child_lookup(parent, smlx_odp_chunk(uva), &dying);
}

/**
 * smlx_odp_child_get_or_create - the child mirroring @uva, created if needed
 * @parent: implicit parent
 * @uva: user address, below TASK_SIZE
 *
 * Sleeps.  Returns the child with a reference, or an ERR_PTR: -EFAULT when
 * the owner's mm is gone, -ENOMEM.
 */
struct smlx_umem_odp *smlx_odp_child_get_or_create(struct smlx_umem_odp *parent,
						   u64 uva)
{
	unsigned long idx = smlx_odp_chunk(uva);
	struct smlx_umem_odp *child, *old;
	bool dying;

	for (;;) {
		child = smlx_odp_child_lookup(parent, idx, &dying);
		if (child)
			return child;
		if (dying) {
			/* The reaper erases it in the run that killed it. */
			flush_work(&parent->reap_work);
			continue;
		}

		child = smlx_umem_odp_alloc_child(parent,
						  (u64)idx << SMLX_ODP_CHUNK_SHIFT,
						  SMLX_ODP_CHUNK_SIZE);
		if (IS_ERR(child))
			return child;
		/* One for the xarray, one for the caller. */
		refcount_set(&child->users, 2);

		old = xa_cmpxchg(&parent->children, idx, NULL, child,
				 GFP_KERNEL);
		if (!old)
			return child;
		/* Lost the race, or no memory: nobody saw this child. */
		smlx_umem_odp_release(child);
		if (xa_is_err(old))
			return ERR_PTR(xa_err(old));
	}
}

/**
 * smlx_odp_child_put - drop a reference from smlx_odp_child_get*()
 * @child: implicit child
 *
 * The published reference is never dropped here, so this never frees.  A
 * child left empty (a fault that failed, or an invalidation that ran while
 * we held it) is offered to the reaper again.
 */
void smlx_odp_child_put(struct smlx_umem_odp *child)
{
	/* Before the reference goes: without it the child may be freed. */
	if (!READ_ONCE(child->npages))
		smlx_odp_child_idle(child);
	refcount_dec(&child->users);
}

/**
 * smlx_odp_child_idle - @child may have no page left: reap it when idle
 * @child: implicit child
 *
 * Called from invalidation (under the child's umem_mutex, possibly in
 * reclaim): only marks and queues, never allocates nor sleeps.
 */
void smlx_odp_child_idle(struct smlx_umem_odp *child)
{
	struct smlx_umem_odp *parent = child->parent;
	unsigned long idx = smlx_odp_chunk(child->start);

	xa_lock(&parent->children);
	if (!parent->reap_stopped && xa_load(&parent->children, idx) == child) {
		__xa_set_mark(&parent->children, idx, SMLX_ODP_CHILD_IDLE);
		queue_work(smlx_odp_reap_wq, &parent->reap_work);
	}
	xa_unlock(&parent->children);
}

static void smlx_odp_reap_free(struct smlx_umem_odp **batch, unsigned int n)
{
	unsigned int i;

	if (!n)
		return;
	/* Lookups that loaded a child before the erase are done with it. */
	synchronize_rcu();
	for (i = 0; i < n; i++)
		smlx_umem_odp_release(batch[i]);
}

static void smlx_odp_reap_work(struct work_struct *work)
{
	struct smlx_umem_odp *parent =
		container_of(work, struct smlx_umem_odp, reap_work);
	struct smlx_umem_odp *batch[SMLX_ODP_REAP_BATCH];
	struct smlx_umem_odp *child;
	unsigned int n = 0;
	unsigned long idx;
	bool empty;

	xa_for_each_marked(&parent->children, idx, child, SMLX_ODP_CHILD_IDLE) {
		xa_clear_mark(&parent->children, idx, SMLX_ODP_CHILD_IDLE);

		mutex_lock(&child->umem_mutex);
		empty = !child->npages;
		mutex_unlock(&child->umem_mutex);
		/* In use: its holder re-offers it when done, if still empty. */
		if (!empty || !refcount_dec_if_one(&child->users))
			continue;

		xa_erase(&parent->children, idx);
		batch[n++] = child;
		if (n == ARRAY_SIZE(batch)) {
			smlx_odp_reap_free(batch, n);
			n = 0;
		}
	}
	smlx_odp_reap_free(batch, n);
}

int smlx_odp_reaper_init(void)
{
	smlx_odp_reap_wq = alloc_workqueue("smlx_odp_reap",
					   WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return smlx_odp_reap_wq ? 0 : -ENOMEM;
}

/* After every implicit MR is gone: no reap is queued. */
void smlx_odp_reaper_exit(void)
{
	destroy_workqueue(smlx_odp_reap_wq);
}

/* Called once on a new implicit parent, before its key is published. */
void smlx_odp_implicit_init(struct smlx_umem_odp *parent)
{
	INIT_WORK(&parent->reap_work, smlx_odp_reap_work);
	parent->reap_stopped = false;
}

/*
 * Called at deregistration, once no access or fault can reach the MR:
 * after this no reap runs, and releasing the parent frees every child.
 */
void smlx_odp_implicit_stop(struct smlx_umem_odp *parent)
{
	xa_lock(&parent->children);
	parent->reap_stopped = true;
	xa_unlock(&parent->children);
	cancel_work_sync(&parent->reap_work);
}

/**
 * smlx_odp_implicit_children - children of @parent and their pages
 * @parent: implicit parent
 * @pages: receives the pages mirrored by all of them
 * @leaves: receives the page-table leaves all of them hold
 *
 * A snapshot for reporting, taken under RCU without the children's locks.
 */
unsigned long smlx_odp_implicit_children(struct smlx_umem_odp *parent,
					 unsigned long *pages,
					 unsigned long *leaves)
{
	struct smlx_umem_odp *child;
	unsigned long idx, n = 0;

	*pages = 0;
	*leaves = 0;
	rcu_read_lock();
	xa_for_each(&parent->children, idx, child) {
		*pages += READ_ONCE(child->npages);
		*leaves += atomic_long_read(&child->nleaves);
		n++;
	}
	rcu_read_unlock();
	return n;
}
