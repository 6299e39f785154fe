/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * Formats of the queues the smlx kernel module shares with its provider:
 * send queues, receive queues, shared receive queues and completion queues.
 * docs/queues.md explains the protocol; this file is the contract.
 *
 * Every queue is one virtually contiguous buffer allocated by the kernel
 * (vmalloc_user) and mapped into the process with mmap at the offset the
 * create command returned.  It starts with a struct smlx_ring header; slots
 * follow at SMLX_RING_DATA_OFFSET, each 'stride' bytes, 'num_slots' of them
 * (a power of two).  Indices are free-running __u32 counters; the slot of
 * index i is i & (num_slots - 1).
 *
 * Each index has exactly one writer:
 *   SQ, RQ, SRQ: userspace produces WQEs (writes 'producer'),
 *                the kernel consumes them (writes 'consumer').
 *   CQ:          the kernel produces CQEs, userspace consumes them.
 * The kernel never trusts what userspace wrote: it reads the user-owned
 * index once, checks it against its private copy of its own index and the
 * ring size, and copies a WQE out of the ring before it looks at it.
 */
#ifndef SMLX_QUEUE_ABI_H
#define SMLX_QUEUE_ABI_H

#include <linux/types.h>

/* Producer and consumer live on separate cache lines. */
struct smlx_ring {
	__u32 producer;
	__u32 reserved0[15];
	__u32 consumer;
	__u32 reserved1[15];
	__u32 num_slots;	/* power of two; written by the kernel at creation */
	__u32 stride;		/* bytes per slot, power of two */
	__u32 flags;		/* enum smlx_ring_flags, written by the kernel */
	__u32 reserved2[13];
};

#define SMLX_RING_DATA_OFFSET 256

enum smlx_ring_flags {
	/* The kernel found the ring corrupt or overran (CQ): queue is dead. */
	SMLX_RING_ERROR = 1 << 0,
};

struct smlx_sge {
	__u64 addr;
	__u32 length;
	__u32 lkey;
};

/* Send WQE opcodes: the values of enum ibv_wr_opcode. */
enum smlx_wqe_opcode {
	SMLX_WQE_RDMA_WRITE = 0,
	SMLX_WQE_RDMA_WRITE_WITH_IMM = 1,
	SMLX_WQE_SEND = 2,
	SMLX_WQE_SEND_WITH_IMM = 3,
	SMLX_WQE_RDMA_READ = 4,
	SMLX_WQE_ATOMIC_CMP_AND_SWP = 5,
	SMLX_WQE_ATOMIC_FETCH_AND_ADD = 6,
	SMLX_WQE_LOCAL_INV = 7,
	SMLX_WQE_BIND_MW = 8,
	SMLX_WQE_SEND_WITH_INV = 9,
};

enum smlx_wqe_flags {
	SMLX_WQE_SIGNALED = 1 << 0,
	SMLX_WQE_SOLICITED = 1 << 1,
	SMLX_WQE_FENCE = 1 << 2,
	SMLX_WQE_INLINE = 1 << 3,	/* data follows the header, not SGEs */
};

/*
 * A send WQE: this header, then either num_sge struct smlx_sge or
 * inline_len bytes of data.  A WQE never spans two slots.
 */
struct smlx_send_wqe {
	__u64 wr_id;
	__u8 opcode;		/* enum smlx_wqe_opcode */
	__u8 flags;		/* enum smlx_wqe_flags */
	__u16 num_sge;
	__be32 imm_data;	/* or the rkey to invalidate (SEND_WITH_INV) */
	__u32 inline_len;
	__u32 xrc_remote_srqn;	/* XRC send QPs: target SRQ */
	union {
		struct {
			__u64 remote_addr;
			__u32 rkey;
			__u32 reserved;
		} rdma;
		struct {
			__u64 remote_addr;
			__u64 compare_add;
			__u64 swap;
			__u32 rkey;
			__u32 reserved;
		} atomic;
		struct {
			__u32 ah_num;	/* smlx_create_ah_resp.ah_num */
			__u32 remote_qpn;
			__u32 remote_qkey;
			__u32 reserved;
		} ud;
	} u;
	__u64 reserved;		/* keeps the header at 64 bytes */
};

/* A receive WQE (RQ and SRQ): this header, then num_sge struct smlx_sge. */
struct smlx_recv_wqe {
	__u64 wr_id;
	__u32 num_sge;
	__u32 reserved;
};

/* CQE wc_flags: the values of enum ibv_wc_flags. */
enum smlx_cqe_wc_flags {
	SMLX_WC_GRH = 1 << 0,		/* 40 bytes of RoCE header lead the data */
	SMLX_WC_WITH_IMM = 1 << 1,
};

/* Completion entry: everything struct ibv_wc and ibv_cq_ex can report. */
struct smlx_cqe {
	__u64 wr_id;
	__u8 status;		/* enum ibv_wc_status */
	__u8 opcode;		/* enum ibv_wc_opcode */
	__u16 wc_flags;		/* enum ibv_wc_flags */
	__u32 vendor_err;
	__u32 byte_len;
	__be32 imm_data;	/* or the invalidated rkey */
	__u32 qp_num;
	__u32 src_qp;
	__u16 pkey_index;
	__u16 slid;
	__u8 sl;
	__u8 dlid_path_bits;
	__u16 reserved;
	__u64 timestamp_ns;	/* device clock at completion */
	__u64 reserved2[2];
};

#endif /* SMLX_QUEUE_ABI_H */
