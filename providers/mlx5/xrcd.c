// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XRC domains.  All their state lives in the kernel (shared between the
 * processes that open the same inode); we only hold the handle.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "smlx.h"
#include "queues.h"

struct ibv_xrcd *smlx_open_xrcd(struct ibv_context *ibctx,
				struct ibv_xrcd_init_attr *attr)
{
	struct ib_uverbs_open_xrcd_resp resp;
	struct ibv_open_xrcd cmd;
	struct smlx_xrcd *xrcd;
	int err;

	xrcd = calloc(1, sizeof(*xrcd));
	if (!xrcd) {
		errno = ENOMEM;
		return NULL;
	}
	memset(&cmd, 0, sizeof(cmd));
	memset(&resp, 0, sizeof(resp));
	err = ibv_cmd_open_xrcd(ibctx, &xrcd->vxrcd, sizeof(xrcd->vxrcd), attr,
				&cmd, sizeof(cmd), &resp, sizeof(resp));
	if (err) {
		free(xrcd);
		errno = err;
		return NULL;
	}
	return &xrcd->vxrcd.xrcd;
}

int smlx_close_xrcd(struct ibv_xrcd *ibxrcd)
{
	struct smlx_xrcd *xrcd =
		container_of(ibxrcd, struct smlx_xrcd, vxrcd.xrcd);
	int err;

	err = ibv_cmd_close_xrcd(&xrcd->vxrcd);
	if (err)
		return err;
	free(xrcd);
	return 0;
}
