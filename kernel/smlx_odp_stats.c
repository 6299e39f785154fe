// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ODP counters as rdma tools read them: per MR through the MR's restrack
 * entry ("rdma stat mr", "rdma resource show mr -d") and device totals as
 * the port's hw counters ("rdma statistic show", sysfs hw_counters).
 */
#include <net/netlink.h>
#include <rdma/rdma_netlink.h>
#include <rdma/restrack.h>

#include "smlx.h"
#include "smlx_odp.h"

static const struct rdma_stat_desc smlx_odp_stat_descs[] = {
	[SMLX_ODP_PAGE_FAULTS].name = "page_faults",
	[SMLX_ODP_PAGE_FAULTS_HANDLED].name = "page_faults_handled",
	[SMLX_ODP_PAGE_INVALIDATIONS].name = "page_invalidations",
	[SMLX_ODP_PAGE_INVALIDATIONS_HANDLED].name = "page_invalidations_handled",
	[SMLX_ODP_PAGE_PREFETCH].name = "page_prefetch",
};

static_assert(ARRAY_SIZE(smlx_odp_stat_descs) == SMLX_ODP_NUM_COUNTERS);

void smlx_odp_counters_init(struct smlx_odp_counters *c)
{
	int i;

	for (i = 0; i < SMLX_ODP_NUM_COUNTERS; i++)
		atomic64_set(&c->v[i], 0);
}

/**
 * smlx_odp_count - account @n events of @which to the MR of @odp
 * @odp: explicit umem, implicit parent or implicit child
 * @which: counter
 * @n: amount
 *
 * A child counts on its parent: children come and go, the MR stays.
 * Never sleeps, so invalidation may call it under umem_mutex.
 */
void smlx_odp_count(struct smlx_umem_odp *odp, enum smlx_odp_counter which,
		    u64 n)
{
	struct smlx_umem_odp *root = odp->parent ?: odp;

	atomic64_add(n, &root->counters.v[which]);
	if (root->dev_counters)
		atomic64_add(n, &root->dev_counters->v[which]);
}

struct rdma_hw_stats *smlx_alloc_hw_port_stats(struct ib_device *ibdev,
					       u32 port)
{
	return rdma_alloc_hw_stats_struct(smlx_odp_stat_descs,
					  ARRAY_SIZE(smlx_odp_stat_descs),
					  RDMA_HW_STATS_DEFAULT_LIFESPAN);
}

int smlx_get_hw_stats(struct ib_device *ibdev, struct rdma_hw_stats *stats,
		      u32 port, int index)
{
	struct smlx_dev *sdev = to_sdev(ibdev);
	int i;

	for (i = 0; i < SMLX_ODP_NUM_COUNTERS; i++)
		stats->value[i] = atomic64_read(&sdev->odp_counters.v[i]);
	return SMLX_ODP_NUM_COUNTERS;
}

/* "rdma stat mr": the counters of one ODP MR; other MRs have none. */
int smlx_fill_stat_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	struct smlx_mr *mr = to_smr(ibmr);
	struct nlattr *table;
	int i;

	if (!smlx_mr_is_odp(mr))
		return 0;

	table = nla_nest_start(msg, RDMA_NLDEV_ATTR_STAT_HWCOUNTERS);
	if (!table)
		return -EMSGSIZE;
	for (i = 0; i < SMLX_ODP_NUM_COUNTERS; i++) {
		if (rdma_nl_stat_hwcounter_entry(msg,
						 smlx_odp_stat_descs[i].name,
				atomic64_read(&mr->odp->counters.v[i])))
			goto err_cancel;
	}
	nla_nest_end(msg, table);
	return 0;

err_cancel:
	nla_nest_cancel(msg, table);
	return -EMSGSIZE;
}

/*
 * "rdma resource show mr -d": how the MR is backed and how much of it the
 * device mirrors right now: pages, and the page-table leaves holding them.
 * The counts are read without umem_mutex, so they are a snapshot that may
 * be a fault or an invalidation behind.
 */
int smlx_fill_res_mr_entry(struct sk_buff *msg, struct ib_mr *ibmr)
{
	static const char * const kinds[] = {
		[SMLX_MR_PINNED] = "pinned",
		[SMLX_MR_ODP] = "explicit",
		[SMLX_MR_IMPLICIT] = "implicit",
		[SMLX_MR_DMA] = "dma",
	};
	struct smlx_mr *mr = to_smr(ibmr);
	unsigned long pages = 0, children = 0, leaves = 0;
	struct nlattr *table;

	table = nla_nest_start_noflag(msg, RDMA_NLDEV_ATTR_DRIVER);
	if (!table)
		return -EMSGSIZE;

	if (rdma_nl_put_driver_string(msg, "odp", kinds[mr->kind]))
		goto err_cancel;
	if (!smlx_mr_is_odp(mr))
		goto out;

	if (mr->kind == SMLX_MR_IMPLICIT) {
		children = smlx_odp_implicit_children(mr->odp, &pages,
						      &leaves);
	} else {
		pages = READ_ONCE(mr->odp->npages);
		leaves = atomic_long_read(&mr->odp->nleaves);
	}
	if (rdma_nl_put_driver_u64(msg, "odp_pages", pages))
		goto err_cancel;
	if (rdma_nl_put_driver_u64(msg, "odp_leaves", leaves))
		goto err_cancel;
	if (mr->kind == SMLX_MR_IMPLICIT &&
	    rdma_nl_put_driver_u64(msg, "odp_children", children))
		goto err_cancel;
	if (rdma_nl_put_driver_u32(msg, "page_shift", mr->odp->page_shift))
		goto err_cancel;
out:
	nla_nest_end(msg, table);
	return 0;

err_cancel:
	nla_nest_cancel(msg, table);
	return -EMSGSIZE;
}
