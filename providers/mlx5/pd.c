// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Protection domains. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smlx.h"

struct smlx_alloc_pd_cmd {
	struct ibv_alloc_pd ibv_cmd;
};

struct smlx_alloc_pd_cmd_resp {
	struct ib_uverbs_alloc_pd_resp ibv_resp;
	struct smlx_alloc_pd_resp drv;
};

struct ibv_pd *smlx_alloc_pd(struct ibv_context *ibctx)
{
	struct smlx_alloc_pd_cmd_resp resp;
	struct smlx_alloc_pd_cmd cmd;
	struct smlx_pd *pd;
	int err;

	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;

	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_alloc_pd(ibctx, &pd->ibv_pd, &cmd.ibv_cmd, sizeof(cmd),
			       &resp.ibv_resp, sizeof(resp));
	if (err) {
		free(pd);
		errno = err;
		return NULL;
	}
	pd->pdn = resp.drv.pdn;
	return &pd->ibv_pd;
}

int smlx_dealloc_pd(struct ibv_pd *ibpd)
{
	int err;

	err = ibv_cmd_dealloc_pd(ibpd);
	if (err)
		return err;
	free(to_spd(ibpd));
	return 0;
}
