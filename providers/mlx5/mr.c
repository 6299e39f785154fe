// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory regions: pinned, explicit on-demand-paging (ODP) and implicit ODP.
 * The kernel owns the page tables and fault handling for all three; here
 * we only check the shape of the request before handing it over.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smlx.h"

/*
 * Implicit ODP registers the whole address space: ibv_reg_mr(pd, NULL,
 * SIZE_MAX, access | IBV_ACCESS_ON_DEMAND), which reaches us with iova 0.
 */
static bool is_implicit_odp(const void *addr, size_t length, int access)
{
	return (access & IBV_ACCESS_ON_DEMAND) && !addr && length == SIZE_MAX;
}

struct ibv_mr *smlx_reg_mr(struct ibv_pd *ibpd, void *addr, size_t length,
			   uint64_t hca_va, int access)
{
	struct ib_uverbs_reg_mr_resp resp;
	struct ibv_reg_mr cmd;
	struct smlx_mr *mr;
	int err;

	if (!length) {
		errno = EINVAL;
		return NULL;
	}
	if (is_implicit_odp(addr, length, access)) {
		if (hca_va) {
			errno = EINVAL;
			return NULL;
		}
	} else if (length == SIZE_MAX) {
		/* Only an implicit ODP MR may span everything. */
		errno = EINVAL;
		return NULL;
	}

	mr = calloc(1, sizeof(*mr));
	if (!mr)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_reg_mr(ibpd, addr, length, hca_va, access, &mr->vmr,
			     &cmd, sizeof(cmd), &resp, sizeof(resp));
	if (err) {
		free(mr);
		errno = err;
		return NULL;
	}
	return &mr->vmr.ibv_mr;
}

int smlx_dereg_mr(struct verbs_mr *vmr)
{
	int err;

	err = ibv_cmd_dereg_mr(vmr);
	if (err)
		return err;
	free(to_smr(vmr));
	return 0;
}

/* Prefetching ODP pages is the kernel's work; pass the request through. */
int smlx_advise_mr(struct ibv_pd *ibpd, enum ibv_advise_mr_advice advice,
		   uint32_t flags, struct ibv_sge *sg_list, uint32_t num_sges)
{
	return ibv_cmd_advise_mr(ibpd, advice, flags, sg_list, num_sges);
}
