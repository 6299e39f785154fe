/* SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB) */
/*
 * Legacy header kept so old applications still build. It only offers the
 * 64-bit byte-order helpers; memory barriers were never part of the verbs
 * API contract and are not provided.
 */
#ifndef INFINIBAND_ARCH_H
#define INFINIBAND_ARCH_H

#include <stdint.h>
#include <endian.h>

#warning "infiniband/arch.h is obsolete; use htobe64()/be64toh() from <endian.h>"

#ifndef ntohll
#undef htonll
static inline __attribute__((deprecated)) uint64_t htonll(uint64_t host)
{
	return htobe64(host);
}

static inline __attribute__((deprecated)) uint64_t ntohll(uint64_t net)
{
	return be64toh(net);
}
#define htonll htonll
#define ntohll ntohll
#endif

#endif /* INFINIBAND_ARCH_H */
