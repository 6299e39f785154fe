/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One device and an RC QP pair connected to each other in loopback through
 * the port's RoCE v2 GID: what the ODP benchmarks move data over, so the
 * only difference between two timed passes is the memory registration.
 */
#ifndef SMLX_BENCH_PAIR_H
#define SMLX_BENCH_PAIR_H

#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#define BENCH_DEPTH 16

struct bench_dev {
	const char *name;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_port_attr port;
	union ibv_gid gid;
	int gid_index;
};

struct bench_pair {
	struct ibv_cq *cq;		/* the requester's completions */
	struct ibv_qp *req, *resp;
};

/* Opens @name (NULL: $SMLX_DEV, else smlx0) with a PD; exits on failure. */
void bench_dev_open(struct bench_dev *d, const char *name);
void bench_dev_close(struct bench_dev *d);

void bench_pair_connect(struct bench_dev *d, struct bench_pair *p);
void bench_pair_destroy(struct bench_pair *p);

/*
 * RDMA WRITEs of @len bytes from @src (lkey) to @dst (rkey) in messages of
 * @chunk bytes, BENCH_DEPTH in flight; returns the nanoseconds from the
 * first post to the last completion.  Exits on an error completion or when
 * nothing completes for a minute.
 */
int64_t bench_write_pass(struct bench_pair *p, const void *src, uint32_t lkey,
			 void *dst, uint32_t rkey, size_t len, size_t chunk);

/* Registers [addr, addr + len) for local and remote access, ODP or pinned. */
struct ibv_mr *bench_reg(struct bench_dev *d, void *addr, size_t len, int odp);

#endif
