/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The smlx data path: CQs, QPs, SRQs, AHs, XRC domains and the execution
 * engine that moves data between QPs.  docs/engine.md explains the design;
 * docs/queues.md the rings shared with the provider.
 */
#ifndef SMLX_ENGINE_H
#define SMLX_ENGINE_H

#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>

#include "smlx_queue.h"
#include "smlx_wire.h"

struct smlx_dev;
struct smlx_mr;
struct smlx_qp;

/*
 * Keeps in @longest (jiffies) the time since @since if it is longer: the
 * longest stall, queue wait or mapping "rdma resource show qp -dd" reports.
 * One writer each (the resume under fault_lock, a queue's single work).
 */
static inline void smlx_keep_longest(unsigned long *longest,
				     unsigned long since)
{
	unsigned long took = jiffies - since;

	if (took > READ_ONCE(*longest))
		WRITE_ONCE(*longest, took);
}

/* Outstanding RDMA READ/atomic requests per QP, each direction. */
#define SMLX_MAX_RD_ATOMIC	16

/* Per-device state of the data path, embedded in struct smlx_dev. */
struct smlx_engine_dev {
	struct workqueue_struct *wq;	/* one work item per QP, unbound */
	struct xarray qp_xa;		/* qpn -> struct smlx_qp */
	u32 qp_next;
	struct xarray srq_xa;		/* srqn -> struct smlx_srq */
	u32 srq_next;
	struct xarray cq_xa;		/* cqn -> struct smlx_cq */
	u32 cq_next;
	struct xarray ah_xa;		/* ah_num -> struct smlx_ah */
	u32 ah_next;
	struct smlx_wire_port port;	/* our end of the in-kernel wire */
};

int smlx_engine_dev_init(struct smlx_dev *sdev);
void smlx_engine_dev_fini(struct smlx_dev *sdev);
void smlx_engine_dev_fatal(struct smlx_dev *sdev);

/* ------------------------------------------------------------------ CQ */

struct smlx_cq {
	struct ib_cq ibcq;
	u32 cqn;
	spinlock_t lock;		/* producer side of the ring, notify */
	struct smlx_queue *queue;
	u8 notify;			/* 0, IB_CQ_SOLICITED or IB_CQ_NEXT_COMP */
	bool error;			/* overrun or corrupt: dead */
	u64 last_post_ns;		/* when the newest CQE was written */
};

static inline struct smlx_cq *to_scq(struct ib_cq *ibcq)
{
	return container_of(ibcq, struct smlx_cq, ibcq);
}

int smlx_create_cq(struct ib_cq *ibcq, const struct ib_cq_init_attr *attr,
		   struct ib_udata *udata);
int smlx_destroy_cq(struct ib_cq *ibcq, struct ib_udata *udata);
int smlx_resize_cq(struct ib_cq *ibcq, int cqe, struct ib_udata *udata);
int smlx_req_notify_cq(struct ib_cq *ibcq, enum ib_cq_notify_flags flags);
int smlx_poll_cq(struct ib_cq *ibcq, int num_entries, struct ib_wc *wc);
int smlx_cq_post(struct smlx_cq *cq, const struct smlx_cqe *cqe,
		 bool solicited);

/* ----------------------------------------------------------------- SRQ */

struct smlx_srq {
	struct ib_srq ibsrq;
	u32 srqn;
	spinlock_t lock;		/* consumer side of the ring, limit */
	struct smlx_queue *queue;
	u32 max_sge;
	u32 limit;			/* armed low-water mark, 0: disarmed */
	bool error;
	/*
	 * Lookups by srqn hold a reference while they handle one packet;
	 * destroy waits for them.  A responder keeps no reference from one
	 * packet of a message to the next: it remembers srqn and serial (an
	 * srqn may be reused, a serial is not) and looks the SRQ up again.
	 */
	refcount_t users;
	struct completion drained;
	u32 serial;
};

static inline struct smlx_srq *to_ssrq(struct ib_srq *ibsrq)
{
	return container_of(ibsrq, struct smlx_srq, ibsrq);
}

int smlx_create_srq(struct ib_srq *ibsrq, struct ib_srq_init_attr *init,
		    struct ib_udata *udata);
