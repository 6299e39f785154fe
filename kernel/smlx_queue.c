// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Allocation, mapping and index checks of the rings shared with the
 * provider.  A user ring is vmalloc_user() memory behind an
 * rdma_user_mmap_entry; it is freed from mmap_free, once both the queue is
 * destroyed and the process has unmapped it, so a process never sees its
 * ring's pages reused under its mapping.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "smlx.h"

struct smlx_queue *smlx_queue_create(struct ib_ucontext *uctx, u32 num_slots,
				     u32 stride)
{
	struct smlx_queue *q;
	size_t size;
	void *buf;
	int ret;

	if (!is_power_of_2(num_slots) || !is_power_of_2(stride))
		return ERR_PTR(-EINVAL);
	size = PAGE_ALIGN(SMLX_RING_DATA_OFFSET + (size_t)num_slots * stride);

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return ERR_PTR(-ENOMEM);
	buf = uctx ? vmalloc_user(size) : vzalloc(size);
	if (!buf) {
		ret = -ENOMEM;
		goto err_free_q;
	}
	q->ring = buf;
	q->slots = (u8 *)buf + SMLX_RING_DATA_OFFSET;
	q->num_slots = num_slots;
	q->mask = num_slots - 1;
	q->stride = stride;
	q->size = size;
	q->ring->num_slots = num_slots;
	q->ring->stride = stride;

	if (uctx) {
		q->mmap = kzalloc(sizeof(*q->mmap), GFP_KERNEL);
		if (!q->mmap) {
			ret = -ENOMEM;
			goto err_free_buf;
		}
		q->mmap->vbuf = buf;
		ret = rdma_user_mmap_entry_insert(uctx, &q->mmap->rdma_entry,
						  size);
		if (ret) {
			kfree(q->mmap);
			goto err_free_buf;
		}
	}
	return q;

err_free_buf:
	vfree(buf);
err_free_q:
	kfree(q);
	return ERR_PTR(ret);
}

/* The buffer of a user ring lives on until the process unmaps it. */
void smlx_queue_destroy(struct smlx_queue *q)
{
	if (!q)
		return;
	if (q->mmap)
		rdma_user_mmap_entry_remove(&q->mmap->rdma_entry);
	else
		vfree(q->ring);
	kfree(q);
}

void smlx_queue_info(const struct smlx_queue *q, struct smlx_ring_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!q)
		return;
	info->mmap_offset = rdma_user_mmap_get_offset(&q->mmap->rdma_entry);
	info->mmap_size = q->size;
	info->num_slots = q->num_slots;
	info->stride = q->stride;
}

/* Called by smlx_mmap() for entries that carry a ring. */
int smlx_queue_mmap(struct vm_area_struct *vma, struct smlx_mmap_entry *entry)
{
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	vma->vm_flags &= ~VM_MAYEXEC;
	return remap_vmalloc_range(vma, entry->vbuf, 0);
}

void smlx_queue_mmap_free(struct smlx_mmap_entry *entry)
{
	vfree(entry->vbuf);
	kfree(entry);
}

/**
 * smlx_queue_avail - WQEs userspace produced past @from
 * @q: SQ, RQ or SRQ
 * @from: the kernel's private fetch position, at or after q->kidx
 *
 * Reads the user-owned producer index once.  Returns how many WQEs are
 * ready from @from on, or -EPROTO when the index is impossible: moved
 * backwards past what the kernel consumed, or more than a ring ahead.
 */
int smlx_queue_avail(struct smlx_queue *q, u32 from)
{
	/* pairs with the provider's release store: WQEs before the index */
	u32 prod = smp_load_acquire(&q->ring->producer);
	u32 posted = prod - q->kidx;

	if (posted > q->num_slots || from - q->kidx > posted)
		return -EPROTO;
	return prod - from;
}

/**
 * smlx_queue_space - free CQE slots
 * @q: a CQ ring
 *
 * Reads the user-owned consumer index once.  Returns the free slots, or
 * -EPROTO when the consumer claims to be past what was produced.
 */
int smlx_queue_space(struct smlx_queue *q)
{
	/* pairs with the provider's release store: it is done with the CQEs */
	u32 cons = smp_load_acquire(&q->ring->consumer);
	u32 used = q->kidx - cons;

	if (used > q->num_slots)
		return -EPROTO;
	return q->num_slots - used;
}
