/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smlx's own On-Demand Paging memory: a user range mirrored page by page
 * through hmm_range_fault() and kept coherent by an mmu interval notifier.
 * Nothing is pinned; a page is usable by the device only while its entry
 * is present and only under umem_mutex, which invalidation also takes.
 */
#ifndef SMLX_UMEM_ODP_H
#define SMLX_UMEM_ODP_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/types.h>

#include "smlx_odp_stats.h"

/*
 * One u64 per 4 KiB page: the physical address of the page with the
 * device's permissions in the low bits.  An entry without READ is absent.
 */
#define SMLX_ODP_PAGE_READ	BIT_ULL(0)
#define SMLX_ODP_PAGE_WRITE	BIT_ULL(1)
#define SMLX_ODP_PAGE_PERMS	(SMLX_ODP_PAGE_READ | SMLX_ODP_PAGE_WRITE)

/*
 * Entries live in leaves of one page each (512 entries, 2 MiB of address
 * space), found through an xarray indexed by the leaf's position in the
 * address space.  A registration allocates no leaf at all; faults add the
 * leaves they need, so the memory used follows what the device touched and
 * not the size of the MR: a 64 GiB MR with 1 MiB in use costs one leaf.
 */
#define SMLX_ODP_LEAF_SHIFT	(PAGE_SHIFT - 3)
#define SMLX_ODP_LEAF_ENTRIES	(1UL << SMLX_ODP_LEAF_SHIFT)

/* Invalidated ranges a umem remembers for the faults that raced them. */
#define SMLX_ODP_INVAL_LOG	16

struct mem_cgroup;

struct smlx_umem_odp {
	/*
	 * The MR holds one reference, a fault or prefetch in flight one more:
	 * deregistration need not wait for a fault that hangs (a FUSE mapping
	 * whose server does not answer).  The last one frees.
	 */
	struct kref kref;
	/* Covers [start, end) in the owner's mm; not inserted for implicit. */
	struct mmu_interval_notifier notifier;
	struct mm_struct *mm;		/* mmgrab()ed: may outlive the process */
	struct pid *tgid;		/* the registering process */
	struct mem_cgroup *memcg;	/* its memory cgroup, charged for leaves */
	u64 start;			/* aligned down to 1 << page_shift */
	u64 end;			/* exclusive, aligned up */
	unsigned int page_shift;	/* PAGE_SHIFT, or HPAGE_SHIFT for HUGETLB */
	bool writable;
	bool is_implicit;
	/*
	 * The MR is deregistered (smlx_umem_odp_kill()): a fault or prefetch
	 * still holding a reference mirrors nothing more, for the range may
	 * be another mapping's by now.  Parent's flag for implicit children.
	 */
	bool dead;

	/*
	 * Serialises "check the notifier sequence and publish entries" in the
	 * fault path against invalidation, and every reader of the entries.
	 * Invalidation can come from reclaim: no allocation that may recurse
	 * into reclaim is allowed while it is held.
	 */
	struct mutex umem_mutex;
	struct xarray leaves;		/* leaf index -> u64[SMLX_ODP_LEAF_ENTRIES] */
	/*
	 * The leaf the last access used, under umem_mutex: a message walks
	 * one leaf packet after packet, so this saves an xarray walk per
	 * packet.  Leaves are freed only under umem_mutex, which clears it.
	 */
	u64 *hot_leaf;
	unsigned long hot_leaf_index;
	unsigned long npages;		/* present entries, under umem_mutex */
	/*
	 * The ranges of the last SMLX_ODP_INVAL_LOG invalidations, and how
	 * many there were, written under umem_mutex: a fault whose walk an
	 * invalidation elsewhere in the umem raced keeps its result instead
	 * of walking again (smlx_umem_odp_raced()).
	 */
	struct {
		u64 start, end;
	} inval_log[SMLX_ODP_INVAL_LOG];
	unsigned long inval_gen;
	atomic_long_t nleaves;		/* leaves allocated (rdma res show) */

	/* Implicit parent: one child per 1 << SMLX_ODP_CHUNK_SHIFT bytes. */
	struct xarray children;		/* chunk index -> struct smlx_umem_odp */
	struct smlx_umem_odp *parent;	/* set on children */

	/*
	 * Implicit child: one reference while published in the parent, one
	 * per access or fault in flight (smlx_odp_implicit.c).  Parent: the
	 * work that tears down children an invalidation emptied.
	 */
	refcount_t users;
	struct work_struct reap_work;
	bool reap_stopped;		/* under the children xarray's lock */

	/*
	 * rdma stat counters of the MR, on the parent for implicit children
	 * (smlx_odp_count()), and the device's totals they also go to.
	 */
	struct smlx_odp_counters counters;
	struct smlx_odp_counters *dev_counters;
};

struct smlx_umem_odp *smlx_umem_odp_get(u64 addr, u64 length, int access);
struct smlx_umem_odp *smlx_umem_odp_alloc_implicit(int access);
struct smlx_umem_odp *smlx_umem_odp_alloc_child(struct smlx_umem_odp *parent,
						 u64 addr, u64 length);
void smlx_umem_odp_release(struct smlx_umem_odp *odp);
struct smlx_umem_odp *smlx_umem_odp_hold(struct smlx_umem_odp *odp);
void smlx_umem_odp_kill(struct smlx_umem_odp *odp);

static inline bool smlx_umem_odp_dead(const struct smlx_umem_odp *odp)
{
	const struct smlx_umem_odp *owner = odp->parent ? odp->parent : odp;

	return READ_ONCE(owner->dead);
}

/* How smlx_umem_odp_map_and_lock() goes about it. */
enum smlx_umem_odp_map_mode {
	SMLX_UMEM_ODP_FAULT	= 1 << 0,	/* fault pages in, not a snapshot */
	SMLX_UMEM_ODP_ONCE	= 1 << 1,	/* one try: -EBUSY on a collision */
};

int smlx_umem_odp_map_and_lock(struct smlx_umem_odp *odp, u64 user_va,
			       u64 bcnt, u64 access_mask, unsigned int mode);
void smlx_umem_odp_unmap_range(struct smlx_umem_odp *odp, u64 start, u64 end);
const u64 *smlx_umem_odp_entries(struct smlx_umem_odp *odp, u64 user_va,
				 unsigned long *count);
u64 smlx_umem_odp_entry(struct smlx_umem_odp *odp, u64 user_va);

#endif /* SMLX_UMEM_ODP_H */
