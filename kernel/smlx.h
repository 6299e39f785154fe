/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smlx: a software RDMA HCA modelled on mlx5, bound to an Ethernet netdev
 * the way rxe and siw are.  Objects shared between the files of the module.
 */
#ifndef SMLX_H
#define SMLX_H

#include <linux/completion.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/xarray.h>
#include <rdma/ib_umem.h>
#include <rdma/ib_verbs.h>
#include <rdma/smlx-abi.h>

#include "smlx_limits.h"
#include "smlx_umem_odp.h"
#include "smlx_engine.h"

#define SMLX_PORT		1	/* the one and only port */

struct smlx_odp_queue;

/*
 * An MR key is (index << 8) | variant, as an mlx5 mkey: the index finds the
 * MR, the variant changes on every registration so a stale key held by a
 * peer does not reach a newer MR that reused the index.
 */
#define SMLX_MR_KEY_VARIANT_BITS	8
#define SMLX_MR_KEY_VARIANT_MASK	((1U << SMLX_MR_KEY_VARIANT_BITS) - 1)

struct smlx_dev {
	struct ib_device ibdev;		/* first: ib_alloc_device() needs it */
	struct net_device *ndev;
	netdevice_tracker ndev_tracker;
	struct list_head list;		/* on smlx_devices, see smlx_main.c */

	/* Port state last announced with an IB event; under RTNL. */
	enum ib_port_state port_state;

	struct ida pd_ida;
	struct xarray mr_xa;		/* key index -> struct smlx_mr */
	u32 mr_next_index;		/* xa_alloc_cyclic() cursor */
	atomic_t mr_variant;

	/* ODP counters of all MRs, dead ones included (rdma statistic). */
	struct smlx_odp_counters odp_counters;
	/* ODP work of kernel objects; work in flight, waited for at the end */
	struct smlx_odp_queue *odp_queue;
	atomic_t odp_inflight;

	struct smlx_engine_dev eng;	/* data path: smlx_engine.h */
};

/*
 * What the kernel memory sized by one user context's requests may add up
 * to: its rings (held until the process unmaps them) and the QPs' shadow
 * copies.  Over ucontext_mem_max bytes a create fails with -ENOMEM.  Shared
 * by reference with the ring buffers, which may outlive the context.
 */
struct smlx_mem_budget {
	refcount_t ref;
	atomic64_t used;		/* bytes */
};

struct smlx_ucontext {
	struct ib_ucontext ibuc;
	struct smlx_mmap_entry *status;
	struct smlx_mem_budget *budget;
	struct smlx_odp_queue *odp_queue;	/* its faults and prefetches */
};

/*
 * A kernel page the process maps; rdma_user_mmap gives its mmap offset.
 * Queue rings (smlx_queue.c) use vbuf, a vmalloc buffer, instead, charged
 * (@charged bytes) to @budget until it is freed.
 */
struct smlx_mmap_entry {
	struct rdma_user_mmap_entry rdma_entry;
	struct page *page;
	void *vbuf;
	struct smlx_mem_budget *budget;
	size_t charged;
};

/*
 * Allocations whose size a user chooses: charged to the caller's memory
 * cgroup, and allowed to fail (-ENOMEM) rather than to OOM-kill anyone or
 * warn when the cgroup or the machine is out of memory.
 */
#define SMLX_GFP_USER	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

struct smlx_pd {
	struct ib_pd ibpd;
	u32 pdn;
};

enum smlx_mr_kind {
	SMLX_MR_PINNED,		/* ib_umem_get(): pages pinned for the MR's life */
	SMLX_MR_ODP,		/* explicit ODP: smlx_umem_odp over the range */
	SMLX_MR_IMPLICIT,	/* implicit ODP: the whole address space */
	SMLX_MR_DMA,		/* kernel clients: addresses are kernel VAs */
};

struct smlx_mr {
	struct ib_mr ibmr;
	enum smlx_mr_kind kind;
	int access;
	u64 user_va;		/* start of the registered range in the process */
	u64 iova;		/* address the device is given for user_va */
	u64 length;
	union {
		struct {				/* SMLX_MR_PINNED */
			struct ib_umem *umem;
			/*
			 * The device's page table (mlx5's MTT): the page of
			 * each page-sized step from user_va's page on, so an
			 * access costs no scatterlist walk.
			 */
			struct page **pages;
		};
		struct smlx_umem_odp *odp;	/* SMLX_MR_ODP, SMLX_MR_IMPLICIT */
	};

	/*
	 * Users found the MR by key (smlx_mr_get()); dereg waits for them
	 * after unpublishing the key, and frees after an RCU grace period
	 * because lookups run under RCU.
	 */
	refcount_t users;
	struct completion drained;
	struct rcu_head rcu;
};

/* The kinds that mirror a process's memory through smlx_umem_odp. */
static inline bool smlx_mr_is_odp(const struct smlx_mr *mr)
{
	return mr->kind == SMLX_MR_ODP || mr->kind == SMLX_MR_IMPLICIT;
}

static inline struct smlx_dev *to_sdev(struct ib_device *ibdev)
{
	return container_of(ibdev, struct smlx_dev, ibdev);
}

static inline struct smlx_ucontext *to_suctx(struct ib_ucontext *ibuc)
{
	return container_of(ibuc, struct smlx_ucontext, ibuc);
}

static inline struct smlx_mmap_entry *
to_smlx_mmap_entry(struct rdma_user_mmap_entry *rdma_entry)
{
	return container_of(rdma_entry, struct smlx_mmap_entry, rdma_entry);
}

static inline struct smlx_pd *to_spd(struct ib_pd *ibpd)
{
	return container_of(ibpd, struct smlx_pd, ibpd);
}

static inline struct smlx_mr *to_smr(struct ib_mr *ibmr)
{
	return container_of(ibmr, struct smlx_mr, ibmr);
}

/* smlx_main.c: the module's list of devices */
void smlx_devices_forget(struct smlx_dev *sdev);

/* smlx_device.c */
struct smlx_dev *smlx_dev_alloc(struct net_device *ndev);
int smlx_dev_register(struct smlx_dev *sdev, const char *name);
enum ib_port_state smlx_netdev_port_state(struct net_device *ndev);
void smlx_port_announce(struct smlx_dev *sdev);

/* smlx_ucontext.c */
int smlx_alloc_ucontext(struct ib_ucontext *ibuc, struct ib_udata *udata);
void smlx_dealloc_ucontext(struct ib_ucontext *ibuc);
void smlx_disassociate_ucontext(struct ib_ucontext *ibuc);
int smlx_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma);
void smlx_mmap_free(struct rdma_user_mmap_entry *rdma_entry);
int smlx_budget_charge(struct smlx_mem_budget *budget, size_t bytes);
void smlx_budget_uncharge(struct smlx_mem_budget *budget, size_t bytes);
struct smlx_mem_budget *smlx_budget_get(struct smlx_mem_budget *budget);
void smlx_budget_put(struct smlx_mem_budget *budget);

/* smlx_pd.c */
int smlx_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);
int smlx_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata);

/* smlx_mr.c */
struct ib_mr *smlx_reg_user_mr(struct ib_pd *ibpd, u64 start, u64 length,
			       u64 iova, int access, struct ib_udata *udata);
int smlx_dereg_mr(struct ib_mr *ibmr, struct ib_udata *udata);
struct ib_mr *smlx_get_dma_mr(struct ib_pd *ibpd, int access);
struct smlx_mr *smlx_mr_get(struct smlx_dev *sdev, u32 key);
void smlx_mr_put(struct smlx_mr *mr);

#endif /* SMLX_H */