int smlx_modify_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr,
		    enum ib_srq_attr_mask mask, struct ib_udata *udata);
int smlx_query_srq(struct ib_srq *ibsrq, struct ib_srq_attr *attr);
int smlx_destroy_srq(struct ib_srq *ibsrq, struct ib_udata *udata);
struct smlx_srq *smlx_srq_get(struct smlx_dev *sdev, u32 srqn);
void smlx_srq_put(struct smlx_srq *srq);
int smlx_srq_claim(struct smlx_srq *srq, void *wqe, size_t size);

/* ------------------------------------------------------------------ AH */

/* What a UD send needs from an address handle, copied out under a lock. */
struct smlx_av {
	union ib_gid dgid;
	union ib_gid sgid;
	u8 sgid_index;
	u8 hop_limit;
	u8 traffic_class;
	u8 sl;
	u32 flow_label;
	u8 net_type;			/* enum smlx_net_type */
	u32 port_id;			/* wire port of dgid, 0: unknown */
};

struct smlx_ah {
	struct ib_ah ibah;
	u32 ah_num;
	struct smlx_av av;
};

static inline struct smlx_ah *to_sah(struct ib_ah *ibah)
{
	return container_of(ibah, struct smlx_ah, ibah);
}

int smlx_create_ah(struct ib_ah *ibah, struct rdma_ah_init_attr *init,
		   struct ib_udata *udata);
int smlx_query_ah(struct ib_ah *ibah, struct rdma_ah_attr *attr);
int smlx_destroy_ah(struct ib_ah *ibah, u32 flags);
int smlx_av_from_attr(struct smlx_dev *sdev, const struct rdma_ah_attr *attr,
		      struct smlx_av *av);
int smlx_ah_lookup(struct smlx_dev *sdev, u32 ah_num, struct ib_pd *pd,
		   struct smlx_av *av);

/* ---------------------------------------------------------------- XRCD */

struct smlx_xrcd {
	struct ib_xrcd ibxrcd;
};

int smlx_alloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata);
int smlx_dealloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata);

/* ------------------------------------------------------- memory access */

/*
 * An access that found an ODP page absent (or read-only for a write).  The
 * engine hands it to the fault hook and stalls the QP until it is resolved.
 */
struct smlx_fault {
	u32 key;
	u64 iova;
	u64 length;
	/*
	 * Bytes right after [iova, iova + length), in the same MR, that the
	 * same message goes on to access: the handler maps them too, best
	 * effort, so a message takes one fault and not one per packet.
	 */
	u64 ahead;
	bool write;
	u32 seq;	/* stamped by smlx_qp_stall(); smlx_qp_resume() checks */
};

enum smlx_copy_dir {
	SMLX_TO_MR,
	SMLX_FROM_MR,
};

struct smlx_mr *smlx_mr_lookup(struct smlx_dev *sdev, u32 key, bool rkey,
			       struct ib_pd *pd, int access, u64 iova,
			       u64 length);
int smlx_mr_copy(struct smlx_mr *mr, u64 iova, void *buf, u64 length,
		 enum smlx_copy_dir dir, struct smlx_fault *fault);
int smlx_mr_atomic(struct smlx_mr *mr, u64 iova, bool cmp_swp, u64 compare,
		   u64 swap_add, u64 *orig, struct smlx_fault *fault);
int smlx_sgl_copy(struct smlx_dev *sdev, struct ib_pd *pd,
		  const struct smlx_sge *sge, u32 num_sge, u64 offset,
		  void *buf, u64 length, enum smlx_copy_dir dir,
		  struct smlx_fault *fault);

/*
 * ODP hook: the page-fault handler sets smlx_engine_fault_handler.  It
 * returns 0 when it took the fault and will call smlx_qp_resume() with the
 * same @fault (its seq identifies the stall) once done, or an error to
 * fail the access now.
 */
enum smlx_fault_phase {
	SMLX_FAULT_NONE,
	SMLX_FAULT_QUEUED,	/* handed to the handler's queue */
	SMLX_FAULT_RUNNING,	/* its worker is resolving it */
};

typedef int (*smlx_fault_handler_t)(struct smlx_qp *qp,
				    const struct smlx_fault *fault);
