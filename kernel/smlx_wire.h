/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The in-kernel "wire" between QPs of smlx devices.  A packet is a kernel
 * struct with a copy of its payload; delivery finds the destination device
 * by its wire port (resolved once from a GID) and the QP by number, and
 * appends the packet to that QP's inbox.  Nothing is shared between sender
 * and receiver after delivery, and no lock is held across a data copy.
 */
#ifndef SMLX_WIRE_H
#define SMLX_WIRE_H

#include <linux/list.h>
#include <linux/types.h>
#include <rdma/ib_verbs.h>

struct smlx_dev;

#define SMLX_PSN_MASK		0xffffff
/* Payload of one RC/UC packet; UD messages are limited by the path MTU. */
#define SMLX_WIRE_SEG		4096U

enum smlx_pkt_op {
	SMLX_OP_SEND = 1,
	SMLX_OP_WRITE,
	SMLX_OP_READ_REQ,
	SMLX_OP_READ_RESP,
	SMLX_OP_ATOMIC,
	SMLX_OP_ATOMIC_RESP,
	SMLX_OP_ACK,
};

enum smlx_pkt_flags {
	SMLX_PKT_FIRST = 1 << 0,
	SMLX_PKT_LAST = 1 << 1,
	SMLX_PKT_IMM = 1 << 2,		/* imm carries immediate data */
	SMLX_PKT_INV = 1 << 3,		/* imm carries an rkey to invalidate */
	SMLX_PKT_SOLICITED = 1 << 4,
	SMLX_PKT_CMP_SWP = 1 << 5,	/* atomic: compare and swap, else add */
};

/*
 * The headers a RoCE packet carries before BTH.  The values are those of an
 * mlx5 CQE's RoCE L3 header type, which a UD receive reports in wc.sl: UCX
 * reads the sender's address out of the 40 bytes before the payload by it.
 */
enum smlx_net_type {
	SMLX_NET_ROCE_V1,		/* IB GRH */
	SMLX_NET_ROCE_V2_IPV6,
	SMLX_NET_ROCE_V2_IPV4,
};

/* ACK syndromes, as the IB AETH distinguishes them. */
enum smlx_ack_code {
	SMLX_ACK_OK,
	SMLX_NAK_RNR,
	SMLX_NAK_SEQ,
	SMLX_NAK_INV_REQ,
	SMLX_NAK_REM_ACCESS,
	SMLX_NAK_REM_OP,
};

struct smlx_pkt {
	struct list_head node;
	u8 op;			/* enum smlx_pkt_op */
	u8 flags;		/* enum smlx_pkt_flags */
	u8 ack;			/* enum smlx_ack_code (SMLX_OP_ACK) */
	u8 rnr_timer;		/* RNR NAK: the responder's min_rnr_timer */
	u8 qpt;			/* enum ib_qp_type of the sending QP */
	u8 net_type;		/* enum smlx_net_type */
	u8 hop_limit;
	u8 traffic_class;
	u32 flow_label;
	u32 src_port;		/* wire ports, for replies */
	u32 dst_port;
	u32 src_qpn;
	u32 dst_qpn;
	u32 psn;
	u32 qkey;		/* UD */
	u32 srqn;		/* XRC: target SRQ */
	__be32 imm;
	u64 va;			/* WRITE, READ_REQ, ATOMIC: this packet's address */
	u32 rkey;
	u32 dma_len;		/* READ_REQ: bytes; WRITE FIRST: message length */
	u64 swap_add;		/* ATOMIC */
	u64 compare;		/* ATOMIC; ATOMIC_RESP: the original value */
	union ib_gid sgid;
	union ib_gid dgid;
	u32 len;		/* payload bytes */
	u8 data[];
};

struct smlx_wire_port {
	struct list_head node;		/* on the wire's RCU list */
	u32 id;				/* never reused; 0 means none */
	struct smlx_dev *sdev;
};

struct smlx_pkt *smlx_pkt_alloc(u32 len, gfp_t gfp);
void smlx_pkt_free(struct smlx_pkt *pkt);
void smlx_pkt_free_list(struct list_head *list);

void smlx_wire_port_add(struct smlx_wire_port *port, struct smlx_dev *sdev);
void smlx_wire_port_del(struct smlx_wire_port *port);
u32 smlx_wire_resolve(const union ib_gid *gid);
bool smlx_wire_send(struct smlx_pkt *pkt);
bool smlx_wire_send_run(struct smlx_pkt *pkt);

#endif /* SMLX_WIRE_H */
