// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Allocation, mapping and index checks of the rings shared with the
 * provider.  A user ring is vmalloc memory behind an rdma_user_mmap_entry;
 * it is freed from mmap_free, once both the queue is destroyed and the
 * process has unmapped it, so a process never sees its ring's pages reused
 * under its mapping.  Its size is the user's choice: it is charged to the
 * process's memory cgroup (SMLX_GFP_USER) and to its context's budget
 * (ucontext_mem_max) until it is freed.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "smlx.h"

struct smlx_queue *smlx_queue_create(struct ib_ucontext *uctx, u32 num_slots,
				     u32 stride)
{
	struct smlx_mem_budget *budget = uctx ? to_suctx(uctx)->budget : NULL;
	struct smlx_queue *q;
	size_t size;
	void *buf;
	int ret;

	if (!is_power_of_2(num_slots) || !is_power_of_2(stride))
		return ERR_PTR(-EINVAL);
	size = PAGE_ALIGN(SMLX_RING_DATA_OFFSET + (size_t)num_slots * stride);

	q = kzalloc(sizeof(*q), uctx ? GFP_KERNEL_ACCOUNT : GFP_KERNEL);
	if (!q)
		return ERR_PTR(-ENOMEM);
	ret = smlx_budget_charge(budget, size);
	if (ret)
		goto err_free_q;
	/* Mapped page by page by smlx_queue_mmap(): no VM_USERMAP needed. */
	buf = uctx ? __vmalloc(size, SMLX_GFP_USER | __GFP_ZERO) : vzalloc(size);
	if (!buf) {
		ret = -ENOMEM;
		goto err_uncharge;
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
		q->mmap = kzalloc(sizeof(*q->mmap), GFP_KERNEL_ACCOUNT);
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
		/* From here on the ring's charge goes with its buffer. */
		q->mmap->budget = smlx_budget_get(budget);
		q->mmap->charged = size;
		q->budget = smlx_budget_get(budget);
	}
	return q;

err_free_buf:
	vfree(buf);
err_uncharge:
	smlx_budget_uncharge(budget, size);
err_free_q:
	kfree(q);
	return ERR_PTR(ret);
}

/**
 * smlx_queue_side_alloc - zeroed kernel memory that goes with @q
 * @q: the queue whose owner is charged
 * @size: bytes
 *
 * For the kernel's own copies of a user queue (the QP's send queue
 * shadow): charged like the ring, to the memory cgroup of the caller and
 * to the context's budget; the budget's share is given back by
 * smlx_queue_destroy(), and the caller kvfree()s the memory along with it.
 * Returns NULL when over either.
 */
void *smlx_queue_side_alloc(struct smlx_queue *q, size_t size)
{
	void *p;

	if (!q->budget)
		return kvzalloc(size, GFP_KERNEL);
	if (smlx_budget_charge(q->budget, size))
		return NULL;
	p = kvzalloc(size, SMLX_GFP_USER);
	if (!p) {
		smlx_budget_uncharge(q->budget, size);
		return NULL;
	}
	q->side_bytes += size;
	return p;
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
	smlx_budget_uncharge(q->budget, q->side_bytes);
	smlx_budget_put(q->budget);
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

/*
 * Called by smlx_mmap() for entries that carry a ring; rdma_user_mmap_entry_get()
 * checked that the VMA is exactly as long as the ring.  What
 * remap_vmalloc_range() does, for a buffer vmalloc_user() did not make
 * (it cannot charge a memory cgroup).
 */
int smlx_queue_mmap(struct vm_area_struct *vma, struct smlx_mmap_entry *entry)
{
	unsigned long off;
	int ret;

	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	vma->vm_flags &= ~VM_MAYEXEC;
	for (off = 0; off < vma->vm_end - vma->vm_start; off += PAGE_SIZE) {
		ret = vm_insert_page(vma, vma->vm_start + off,
				     vmalloc_to_page(entry->vbuf + off));
		if (ret)
			return ret;
	}
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	return 0;
}

void smlx_queue_mmap_free(struct smlx_mmap_entry *entry)
{
	vfree(entry->vbuf);
	smlx_budget_uncharge(entry->budget, entry->charged);
	smlx_budget_put(entry->budget);
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