extern smlx_fault_handler_t smlx_engine_fault_handler;

/* ------------------------------------------------------------------ QP */

enum smlx_swqe_state {
	SMLX_SWQE_FETCHED,	/* copied out of the ring and validated */
	SMLX_SWQE_SENDING,	/* some packets sent */
	SMLX_SWQE_SENT,		/* every request packet sent, awaiting reply */
	SMLX_SWQE_DONE,		/* result known: status */
};

/* Kernel bookkeeping of one SQ slot; the WQE copy lives in sq_shadow. */
struct smlx_swqe {
	u8 state;		/* enum smlx_swqe_state */
	u8 status;		/* enum ib_wc_status once DONE */
	u32 first_psn;
	u32 npsn;		/* PSNs this WQE occupies */
	u64 length;		/* message length */
	u64 sent;		/* bytes the requester has covered */
	u32 next_resp_psn;	/* READ/atomic: next response expected */
};

/* Responder resource: replays duplicate READs and atomics. */
struct smlx_resp_res {
	u8 op;			/* enum smlx_pkt_op, 0: empty */
	u32 psn;
	u64 atomic_orig;
};

struct smlx_qp_path {
	struct smlx_av av;
	u32 dest_qpn;
	u32 qkey;
	enum ib_mtu mtu;
	u8 timeout;
	u8 retry_cnt;
	u8 rnr_retry;
	u8 min_rnr_timer;
	u8 max_rd_atomic;
	u8 max_dest_rd_atomic;
	int access;		/* IB_QP_ACCESS_FLAGS */
	u32 sq_psn;
	u32 rq_psn;
};

enum smlx_qp_flags {
	SMLX_QPF_TIMER_FIRED,		/* retry or RNR timer expired */
	SMLX_QPF_STALLED,		/* waiting for an ODP fault */
	SMLX_QPF_FAULT_FAILED,		/* qp->fault could not be resolved */
	SMLX_QPF_RNR_STALL,		/* stalled as RC responder: RNR NAKs */
	SMLX_QPF_RUNNING,		/* some context is running the engine */
	SMLX_QPF_RERUN,			/* ... and must queue the work when done */
};

struct smlx_qp {
	struct ib_qp ibqp;
	struct smlx_dev *sdev;

	/* Lookups by qpn (the wire) hold a reference; destroy waits. */
	refcount_t users;
	struct completion drained;

	/*
	 * modify_qp callers are serialised here: ib_uverbs holds only a
	 * shared lock on the QP.  A modify also holds the engine off
	 * (smlx_qp_engine_hold()) while it writes what the engine owns.
	 */
	struct mutex modify_mutex;

	/* Attributes and state; writers also hold the work off. */
	spinlock_t state_lock;
	enum ib_qp_state state;
	struct smlx_qp_path path;
	bool sq_sig_all;
	bool dying;
	bool is_user;
	/*
	 * Kernel QPs: the producer indices the kernel provider owns
	 * (smlx_kverbs.c), and the lock of its posters.
	 */
	spinlock_t post_lock;
	u32 sq_head;
	u32 rq_head;

	struct smlx_queue *sq;		/* NULL: no send queue (XRC TGT) */
	struct smlx_queue *rq;		/* NULL: SRQ or none */
	struct smlx_cq *scq;
	struct smlx_cq *rcq;
	struct smlx_srq *srq;
	u32 max_send_sge;
	u32 max_inline;
	u32 max_recv_sge;

	/* Inbound packets, appended by any sender, drained by our worker. */
	spinlock_t inbox_lock;
	struct list_head inbox;
	unsigned int inbox_len;

	struct work_struct work;
	struct timer_list timer;
	unsigned long flags;		/* enum smlx_qp_flags */
	/*
	 * The fault the QP is stalled on (valid while SMLX_QPF_STALLED).
	 * fault_lock orders a stall against its resume, and against a reset
	 * that forgets it: each stall gets a new fault_seq, and a resume
	 * whose fault is not the current one is ignored.
	 */
	spinlock_t fault_lock;
	u32 fault_seq;
	struct smlx_fault fault;
	/*
	 * For "rdma resource show qp -dd" only: when the QP stalled, and how
	 * far its fault got (enum smlx_fault_phase), so a QP that waits too
	 * long shows whether its fault is queued, being resolved, or lost.
	 */
	unsigned long fault_since;
	unsigned long fault_max;	/* jiffies of the longest stall */
	u8 fault_phase;

