/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ODP page-fault side of smlx: the handler the engine calls when an
 * access finds a page absent, implicit ODP children, and advise_mr.
 * docs/odp.md describes the whole flow.
 */
#ifndef SMLX_ODP_H
#define SMLX_ODP_H

#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>

struct smlx_dev;
struct smlx_mr;
struct smlx_umem_odp;
struct uverbs_attr_bundle;

/* How smlx_odp_map_range() mirrors pages. */
enum smlx_odp_map_flags {
	SMLX_ODP_MAP_WRITE	= 1 << 0,	/* writable, breaking COW */
	SMLX_ODP_MAP_SNAPSHOT	= 1 << 1,	/* only what is present, no fault */
	SMLX_ODP_MAP_ONCE	= 1 << 2,	/* best effort: no retry on races */
};

/*
 * A fault resolves at most this much past the faulting address; the
 * engine faults again for the rest, so one huge message cannot hold the
 * fault worker for long.
 */
#define SMLX_ODP_FAULT_MAX_BYTES	(4UL << 20)

/*
 * The engine faults one packet (at most a page) at a time; a fault also
 * maps this much past it, best effort, so a long transfer takes one fault
 * per read-ahead window and not one per page.
 */
#define SMLX_ODP_FAULT_AHEAD_BYTES	(64UL << 10)

/*
 * What a fault or prefetch maps: the translation of an ODP MR, taken under
 * a reference on the MR, with a reference on its umem instead, so that the
 * work needs none on the MR while it runs: deregistration does not wait
 * for a fault that hangs.
 */
struct smlx_odp_target {
	struct smlx_umem_odp *odp;	/* referenced */
	bool implicit;
	u64 iova;
	u64 user_va;
	u64 length;
};

/* A worker's clocks (smlx_odp.c), or the difference of two readings. */
struct smlx_odp_clocks {
	unsigned long wall;		/* jiffies */
	u64 cpu_ns, runq_ns;		/* on a CPU, waiting for one */
	unsigned long sleeps;		/* voluntary context switches */
	unsigned long cpu_faults;	/* handle_mm_fault() calls */
};

/*
 * ODP work (faults, queued prefetches) of one user context, or of the
 * kernel's objects of one device: one work item drains the list, one item
 * at a time, so a fault that blocks (on a FUSE mapping whose server never
 * answers) holds up only the context it belongs to, and one worker.
 * Referenced by its owner and while its work is queued or running: it
 * outlives a context closed with faults pending.
 */
struct smlx_odp_queue {
	refcount_t ref;
	spinlock_t lock;		/* items, scheduled, prefetches */
	struct list_head items;
	bool scheduled;			/* work queued or running */
	unsigned int queued;		/* items on the list */
	unsigned int prefetches;	/* queued prefetches, bounded */
	/* faults whose QP was gone or replaced when their turn came */
	atomic_t orphans;
	/*
	 * For "rdma resource show qp -dd": the longest a fault waited for
	 * its turn, took to map what it faulted on, and took to read ahead
	 * (jiffies), so a QP that stalled past its peer's retries shows
	 * where the time went.
	 */
	unsigned long max_wait, max_map, max_ahead;
	/*
	 * Of the slowest fault (map and read-ahead), where its worker's
	 * time went: on a CPU, waiting for one, or asleep (a lock, reclaim).
	 * Differences of the worker's clocks; written by the queue's one
	 * running work only.
	 */
	struct smlx_odp_clocks slowest;
	struct work_struct work;
};

struct smlx_odp_item {
	struct list_head node;
	void (*run)(struct smlx_odp_item *item);	/* frees @item */
	struct smlx_dev *sdev;		/* counted in sdev->odp_inflight */
};

/* Queued prefetches a queue holds at most; more run in the caller. */
#define SMLX_ODP_PREFETCH_QUEUED_MAX	16

/* smlx_odp_mr.c */
int smlx_odp_init(void);
void smlx_odp_exit(void);
struct smlx_odp_queue *smlx_odp_queue_alloc(void);
void smlx_odp_queue_put(struct smlx_odp_queue *q);
struct smlx_odp_queue *smlx_odp_queue_of(struct smlx_dev *sdev,
					 struct ib_pd *pd);
void smlx_odp_queue_add(struct smlx_odp_queue *q, struct smlx_odp_item *item);
void smlx_odp_dev_drain(struct smlx_dev *sdev);
int smlx_odp_mr_init(struct smlx_mr *mr);
void smlx_odp_mr_fini(struct smlx_mr *mr);
void smlx_odp_target_init(struct smlx_odp_target *t, struct smlx_mr *mr);
void smlx_odp_target_fini(struct smlx_odp_target *t);
int smlx_odp_map_range(const struct smlx_odp_target *t, u64 iova, u64 length,
		       unsigned int flags, u64 *pages);

/* smlx_odp.c: the page-fault handler the engine calls */
void smlx_odp_fault_init(void);
void smlx_odp_fault_exit(void);

/* smlx_odp_implicit.c */
int smlx_odp_reaper_init(void);
void smlx_odp_reaper_exit(void);
void smlx_odp_implicit_init(struct smlx_umem_odp *parent);
void smlx_odp_implicit_stop(struct smlx_umem_odp *parent);
struct smlx_umem_odp *smlx_odp_child_get(struct smlx_umem_odp *parent,
					 u64 uva);
struct smlx_umem_odp *smlx_odp_child_get_or_create(struct smlx_umem_odp *parent,
						   u64 uva);
void smlx_odp_child_put(struct smlx_umem_odp *child);
void smlx_odp_child_idle(struct smlx_umem_odp *child);
unsigned long smlx_odp_implicit_children(struct smlx_umem_odp *parent,
					 unsigned long *pages,
					 unsigned long *leaves);

/* smlx_advise.c */
int smlx_advise_mr(struct ib_pd *pd, enum ib_uverbs_advise_mr_advice advice,
		   u32 flags, struct ib_sge *sg_list, u32 num_sge,
		   struct uverbs_attr_bundle *attrs);

#endif /* SMLX_ODP_H */
