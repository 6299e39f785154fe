/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Rings shared with the provider (formats: uapi/rdma/smlx-queue.h, protocol:
 * docs/queues.md).  The kernel keeps a private copy of the index it owns and
 * checks every index userspace wrote against it before trusting it.
 */
#ifndef SMLX_QUEUE_H
#define SMLX_QUEUE_H

#include <linux/types.h>
#include <rdma/ib_verbs.h>
#include <rdma/smlx-abi.h>
#include <rdma/smlx-queue.h>

struct smlx_mem_budget;
struct smlx_mmap_entry;

struct smlx_queue {
	struct smlx_ring *ring;		/* header, then the slots */
	u8 *slots;
	u32 num_slots;			/* power of two */
	u32 mask;
	u32 stride;			/* power of two */
	size_t size;			/* bytes, page aligned */
	struct smlx_mmap_entry *mmap;	/* NULL for a kernel-only queue */
	/* The kernel's own index: CQ producer, RQ/SRQ/SQ consumer. */
	u32 kidx;
	/* A user queue's context budget; what smlx_queue_side_alloc() took */
	struct smlx_mem_budget *budget;
	size_t side_bytes;
};

struct smlx_queue *smlx_queue_create(struct ib_ucontext *uctx, u32 num_slots,
				     u32 stride);
void smlx_queue_destroy(struct smlx_queue *q);
void *smlx_queue_side_alloc(struct smlx_queue *q, size_t size);
void smlx_queue_info(const struct smlx_queue *q, struct smlx_ring_info *info);
int smlx_queue_mmap(struct vm_area_struct *vma, struct smlx_mmap_entry *entry);
void smlx_queue_mmap_free(struct smlx_mmap_entry *entry);

int smlx_queue_avail(struct smlx_queue *q, u32 from);
int smlx_queue_space(struct smlx_queue *q);

static inline void *smlx_queue_slot(const struct smlx_queue *q, u32 idx)
{
	return q->slots + (size_t)(idx & q->mask) * q->stride;
}

/* Publishes the kernel-owned consumer index (SQ, RQ, SRQ). */
static inline void smlx_queue_set_consumer(struct smlx_queue *q, u32 idx)
{
	q->kidx = idx;
	/* the slots are copied out before the provider may reuse them */
	smp_store_release(&q->ring->consumer, idx);
}

/* Publishes the kernel-owned producer index (CQ). */
static inline void smlx_queue_set_producer(struct smlx_queue *q, u32 idx)
{
	q->kidx = idx;
	/* the CQEs are written before the provider may read them */
	smp_store_release(&q->ring->producer, idx);
}

static inline void smlx_queue_set_error(struct smlx_queue *q)
{
	WRITE_ONCE(q->ring->flags, READ_ONCE(q->ring->flags) | SMLX_RING_ERROR);
}

#endif /* SMLX_QUEUE_H */