	/* Everything below belongs to the engine (SMLX_QPF_RUNNING) alone. */
	bool inline_tx;			/* run receivers of our packets now */
	struct {
		void *shadow;		/* num_slots * stride: WQE copies */
		struct smlx_swqe *swqe;
		/* sq->kidx, the published consumer, is the oldest WQE */
		u32 send;		/* WQE being transmitted */
		u32 fetch;		/* next WQE to copy from the ring */
		u32 psn;		/* next PSN to send */
		u32 una;		/* oldest unacknowledged PSN */
		u32 rd_out;		/* READ/atomic WQEs awaiting replies */
		u8 retry_left;
		u8 rnr_left;
		bool rnr_wait;		/* timer is an RNR delay */
		bool timer_armed;
		bool stalled;		/* an ODP stall since the timer was armed */
		bool blocked;		/* an invalid WQE stops the SQ */
		u32 last_seq_nak;
		bool seq_nak_seen;
	} req;

	struct {
		u32 epsn;		/* next PSN expected */
		bool nak_seq_sent;
		bool ack_pending;
		bool active;		/* a SEND or WRITE message is open */
		bool drop_msg;		/* UC: rest of a broken message */
		u8 op;			/* op of the open message */
		u64 offset;		/* bytes placed of the open message */
		u64 write_len;		/* total of the open WRITE */
		bool have_wqe;		/* recv WQE claimed for the message */
		bool wqe_from_srq;	/* ... from the SRQ wqe_srqn */
		u32 wqe_srqn;
		u32 wqe_srq_serial;
		/* that SRQ, held while one packet is handled; NULL: gone */
		struct smlx_srq *wqe_srq;
		void *wqe;		/* copy of the claimed recv WQE */
		u32 ack_port;		/* where coalesced ACKs go */
		u32 ack_qpn;
		struct smlx_resp_res *res;
		u32 nres;
		u32 res_next;
		/*
		 * A READ stalled on a fault goes on from the response it
		 * stalled on: redone whole, a long READ under a steady
		 * stream of invalidations might never get through.
		 */
		bool read_stalled;
		u32 read_psn;		/* its request */
		u32 read_sent;		/* responses sent before the stall */
		u32 dup_reads;		/* duplicate READs answered again */
		u32 dup_reads_dropped;	/* ... not, asked again behind */
	} resp;
};

static inline struct smlx_qp *to_sqp(struct ib_qp *ibqp)
{
	return container_of(ibqp, struct smlx_qp, ibqp);
}

/* The GSI QP (QP1) is a UD QP whose number and qkey ib_mad relies on. */
static inline bool smlx_qp_is_ud(const struct smlx_qp *qp)
{
	return qp->ibqp.qp_type == IB_QPT_UD || qp->ibqp.qp_type == IB_QPT_GSI;
}

/* What the wire carries as the sender's transport: GSI sends UD. */
static inline u8 smlx_qp_wire_type(const struct smlx_qp *qp)
{
	return smlx_qp_is_ud(qp) ? IB_QPT_UD : qp->ibqp.qp_type;
}

int smlx_create_qp(struct ib_qp *ibqp, struct ib_qp_init_attr *init,
		   struct ib_udata *udata);
int smlx_modify_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		   struct ib_udata *udata);
int smlx_query_qp(struct ib_qp *ibqp, struct ib_qp_attr *attr, int mask,
		  struct ib_qp_init_attr *init);
int smlx_destroy_qp(struct ib_qp *ibqp, struct ib_udata *udata);
int smlx_fill_res_qp_entry(struct sk_buff *msg, struct ib_qp *ibqp);
int smlx_fill_res_cq_entry(struct sk_buff *msg, struct ib_cq *ibcq);
int smlx_post_send(struct ib_qp *ibqp, const struct ib_send_wr *wr,
		   const struct ib_send_wr **bad_wr);
