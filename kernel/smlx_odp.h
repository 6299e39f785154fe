/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ODP page-fault side of smlx: the handler the engine calls when an
 * access finds a page absent, implicit ODP children, and advise_mr.
 * docs/odp.md describes the whole flow.
 */
#ifndef SMLX_ODP_H
#define SMLX_ODP_H

#include <linux/types.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>

struct smlx_mr;
struct smlx_umem_odp;
struct uverbs_attr_bundle;

/* How smlx_odp_map_range() mirrors pages. */
enum smlx_odp_map_flags {
	SMLX_ODP_MAP_WRITE	= 1 << 0,	/* writable, breaking COW */
	SMLX_ODP_MAP_SNAPSHOT	= 1 << 1,	/* only what is present, no fault */
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

/* smlx_odp_mr.c */
int smlx_odp_init(void);
void smlx_odp_exit(void);
bool smlx_odp_queue(struct work_struct *work);
int smlx_odp_mr_init(struct smlx_mr *mr);
void smlx_odp_mr_fini(struct smlx_mr *mr);
int smlx_odp_map_range(struct smlx_mr *mr, u64 iova, u64 length,
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
					 unsigned long *pages);

/* smlx_advise.c */
int smlx_advise_mr(struct ib_pd *pd, enum ib_uverbs_advise_mr_advice advice,
		   u32 flags, struct ib_sge *sg_list, u32 num_sge,
		   struct uverbs_attr_bundle *attrs);

#endif /* SMLX_ODP_H */
