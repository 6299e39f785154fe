// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory regions: pinned (ib_umem), explicit ODP and implicit ODP
 * (smlx_umem_odp) for processes, the DMA MR of kernel clients, and the
 * keys that name them.
 */
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "smlx.h"
#include "smlx_odp.h"

/*
 * Access bits an smlx MR understands; others in the mandatory range fail.
 * MW_BIND only permits binding memory windows to the MR; the device has no
 * windows (alloc_mw is refused), so accepting it grants nothing, as on mlx5
 * devices without window support.
 */
#define SMLX_MR_ACCESS_FLAGS	(IB_ACCESS_LOCAL_WRITE | \
				 IB_ACCESS_REMOTE_WRITE | \
				 IB_ACCESS_REMOTE_READ | \
				 IB_ACCESS_REMOTE_ATOMIC | \
				 IB_ACCESS_MW_BIND | \
				 IB_ACCESS_ON_DEMAND | \
				 IB_ACCESS_HUGETLB)

static int smlx_mr_check_access(int access)
{
	/* Bits of the optional range may be ignored by a device, by design. */
	access &= ~IB_ACCESS_OPTIONAL;

	if (access & ~SMLX_MR_ACCESS_FLAGS)
		return -EINVAL;
	/* The device must be able to write what a peer may write. */
	if ((access & (IB_ACCESS_REMOTE_WRITE | IB_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & IB_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	/* Huge pages are a property of how ODP mirrors, not of pinning. */
	if ((access & IB_ACCESS_HUGETLB) && !(access & IB_ACCESS_ON_DEMAND))
		return -EINVAL;
	return 0;
}

static bool smlx_mr_is_implicit(u64 start, u64 length)
{
	/* ibv_reg_mr(pd, NULL, SIZE_MAX, ...) reaches us as exactly this. */
	return start == 0 && length == U64_MAX;
}

/* Range rules of an explicit MR, pinned or ODP. */
static int smlx_mr_check_range(u64 start, u64 length, u64 iova)
{
	u64 last;

	if (!length || length > SMLX_MAX_MR_SIZE)
		return -EINVAL;
	if (check_add_overflow(start, length - 1, &last) ||
	    check_add_overflow(iova, length - 1, &last))
		return -EINVAL;
	/* The device translates iova page by page onto the user pages. */
	if ((start ^ iova) & ~PAGE_MASK)
		return -EINVAL;
	return 0;
}

/*
 * Gives @mr its key: the index is reserved empty first and the MR published
 * only once complete, so a lookup never sees a half-built MR.
 */
static int smlx_mr_publish(struct smlx_dev *sdev, struct smlx_mr *mr)
{
	u32 index, key;
	int ret;

	ret = xa_alloc_cyclic(&sdev->mr_xa, &index, NULL,
			      XA_LIMIT(1, SMLX_MAX_MR), &sdev->mr_next_index,
			      GFP_KERNEL);
	if (ret < 0)
		return ret == -EBUSY ? -ENOMEM : ret;

	key = (index << SMLX_MR_KEY_VARIANT_BITS) |
	      ((u32)atomic_inc_return(&sdev->mr_variant) &
	       SMLX_MR_KEY_VARIANT_MASK);
	mr->ibmr.lkey = key;
	mr->ibmr.rkey = key;
	xa_store(&sdev->mr_xa, index, mr, GFP_KERNEL);
	return 0;
}

/* A new MR of @ibpd, not yet published: no one can find it by key. */
static struct smlx_mr *smlx_mr_alloc(struct ib_pd *ibpd, int access)
{
	struct smlx_mr *mr = kzalloc(sizeof(*mr), GFP_KERNEL);

	if (!mr)
		return NULL;
	/* ib_core sets these too, but only after the key is already live. */
	mr->ibmr.device = ibpd->device;
	mr->ibmr.pd = ibpd;
	mr->access = access;
	refcount_set(&mr->users, 1);
	init_completion(&mr->drained);
	return mr;
}

/* Fills the page table of a pinned MR from its umem's scatterlist. */
static int smlx_pinned_mr_map(struct smlx_mr *mr)
{
	size_t npages = ib_umem_num_pages(mr->umem);
	struct sg_page_iter it;
	size_t i = 0;

	mr->pages = kvmalloc_array(npages, sizeof(*mr->pages), GFP_KERNEL);
	if (!mr->pages)
		return -ENOMEM;
	for_each_sgtable_page(&mr->umem->sgt_append.sgt, &it, 0) {
		if (i == npages)
			break;
		mr->pages[i++] = sg_page_iter_page(&it);
	}
	if (i != npages) {
		/* ib_umem_get() pinned fewer pages than the range spans */
		kvfree(mr->pages);
		return -EFAULT;
	}
	return 0;
}

static void smlx_mr_release_memory(struct smlx_mr *mr)
{
	if (mr->kind == SMLX_MR_DMA)
		return;
	if (mr->kind == SMLX_MR_PINNED) {
		kvfree(mr->pages);
		ib_umem_release(mr->umem);
	} else {
		smlx_umem_odp_kill(mr->odp);
		smlx_odp_mr_fini(mr);
		smlx_umem_odp_release(mr->odp);
	}
}

struct ib_mr *smlx_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
			       u64 iova, int access, struct ib_udata *udata)
{
	struct smlx_dev *sdev = to_sdev(ibpd->device);
	struct smlx_mr *mr;
	int ret;

	ret = smlx_mr_check_access(access);
	if (ret)
		return ERR_PTR(ret);
	/* No driver-specific request exists: anything sent must be zero. */
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return ERR_PTR(-EINVAL);

	if (smlx_mr_is_implicit(start, length)) {
		/* Only ODP can cover what is not even mapped yet. */
		if (iova || !(access & IB_ACCESS_ON_DEMAND))
			return ERR_PTR(-EINVAL);
	} else {
		ret = smlx_mr_check_range(start, length, iova);
		if (ret)
			return ERR_PTR(ret);
	}

	mr = smlx_mr_alloc(ibpd, access);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->user_va = start;
	mr->iova = iova;
	mr->length = length;

	if (smlx_mr_is_implicit(start, length)) {
		mr->kind = SMLX_MR_IMPLICIT;
		mr->odp = smlx_umem_odp_alloc_implicit(access);
		ret = PTR_ERR_OR_ZERO(mr->odp);
	} else if (access & IB_ACCESS_ON_DEMAND) {
		mr->kind = SMLX_MR_ODP;
		mr->odp = smlx_umem_odp_get(start, length, access);
		ret = PTR_ERR_OR_ZERO(mr->odp);
	} else {
		mr->kind = SMLX_MR_PINNED;
		mr->umem = ib_umem_get(&sdev->ibdev, start, length, access);
		ret = PTR_ERR_OR_ZERO(mr->umem);
	}
	if (ret)
		goto err_free;
	if (mr->kind == SMLX_MR_PINNED) {
		ret = smlx_pinned_mr_map(mr);
		if (ret) {
			ib_umem_release(mr->umem);
			goto err_free;
		}
	} else {
		ret = smlx_odp_mr_init(mr);
		if (ret) {
			smlx_umem_odp_release(mr->odp);
			goto err_free;
		}
	}

	ret = smlx_mr_publish(sdev, mr);
	if (ret)
		goto err_release;
	return &mr->ibmr;

err_release:
	smlx_mr_release_memory(mr);
err_free:
	kfree(mr);
	return ERR_PTR(ret);
}

/**
 * smlx_get_dma_mr - an MR over all of the kernel's memory
 * @ibpd: a kernel PD (uverbs has no way to ask for one)
 * @access: IB_ACCESS_* rights
 *
 * ib_alloc_pd() makes one for its local_dma_lkey: without a DMA device,
 * ib_core hands kernel clients virtual addresses as DMA addresses
 * (ib_uses_virt_dma()), so the engine copies to and from the address in
 * the SGE.  The PD check keeps every user QP off it, and only a kernel
 * client that asks for remote rights (IB_PD_UNSAFE_GLOBAL_RKEY) gets them.
 */
struct ib_mr *smlx_get_dma_mr(struct ib_pd *ibpd, int access)
{
	struct smlx_dev *sdev = to_sdev(ibpd->device);
	struct smlx_mr *mr;
	int ret;

	ret = smlx_mr_check_access(access);
	if (ret)
		return ERR_PTR(ret);
	if (access & (IB_ACCESS_ON_DEMAND | IB_ACCESS_HUGETLB))
		return ERR_PTR(-EINVAL);

	mr = smlx_mr_alloc(ibpd, access);
	if (!mr)
		return ERR_PTR(-ENOMEM);
	mr->kind = SMLX_MR_DMA;
	mr->length = U64_MAX;

	ret = smlx_mr_publish(sdev, mr);
	if (ret) {
		kfree(mr);
		return ERR_PTR(ret);
	}
	return &mr->ibmr;
}

int smlx_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata)
{
	struct smlx_dev *sdev = to_sdev(ibmr->device);
	struct smlx_mr *mr = to_smr(ibmr);

	xa_erase(&sdev->mr_xa, ibmr->lkey >> SMLX_MR_KEY_VARIANT_BITS);
	/* No new user can find the key; wait for those that did. */
	smlx_mr_put(mr);
	wait_for_completion(&mr->drained);

	smlx_mr_release_memory(mr);
	kfree_rcu(mr, rcu);
	return 0;
}

/**
 * smlx_mr_get - the live MR named by @key, with a reference
 * @sdev: device
 * @key: lkey or rkey as a work request or a peer gave it
 *
 * Returns NULL for a key that names no MR now, including a stale key whose
 * index was reused.  Drop the reference with smlx_mr_put().
 */
struct smlx_mr *smlx_mr_get(struct smlx_dev *sdev, u32 key)
{
	struct smlx_mr *mr;

	rcu_read_lock();
	mr = xa_load(&sdev->mr_xa, key >> SMLX_MR_KEY_VARIANT_BITS);
	if (mr && (mr->ibmr.lkey != key || !refcount_inc_not_zero(&mr->users)))
		mr = NULL;
	rcu_read_unlock();
	return mr;
}

void smlx_mr_put(struct smlx_mr *mr)
{
	if (refcount_dec_and_test(&mr->users))
		complete(&mr->drained);
}