int smlx_post_recv(struct ib_qp *ibqp, const struct ib_recv_wr *wr,
		   const struct ib_recv_wr **bad_wr);
int smlx_kernel_post_send(struct smlx_qp *qp, const struct ib_send_wr *wr,
			  const struct ib_send_wr **bad_wr);
int smlx_kernel_post_recv(struct smlx_qp *qp, const struct ib_recv_wr *wr,
			  const struct ib_recv_wr **bad_wr);

struct smlx_qp *smlx_qp_get(struct smlx_dev *sdev, u32 qpn);
void smlx_qp_put(struct smlx_qp *qp);
void smlx_qp_schedule(struct smlx_qp *qp);
void smlx_qp_resume(struct smlx_qp *qp, const struct smlx_fault *fault,
		     int status);
void smlx_qp_set_error(struct smlx_qp *qp);
void smlx_qp_event(struct smlx_qp *qp, enum ib_event_type type);
bool smlx_qp_deliver(struct smlx_qp *qp, struct smlx_pkt *pkt, bool run);
bool smlx_qp_from_peer(struct smlx_qp *qp, const struct smlx_pkt *pkt);
void smlx_qp_work(struct work_struct *work);

/* The engine stages, all run under SMLX_QPF_RUNNING (docs/engine.md). */
bool smlx_req_run(struct smlx_qp *qp, unsigned int budget);
void smlx_req_timer_fired(struct smlx_qp *qp);
void smlx_req_reset(struct smlx_qp *qp);
void smlx_req_progress_timer(struct smlx_qp *qp);
void smlx_req_go_back(struct smlx_qp *qp, u32 psn);
struct smlx_swqe *smlx_req_oldest(struct smlx_qp *qp, u32 *index);
void smlx_req_resend_done(struct smlx_qp *qp, u32 idx, u32 end);
void smlx_req_fail_oldest(struct smlx_qp *qp, u8 status);
void smlx_req_rnr(struct smlx_qp *qp, u32 psn, u8 rnr_timer);
int smlx_resp_packet(struct smlx_qp *qp, struct smlx_pkt *pkt);
bool smlx_resp_is_from_peer(const struct smlx_qp *qp,
			    const struct smlx_pkt *pkt);
bool smlx_resp_is_rnr_resend(const struct smlx_qp *qp,
			     const struct smlx_pkt *pkt);
bool smlx_resp_is_resent_after_rnr(const struct smlx_qp *qp,
				   const struct smlx_pkt *pkt);
bool smlx_resp_is_dup_read(struct smlx_qp *qp, const struct smlx_pkt *pkt);
void smlx_resp_drop_dup_read(struct smlx_qp *qp, const struct smlx_pkt *pkt);
void smlx_resp_rnr(struct smlx_qp *qp, const struct smlx_pkt *pkt);
void smlx_resp_batch_done(struct smlx_qp *qp);
void smlx_resp_reset(struct smlx_qp *qp);
struct smlx_cq *smlx_resp_wqe_cq(struct smlx_qp *qp);
void smlx_resp_release_wqe(struct smlx_qp *qp);
int smlx_comp_packet(struct smlx_qp *qp, struct smlx_pkt *pkt);
bool smlx_comp_retire(struct smlx_qp *qp);
void smlx_comp_flush(struct smlx_qp *qp);
int smlx_qp_stall(struct smlx_qp *qp, const struct smlx_fault *fault,
		  bool rnr);

/* Packets the engine sends on behalf of @qp. */
struct smlx_pkt *smlx_qp_new_pkt(struct smlx_qp *qp, enum smlx_pkt_op op,
				 u32 len, gfp_t gfp);
void smlx_qp_send_pkt(struct smlx_qp *qp, struct smlx_pkt *pkt);
void smlx_qp_reply_pkt(struct smlx_qp *qp, const struct smlx_pkt *req,
		       struct smlx_pkt *pkt);

static inline u32 smlx_psn_add(u32 psn, u32 n)
{
	return (psn + n) & SMLX_PSN_MASK;
}

/* Signed distance a - b in the 24-bit PSN space. */
static inline s32 smlx_psn_diff(u32 a, u32 b)
{
	return (s32)((a - b) << 8) >> 8;
}

#endif /* SMLX_ENGINE_H */
