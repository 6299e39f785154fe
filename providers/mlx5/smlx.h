/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Provider-private state of the smlx userspace driver (libmlx5.so.1).
 * Each verbs object wraps the libibverbs struct it hands out, so the
 * to_s*() helpers below recover ours from what the application passes in.
 */
#ifndef SMLX_PROVIDER_H
#define SMLX_PROVIDER_H

#include <stddef.h>
#include <stdint.h>
#include <infiniband/driver.h>
#include <rdma/smlx-abi.h>

struct smlx_device {
	struct verbs_device vdev;
};

struct smlx_context {
	struct verbs_context vctx;
	/* Read-only page the kernel keeps current: clock, fatal state. */
	const volatile struct smlx_status_page *status;
	size_t status_map_size;
	uint32_t page_size;
	uint32_t max_inline_data;
	uint32_t odp_chunk_shift;
};

struct smlx_pd {
	struct ibv_pd ibv_pd;
	uint32_t pdn;
};

struct smlx_mr {
	struct verbs_mr vmr;
};

static inline struct smlx_context *to_sctx(struct ibv_context *ibctx)
{
	return container_of(ibctx, struct smlx_context, vctx.context);
}

static inline struct smlx_pd *to_spd(struct ibv_pd *ibpd)
{
	return container_of(ibpd, struct smlx_pd, ibv_pd);
}

static inline struct smlx_mr *to_smr(struct verbs_mr *vmr)
{
	return container_of(vmr, struct smlx_mr, vmr);
}

/*
 * The smlx context behind @ibctx, or NULL when @ibctx belongs to another
 * provider (mlx5dv_* calls accept any context).
 */
struct smlx_context *smlx_context_of(struct ibv_context *ibctx);

/* pd.c */
struct ibv_pd *smlx_alloc_pd(struct ibv_context *ibctx);
int smlx_dealloc_pd(struct ibv_pd *ibpd);

/* mr.c */
struct ibv_mr *smlx_reg_mr(struct ibv_pd *ibpd, void *addr, size_t length,
			   uint64_t hca_va, int access);
int smlx_dereg_mr(struct verbs_mr *vmr);
int smlx_advise_mr(struct ibv_pd *ibpd, enum ibv_advise_mr_advice advice,
		   uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sges);

#endif /* SMLX_PROVIDER_H */
