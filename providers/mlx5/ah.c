// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address handles.  The kernel keeps the address (and resolves the
 * Ethernet destination for RoCE); UD send WQEs name it by the number the
 * create command returned, so nothing here is trusted by the kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smlx.h"
#include "queues.h"

struct smlx_create_ah_cmd_resp {
	struct ib_uverbs_create_ah_resp ibv_resp;
	struct smlx_create_ah_resp drv;
};

struct ibv_ah *smlx_create_ah(struct ibv_pd *pd, struct ibv_ah_attr *attr)
{
	struct smlx_create_ah_cmd_resp resp;
	struct smlx_ah *ah;
	int err;

	ah = calloc(1, sizeof(*ah));
	if (!ah) {
		errno = ENOMEM;
		return NULL;
	}
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_create_ah(pd, &ah->ibv_ah, attr, &resp.ibv_resp,
				sizeof(resp));
	if (err) {
		free(ah);
		errno = err;
		return NULL;
	}
	ah->ah_num = resp.drv.ah_num;
	return &ah->ibv_ah;
}

int smlx_destroy_ah(struct ibv_ah *ibah)
{
	int err;

	err = ibv_cmd_destroy_ah(ibah);
	if (err)
		return err;
	free(to_sah(ibah));
	return 0;
}
