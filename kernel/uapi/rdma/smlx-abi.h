/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * Driver-private part of the uverbs ABI between the smlx kernel module and
 * its userspace provider (providers/mlx5).  Everything the generic uverbs
 * ABI (<rdma/ib_user_verbs.h>) already carries stays there; this header only
 * holds what travels in the driver data ("udata") of each command.
 *
 * Both sides include this one file, so it must only use fixed-size __u types
 * and keep every struct a multiple of 8 bytes.
 */
#ifndef SMLX_ABI_USER_H
#define SMLX_ABI_USER_H

#include <linux/types.h>

/* Reported as ib_device_ops.uverbs_abi_ver; the provider refuses others. */
#define SMLX_UVERBS_ABI_VERSION 1

/* Content of /sys/class/infiniband/<dev>/hca_type; the provider matches on it. */
#define SMLX_HCA_TYPE "smlx"

/*
 * Per-context page the kernel shares read-only with the process
 * (mmap at smlx_alloc_ucontext_resp.status_page_offset).  The device
 * updates it; userspace never writes it.
 */
struct smlx_status_page {
	__u32 version;		/* SMLX_STATUS_PAGE_VERSION */
	__u32 flags;		/* SMLX_STATUS_* */
	__u64 clock_ns;		/* device clock, refreshed on every status change */
};

#define SMLX_STATUS_PAGE_VERSION 1

enum smlx_status_flags {
	SMLX_STATUS_DEVICE_FATAL = 1 << 0,
};

struct smlx_alloc_ucontext_cmd {
	__u32 provider_abi;	/* SMLX_UVERBS_ABI_VERSION the provider speaks */
	__u32 reserved;
};

struct smlx_alloc_ucontext_resp {
	__u32 abi_version;	/* SMLX_UVERBS_ABI_VERSION */
	__u32 page_size;	/* kernel PAGE_SIZE */
	__u64 status_page_offset;	/* mmap offset of struct smlx_status_page */
	__u32 status_page_size;
	__u32 max_inline_data;
	__u32 odp_chunk_shift;	/* implicit ODP child size is 1 << shift */
	__u32 reserved;
};

struct smlx_alloc_pd_resp {
	__u32 pdn;
	__u32 reserved;
};

/*
 * Queues (formats in smlx-queue.h).  For each ring the kernel returns where
 * to mmap it and its geometry; the provider never chooses sizes itself.
 */
struct smlx_ring_info {
	__u64 mmap_offset;
	__u32 mmap_size;	/* bytes, including the struct smlx_ring header */
	__u32 num_slots;
	__u32 stride;
	__u32 reserved;
};

struct smlx_create_cq_resp {
	struct smlx_ring_info ring;
	__u32 cqn;
	__u32 reserved;
};

struct smlx_resize_cq_resp {
	struct smlx_ring_info ring;	/* the new ring; the old one is unmapped */
};

struct smlx_create_qp_resp {
	struct smlx_ring_info sq;
	struct smlx_ring_info rq;	/* mmap_size 0: none (SRQ or XRC target) */
	__u32 qpn;
	__u32 max_inline_data;
};

struct smlx_create_srq_resp {
	struct smlx_ring_info ring;
	__u32 srqn;
	__u32 reserved;
};

struct smlx_create_ah_resp {
	__u32 ah_num;		/* what UD send WQEs carry */
	__u32 reserved;
};

#endif /* SMLX_ABI_USER_H */
