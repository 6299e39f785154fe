/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ODP counters, kept per MR (rdma stat mr) and per device (rdma statistic).
 * The names are mlx5's, so tools and scripts written for mlx5 read them.
 */
#ifndef SMLX_ODP_STATS_H
#define SMLX_ODP_STATS_H

#include <linux/atomic.h>
#include <linux/types.h>

struct ib_device;
struct ib_mr;
struct rdma_hw_stats;
struct sk_buff;
struct smlx_umem_odp;

enum smlx_odp_counter {
	SMLX_ODP_PAGE_FAULTS,			/* pages a fault mapped */
	SMLX_ODP_PAGE_FAULTS_HANDLED,		/* faults resolved */
	SMLX_ODP_PAGE_INVALIDATIONS,		/* pages an invalidation zapped */
	SMLX_ODP_PAGE_INVALIDATIONS_HANDLED,	/* invalidations that zapped */
	SMLX_ODP_PAGE_PREFETCH,			/* pages advise_mr mapped */
	SMLX_ODP_NUM_COUNTERS,
};

struct smlx_odp_counters {
	atomic64_t v[SMLX_ODP_NUM_COUNTERS];
};

void smlx_odp_counters_init(struct smlx_odp_counters *c);
void smlx_odp_count(struct smlx_umem_odp *odp, enum smlx_odp_counter which,
		    u64 n);

/* ib_device_ops */
struct rdma_hw_stats *smlx_alloc_hw_port_stats(struct ib_device *ibdev,
					       u32 port);
int smlx_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		      u32 port, int index);
int smlx_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);
int smlx_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr);

#endif /* SMLX_ODP_STATS_H */
