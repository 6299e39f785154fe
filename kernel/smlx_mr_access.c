// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The only way the engine touches memory: find an MR by key with the PD,
 * access and range checks of the IB spec, then copy between a kernel buffer
 * and the MR's pages through its translation.  Pinned MRs translate through
 * the page table built at registration; ODP MRs through smlx_umem_odp's
 * per-page entries under umem_mutex; the DMA MR of a kernel client takes
 * the address as the kernel VA it is.  An ODP page that is absent, or
 * read-only for a write, is reported as -EAGAIN with the faulting range in
 * a struct smlx_fault: the engine then stalls the QP until the fault is
 * resolved.
 *
 * Everything here runs in process context (the engine's workers): pages
 * are reached with kmap_local_page(), never through a user address.
 */
#include <linux/highmem.h>
#include <linux/overflow.h>

#include "smlx.h"
#include "smlx_odp.h"

smlx_fault_handler_t smlx_engine_fault_handler;

/**
 * smlx_mr_lookup - the MR @key names, if it may be used this way
 * @sdev: device
 * @key: lkey or rkey
 * @rkey: @key came from a peer: remote access rights apply
 * @pd: the PD of the QP using the key
 * @access: IB_ACCESS_* rights needed
 * @iova: first byte accessed
 * @length: bytes accessed
 *
 * Returns the MR with a reference (smlx_mr_put()), or NULL when the key is
 * unknown or stale, belongs to another PD, lacks a right or does not cover
 * the range.
 */
struct smlx_mr *smlx_mr_lookup(struct smlx_dev *sdev, u32 key, bool rkey,
			       struct ib_pd *pd, int access, u64 iova,
			       u64 length)
{
	struct smlx_mr *mr;
	u64 end;

	mr = smlx_mr_get(sdev, key);
	if (!mr)
		return NULL;
	if (mr->ibmr.pd != pd || (mr->access & access) != access)
		goto reject;
	if (rkey && mr->ibmr.rkey != key)
		goto reject;
	if (check_add_overflow(iova, length, &end))
		goto reject;
	if (mr->kind != SMLX_MR_IMPLICIT && mr->kind != SMLX_MR_DMA &&
	    (iova < mr->iova || end > mr->iova + mr->length))
		goto reject;
	return mr;

reject:
	smlx_mr_put(mr);
	return NULL;
}

static void smlx_copy_page(struct page *page, unsigned int off, void *buf,
			   size_t n, enum smlx_copy_dir dir)
{
	void *va = kmap_local_page(page);

	if (dir == SMLX_TO_MR)
		memcpy(va + off, buf, n);
	else
		memcpy(buf, va + off, n);
	kunmap_local(va);
}

/* The pinned page holding @uva, which the MR covers (smlx_mr_lookup()). */
static struct page *smlx_pinned_page(struct smlx_mr *mr, u64 uva)
{
	return mr->pages[(uva >> PAGE_SHIFT) - (mr->user_va >> PAGE_SHIFT)];
}

static void smlx_pinned_copy(struct smlx_mr *mr, u64 uva, void *buf,
			     u64 length, enum smlx_copy_dir dir)
{
	while (length) {
		unsigned int off = uva & ~PAGE_MASK;
		size_t n = min_t(u64, length, PAGE_SIZE - off);

		smlx_copy_page(smlx_pinned_page(mr, uva), off, buf, n, dir);
		buf += n;
		uva += n;
		length -= n;
	}
}

/*
 * ODP: copy from @uva on while the pages are present with the rights we
 * need, under umem_mutex so invalidation cannot pull a page away mid-copy.
 * Returns the bytes copied; *@absent is set when it stopped at a page
 * that needs a fault.
 */
static u64 smlx_odp_copy_locked(struct smlx_umem_odp *odp, u64 uva, void *buf,
				u64 length, enum smlx_copy_dir dir,
				bool *absent)
{
	u64 need = SMLX_ODP_PAGE_READ |
		   (dir == SMLX_TO_MR ? SMLX_ODP_PAGE_WRITE : 0);
	u64 done = 0;

	lockdep_assert_held(&odp->umem_mutex);
	while (done < length) {
		unsigned long count;
		const u64 *entries = smlx_umem_odp_entries(odp, uva + done,
							   &count);

		if (!entries) {
			*absent = true;
			break;
		}
		for (; count && done < length; count--, entries++) {
			u64 entry = READ_ONCE(*entries);
			unsigned int off = (uva + done) & ~PAGE_MASK;
			size_t n = min_t(u64, length - done, PAGE_SIZE - off);

			if ((entry & need) != need) {
				*absent = true;
				return done;
			}
			smlx_copy_page(pfn_to_page(PHYS_PFN(entry & PAGE_MASK)),
				       off, buf + done, n, dir);
			done += n;
		}
	}
	return done;
}

static struct smlx_umem_odp *smlx_odp_for(struct smlx_mr *mr, u64 uva,
					  u64 *span)
{
	struct smlx_umem_odp *odp = mr->odp;
	u64 chunk_end;

	if (mr->kind == SMLX_MR_ODP) {
		*span = odp->end - uva;
		return odp;
	}
	/*
	 * Implicit: the child that mirrors @uva's chunk, if faulted yet, with
	 * a reference that keeps the reaper off it (smlx_odp_for_done()).
	 */
	chunk_end = (uva | ((1ULL << SMLX_ODP_CHUNK_SHIFT) - 1)) + 1;
	*span = chunk_end - uva;
	return smlx_odp_child_get(odp, uva);
}

static void smlx_odp_for_done(struct smlx_mr *mr, struct smlx_umem_odp *odp)
{
	if (odp && mr->kind == SMLX_MR_IMPLICIT)
		smlx_odp_child_put(odp);
}

static int smlx_odp_copy(struct smlx_mr *mr, u64 iova, u64 uva, void *buf,
			 u64 length, enum smlx_copy_dir dir,
			 struct smlx_fault *fault)
{
	u64 done = 0;

	while (done < length) {
		struct smlx_umem_odp *odp;
		bool absent = false;
		u64 span, n, copied;

		odp = smlx_odp_for(mr, uva + done, &span);
		n = min(length - done, span);
		if (odp) {
			mutex_lock(&odp->umem_mutex);
			copied = smlx_odp_copy_locked(odp, uva + done,
						      buf + done, n, dir,
						      &absent);
			mutex_unlock(&odp->umem_mutex);
			smlx_odp_for_done(mr, odp);
		} else {
			copied = 0;
			absent = true;
		}
		done += copied;
		if (absent) {
			if (fault) {
				fault->key = mr->ibmr.lkey;
				fault->iova = iova + done;
				fault->length = length - done;
				fault->ahead = 0;
				fault->write = dir == SMLX_TO_MR;
			}
			return -EAGAIN;
		}
	}
	return 0;
}

/**
 * smlx_mr_copy - copy between @buf and the MR's memory at @iova
 * @mr: from smlx_mr_lookup(), which checked the range
 * @iova: device address in the MR
 * @buf: kernel buffer
 * @length: bytes
 * @dir: SMLX_TO_MR writes the MR, SMLX_FROM_MR reads it
 * @fault: filled in on -EAGAIN
 *
 * Returns 0, -EAGAIN when an ODP page needs a fault first (nothing past the
 * faulting page was copied; the copy may be redone whole), or -EFAULT.
 */
int smlx_mr_copy(struct smlx_mr *mr, u64 iova, void *buf, u64 length,
		 enum smlx_copy_dir dir, struct smlx_fault *fault)
{
	u64 uva = mr->user_va + (iova - mr->iova);

	if (!length)
		return 0;
	if (mr->kind == SMLX_MR_PINNED) {
		smlx_pinned_copy(mr, uva, buf, length, dir);
		return 0;
	}
	if (mr->kind == SMLX_MR_DMA) {
		void *va = (void *)(uintptr_t)iova;

		if (dir == SMLX_TO_MR)
			memcpy(va, buf, length);
		else
			memcpy(buf, va, length);
		return 0;
	}
	return smlx_odp_copy(mr, iova, uva, buf, length, dir, fault);
}

static u64 smlx_atomic_op(u64 *p, bool cmp_swp, u64 compare, u64 swap_add)
{
	if (cmp_swp)
		return cmpxchg64(p, compare, swap_add);
	return atomic64_fetch_add(swap_add, (atomic64_t *)p);
}

/**
 * smlx_mr_atomic - 8-byte atomic on the MR at @iova
 * @mr: from smlx_mr_lookup() with IB_ACCESS_REMOTE_ATOMIC
 * @iova: 8-byte aligned device address
 * @cmp_swp: compare and swap; else fetch and add
 * @compare: value compared with
 * @swap_add: value swapped in, or added
 * @orig: receives the value before the operation
 * @fault: filled in on -EAGAIN
 *
 * Uses the CPU's atomic instructions on the page itself, so it is atomic
 * against every other atomic of every smlx device and against the CPU.
 */
int smlx_mr_atomic(struct smlx_mr *mr, u64 iova, bool cmp_swp, u64 compare,
		   u64 swap_add, u64 *orig, struct smlx_fault *fault)
{
	u64 uva = mr->user_va + (iova - mr->iova);
	unsigned int off = uva & ~PAGE_MASK;
	struct smlx_umem_odp *odp;
	u64 span, entry;
	void *va;

	if (iova & 7)
		return -EINVAL;

	if (mr->kind == SMLX_MR_DMA) {
		*orig = smlx_atomic_op((u64 *)(uintptr_t)iova, cmp_swp, compare,
				       swap_add);
		return 0;
	}
	if (mr->kind == SMLX_MR_PINNED) {
		va = kmap_local_page(smlx_pinned_page(mr, uva));
		*orig = smlx_atomic_op(va + off, cmp_swp, compare, swap_add);
		kunmap_local(va);
		return 0;
	}

	odp = smlx_odp_for(mr, uva, &span);
	if (odp) {
		mutex_lock(&odp->umem_mutex);
		entry = smlx_umem_odp_entry(odp, uva);
		if ((entry & SMLX_ODP_PAGE_PERMS) == SMLX_ODP_PAGE_PERMS) {
			va = kmap_local_page(pfn_to_page(PHYS_PFN(entry &
								  PAGE_MASK)));
			*orig = smlx_atomic_op(va + off, cmp_swp, compare,
					       swap_add);
			kunmap_local(va);
			mutex_unlock(&odp->umem_mutex);
			smlx_odp_for_done(mr, odp);
			return 0;
		}
		mutex_unlock(&odp->umem_mutex);
		smlx_odp_for_done(mr, odp);
	}
	if (fault) {
		fault->key = mr->ibmr.lkey;
		fault->iova = iova;
		fault->length = 8;
		fault->ahead = 0;
		fault->write = true;
	}
	return -EAGAIN;
}

/**
 * smlx_sgl_copy - copy between @buf and a WQE's scatter/gather list
 * @sdev: device
 * @pd: the QP's PD
 * @sge: the list, as copied out of the ring
 * @num_sge: entries
 * @offset: where in the list's byte stream @buf starts
 * @buf: kernel buffer
 * @length: bytes
 * @dir: SMLX_TO_MR scatters (receive, READ response), SMLX_FROM_MR gathers
 * @fault: filled in on -EAGAIN
 *
 * Returns 0; -EINVAL when the list is shorter than @offset + @length;
 * -EACCES for a bad lkey, a missing LOCAL_WRITE or a range outside the MR;
 * -EAGAIN when an ODP page needs a fault.
 */
int smlx_sgl_copy(struct smlx_dev *sdev, struct ib_pd *pd,
		  const struct smlx_sge *sge, u32 num_sge, u64 offset,
		  void *buf, u64 length, enum smlx_copy_dir dir,
		  struct smlx_fault *fault)
{
	int access = dir == SMLX_TO_MR ? IB_ACCESS_LOCAL_WRITE : 0;
	u32 i;

	for (i = 0; i < num_sge && length; i++) {
		u64 n, iova;
		struct smlx_mr *mr;
		int ret;

		if (offset >= sge[i].length) {
			offset -= sge[i].length;
			continue;
		}
		n = min_t(u64, length, sge[i].length - offset);
		iova = sge[i].addr + offset;
		mr = smlx_mr_lookup(sdev, sge[i].lkey, false, pd, access,
				    iova, n);
		if (!mr)
			return -EACCES;
		ret = smlx_mr_copy(mr, iova, buf, n, dir, fault);
		smlx_mr_put(mr);
		if (ret == -EAGAIN && fault)
			fault->ahead = sge[i].length - offset - n;
		if (ret)
			return ret == -EAGAIN ? ret : -EACCES;
		buf += n;
		length -= n;
		offset = 0;
	}
	return length ? -EINVAL : 0;
}
