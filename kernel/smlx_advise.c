// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_advise_mr(): prefetching ODP MRs, as mlx5 does it.
 *
 *   PREFETCH           read fault; pages come in read-only unless already
 *                      writable, so no COW is broken (mlx5's DOWNGRADE)
 *   PREFETCH_WRITE     write fault, breaking COW; the MR must be writable
 *   PREFETCH_NO_FAULT  mirror only the pages already present (snapshot)
 *
 * Every SGE's key is resolved first, and a bad one fails the call at once
 * whatever the flags.  With IB_UVERBS_ADVISE_MR_FLAG_FLUSH the pages are
 * mapped before we return and the first error is returned; without it the
 * work is queued on the context's ODP queue and best effort: its errors
 * are dropped.  A context has at most SMLX_ODP_PREFETCH_QUEUED_MAX
 * prefetches queued; past that one runs in the caller, errors dropped too.
 * Neither holds the MRs while it maps (their umems instead): deregistration
 * does not wait for a prefetch that blocks.
 */
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <rdma/uverbs_ioctl.h>

#include "smlx.h"
#include "smlx_odp.h"

struct smlx_prefetch_sge {
	struct smlx_odp_target t;	/* the MR's, holding its umem */
	u64 iova;
	u32 length;
};

struct smlx_prefetch_work {
	struct smlx_odp_item item;
	struct smlx_odp_queue *q;	/* counted in q->prefetches */
	unsigned int map_flags;
	u32 num_sge;
	struct smlx_prefetch_sge sge[];
};

/* The ODP MR @sge names, with a reference, or an ERR_PTR. */
static struct smlx_mr *smlx_prefetch_mr(struct ib_pd *pd,
					enum ib_uverbs_advise_mr_advice advice,
					const struct ib_sge *sge)
{
	struct smlx_mr *mr;
	u64 end;
	int ret;

	mr = smlx_mr_get(to_sdev(pd->device), sge->lkey);
	if (!mr)
		return ERR_PTR(-ENOENT);
	ret = -EINVAL;
	if (!smlx_mr_is_odp(mr))
		goto err_put;
	ret = -EPERM;
	if (mr->ibmr.pd != pd)
		goto err_put;
	if (advice == IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE &&
	    !mr->odp->writable)
		goto err_put;
	ret = -EFAULT;
	if (check_add_overflow(sge->addr, (u64)sge->length, &end))
		goto err_put;
	if (mr->kind == SMLX_MR_ODP &&
	    (sge->addr < mr->iova || end > mr->iova + mr->length))
		goto err_put;
	/* An implicit MR covers the user address space, no more. */
	if (mr->kind == SMLX_MR_IMPLICIT && end > TASK_SIZE)
		goto err_put;
	return mr;

err_put:
	smlx_mr_put(mr);
	return ERR_PTR(ret);
}

/* Prefetches one SGE; returns 0 or the first error. */
static int smlx_prefetch_one(const struct smlx_odp_target *t, u64 iova,
			     u32 length, unsigned int map_flags)
{
	u64 pages = 0;
	int ret;

	if (!length)
		return 0;
	ret = smlx_odp_map_range(t, iova, length, map_flags, &pages);
	smlx_odp_count(t->odp, SMLX_ODP_PAGE_PREFETCH, pages);
	return ret;
}

static void smlx_prefetch_work_fn(struct smlx_odp_item *item)
{
	struct smlx_prefetch_work *pw =
		container_of(item, struct smlx_prefetch_work, item);
	u32 i;

	for (i = 0; i < pw->num_sge; i++) {
		/* Best effort: nobody is left to tell about a failure. */
		smlx_prefetch_one(&pw->sge[i].t, pw->sge[i].iova,
				  pw->sge[i].length, pw->map_flags);
		smlx_odp_target_fini(&pw->sge[i].t);
	}
	spin_lock(&pw->q->lock);
	pw->q->prefetches--;
	spin_unlock(&pw->q->lock);
	kfree(pw);
}

/* Every key is checked before any page is touched. */
static int smlx_prefetch_check(struct ib_pd *pd,
			       enum ib_uverbs_advise_mr_advice advice,
			       const struct ib_sge *sg_list, u32 num_sge)
{
	struct smlx_mr *mr;
	u32 i;

	for (i = 0; i < num_sge; i++) {
		mr = smlx_prefetch_mr(pd, advice, &sg_list[i]);
		if (IS_ERR(mr))
			return PTR_ERR(mr);
		smlx_mr_put(mr);
	}
	return 0;
}

static int smlx_prefetch_sync(struct ib_pd *pd,
			      enum ib_uverbs_advise_mr_advice advice,
			      unsigned int map_flags,
			      const struct ib_sge *sg_list, u32 num_sge,
			      bool best_effort)
{
	struct smlx_odp_target t;
	struct smlx_mr *mr;
	int ret;
	u32 i;

	ret = smlx_prefetch_check(pd, advice, sg_list, num_sge);
	for (i = 0; i < num_sge && !ret; i++) {
		mr = smlx_prefetch_mr(pd, advice, &sg_list[i]);
		if (IS_ERR(mr))
			return PTR_ERR(mr);
		smlx_odp_target_init(&t, mr);
		smlx_mr_put(mr);
		ret = smlx_prefetch_one(&t, sg_list[i].addr, sg_list[i].length,
					map_flags);
		smlx_odp_target_fini(&t);
		if (best_effort)
			ret = 0;
	}
	return ret;
}

static int smlx_prefetch_async(struct ib_pd *pd,
			       enum ib_uverbs_advise_mr_advice advice,
			       unsigned int map_flags,
			       const struct ib_sge *sg_list, u32 num_sge)
{
	struct smlx_dev *sdev = to_sdev(pd->device);
	struct smlx_odp_queue *q = smlx_odp_queue_of(sdev, pd);
	struct smlx_prefetch_work *pw;
	struct smlx_mr *mr;
	bool full;
	int ret;
	u32 i;

	ret = smlx_prefetch_check(pd, advice, sg_list, num_sge);
	if (ret)
		return ret;
	spin_lock(&q->lock);
	full = q->prefetches >= SMLX_ODP_PREFETCH_QUEUED_MAX;
	if (!full)
		q->prefetches++;
	spin_unlock(&q->lock);
	/* Enough queued already: this one runs now, still best effort. */
	if (full)
		return smlx_prefetch_sync(pd, advice, map_flags, sg_list,
					  num_sge, true);

	pw = kzalloc(struct_size(pw, sge, num_sge), GFP_KERNEL_ACCOUNT);
	if (!pw) {
		ret = -ENOMEM;
		goto err_count;
	}
	for (i = 0; i < num_sge; i++) {
		mr = smlx_prefetch_mr(pd, advice, &sg_list[i]);
		if (IS_ERR(mr)) {
			ret = PTR_ERR(mr);
			while (i--)
				smlx_odp_target_fini(&pw->sge[i].t);
			kfree(pw);
			goto err_count;
		}
		smlx_odp_target_init(&pw->sge[i].t, mr);
		smlx_mr_put(mr);
		pw->sge[i].iova = sg_list[i].addr;
		pw->sge[i].length = sg_list[i].length;
	}
	pw->num_sge = num_sge;
	pw->map_flags = map_flags;
	pw->q = q;
	pw->item.run = smlx_prefetch_work_fn;
	pw->item.sdev = sdev;
	smlx_odp_queue_add(q, &pw->item);
	return 0;

err_count:
	spin_lock(&q->lock);
	q->prefetches--;
	spin_unlock(&q->lock);
	return ret;
}

int smlx_advise_mr(struct ib_pd *pd, enum ib_uverbs_advise_mr_advice advice,
		   u32 flags, struct ib_sge *sg_list, u32 num_sge,
		   struct uverbs_attr_bundle *attrs)
{
	unsigned int map_flags;

	switch (advice) {
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH:
		map_flags = 0;
		break;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE:
		map_flags = SMLX_ODP_MAP_WRITE;
		break;
	case IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_NO_FAULT:
		map_flags = SMLX_ODP_MAP_SNAPSHOT;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (flags & ~IB_UVERBS_ADVISE_MR_FLAG_FLUSH)
		return -EINVAL;
	if (!num_sge)
		return 0;

	if (flags & IB_UVERBS_ADVISE_MR_FLAG_FLUSH)
		return smlx_prefetch_sync(pd, advice, map_flags, sg_list,
					  num_sge, false);
	return smlx_prefetch_async(pd, advice, map_flags, sg_list, num_sge);
}
