// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XRC domains.  ib_uverbs shares them between processes through inodes and
 * keeps the count of users; the device only needs the object, which XRC
 * target QPs and XRC SRQs name and the responder compares.
 */
#include "smlx.h"

int smlx_alloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata)
{
	if (udata && udata->inlen &&
	    !ib_is_udata_cleared(udata, 0, udata->inlen))
		return -EINVAL;
	return 0;
}

int smlx_dealloc_xrcd(struct ib_xrcd *ibxrcd, struct ib_udata *udata)
{
	return 0;
}
