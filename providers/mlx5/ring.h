/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A queue ring the kernel shares with this process (format in
 * <rdma/smlx-queue.h>, protocol in docs/queues.md): mapping it, finding a
 * slot, and the acquire/release accesses that order slot contents against
 * the producer and consumer indices.
 */
#ifndef SMLX_PROVIDER_RING_H
#define SMLX_PROVIDER_RING_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <rdma/smlx-abi.h>
#include <rdma/smlx-queue.h>

struct smlx_mapped_ring {
	struct smlx_ring *hdr;	/* NULL: the queue has no ring */
	uint8_t *slots;
	size_t map_size;
	uint32_t num_slots;
	uint32_t mask;
	uint32_t stride;
	/* Our private copy of the index this process owns. */
	uint32_t own_index;
};

static inline bool smlx_ring_present(const struct smlx_mapped_ring *ring)
{
	return ring->hdr != NULL;
}

static inline uint32_t smlx_ring_load_acquire(const uint32_t *index)
{
	return __atomic_load_n(index, __ATOMIC_ACQUIRE);
}

static inline void smlx_ring_store_release(uint32_t *index, uint32_t value)
{
	__atomic_store_n(index, value, __ATOMIC_RELEASE);
}

static inline void *smlx_ring_slot(const struct smlx_mapped_ring *ring,
				   uint32_t index)
{
	return ring->slots + (size_t)(index & ring->mask) * ring->stride;
}

/*
 * Maps the ring the kernel described in @info.  A zero mmap_size means the
 * queue has none (QP on an SRQ, XRC target); the ring is then left absent.
 * The geometry must be the one the header in the mapping carries and at
 * least @min_stride bytes per slot: anything else is a kernel we do not
 * understand, so we refuse it rather than write past a slot.
 */
static inline int smlx_ring_map(struct smlx_mapped_ring *ring, int cmd_fd,
				const struct smlx_ring_info *info,
				uint32_t min_stride)
{
	uint64_t need;
	void *map;

	*ring = (struct smlx_mapped_ring){};
	if (!info->mmap_size)
		return 0;

	if (!info->num_slots || (info->num_slots & (info->num_slots - 1)) ||
	    info->stride < min_stride || (info->stride & (info->stride - 1)))
		return EPROTO;
	need = SMLX_RING_DATA_OFFSET +
	       (uint64_t)info->num_slots * info->stride;
	if (info->mmap_size < need)
		return EPROTO;

	map = mmap(NULL, info->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   cmd_fd, (off_t)info->mmap_offset);
	if (map == MAP_FAILED)
		return errno;

	ring->hdr = map;
	ring->slots = (uint8_t *)map + SMLX_RING_DATA_OFFSET;
	ring->map_size = info->mmap_size;
	ring->num_slots = info->num_slots;
	ring->mask = info->num_slots - 1;
	ring->stride = info->stride;

	if (ring->hdr->num_slots != info->num_slots ||
	    ring->hdr->stride != info->stride) {
		munmap(map, info->mmap_size);
		*ring = (struct smlx_mapped_ring){};
		return EPROTO;
	}
	return 0;
}

static inline void smlx_ring_unmap(struct smlx_mapped_ring *ring)
{
	if (ring->hdr)
		munmap(ring->hdr, ring->map_size);
	*ring = (struct smlx_mapped_ring){};
}

/*
 * Producer side (SQ, RQ, SRQ): how many slots are free.  The kernel's
 * consumer index is read with acquire so that we only reuse a slot after
 * the kernel has finished copying the WQE out of it.
 */
static inline uint32_t smlx_ring_free_slots(const struct smlx_mapped_ring *ring,
					    uint32_t producer)
{
	uint32_t used = producer - smlx_ring_load_acquire(&ring->hdr->consumer);

	/* A kernel index ahead of ours would be a kernel bug: never overrun. */
	if (used > ring->num_slots)
		return 0;
	return ring->num_slots - used;
}

/* Producer side: make every slot before @producer visible to the kernel. */
static inline void smlx_ring_publish(struct smlx_mapped_ring *ring,
				     uint32_t producer)
{
	ring->own_index = producer;
	smlx_ring_store_release(&ring->hdr->producer, producer);
}

#endif /* SMLX_PROVIDER_RING_H */
