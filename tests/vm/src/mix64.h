/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The finaliser of splitmix64: one 64-bit value to another with every
 * input bit reaching every output bit, so test patterns seeded from
 * (operation, peer, size, offset, round) differ wherever any of them does.
 */
#ifndef SMLX_TEST_MIX64_H
#define SMLX_TEST_MIX64_H

#include <stdint.h>

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#endif /* SMLX_TEST_MIX64_H */
