// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Protection domains.  ib_core allocates and frees struct smlx_pd; the
 * driver only hands out the PD number the provider and the engine use.
 */
#include "smlx.h"

int smlx_alloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct smlx_dev *sdev = to_sdev(ibpd->device);
	struct smlx_pd *pd = to_spd(ibpd);
	struct smlx_alloc_pd_resp resp = {};
	int pdn;

	pdn = ida_alloc_range(&sdev->pd_ida, 1, SMLX_MAX_PD, GFP_KERNEL);
	if (pdn < 0)
		return pdn == -ENOSPC ? -ENOMEM : pdn;
	pd->pdn = pdn;

	if (udata && udata->outlen) {
		resp.pdn = pd->pdn;
		if (ib_copy_to_udata(udata, &resp,
				     min(udata->outlen, sizeof(resp)))) {
			ida_free(&sdev->pd_ida, pd->pdn);
			return -EFAULT;
		}
	}
	return 0;
}

int smlx_dealloc_pd(struct ib_pd *ibpd, struct ib_udata *udata)
{
	struct smlx_dev *sdev = to_sdev(ibpd->device);

	ida_free(&sdev->pd_ida, to_spd(ibpd)->pdn);
	return 0;
}
