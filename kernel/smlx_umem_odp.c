// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ODP memory for smlx, written against the kernel's hmm and mmu interval
 * notifier APIs (it deliberately does not use ib_uverbs' ib_umem_odp).
 *
 * Faulting follows the interval notifier protocol: sample the sequence,
 * run hmm_range_fault() into a private scratch array with no lock held,
 * then take umem_mutex and publish the result only if no invalidation ran
 * in between.  Publishing under the mutex, instead of letting hmm write the
 * entries in place, means a reader holding the mutex never sees an entry
 * that an invalidation has already retired.
 *
 * The notifier sequence is one per umem, so it also moves for invalidations
 * of pages the fault never looked at; page migration invalidates page by
 * page, and a fault that retried on each would wait for the whole batch.
 * Each umem therefore logs the ranges of its last invalidations, and a
 * fault whose sequence moved keeps its walk if none of them overlapped it.
 */
#include <linux/hmm.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <rdma/ib_verbs.h>

#include "smlx_limits.h"
#include "smlx_odp.h"
#include "smlx_umem_odp.h"

/* hmm_range_fault() runs over at most one leaf (2 MiB) per call. */
#define SMLX_ODP_FAULT_MAX_PAGES	SMLX_ODP_LEAF_ENTRIES

static inline unsigned long smlx_odp_page_index(u64 va)
{
	return va >> PAGE_SHIFT;
}

static inline unsigned long smlx_odp_leaf_index(unsigned long page_index)
{
	return page_index >> SMLX_ODP_LEAF_SHIFT;
}

static inline unsigned long smlx_odp_leaf_slot(unsigned long page_index)
{
	return page_index & (SMLX_ODP_LEAF_ENTRIES - 1);
}

/*
 * The device may have written through a writable entry that is going.
 * The page lock is not held here (notifiers run with and without it); the
 * mapping cannot go away underneath us because the invalidation that
 * removes it is waiting for, or holding, umem_mutex.
 */
static void smlx_odp_entry_written(u64 entry)
{
	struct page *page = pfn_to_page(PHYS_PFN(entry & PAGE_MASK));

	if (entry & SMLX_ODP_PAGE_WRITE)
		set_page_dirty(compound_head(page));
}

static void smlx_odp_clear_entry(struct smlx_umem_odp *odp, u64 *slot)
{
	u64 entry = *slot;

	if (!(entry & SMLX_ODP_PAGE_READ))
		return;
	smlx_odp_entry_written(entry);
	WRITE_ONCE(*slot, 0);
	odp->npages--;
}

/* Whether no entry of @leaf is present. */
static bool smlx_odp_leaf_empty(const u64 *leaf)
{
	unsigned long i;

	for (i = 0; i < SMLX_ODP_LEAF_ENTRIES; i++)
		if (READ_ONCE(leaf[i]) & SMLX_ODP_PAGE_READ)
			return false;
	return true;
}

/*
 * Frees the leaf at @leaf_idx, which has no entry present.  Called with
 * umem_mutex held; never allocates (erasing an xarray entry does not), so
 * it is safe from the invalidation callback under reclaim.
 */
static void smlx_odp_leaf_free(struct smlx_umem_odp *odp,
			       unsigned long leaf_idx, u64 *leaf)
{
	lockdep_assert_held(&odp->umem_mutex);

	xa_erase(&odp->leaves, leaf_idx);
	if (odp->hot_leaf == leaf)
		odp->hot_leaf = NULL;
	atomic_long_dec(&odp->nleaves);
	free_page((unsigned long)leaf);
}

/*
 * The entries of [@start, @end) that @odp covers, as page indexes
 * [@first, @last]; false when there are none.
 */
static bool smlx_odp_span(const struct smlx_umem_odp *odp, u64 start, u64 end,
			  unsigned long *first, unsigned long *last)
{
	start = max(start, odp->start);
	end = min(end, odp->end);
	if (start >= end)
		return false;
	*first = smlx_odp_page_index(start);
	*last = smlx_odp_page_index(end - 1);
	return true;
}

/*
 * The part of [@first, @last] that leaf @leaf_idx holds, as [@from, @to].
 * Returns whether that is the whole leaf.
 */
static bool smlx_odp_leaf_part(unsigned long leaf_idx, unsigned long first,
			       unsigned long last, unsigned long *from,
			       unsigned long *to)
{
	unsigned long leaf_first = leaf_idx << SMLX_ODP_LEAF_SHIFT;
	unsigned long leaf_last = leaf_first + SMLX_ODP_LEAF_ENTRIES - 1;

	*from = max(first, leaf_first);
	*to = min(last, leaf_last);
	return *from == leaf_first && *to == leaf_last;
}

/**
 * smlx_umem_odp_unmap_range - retire every entry in [start, end)
 * @odp: an explicit ODP umem or an implicit child
 * @start: user VA, any alignment
 * @end: exclusive user VA
 *
 * Frees the leaves this leaves empty.  Called with umem_mutex held.  Never
 * allocates, so it is safe from the invalidation callback, including under
 * reclaim.
 */
void smlx_umem_odp_unmap_range(struct smlx_umem_odp *odp, u64 start, u64 end)
{
	unsigned long first, last, leaf_idx, idx, from, to;
	u64 *leaf;

	lockdep_assert_held(&odp->umem_mutex);

	if (!smlx_odp_span(odp, start, end, &first, &last))
		return;
	xa_for_each_range(&odp->leaves, leaf_idx, leaf,
			  smlx_odp_leaf_index(first),
			  smlx_odp_leaf_index(last)) {
		bool whole = smlx_odp_leaf_part(leaf_idx, first, last,
						&from, &to);

		for (idx = from; idx <= to && odp->npages; idx++)
			smlx_odp_clear_entry(odp, &leaf[smlx_odp_leaf_slot(idx)]);
		/*
		 * A leaf with nothing left goes.  One that a fault has just
		 * added and not filled yet goes too: that fault sees this
		 * invalidation's sequence and starts over.
		 */
		if (whole || smlx_odp_leaf_empty(leaf))
			smlx_odp_leaf_free(odp, leaf_idx, leaf);
	}
}

/*
 * Takes the device's write permission away from every entry in [start,
 * end) and keeps the pages mirrored for reading.  Returns how many entries
 * lost it.  Called with umem_mutex held; never allocates.
 */
static unsigned long smlx_umem_odp_protect_range(struct smlx_umem_odp *odp,
						 u64 start, u64 end)
{
	unsigned long first, last, leaf_idx, idx, from, to, changed = 0;
	u64 *leaf, *slot, entry;

	lockdep_assert_held(&odp->umem_mutex);

	if (!smlx_odp_span(odp, start, end, &first, &last))
		return 0;
	xa_for_each_range(&odp->leaves, leaf_idx, leaf,
			  smlx_odp_leaf_index(first),
			  smlx_odp_leaf_index(last)) {
		smlx_odp_leaf_part(leaf_idx, first, last, &from, &to);
		for (idx = from; idx <= to; idx++) {
			slot = &leaf[smlx_odp_leaf_slot(idx)];
			entry = *slot;
			if (!(entry & SMLX_ODP_PAGE_WRITE))
				continue;
			smlx_odp_entry_written(entry);
			WRITE_ONCE(*slot, entry & ~SMLX_ODP_PAGE_WRITE);
			changed++;
		}
	}
	return changed;
}

/**
 * smlx_umem_odp_entries - the entries from the page holding @user_va on
 * @odp: an explicit ODP umem or an implicit child
 * @user_va: address inside the umem
 * @count: set to how many entries the result gives, up to the end of its
 *	   leaf or of the umem
 *
 * Called with umem_mutex held; the entries stay meaningful until it is
 * dropped (leaves are freed only under it).  Lets a copy walk
 * the pages of a leaf without looking the leaf up for each.  Returns NULL
 * when none of those pages is present.
 */
const u64 *smlx_umem_odp_entries(struct smlx_umem_odp *odp, u64 user_va,
				 unsigned long *count)
{
	unsigned long idx = smlx_odp_page_index(user_va);
	unsigned long slot = smlx_odp_leaf_slot(idx);
	u64 *leaf;

	lockdep_assert_held(&odp->umem_mutex);

	if (user_va < odp->start || user_va >= odp->end)
		return NULL;
	if (odp->hot_leaf && odp->hot_leaf_index == smlx_odp_leaf_index(idx)) {
		leaf = odp->hot_leaf;
	} else {
		leaf = xa_load(&odp->leaves, smlx_odp_leaf_index(idx));
		if (!leaf)
			return NULL;
		odp->hot_leaf = leaf;
		odp->hot_leaf_index = smlx_odp_leaf_index(idx);
	}
	*count = min(SMLX_ODP_LEAF_ENTRIES - slot,
		     smlx_odp_page_index(odp->end - 1) - idx + 1);
	return &leaf[slot];
}

/**
 * smlx_umem_odp_entry - the entry for the page holding @user_va
 * @odp: an explicit ODP umem or an implicit child
 * @user_va: address inside the umem
 *
 * Called with umem_mutex held; the result stays valid until it is dropped.
 * Returns 0 for an absent page.
 */
u64 smlx_umem_odp_entry(struct smlx_umem_odp *odp, u64 user_va)
{
	unsigned long count;
	const u64 *entry = smlx_umem_odp_entries(odp, user_va, &count);

	return entry ? READ_ONCE(*entry) : 0;
}

/* Under umem_mutex, after mmu_interval_set_seq(). */
static void smlx_umem_odp_log_invalidation(struct smlx_umem_odp *odp,
					   u64 start, u64 end)
{
	unsigned long gen = odp->inval_gen;

	odp->inval_log[gen % SMLX_ODP_INVAL_LOG].start = start;
	odp->inval_log[gen % SMLX_ODP_INVAL_LOG].end = end;
	/* A fault that sees the new count sees the new sequence too. */
	smp_wmb();
	WRITE_ONCE(odp->inval_gen, gen + 1);
}

/*
 * Under umem_mutex, for a fault that sampled inval_gen as @gen before
 * mmu_interval_read_begin() and walked [@start, @end): whether one of the
 * invalidations since may have changed what the walk saw.  One that began
 * before the sample either ended before read_begin() returned or made it
 * wait for its end; every later one is in the log, unless there were too
 * many to tell.
 */
static bool smlx_umem_odp_raced(struct smlx_umem_odp *odp, unsigned long gen,
				u64 start, u64 end)
{
	lockdep_assert_held(&odp->umem_mutex);

	if (odp->inval_gen - gen > SMLX_ODP_INVAL_LOG)
		return true;
	for (; gen != odp->inval_gen; gen++) {
		unsigned int i = gen % SMLX_ODP_INVAL_LOG;

		if (odp->inval_log[i].start < end &&
		    odp->inval_log[i].end > start)
			return true;
	}
	return false;
}

static bool smlx_umem_odp_invalidate(struct mmu_interval_notifier *mni,
				     const struct mmu_notifier_range *range,
				     unsigned long cur_seq)
{
	struct smlx_umem_odp *odp =
		container_of(mni, struct smlx_umem_odp, notifier);
	unsigned long before, changed;

	/* The OOM reaper cannot wait for us; tell it to come back later. */
	if (!mmu_notifier_range_blockable(range))
		return false;

	mutex_lock(&odp->umem_mutex);
	mmu_interval_set_seq(mni, cur_seq);
	smlx_umem_odp_log_invalidation(odp, range->start, range->end);
	/*
	 * fork(), page_mkclean() and the dirty-tracking helpers only
	 * write-protect: the CPU keeps the same pages, so the device keeps
	 * them for reading.  Dropping them would make every fork cost the
	 * device a fault per read-ahead window on memory it only reads.
	 * An mprotect() (PROTECTION_VMA) may take reading away too, so it
	 * unmaps like any other event.
	 */
	if (range->event == MMU_NOTIFY_PROTECTION_PAGE) {
		changed = smlx_umem_odp_protect_range(odp, range->start,
						      range->end);
	} else {
		before = odp->npages;
		smlx_umem_odp_unmap_range(odp, range->start, range->end);
		changed = before - odp->npages;
		/* An implicit child left empty is torn down once idle. */
		if (changed && odp->parent && !odp->npages)
			smlx_odp_child_idle(odp);
	}
	if (changed) {
		smlx_odp_count(odp, SMLX_ODP_PAGE_INVALIDATIONS, changed);
		smlx_odp_count(odp, SMLX_ODP_PAGE_INVALIDATIONS_HANDLED, 1);
	}
	mutex_unlock(&odp->umem_mutex);
	return true;
}

static const struct mmu_interval_notifier_ops smlx_umem_odp_notifier_ops = {
	.invalidate = smlx_umem_odp_invalidate,
};

static void smlx_umem_odp_init_common(struct smlx_umem_odp *odp,
				      struct mm_struct *mm, struct pid *tgid,
				      struct mem_cgroup *memcg, bool writable)
{
	kref_init(&odp->kref);
	odp->mm = mm;
	mmgrab(mm);
	odp->tgid = get_pid(tgid);
	if (memcg)
		css_get(&memcg->css);
	odp->memcg = memcg;
	atomic_long_set(&odp->nleaves, 0);
	odp->writable = writable;
	odp->page_shift = PAGE_SHIFT;
	mutex_init(&odp->umem_mutex);
	xa_init(&odp->leaves);
	xa_init(&odp->children);
	smlx_odp_counters_init(&odp->counters);

	/*
	 * umem_mutex is taken by invalidations that reclaim triggers: teach
	 * lockdep now, so an allocation under the mutex is reported at once
	 * rather than deadlocking some day under memory pressure.
	 */
	fs_reclaim_acquire(GFP_KERNEL);
	mutex_lock(&odp->umem_mutex);
	mutex_unlock(&odp->umem_mutex);
	fs_reclaim_release(GFP_KERNEL);
}

static void smlx_umem_odp_free(struct smlx_umem_odp *odp)
{
	unsigned long idx;
	u64 *leaf;

	xa_for_each(&odp->leaves, idx, leaf)
		free_page((unsigned long)leaf);
	xa_destroy(&odp->leaves);
	xa_destroy(&odp->children);
	mutex_destroy(&odp->umem_mutex);
	mem_cgroup_put(odp->memcg);
	put_pid(odp->tgid);
	mmdrop(odp->mm);
	kfree(odp);
}

/*
 * Range [addr, addr + length) checked, aligned to the page size in use and
 * covered by a new interval notifier in @mm.  The caller holds a user
 * reference on @mm (mmu notifier registration needs a live mm).  A range
 * that reaches past the user address space is refused: nothing can be
 * mapped there, and leaf indices would grow with it.
 */
static struct smlx_umem_odp *
smlx_umem_odp_create(struct mm_struct *mm, struct pid *tgid,
		     struct mem_cgroup *memcg, u64 addr, u64 length,
		     bool writable, bool hugetlb)
{
	unsigned int page_shift = hugetlb ? HPAGE_SHIFT : PAGE_SHIFT;
	struct smlx_umem_odp *odp;
	u64 start, end;
	int ret;

	if (!length || check_add_overflow(addr, length, &end) ||
	    end > TASK_SIZE)
		return ERR_PTR(-EINVAL);
	start = ALIGN_DOWN(addr, 1ULL << page_shift);
	end = ALIGN(end, 1ULL << page_shift);
	if (end <= start)	/* aligning up wrapped past the top */
		return ERR_PTR(-EINVAL);

	odp = kzalloc(sizeof(*odp), GFP_KERNEL);
	if (!odp)
		return ERR_PTR(-ENOMEM);
	smlx_umem_odp_init_common(odp, mm, tgid, memcg, writable);
	odp->page_shift = page_shift;
	odp->start = start;
	odp->end = end;

	ret = mmu_interval_notifier_insert(&odp->notifier, mm, start,
					   end - start,
					   &smlx_umem_odp_notifier_ops);
	if (ret) {
		smlx_umem_odp_free(odp);
		return ERR_PTR(ret);
	}
	return odp;
}

/**
 * smlx_umem_odp_get - ODP umem for [addr, addr + length) of the caller
 * @addr: user VA
 * @length: bytes, not zero
 * @access: IB_ACCESS_* of the MR; must include IB_ACCESS_ON_DEMAND
 *
 * Records the caller's mm and process and watches the range; touches,
 * faults and pins nothing.
 */
struct smlx_umem_odp *smlx_umem_odp_get(u64 addr, u64 length, int access)
{
	struct mem_cgroup *memcg;
	struct smlx_umem_odp *odp;
	struct pid *tgid;

	if (!(access & IB_ACCESS_ON_DEMAND) || !current->mm)
		return ERR_PTR(-EINVAL);

	tgid = get_task_pid(current->group_leader, PIDTYPE_PID);
	memcg = get_mem_cgroup_from_mm(current->mm);
	odp = smlx_umem_odp_create(current->mm, tgid, memcg, addr, length,
				   ib_access_writable(access),
				   access & IB_ACCESS_HUGETLB);
	mem_cgroup_put(memcg);
	put_pid(tgid);
	return odp;
}

/**
 * smlx_umem_odp_alloc_implicit - parent of an implicit ODP MR
 * @access: IB_ACCESS_* of the MR; must include IB_ACCESS_ON_DEMAND
 *
 * The parent spans the whole address space but has no notifier and no
 * entries: each chunk the device touches gets its own child umem.
 */
struct smlx_umem_odp *smlx_umem_odp_alloc_implicit(int access)
{
	struct mem_cgroup *memcg;
	struct smlx_umem_odp *odp;
	struct pid *tgid;

	if (!(access & IB_ACCESS_ON_DEMAND) || !current->mm)
		return ERR_PTR(-EINVAL);
	/* Children are sized in small pages; huge pages are not tracked. */
	if (access & IB_ACCESS_HUGETLB)
		return ERR_PTR(-EINVAL);

	odp = kzalloc(sizeof(*odp), GFP_KERNEL);
	if (!odp)
		return ERR_PTR(-ENOMEM);
	tgid = get_task_pid(current->group_leader, PIDTYPE_PID);
	memcg = get_mem_cgroup_from_mm(current->mm);
	smlx_umem_odp_init_common(odp, current->mm, tgid, memcg,
				  ib_access_writable(access));
	mem_cgroup_put(memcg);
	put_pid(tgid);
	odp->is_implicit = true;
	odp->start = 0;
	odp->end = U64_MAX;
	return odp;
}

/**
 * smlx_umem_odp_alloc_child - child of an implicit parent
 * @parent: implicit parent
 * @addr: chunk start in the parent's mm
 * @length: chunk length
 *
 * May run in a worker, so the parent's mm and memory cgroup are used, not
 * current's.  The
 * caller publishes the child in parent->children; release of the parent
 * releases every child still there.
 */
struct smlx_umem_odp *smlx_umem_odp_alloc_child(struct smlx_umem_odp *parent,
						 u64 addr, u64 length)
{
	struct smlx_umem_odp *odp;

	if (WARN_ON(!parent->is_implicit))
		return ERR_PTR(-EINVAL);
	if (!mmget_not_zero(parent->mm))
		return ERR_PTR(-EFAULT);
	odp = smlx_umem_odp_create(parent->mm, parent->tgid, parent->memcg,
				   addr, length, parent->writable, false);
	mmput(parent->mm);
	if (!IS_ERR(odp))
		odp->parent = parent;
	return odp;
}

static void smlx_umem_odp_destroy(struct kref *kref)
{
	struct smlx_umem_odp *odp =
		container_of(kref, struct smlx_umem_odp, kref);
	struct smlx_umem_odp *child;
	unsigned long idx;

	if (odp->is_implicit) {
		xa_for_each(&odp->children, idx, child) {
			xa_erase(&odp->children, idx);
			smlx_umem_odp_release(child);
		}
	} else {
		mutex_lock(&odp->umem_mutex);
		smlx_umem_odp_unmap_range(odp, odp->start, odp->end);
		mutex_unlock(&odp->umem_mutex);
		mmu_interval_notifier_remove(&odp->notifier);
	}
	smlx_umem_odp_free(odp);
}

/**
 * smlx_umem_odp_release - drop a reference to an ODP umem
 * @odp: explicit umem, implicit parent or child
 *
 * The last reference retires every entry (dirtying written pages), stops
 * watching the range and frees everything, children of an implicit parent
 * included.  Sleeps.
 */
void smlx_umem_odp_release(struct smlx_umem_odp *odp)
{
	kref_put(&odp->kref, smlx_umem_odp_destroy);
}

/**
 * smlx_umem_odp_kill - the MR of @odp is deregistered
 * @odp: explicit umem or implicit parent, from the deregistering process
 *
 * From here on no walk of its range starts (smlx_umem_odp_map_and_lock()
 * checks under mmap_lock): a queued prefetch or a fault whose turn comes
 * later faults in nothing, though the mapping that may by then have taken
 * the range (munmap() and mmap() after the dereg) is there to fault.
 */
void smlx_umem_odp_kill(struct smlx_umem_odp *odp)
{
	WRITE_ONCE(odp->dead, true);
}

/* One more reference, for a fault or prefetch that must not hold the MR. */
struct smlx_umem_odp *smlx_umem_odp_hold(struct smlx_umem_odp *odp)
{
	kref_get(&odp->kref);
	return odp;
}

/*
 * Makes sure the leaf for @leaf_idx exists, charged to the owner's memory
 * cgroup whoever runs this (a fault or prefetch worker, often).  Sleeps, so
 * never under umem_mutex: the leaf is published empty, and the caller
 * checks under the mutex that it is still there.
 */
static int smlx_odp_ensure_leaf(struct smlx_umem_odp *odp,
				unsigned long leaf_idx)
{
	struct mem_cgroup *old_memcg;
	unsigned long page;
	int ret;

	if (xa_load(&odp->leaves, leaf_idx))
		return 0;
	old_memcg = set_active_memcg(odp->memcg);
	page = get_zeroed_page(GFP_KERNEL_ACCOUNT);
	ret = page ? xa_insert(&odp->leaves, leaf_idx, (void *)page,
			       GFP_KERNEL_ACCOUNT) : -ENOMEM;
	set_active_memcg(old_memcg);
	if (!ret) {
		atomic_long_inc(&odp->nleaves);
		return 0;
	}
	if (page)
		free_page(page);
	/* Another fault added it first. */
	return ret == -EBUSY ? 0 : ret;
}

/* Whether hmm_range_fault() gave a page to publish. */
static bool smlx_odp_any_valid(const unsigned long *pfns, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		if ((pfns[i] & HMM_PFN_VALID) && !(pfns[i] & HMM_PFN_ERROR))
			return true;
	return false;
}

static u64 smlx_odp_make_entry(struct smlx_umem_odp *odp, unsigned long hmm_pfn)
{
	u64 entry = PFN_PHYS(hmm_pfn & ~HMM_PFN_FLAGS) | SMLX_ODP_PAGE_READ;

	if ((hmm_pfn & HMM_PFN_WRITE) && odp->writable)
		entry |= SMLX_ODP_PAGE_WRITE;
	return entry;
}

/*
 * Publishes the hmm result under umem_mutex into the leaf the caller made
 * sure of.  Returns 0, or -EINVAL when a HUGETLB umem meets a page mapped
 * smaller than its page size (an empty leaf is then freed again).
 */
static int smlx_odp_publish(struct smlx_umem_odp *odp, u64 start,
			    const unsigned long *pfns, unsigned long npages)
{
	unsigned long first = smlx_odp_page_index(start);
	unsigned int min_order = odp->page_shift - PAGE_SHIFT;
	unsigned long i;
	u64 *leaf;

	lockdep_assert_held(&odp->umem_mutex);

	leaf = xa_load(&odp->leaves, smlx_odp_leaf_index(first));
	if (WARN_ON_ONCE(!leaf))
		return -EINVAL;
	for (i = 0; i < npages; i++) {
		if ((pfns[i] & HMM_PFN_VALID) && !(pfns[i] & HMM_PFN_ERROR) &&
		    hmm_pfn_to_map_order(pfns[i]) < min_order) {
			if (smlx_odp_leaf_empty(leaf))
				smlx_odp_leaf_free(odp,
						   smlx_odp_leaf_index(first),
						   leaf);
			return -EINVAL;
		}
	}

	for (i = 0; i < npages; i++) {
		u64 *slot = &leaf[smlx_odp_leaf_slot(first + i)];

		/* A snapshot leaves pages that are not present alone. */
		if (!(pfns[i] & HMM_PFN_VALID) || (pfns[i] & HMM_PFN_ERROR))
			continue;
		if (!(*slot & SMLX_ODP_PAGE_READ))
			odp->npages++;
		WRITE_ONCE(*slot, smlx_odp_make_entry(odp, pfns[i]));
	}
	return 0;
}

/*
 * A walk an invalidation raced goes again over half as much, one page of
 * the umem at least, from the same start: under a storm of migrations a
 * walk over a whole leaf can collide every time, for as long as the storm
 * lasts, while the QP waits for the page at its start and the requester of
 * a READ that QP answers runs out of retries.  The caller maps the rest
 * with its next call.
 */
static void smlx_odp_walk_shrink(const struct smlx_umem_odp *odp,
				 struct hmm_range *range, u64 *end,
				 unsigned long *npages)
{
	u64 unit = 1ULL << odp->page_shift;
	u64 len = max(ALIGN((*end - range->start) / 2, unit), unit);

	*end = range->start + len;
	range->end = *end;
	*npages = len >> PAGE_SHIFT;
}

/**
 * smlx_umem_odp_map_and_lock - mirror part of a range and lock the umem
 * @odp: an explicit ODP umem or an implicit child
 * @user_va: first address wanted
 * @bcnt: bytes wanted from @user_va
 * @access_mask: SMLX_ODP_PAGE_READ, optionally with SMLX_ODP_PAGE_WRITE
 * @mode: enum smlx_umem_odp_map_mode: SMLX_UMEM_ODP_FAULT faults pages
 *	  in, else only what is present is mirrored; SMLX_UMEM_ODP_ONCE
 *	  gives up at the first invalidation that races the walk
 *
 * Works on the pages from ALIGN_DOWN(@user_va, 1 << page_shift) on, at
 * most one leaf (2 MiB) per call, fewer after walks that invalidations
 * raced.  On success returns how many pages it
 * handled, with umem_mutex held: the entries stay valid until the caller
 * unlocks.  With SMLX_UMEM_ODP_FAULT every handled page is present
 * afterwards (writable if WRITE was asked); a snapshot may leave holes.  On error returns a
 * negative errno with the mutex not held: -EFAULT outside the umem or no
 * VMA, -EPERM for a write to a read-only umem, -EINVAL when the owner's mm
 * is gone or a HUGETLB umem meets small pages, -EBUSY when invalidations
 * kept racing us for HMM_RANGE_DEFAULT_TIMEOUT (or once, with
 * SMLX_UMEM_ODP_ONCE).
 */
int smlx_umem_odp_map_and_lock(struct smlx_umem_odp *odp, u64 user_va,
			       u64 bcnt, u64 access_mask, unsigned int mode)
{
	struct hmm_range range = {};
	unsigned long timeout, npages;
	unsigned long leaf_idx, *pfns, gen;
	u64 start, end, leaf_end;
	bool any;
	int ret;

	if (odp->is_implicit || !bcnt ||
	    (access_mask & ~SMLX_ODP_PAGE_PERMS) ||
	    !(access_mask & SMLX_ODP_PAGE_READ))
		return -EINVAL;
	if (user_va < odp->start || check_add_overflow(user_va, bcnt, &end) ||
	    end > odp->end)
		return -EFAULT;
	if ((access_mask & SMLX_ODP_PAGE_WRITE) && !odp->writable)
		return -EPERM;

	start = ALIGN_DOWN(user_va, 1ULL << odp->page_shift);
	end = ALIGN(end, 1ULL << odp->page_shift);
	leaf_end = ALIGN_DOWN(start, PAGE_SIZE << SMLX_ODP_LEAF_SHIFT) +
		   (PAGE_SIZE << SMLX_ODP_LEAF_SHIFT);
	end = min(end, leaf_end);
	npages = (end - start) >> PAGE_SHIFT;
	leaf_idx = smlx_odp_leaf_index(smlx_odp_page_index(start));

	pfns = kmalloc_array(npages, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;

	range.notifier = &odp->notifier;
	range.start = start;
	range.end = end;
	range.hmm_pfns = pfns;
	if (mode & SMLX_UMEM_ODP_FAULT) {
		range.default_flags = HMM_PFN_REQ_FAULT;
		if (access_mask & SMLX_ODP_PAGE_WRITE)
			range.default_flags |= HMM_PFN_REQ_WRITE;
	}

	/*
	 * Bounded both ways a walk can collide with an invalidation: a fork
	 * or migration storm could otherwise keep us here for as long as it
	 * lasts, with the QP stalled and the requester's retries running
	 * out.  The caller lets the engine retry instead.
	 */
	timeout = jiffies;
	if (!(mode & SMLX_UMEM_ODP_ONCE))
		timeout += msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	for (;;) {
		/* The owner has exited: nothing left to mirror. */
		if (!mmget_not_zero(odp->mm)) {
			ret = -EINVAL;
			goto out_free;
		}
		gen = READ_ONCE(odp->inval_gen);
		/* pairs with smlx_umem_odp_log_invalidation() */
		smp_rmb();
		range.notifier_seq = mmu_interval_read_begin(&odp->notifier);
		mmap_read_lock(odp->mm);
		/*
		 * Under mmap_lock: the dereg came before any munmap() or
		 * mmap() of the range, which took it for writing.
		 */
		if (smlx_umem_odp_dead(odp))
			ret = -EFAULT;
		else
			ret = hmm_range_fault(&range);
		mmap_read_unlock(odp->mm);
		/*
		 * Dropped before umem_mutex is taken: the last mmput() tears
		 * the mm down, which invalidates, which takes umem_mutex.
		 */
		mmput(odp->mm);
		if (ret == -EBUSY && time_before(jiffies, timeout)) {
			smlx_odp_walk_shrink(odp, &range, &end, &npages);
			continue;
		}
		if (ret)
			goto out_free;

		/*
		 * A leaf only for pages there are: a hole or a snapshot of
		 * nothing costs no memory.
		 */
		any = smlx_odp_any_valid(pfns, npages);
		if (any) {
			ret = smlx_odp_ensure_leaf(odp, leaf_idx);
			if (ret)
				goto out_free;
		}
		mutex_lock(&odp->umem_mutex);
		/*
		 * An invalidation may have freed the empty leaf; it also
		 * moved the sequence.  A failed publish of another fault may
		 * have freed it too, without that: look again.
		 */
		if ((!mmu_interval_read_retry(&odp->notifier,
					      range.notifier_seq) ||
		     !smlx_umem_odp_raced(odp, gen, start, end)) &&
		    (!any || xa_load(&odp->leaves, leaf_idx)))
			break;
		mutex_unlock(&odp->umem_mutex);
		if (time_after_eq(jiffies, timeout)) {
			ret = -EBUSY;
			goto out_free;
		}
		smlx_odp_walk_shrink(odp, &range, &end, &npages);
	}

	ret = any ? smlx_odp_publish(odp, start, pfns, npages) : 0;
	if (ret)
		mutex_unlock(&odp->umem_mutex);
	else
		ret = npages;
out_free:
	kfree(pfns);
	return ret;
}
