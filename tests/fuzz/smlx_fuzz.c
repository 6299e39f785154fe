// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smlx_fuzz: seeded random sequences of verbs, valid and invalid, against
 * our libibverbs/libmlx5 on $SMLX_DEV (default smlx0), run in the guest.
 * tests/fuzz/README.md has the whole story; in short:
 *
 *   a supervisor forks --procs workers and SIGKILLs one of them every
 *   ~--kill-ms (0: never), restarting it with the next generation;
 *   each worker opens the device and runs --threads threads that each pick
 *   operations at random over one shared table of objects: PD, CQ (plain
 *   and extended), completion channel, QP (RC, UC, UD, XRC send and recv,
 *   plain and extended), SRQ (basic and XRC), XRCD, AH, MR (pinned, ODP,
 *   implicit ODP, with an iova), MW (expected unsupported), async events;
 *   post send (ibv_post_send and ibv_wr_*) and recv and poll; rereg,
 *   advise_mr; munmap / remap / MADV_DONTNEED / fork on the registered
 *   buffers; random bytes in the rings the provider mapped (WQEs, indices,
 *   CQEs, ring headers), raw doorbells and uverbs commands with random
 *   payloads, mmaps of the command fd at random offsets.
 *
 * Reproducing: operation n of thread t of worker (slot, generation) draws
 * all its random numbers from a generator seeded with
 * mix(seed, slot, generation, t, n), so a seed fixes every choice each
 * operation makes.  What the choices meet is not fixed: which objects
 * other threads and the kernel's engine created or completed by then,
 * and when the supervisor kills, depend on timing.  --worker SLOT:GEN
 * --threads 1 replays one worker's sequence alone, with --trace to list it.
 *
 * Exit status: 0 when every worker ended, by itself or by our SIGKILL;
 * 1 when one crashed (any other signal), exited non-zero, or hung (did not
 * end within the grace time after the deadline, or after SIGKILL).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>
#include <rdma/ib_user_verbs.h>

/* The provider's own structs: where the rings it mapped are. */
#include "queues.h"

#define MAX_PROCS 64
#define MAX_THREADS 16
#define NPD 3
#define NCH 2
#define NCQ 6
#define NQP 10
#define NSRQ 3
#define NXRCD 2
#define NAH 3
#define NMR 10
#define NBUF 6
#define BUFSZ (2UL << 20)
#define SCRATCH (64UL << 10)
#define PORT 1
#define QKEY 0x11111111u
#define ALL_ACCESS                                                             \
	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |                    \
	 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)

/* ---- random numbers ---- */

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s = mix64(r->s);
	return r->s;
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

static bool chance(struct rng *r, uint32_t pct)
{
	return below(r, 100) < pct;
}

static void rnd_bytes(struct rng *r, void *p, size_t len)
{
	uint8_t *c = p;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			v = rnd(r);
		c[i] = (uint8_t)(v >> ((i & 7) * 8));
	}
}

/* A count that is mostly small and sometimes at or past an edge. */
static uint32_t rnd_count(struct rng *r, uint32_t typical, uint32_t max)
{
	switch (below(r, 20)) {
	case 0: return 0;
	case 1: return max;
	case 2: return max + 1;
	case 3: return (uint32_t)rnd(r);
	case 4: return 1u << below(r, 16);
	default: return 1 + below(r, typical);
	}
}

/* ---- shared between the supervisor and its workers ---- */

enum op_id {
	OP_PD_ALLOC, OP_PD_FREE, OP_CH_CREATE, OP_CH_DESTROY, OP_CH_EVENT,
	OP_CQ_CREATE, OP_CQ_DESTROY, OP_CQ_RESIZE, OP_CQ_NOTIFY, OP_CQ_POLL,
	OP_QP_CREATE, OP_QP_DESTROY, OP_QP_CONNECT, OP_QP_MODIFY_RAND,
	OP_QP_QUERY, OP_SRQ_CREATE, OP_SRQ_DESTROY, OP_SRQ_MODIFY,
	OP_XRCD_OPEN, OP_XRCD_CLOSE, OP_AH_CREATE, OP_AH_DESTROY, OP_MR_REG,
	OP_MR_REREG, OP_MR_DEREG, OP_MW, OP_ADVISE, OP_POST_SEND, OP_WR_API,
	OP_POST_RECV, OP_POST_SRQ_RECV, OP_ASYNC, OP_BUF_REMAP,
	OP_BUF_MADVISE, OP_BUF_TOUCH, OP_BUF_UNMAP, OP_FORK, OP_SCRIBBLE,
	OP_RAW_CMD, OP_MMAP_RAND, OP_QUERY_DEV, OP_PAIR_UP, NOPS
};

static const struct {
	const char *name;
	unsigned int weight;
} ops[NOPS] = {
	[OP_PD_ALLOC] = { "pd_alloc", 3 },
	[OP_PD_FREE] = { "pd_free", 1 },
	[OP_CH_CREATE] = { "channel_create", 1 },
	[OP_CH_DESTROY] = { "channel_destroy", 1 },
	[OP_CH_EVENT] = { "channel_event", 3 },
	[OP_CQ_CREATE] = { "cq_create", 4 },
	[OP_CQ_DESTROY] = { "cq_destroy", 2 },
	[OP_CQ_RESIZE] = { "cq_resize", 2 },
	[OP_CQ_NOTIFY] = { "cq_notify", 3 },
	[OP_CQ_POLL] = { "cq_poll", 20 },
	[OP_QP_CREATE] = { "qp_create", 6 },
	[OP_QP_DESTROY] = { "qp_destroy", 3 },
	[OP_QP_CONNECT] = { "qp_connect", 10 },
	[OP_QP_MODIFY_RAND] = { "qp_modify_random", 3 },
	[OP_QP_QUERY] = { "qp_query", 2 },
	[OP_SRQ_CREATE] = { "srq_create", 3 },
	[OP_SRQ_DESTROY] = { "srq_destroy", 1 },
	[OP_SRQ_MODIFY] = { "srq_modify_query", 2 },
	[OP_XRCD_OPEN] = { "xrcd_open", 1 },
	[OP_XRCD_CLOSE] = { "xrcd_close", 1 },
	[OP_AH_CREATE] = { "ah_create", 2 },
	[OP_AH_DESTROY] = { "ah_destroy", 1 },
	[OP_MR_REG] = { "mr_reg", 6 },
	[OP_MR_REREG] = { "mr_rereg", 2 },
	[OP_MR_DEREG] = { "mr_dereg", 3 },
	[OP_MW] = { "mw_alloc", 1 },
	[OP_ADVISE] = { "advise_mr", 4 },
	[OP_POST_SEND] = { "post_send", 20 },
	[OP_WR_API] = { "wr_api_send", 6 },
	[OP_POST_RECV] = { "post_recv", 12 },
	[OP_POST_SRQ_RECV] = { "post_srq_recv", 6 },
	[OP_ASYNC] = { "async_event", 2 },
	[OP_BUF_REMAP] = { "buf_remap", 2 },
	[OP_BUF_MADVISE] = { "buf_madvise", 4 },
	[OP_BUF_TOUCH] = { "buf_touch", 3 },
	[OP_BUF_UNMAP] = { "buf_unmap", 1 },
	[OP_FORK] = { "fork", 1 },
	[OP_SCRIBBLE] = { "ring_scribble", 6 },
	[OP_RAW_CMD] = { "raw_command", 4 },
	[OP_MMAP_RAND] = { "mmap_random", 1 },
	[OP_QUERY_DEV] = { "query_device", 1 },
	[OP_PAIR_UP] = { "pair_up_traffic", 10 },
};

struct shared {
	uint64_t tried[NOPS];	/* operations run */
	uint64_t ok[NOPS];	/* of which the verb reported success */
	uint64_t cqe_ok, cqe_err;
	uint64_t worker_ops[MAX_PROCS];
};

static struct shared *sh;

static void count(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/* ---- options ---- */

static uint64_t opt_seed;
static unsigned int opt_seconds = 30, opt_procs = 4, opt_threads = 3;
static unsigned int opt_kill_ms = 500;
static uint64_t opt_ops;	/* per thread; 0: until the deadline */
static int opt_trace;
static int opt_worker_slot = -1, opt_worker_gen;
static unsigned int opt_grace = 60;

/* ---- one worker's state ---- */

struct pd_o { pthread_rwlock_t lk; struct ibv_pd *p; };
struct ch_o { pthread_rwlock_t lk; struct ibv_comp_channel *p; };
struct cq_o {
	pthread_rwlock_t lk;
	struct ibv_cq *p;
	struct ibv_cq_ex *cx;	/* created by ibv_create_cq_ex */
	uint64_t wc_flags;	/* the readers it installed */
	bool ex;
};
struct qp_o {
	pthread_rwlock_t lk;
	struct ibv_qp *p;
	bool ex;		/* created with send_ops_flags: ibv_wr_* usable */
	uint64_t send_ops;	/* the builders it installed */
	uint32_t max_send_sge, max_recv_sge, max_inline;
	int pd;			/* PD slot, -1 for XRC targets */
};
struct srq_o { pthread_rwlock_t lk; struct ibv_srq *p; uint32_t max_sge; };
struct xrcd_o { pthread_rwlock_t lk; struct ibv_xrcd *p; };
struct ah_o { pthread_rwlock_t lk; struct ibv_ah *p; };
struct mr_o { pthread_rwlock_t lk; struct ibv_mr *p; };
/*
 * BUF_LOST: a replacement failed and the range may now hold a mapping of
 * someone else's (a ring the provider mapped there): never touched again.
 */
enum buf_state { BUF_UNMAPPED, BUF_RW, BUF_RO, BUF_LOST };
struct buf_o { pthread_rwlock_t lk; int state; };

/*
 * What a post may name without holding the object: keys, addresses and
 * numbers, kept after the object is gone so stale ones get used too.
 */
struct snap {
	uint32_t qpn[NQP];
	uint32_t qp_type[NQP];
	uint32_t srqn[NSRQ];
	uint32_t lkey[NMR], rkey[NMR];
	uint64_t mr_addr[NMR], mr_len[NMR];
	int mr_pd[NMR];		/* PD slot + 1; 0 once deregistered */
};

static struct {
	struct ibv_context *ctx;
	struct ibv_device_attr_ex dev;
	struct ibv_port_attr port;
	union ibv_gid gid;
	int gid_index;
	uint8_t *base;		/* NBUF buffers of BUFSZ, 2 MiB aligned */
	struct pd_o pd[NPD];
	struct ch_o ch[NCH];
	struct cq_o cq[NCQ];
	struct qp_o qp[NQP];
	struct srq_o srq[NSRQ];
	struct xrcd_o xrcd[NXRCD];
	struct ah_o ah[NAH];
	struct mr_o mr[NMR];
	struct buf_o buf[NBUF];
	struct snap s;
	int slot;
	uint64_t seed;
	struct timespec deadline;
} w;

#define SNAP_SET(f, v) __atomic_store_n(&(f), (v), __ATOMIC_RELAXED)
#define SNAP_GET(f) __atomic_load_n(&(f), __ATOMIC_RELAXED)

struct th {
	struct rng r;
	int id;
	uint64_t n;
	int nheld;
	pthread_rwlock_t *held[12];
	uint8_t *scratch;	/* SCRATCH bytes, always mapped */
	char note[160];		/* what the op did, for --trace */
	volatile int op;	/* the op running now, for a crash report */
};

/* This worker's threads, for a crash report. */
static struct th *threads[MAX_THREADS];

static __thread sigjmp_buf probe_jmp;
static __thread volatile int probing;

/*
 * The mappings within 4 MiB of a fault address: a ring that was unmapped
 * under its user shows as a hole here.  Crashing anyway, so the parse
 * need not be async-signal-safe to the letter; it allocates nothing.
 */
static void crash_maps(uintptr_t addr)
{
	static char maps[1 << 17];
	const uintptr_t near = 4UL << 20;
	ssize_t n, got = 0;
	char *line, *end;
	int fd;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	while (got < (ssize_t)sizeof(maps) - 1 &&
	       (n = read(fd, maps + got, sizeof(maps) - 1 - got)) > 0)
		got += n;
	close(fd);
	maps[got] = 0;
	fprintf(stderr, "  mappings within 4 MiB (buffers at %p..%p):\n",
		(void *)w.base, (void *)(w.base + NBUF * BUFSZ));
	for (line = maps; *line; line = end + 1) {
		uintptr_t lo = strtoull(line, NULL, 16);
		uintptr_t hi = strtoull(strchr(line, '-') + 1, NULL, 16);

		end = strchr(line, '\n');
		if (!end)
			break;
		if (hi + near > addr && lo < addr + near)
			fprintf(stderr, "    %.*s\n", (int)(end - line), line);
	}
}

/* A crash of ours: where, as file + offset for addr2line, and the scene. */
static void crash_trace(int sig, siginfo_t *si)
{
	void *pc[32];
	int n = backtrace(pc, 32), k;
	Dl_info di;

	fprintf(stderr, "smlx_fuzz: pid %d signal %d at address %p; backtrace:\n",
		getpid(), sig, si->si_addr);
	for (k = 0; k < n; k++) {
		if (dladdr(pc[k], &di) && di.dli_fname)
			fprintf(stderr, "  %s +%#lx (%s)\n", di.dli_fname,
				(unsigned long)((uintptr_t)pc[k] -
						(uintptr_t)di.dli_fbase),
				di.dli_sname ? di.dli_sname : "?");
		else
			fprintf(stderr, "  %p\n", pc[k]);
	}
	for (k = 0; k < MAX_THREADS; k++)
		if (threads[k])
			fprintf(stderr, "  thread %d: op %" PRIu64 " %s: %.160s\n",
				k, threads[k]->n, ops[threads[k]->op].name,
				threads[k]->note);
	crash_maps((uintptr_t)si->si_addr);
}

static void probe_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (probing)
		siglongjmp(probe_jmp, 1);
	crash_trace(sig, si);
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool rdl(struct th *t, pthread_rwlock_t *l)
{
	if (t->nheld == (int)(sizeof(t->held) / sizeof(t->held[0])) ||
	    pthread_rwlock_tryrdlock(l))
		return false;
	t->held[t->nheld++] = l;
	return true;
}

static bool wrl(struct th *t, pthread_rwlock_t *l)
{
	if (t->nheld == (int)(sizeof(t->held) / sizeof(t->held[0])) ||
	    pthread_rwlock_trywrlock(l))
		return false;
	t->held[t->nheld++] = l;
	return true;
}

static void unlock_all(struct th *t)
{
	while (t->nheld)
		pthread_rwlock_unlock(t->held[--t->nheld]);
}

#define NOTE(t, ...) snprintf((t)->note, sizeof((t)->note), __VA_ARGS__)

/* ---- picking objects ---- */

/* A held, existing object of table @tab (NULL when none could be had). */
#define PICK_RD(t, tab, n, idx)                                                \
	({                                                                     \
		int _i = below(&(t)->r, n);                                    \
		__typeof__(&(tab)[0]) _o = &(tab)[_i];                         \
		if (!rdl(t, &_o->lk) || !_o->p)                                \
			_o = NULL;                                             \
		(idx) = _i;                                                    \
		_o;                                                            \
	})
#define PICK_WR(t, tab, n, idx, want_empty)                                    \
	({                                                                     \
		int _i = below(&(t)->r, n);                                    \
		__typeof__(&(tab)[0]) _o = &(tab)[_i];                         \
		if (!wrl(t, &_o->lk) || (!_o->p) != (want_empty))              \
			_o = NULL;                                             \
		(idx) = _i;                                                    \
		_o;                                                            \
	})

/*
 * An op that destroys a live object of table @tab with @destroy: its slot
 * is free again only when the verb succeeded.
 */
#define DESTROY_OP(fn, tab, n, label, destroy)                                 \
	static int fn(struct th *t)                                            \
	{                                                                      \
		int i, ret;                                                    \
		__typeof__(&(tab)[0]) o = PICK_WR(t, tab, n, i, false);        \
									       \
		if (!o)                                                        \
			return -1;                                             \
		ret = destroy(o->p);                                           \
		if (!ret)                                                      \
			o->p = NULL;                                           \
		NOTE(t, label "[%d] -> %d", i, ret);                           \
		return !!ret;                                                  \
	}

static uint8_t *buf_addr(int b)
{
	return w.base + (size_t)b * BUFSZ;
}

/* An SGE over a registered range (by the snapshot), or a wrong one. */
static void rnd_sge(struct th *t, struct ibv_sge *sge, uint32_t max_len)
{
	int m = below(&t->r, NMR);
	uint64_t len = SNAP_GET(w.s.mr_len[m]);
	uint64_t addr = SNAP_GET(w.s.mr_addr[m]);
	uint64_t span;

	sge->lkey = SNAP_GET(w.s.lkey[m]);
	if (len > 64ULL << 20)	/* implicit: aim at our buffers */
		addr = (uintptr_t)w.base, len = NBUF * BUFSZ;
	span = len ? len : 4096;
	sge->addr = addr + (chance(&t->r, 50) ? 0 : below(&t->r, span));
	sge->length = 1 + below(&t->r, max_len);
	switch (below(&t->r, 16)) {
	case 0: sge->lkey = (uint32_t)rnd(&t->r); break;
	case 1: sge->addr = rnd(&t->r); break;
	case 2: sge->length = (uint32_t)rnd(&t->r); break;
	case 3: sge->length = 0; break;
	case 4: sge->addr = addr + span - below(&t->r, 64); break;
	default: break;
	}
}

/* A remote address and rkey to aim an RDMA or atomic at. */
static void rnd_remote(struct th *t, uint64_t *addr, uint32_t *rkey)
{
	int m = below(&t->r, NMR);
	uint64_t len = SNAP_GET(w.s.mr_len[m]);

	*addr = SNAP_GET(w.s.mr_addr[m]);
	*rkey = SNAP_GET(w.s.rkey[m]);
	if (len > 64ULL << 20)
		*addr = (uintptr_t)w.base, len = NBUF * BUFSZ;
	if (len)
		*addr += below(&t->r, len) & ~7ULL;
	if (chance(&t->r, 5))
		*rkey = (uint32_t)rnd(&t->r);
	if (chance(&t->r, 5))
		*addr = rnd(&t->r);
}

static void ah_attr_of(struct th *t, struct ibv_ah_attr *ah)
{
	memset(ah, 0, sizeof(*ah));
	ah->port_num = PORT;
	ah->dlid = w.port.lid;
	ah->is_global = 1;
	ah->grh.dgid = w.gid;
	ah->grh.sgid_index = w.gid_index;
	ah->grh.hop_limit = 64;
	switch (below(&t->r, 24)) {
	case 0: ah->port_num = (uint8_t)rnd(&t->r); break;
	case 1: ah->grh.sgid_index = (uint8_t)rnd(&t->r); break;
	case 2: rnd_bytes(&t->r, &ah->grh.dgid, sizeof(ah->grh.dgid)); break;
	case 3: ah->is_global = 0; break;
	case 4: ah->sl = (uint8_t)rnd(&t->r); break;
	case 5: ah->static_rate = (uint8_t)rnd(&t->r); break;
	default: break;
	}
}

static void ah_attr_valid(struct ibv_ah_attr *ah)
{
	memset(ah, 0, sizeof(*ah));
	ah->port_num = PORT;
	ah->dlid = w.port.lid;
	ah->is_global = 1;
	ah->grh.dgid = w.gid;
	ah->grh.sgid_index = w.gid_index;
	ah->grh.hop_limit = 64;
}

/* ---- operations ---- */

static int op_pd_alloc(struct th *t)
{
	int i;
	struct pd_o *o = PICK_WR(t, w.pd, NPD, i, true);

	if (!o)
		return -1;
	o->p = ibv_alloc_pd(w.ctx);
	NOTE(t, "pd[%d] %s", i, o->p ? "ok" : strerror(errno));
	return o->p ? 0 : 1;
}

DESTROY_OP(op_pd_free, w.pd, NPD, "pd", ibv_dealloc_pd)

static int op_ch_create(struct th *t)
{
	int i;
	struct ch_o *o = PICK_WR(t, w.ch, NCH, i, true);

	if (!o)
		return -1;
	o->p = ibv_create_comp_channel(w.ctx);
	if (o->p)
		fcntl(o->p->fd, F_SETFL, fcntl(o->p->fd, F_GETFL) | O_NONBLOCK);
	NOTE(t, "ch[%d] %s", i, o->p ? "ok" : strerror(errno));
	return o->p ? 0 : 1;
}

DESTROY_OP(op_ch_destroy, w.ch, NCH, "ch", ibv_destroy_comp_channel)

static int op_ch_event(struct th *t)
{
	int i;
	struct ch_o *o = PICK_RD(t, w.ch, NCH, i);
	struct ibv_cq *cq;
	void *cq_ctx;

	if (!o)
		return -1;
	if (ibv_get_cq_event(o->p, &cq, &cq_ctx)) {
		NOTE(t, "ch[%d] no event", i);
		return 1;
	}
	/*
	 * ibv_destroy_cq waits for this ack: the CQ is ours until then, so
	 * re-arm it first.
	 */
	if (chance(&t->r, 70))
		ibv_req_notify_cq(cq, chance(&t->r, 30));
	ibv_ack_cq_events(cq, 1);
	NOTE(t, "ch[%d] event", i);
	return 0;
}

static int op_cq_create(struct th *t)
{
	int i, c = -1;
	struct cq_o *o = PICK_WR(t, w.cq, NCQ, i, true);
	struct ch_o *ch = NULL;
	int cqe;

	if (!o)
		return -1;
	if (chance(&t->r, 40))
		ch = PICK_RD(t, w.ch, NCH, c);
	cqe = (int)rnd_count(&t->r, 256, (uint32_t)w.dev.orig_attr.max_cqe);
	if (cqe > 65536 && chance(&t->r, 90))
		cqe = 1 + below(&t->r, 1024);	/* keep kernel memory modest */
	if (chance(&t->r, 30)) {
		struct ibv_cq_init_attr_ex a = {
			.cqe = (uint32_t)cqe,
			.channel = ch ? ch->p : NULL,
			.comp_vector = chance(&t->r, 90) ? 0 : below(&t->r, 4),
			.wc_flags = IBV_WC_STANDARD_FLAGS |
				    (chance(&t->r, 50) ?
					     IBV_WC_EX_WITH_COMPLETION_TIMESTAMP :
					     0),
		};

		/*
		 * Never IBV_CREATE_CQ_ATTR_SINGLE_THREADED: the application
		 * promises no two threads touch the CQ at once, polls and the
		 * discard of a QP's CQEs at RESET included, which the threads
		 * here break by design (a NULL cursor, an unmapped old ring
		 * after a resize).  The flag never reaches the kernel.
		 */
		if (chance(&t->r, 20))
			a.comp_mask = IBV_CQ_INIT_ATTR_MASK_FLAGS;
		if (chance(&t->r, 5))
			a.wc_flags = rnd(&t->r);
		struct ibv_cq_ex *cx = ibv_create_cq_ex(w.ctx, &a);

		o->p = cx ? ibv_cq_ex_to_cq(cx) : NULL;
		o->cx = cx;
		o->wc_flags = a.wc_flags;
		o->ex = true;
	} else {
		o->p = ibv_create_cq(w.ctx, cqe, NULL, ch ? ch->p : NULL,
				     chance(&t->r, 90) ? 0 : below(&t->r, 4));
		o->ex = false;
	}
	if (o->p && chance(&t->r, 50))
		ibv_req_notify_cq(o->p, 0);
	NOTE(t, "cq[%d] cqe %d ch %d ex %d: %s", i, cqe, c, o->ex,
	     o->p ? "ok" : strerror(errno));
	return o->p ? 0 : 1;
}

DESTROY_OP(op_cq_destroy, w.cq, NCQ, "cq", ibv_destroy_cq)

static int op_cq_resize(struct th *t)
{
	int i, ret, cqe;
	/*
	 * Held exclusively: the provider maps a new ring and unmaps the old
	 * one, which a concurrent ring scribble would still write to.
	 */
	struct cq_o *o = PICK_WR(t, w.cq, NCQ, i, false);

	if (!o)
		return -1;
	cqe = (int)rnd_count(&t->r, 512, (uint32_t)w.dev.orig_attr.max_cqe);
	if (cqe > 65536 && chance(&t->r, 90))
		cqe = 1 + below(&t->r, 1024);
	ret = ibv_resize_cq(o->p, cqe);
	NOTE(t, "cq[%d] cqe %d -> %d", i, cqe, ret);
	return !!ret;
}

static int op_cq_notify(struct th *t)
{
	int i, ret;
	struct cq_o *o = PICK_RD(t, w.cq, NCQ, i);

	if (!o)
		return -1;
	ret = ibv_req_notify_cq(o->p, chance(&t->r, 30));
	NOTE(t, "cq[%d] -> %d", i, ret);
	return !!ret;
}

static void count_wc(enum ibv_wc_status st)
{
	count(st == IBV_WC_SUCCESS ? &sh->cqe_ok : &sh->cqe_err, 1);
}

static int op_cq_poll(struct th *t)
{
	int i, n = 0, ret;
	struct cq_o *o = PICK_RD(t, w.cq, NCQ, i);
	struct ibv_wc wc[16];

	if (!o)
		return -1;
	if (o->ex && chance(&t->r, 70)) {
		struct ibv_cq_ex *cx = o->cx;
		struct ibv_poll_cq_attr pa = {};
		int max = 1 + below(&t->r, 16);

		ret = ibv_start_poll(cx, &pa);
		if (ret) {
			NOTE(t, "cq[%d] ex: empty (%d)", i, ret);
			return ret == ENOENT ? 0 : 1;
		}
		do {
			count_wc(cx->status);
			/* only the readers asked for exist, as in rdma-core */
			(void)ibv_wc_read_opcode(cx);
			if (o->wc_flags & IBV_WC_EX_WITH_BYTE_LEN)
				(void)ibv_wc_read_byte_len(cx);
			if (o->wc_flags & IBV_WC_EX_WITH_QP_NUM)
				(void)ibv_wc_read_qp_num(cx);
			if (o->wc_flags & IBV_WC_EX_WITH_COMPLETION_TIMESTAMP)
				(void)ibv_wc_read_completion_ts(cx);
			n++;
		} while (n < max && !ibv_next_poll(cx));
		ibv_end_poll(cx);
		NOTE(t, "cq[%d] ex: %d", i, n);
		return 0;
	}
	n = ibv_poll_cq(o->p, 1 + below(&t->r, 16), wc);
	for (ret = 0; ret < n; ret++)
		count_wc(wc[ret].status);
	NOTE(t, "cq[%d]: %d", i, n);
	return n < 0;
}

static enum ibv_qp_type rnd_qp_type(struct th *t)
{
	static const enum ibv_qp_type types[] = {
		IBV_QPT_RC, IBV_QPT_RC, IBV_QPT_UC, IBV_QPT_UD, IBV_QPT_UD,
		IBV_QPT_XRC_SEND, IBV_QPT_XRC_RECV,
	};

	if (chance(&t->r, 3))
		return (enum ibv_qp_type)below(&t->r, 256);
	return types[below(&t->r, sizeof(types) / sizeof(types[0]))];
}

static int op_qp_create(struct th *t)
{
	int i, p = -1, sc = -1, rc = -1, s = -1, x = -1;
	struct qp_o *o = PICK_WR(t, w.qp, NQP, i, true);
	struct pd_o *pd;
	struct cq_o *scq, *rcq;
	struct srq_o *srq = NULL;
	struct xrcd_o *xrcd = NULL;
	struct ibv_qp_init_attr_ex a = {};
	enum ibv_qp_type type;

	if (!o)
		return -1;
	type = rnd_qp_type(t);
	pd = PICK_RD(t, w.pd, NPD, p);
	scq = PICK_RD(t, w.cq, NCQ, sc);
	rcq = chance(&t->r, 50) ? scq : PICK_RD(t, w.cq, NCQ, rc);
	if (chance(&t->r, 25) || type == IBV_QPT_XRC_RECV)
		srq = PICK_RD(t, w.srq, NSRQ, s);
	if (type == IBV_QPT_XRC_RECV || chance(&t->r, 3))
		xrcd = PICK_RD(t, w.xrcd, NXRCD, x);
	if ((!pd && type != IBV_QPT_XRC_RECV) || !scq || !rcq) {
		if (chance(&t->r, 90))
			return -1;	/* mostly not worth a NULL deref test */
	}
	if (!scq || !rcq || (!pd && type != IBV_QPT_XRC_RECV))
		return -1;	/* libibverbs dereferences these */
	a.qp_type = type;
	a.send_cq = scq->p;
	a.recv_cq = rcq->p;
	a.srq = (srq && type != IBV_QPT_XRC_RECV) ? srq->p : NULL;
	a.sq_sig_all = chance(&t->r, 30);
	a.cap.max_send_wr = rnd_count(&t->r, 64, w.dev.orig_attr.max_qp_wr);
	a.cap.max_recv_wr = rnd_count(&t->r, 64, w.dev.orig_attr.max_qp_wr);
	a.cap.max_send_sge = rnd_count(&t->r, 4, w.dev.orig_attr.max_sge);
	a.cap.max_recv_sge = rnd_count(&t->r, 4, w.dev.orig_attr.max_sge);
	a.cap.max_inline_data = chance(&t->r, 50) ? 0 :
				rnd_count(&t->r, 128, 256);
	/* keep kernel memory modest: few QPs get the biggest rings */
	if (a.cap.max_send_wr > 1024 && chance(&t->r, 80))
		a.cap.max_send_wr = 64;
	if (a.cap.max_recv_wr > 1024 && chance(&t->r, 80))
		a.cap.max_recv_wr = 64;
	a.comp_mask = IBV_QP_INIT_ATTR_PD;
	a.pd = pd ? pd->p : NULL;
	if (xrcd) {
		a.comp_mask |= IBV_QP_INIT_ATTR_XRCD;
		a.xrcd = xrcd->p;
	}
	if (type == IBV_QPT_XRC_RECV) {
		if (!xrcd)
			return -1;
		a.comp_mask = IBV_QP_INIT_ATTR_XRCD;
		a.send_cq = a.recv_cq = NULL;
	}
	o->ex = false;
	if (chance(&t->r, 40) && type != IBV_QPT_XRC_RECV) {
		a.comp_mask |= IBV_QP_INIT_ATTR_SEND_OPS_FLAGS;
		a.send_ops_flags = chance(&t->r, 90) ? 0x3ff : rnd(&t->r);
		o->send_ops = a.send_ops_flags;
		o->ex = true;
	}
	if (chance(&t->r, 60) || o->ex || xrcd) {
		o->p = ibv_create_qp_ex(w.ctx, &a);
	} else {
		struct ibv_qp_init_attr b = {
			.send_cq = a.send_cq, .recv_cq = a.recv_cq,
			.srq = a.srq, .cap = a.cap, .qp_type = a.qp_type,
			.sq_sig_all = a.sq_sig_all,
		};

		o->p = ibv_create_qp(pd->p, &b);
		a.cap = b.cap;
	}
	NOTE(t, "qp[%d] type %d pd %d cq %d/%d srq %d xrcd %d wr %u/%u sge %u/%u inl %u ex %d: %s",
	     i, type, p, sc, rc, s, x, a.cap.max_send_wr, a.cap.max_recv_wr,
	     a.cap.max_send_sge, a.cap.max_recv_sge, a.cap.max_inline_data,
	     o->ex, o->p ? "ok" : strerror(errno));
	if (!o->p)
		return 1;
	o->max_send_sge = a.cap.max_send_sge;
	o->max_recv_sge = a.cap.max_recv_sge;
	o->max_inline = a.cap.max_inline_data;
	o->pd = a.pd && type != IBV_QPT_XRC_RECV ? p : -1;
	SNAP_SET(w.s.qpn[i], o->p->qp_num);
	SNAP_SET(w.s.qp_type[i], (uint32_t)type);
	return 0;
}

DESTROY_OP(op_qp_destroy, w.qp, NQP, "qp", ibv_destroy_qp)

/* A peer's QPN for a QP of @type: mostly one of ours that fits. */
static uint32_t peer_qpn(struct th *t, enum ibv_qp_type type)
{
	int k, j;

	if (chance(&t->r, 5))
		return (uint32_t)rnd(&t->r) & 0xffffff;
	for (k = 0; k < 4; k++) {
		j = below(&t->r, NQP);
		enum ibv_qp_type pt = SNAP_GET(w.s.qp_type[j]);

		if (pt == type ||
		    (type == IBV_QPT_XRC_SEND && pt == IBV_QPT_XRC_RECV) ||
		    (type == IBV_QPT_XRC_RECV && pt == IBV_QPT_XRC_SEND))
			return SNAP_GET(w.s.qpn[j]);
	}
	return SNAP_GET(w.s.qpn[below(&t->r, NQP)]);
}

/* One step towards RTS (or out of it), with now and then a wrong attribute. */
static int qp_step(struct th *t, struct ibv_qp *qp, enum ibv_qp_state cur,
		   bool valid, uint32_t remote)
{
	struct ibv_qp_attr a = {};
	enum ibv_qp_type type = qp->qp_type;
	bool conn = type != IBV_QPT_UD;
	int mask = IBV_QP_STATE;

	switch (cur) {
	case IBV_QPS_RESET:
		a.qp_state = IBV_QPS_INIT;
		a.port_num = PORT;
		mask |= IBV_QP_PKEY_INDEX | IBV_QP_PORT;
		if (type == IBV_QPT_UD) {
			a.qkey = QKEY;
			mask |= IBV_QP_QKEY;
		} else {
			a.qp_access_flags = IBV_ACCESS_REMOTE_WRITE |
					    IBV_ACCESS_REMOTE_READ |
					    IBV_ACCESS_REMOTE_ATOMIC;
			mask |= IBV_QP_ACCESS_FLAGS;
		}
		break;
	case IBV_QPS_INIT:
		a.qp_state = IBV_QPS_RTR;
		if (conn) {
			a.path_mtu = valid || chance(&t->r, 70) ? IBV_MTU_1024 :
				     (enum ibv_mtu)(1 + below(&t->r, 5));
			a.dest_qp_num = valid ? remote : peer_qpn(t, type);
			a.rq_psn = chance(&t->r, 50) ? 0 : rnd(&t->r) & 0xffffff;
			ah_attr_of(t, &a.ah_attr);
			if (valid)
				ah_attr_valid(&a.ah_attr);
			mask |= IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN |
				IBV_QP_RQ_PSN;
			if (type != IBV_QPT_UC) {
				a.max_dest_rd_atomic = valid ? 4 : below(&t->r, 17);
				a.min_rnr_timer = below(&t->r, 4);
				mask |= IBV_QP_MAX_DEST_RD_ATOMIC |
					IBV_QP_MIN_RNR_TIMER;
			}
		}
		break;
	case IBV_QPS_RTR:
		a.qp_state = IBV_QPS_RTS;
		a.sq_psn = chance(&t->r, 50) ? 0 : rnd(&t->r) & 0xffffff;
		mask |= IBV_QP_SQ_PSN;
		if (type == IBV_QPT_RC || type == IBV_QPT_XRC_SEND ||
		    type == IBV_QPT_XRC_RECV) {
			a.timeout = 8 + below(&t->r, 7);
			a.retry_cnt = below(&t->r, 8);
			a.rnr_retry = valid ? 7 : below(&t->r, 8);
			a.max_rd_atomic = valid ? 4 : below(&t->r, 17);
			mask |= IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
				IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC;
		}
		break;
	default:
		/* RTS, SQD, SQE, ERR: out again, now and then */
		switch (below(&t->r, 6)) {
		case 0: a.qp_state = IBV_QPS_ERR; break;
		case 1: a.qp_state = IBV_QPS_RESET; break;
		case 2: a.qp_state = IBV_QPS_SQD; break;
		case 3:	/* RTS -> RTS with a new timeout */
			a.qp_state = IBV_QPS_RTS;
			a.timeout = 8 + below(&t->r, 7);
			mask |= IBV_QP_TIMEOUT;
			break;
		default: return 0;
		}
	}
	switch (valid ? 20 : below(&t->r, 20)) {
	case 0: mask ^= 1 << below(&t->r, 21); break;
	case 1: a.qp_state = (enum ibv_qp_state)below(&t->r, 8); break;
	case 2: a.pkey_index = (uint16_t)rnd(&t->r); break;
	case 3: a.qp_access_flags = rnd(&t->r); break;
	case 4: a.path_mtu = (enum ibv_mtu)rnd(&t->r); break;
	case 5: a.cur_qp_state = (enum ibv_qp_state)below(&t->r, 8);
		mask |= IBV_QP_CUR_STATE; break;
	default: break;
	}
	return ibv_modify_qp(qp, &a, mask);
}

static int op_qp_connect(struct th *t)
{
	int i, k, ret = 0, steps;
	struct qp_o *o = PICK_RD(t, w.qp, NQP, i);
	struct ibv_qp_attr qa;
	struct ibv_qp_init_attr qi;

	if (!o)
		return -1;
	/*
	 * Read-locked only: two threads may modify one QP at once, as two
	 * threads of a careless application can.
	 */
	steps = chance(&t->r, 50) ? 4 : 1;
	for (k = 0; k < steps; k++) {
		if (ibv_query_qp(o->p, &qa, IBV_QP_STATE, &qi)) {
			ret = 1;
			break;
		}
		if (steps > 1 && qa.qp_state == IBV_QPS_RTS)
			break;
		ret = qp_step(t, o->p, qa.qp_state, false, 0);
		if (ret)
			break;
	}
	NOTE(t, "qp[%d] %d steps from %d -> %d", i, k, qa.qp_state, ret);
	return !!ret;
}

static int op_qp_modify_rand(struct th *t)
{
	int i, ret, mask;
	struct qp_o *o = PICK_RD(t, w.qp, NQP, i);
	struct ibv_qp_attr a;

	if (!o)
		return -1;
	rnd_bytes(&t->r, &a, sizeof(a));
	a.qp_state = (enum ibv_qp_state)below(&t->r, 8);
	a.cur_qp_state = (enum ibv_qp_state)below(&t->r, 8);
	a.ah_attr.port_num = chance(&t->r, 80) ? PORT : a.ah_attr.port_num;
	a.alt_ah_attr.port_num = a.ah_attr.port_num;
	mask = (int)(rnd(&t->r) & ((1 << 25) - 1));
	if (chance(&t->r, 50))
		mask |= IBV_QP_STATE;
	ret = ibv_modify_qp(o->p, &a, mask);
	NOTE(t, "qp[%d] state %d mask %#x -> %d", i, a.qp_state, mask, ret);
	return !!ret;
}

static int op_qp_query(struct th *t)
{
	int i, ret;
	struct qp_o *o = PICK_RD(t, w.qp, NQP, i);
	struct ibv_qp_attr a;
	struct ibv_qp_init_attr ia;

	if (!o)
		return -1;
	ret = ibv_query_qp(o->p, &a, (int)(rnd(&t->r) & ((1 << 25) - 1)), &ia);
	NOTE(t, "qp[%d] -> %d", i, ret);
	return !!ret;
}

static int op_srq_create(struct th *t)
{
	int i, p = -1, c = -1, x = -1;
	struct srq_o *o = PICK_WR(t, w.srq, NSRQ, i, true);
	struct pd_o *pd;
	struct ibv_srq_init_attr_ex a = {};

	if (!o)
		return -1;
	pd = PICK_RD(t, w.pd, NPD, p);
	if (!pd)
		return -1;
	a.attr.max_wr = rnd_count(&t->r, 64, w.dev.orig_attr.max_srq_wr);
	if (a.attr.max_wr > 1024 && chance(&t->r, 80))
		a.attr.max_wr = 64;
	a.attr.max_sge = rnd_count(&t->r, 4, w.dev.orig_attr.max_srq_sge);
	a.attr.srq_limit = chance(&t->r, 70) ? 0 : below(&t->r, 64);
	if (chance(&t->r, 40)) {
		struct cq_o *cq = PICK_RD(t, w.cq, NCQ, c);
		struct xrcd_o *xrcd = PICK_RD(t, w.xrcd, NXRCD, x);

		if (!cq || !xrcd)
			return -1;
		a.comp_mask = IBV_SRQ_INIT_ATTR_TYPE | IBV_SRQ_INIT_ATTR_PD |
			      IBV_SRQ_INIT_ATTR_XRCD | IBV_SRQ_INIT_ATTR_CQ;
		a.srq_type = IBV_SRQT_XRC;
		a.pd = pd->p;
		a.xrcd = xrcd->p;
		a.cq = cq->p;
		o->p = ibv_create_srq_ex(w.ctx, &a);
	} else {
		struct ibv_srq_init_attr b = { .attr = a.attr };

		o->p = ibv_create_srq(pd->p, &b);
		a.attr = b.attr;
	}
	NOTE(t, "srq[%d] pd %d cq %d xrcd %d wr %u sge %u: %s", i, p, c, x,
	     a.attr.max_wr, a.attr.max_sge, o->p ? "ok" : strerror(errno));
	if (!o->p)
		return 1;
	o->max_sge = a.attr.max_sge;
	{
		uint32_t n = 0;

		if (!ibv_get_srq_num(o->p, &n))
			SNAP_SET(w.s.srqn[i], n);
	}
	return 0;
}

DESTROY_OP(op_srq_destroy, w.srq, NSRQ, "srq", ibv_destroy_srq)

static int op_srq_modify(struct th *t)
{
	int i, ret;
	struct srq_o *o = PICK_RD(t, w.srq, NSRQ, i);
	struct ibv_srq_attr a = {};

	if (!o)
		return -1;
	if (chance(&t->r, 30)) {
		ret = ibv_query_srq(o->p, &a);
		NOTE(t, "srq[%d] query -> %d", i, ret);
		return !!ret;
	}
	a.max_wr = rnd_count(&t->r, 128, w.dev.orig_attr.max_srq_wr);
	a.srq_limit = below(&t->r, 128);
	ret = ibv_modify_srq(o->p, &a, (int)below(&t->r, 4));
	NOTE(t, "srq[%d] modify -> %d", i, ret);
	return !!ret;
}

static int op_xrcd_open(struct th *t)
{
	int i;
	struct xrcd_o *o = PICK_WR(t, w.xrcd, NXRCD, i, true);
	struct ibv_xrcd_init_attr a = {
		.comp_mask = IBV_XRCD_INIT_ATTR_FD | IBV_XRCD_INIT_ATTR_OFLAGS,
		.fd = -1,
		.oflags = O_CREAT,
	};

	if (!o)
		return -1;
	if (chance(&t->r, 5))
		a.oflags = (int)rnd(&t->r);
	o->p = ibv_open_xrcd(w.ctx, &a);
	NOTE(t, "xrcd[%d] %s", i, o->p ? "ok" : strerror(errno));
	return o->p ? 0 : 1;
}

DESTROY_OP(op_xrcd_close, w.xrcd, NXRCD, "xrcd", ibv_close_xrcd)

static int op_ah_create(struct th *t)
{
	int i, p;
	struct ah_o *o = PICK_WR(t, w.ah, NAH, i, true);
	struct pd_o *pd;
	struct ibv_ah_attr a;

	if (!o)
		return -1;
	pd = PICK_RD(t, w.pd, NPD, p);
	if (!pd)
		return -1;
	ah_attr_of(t, &a);
	o->p = ibv_create_ah(pd->p, &a);
	NOTE(t, "ah[%d] pd %d: %s", i, p, o->p ? "ok" : strerror(errno));
	return o->p ? 0 : 1;
}

DESTROY_OP(op_ah_destroy, w.ah, NAH, "ah", ibv_destroy_ah)

static int rnd_access(struct th *t)
{
	int a = (int)(rnd(&t->r) & ALL_ACCESS);

	if (chance(&t->r, 80))
		a |= IBV_ACCESS_LOCAL_WRITE;
	if (chance(&t->r, 3))
		a = (int)rnd(&t->r);
	return a;
}

/* A range of our buffers, or now and then one that is not ours. */
static void rnd_range(struct th *t, uint64_t *addr, uint64_t *len)
{
	int b = below(&t->r, NBUF);

	*addr = (uintptr_t)buf_addr(b);
	*len = BUFSZ;
	switch (below(&t->r, 8)) {
	case 0: *len = (NBUF - b) * BUFSZ; break;
	case 1: *addr += below(&t->r, BUFSZ); *len = 1 + below(&t->r, BUFSZ); break;
	case 2: *addr += below(&t->r, 512) * 4096; *len = 4096 * (1 + below(&t->r, 64)); break;
	case 3: *len = 1 + below(&t->r, 1u << 30); break;	/* past our buffers */
	case 4: if (chance(&t->r, 20)) *addr = rnd(&t->r); break;
	case 5: if (chance(&t->r, 20)) *len = 0; break;
	default: break;
	}
}

static void snap_mr(int i, struct ibv_mr *mr, uint64_t iova, int pd)
{
	SNAP_SET(w.s.mr_pd[i], pd + 1);
	SNAP_SET(w.s.lkey[i], mr->lkey);
	SNAP_SET(w.s.rkey[i], mr->rkey);
	SNAP_SET(w.s.mr_addr[i], iova);
	SNAP_SET(w.s.mr_len[i], (uint64_t)mr->length);
}

static int op_mr_reg(struct th *t)
{
	int i, p, kind, access;
	struct mr_o *o = PICK_WR(t, w.mr, NMR, i, true);
	struct pd_o *pd;
	uint64_t addr, len, iova;

	if (!o)
		return -1;
	pd = PICK_RD(t, w.pd, NPD, p);
	if (!pd)
		return -1;
	kind = below(&t->r, 10);	/* 0-3 pinned, 4-7 ODP, 8-9 implicit */
	access = rnd_access(t);
	rnd_range(t, &addr, &len);
	iova = addr;
	if (kind >= 4)
		access |= IBV_ACCESS_ON_DEMAND;
	if (kind >= 8) {
		addr = 0;
		len = SIZE_MAX;
		iova = 0;
		if (chance(&t->r, 10))
			len = rnd(&t->r);
	}
	if (kind < 8 && chance(&t->r, 15)) {
		iova = chance(&t->r, 50) ? rnd(&t->r) : (rnd(&t->r) & 0xffffffff000ULL);
		o->p = ibv_reg_mr_iova(pd->p, (void *)(uintptr_t)addr, len,
				       iova, access);
	} else {
		o->p = ibv_reg_mr(pd->p, (void *)(uintptr_t)addr, len, access);
	}
	NOTE(t, "mr[%d] pd %d kind %d addr %#" PRIx64 " len %#" PRIx64
	     " iova %#" PRIx64 " access %#x: %s", i, p, kind, addr, len, iova,
	     access, o->p ? "ok" : strerror(errno));
	if (!o->p)
		return 1;
	snap_mr(i, o->p, iova, p);
	return 0;
}

static int op_mr_rereg(struct th *t)
{
	int i, p = -1, ret, flags, access;
	struct mr_o *o = PICK_WR(t, w.mr, NMR, i, false);
	struct pd_o *pd = NULL;
	uint64_t addr = 0, len = 0;

	if (!o)
		return -1;
	flags = (int)below(&t->r, 8);
	if (chance(&t->r, 3))
		flags = (int)rnd(&t->r);
	if (flags & IBV_REREG_MR_CHANGE_PD) {
		pd = PICK_RD(t, w.pd, NPD, p);
		if (!pd)
			return -1;
	}
	if (flags & IBV_REREG_MR_CHANGE_TRANSLATION)
		rnd_range(t, &addr, &len);
	access = rnd_access(t);
	if (chance(&t->r, 50))
		access |= IBV_ACCESS_ON_DEMAND;
	ret = ibv_rereg_mr(o->p, flags, pd ? pd->p : NULL,
			   (void *)(uintptr_t)addr, len, access);
	NOTE(t, "mr[%d] flags %#x pd %d addr %#" PRIx64 " len %#" PRIx64
	     " access %#x -> %d", i, flags, p, addr, len, access, ret);
	/* On a failed command the MR is still registered as it was. */
	if (!ret)
		snap_mr(i, o->p, (uintptr_t)o->p->addr,
			pd ? p : SNAP_GET(w.s.mr_pd[i]) - 1);
	return !!ret;
}

static int op_mr_dereg(struct th *t)
{
	int i, ret;
	struct mr_o *o = PICK_WR(t, w.mr, NMR, i, false);

	if (!o)
		return -1;
	ret = ibv_dereg_mr(o->p);
	if (!ret) {
		o->p = NULL;
		SNAP_SET(w.s.mr_pd[i], 0);
	}
	NOTE(t, "mr[%d] -> %d", i, ret);
	return !!ret;
}

static int op_mw(struct th *t)
{
	int p;
	struct pd_o *pd = PICK_RD(t, w.pd, NPD, p);
	struct ibv_mw *mw;

	if (!pd)
		return -1;
	mw = ibv_alloc_mw(pd->p, chance(&t->r, 50) ? IBV_MW_TYPE_1 :
						    IBV_MW_TYPE_2);
	NOTE(t, "pd %d: %s", p, mw ? "ok" : strerror(errno));
	if (!mw)
		return 1;
	ibv_dealloc_mw(mw);
	return 0;
}

static int op_advise(struct th *t)
{
	int p, k, n, ret;
	struct pd_o *pd = PICK_RD(t, w.pd, NPD, p);
	struct ibv_sge sge[4];
	uint32_t advice, flags;

	if (!pd)
		return -1;
	n = 1 + below(&t->r, 4);
	for (k = 0; k < n; k++)
		rnd_sge(t, &sge[k], 4u << 20);	/* bounded: no TiB prefetches */
	if (chance(&t->r, 5))
		n = (int)below(&t->r, 1024);	/* more SGEs than we have */
	advice = below(&t->r, 3);
	if (chance(&t->r, 3))
		advice = (uint32_t)rnd(&t->r);
	flags = chance(&t->r, 50) ? IBV_ADVISE_MR_FLAG_FLUSH : 0;
	if (chance(&t->r, 3))
		flags = (uint32_t)rnd(&t->r);
	ret = ibv_advise_mr(pd->p, (enum ibv_advise_mr_advice)advice, flags,
			    sge, n > 4 ? 4 : n);
	NOTE(t, "pd %d advice %u flags %#x sges %d -> %d", p, advice, flags, n,
	     ret);
	return !!ret;
}

static const enum ibv_wr_opcode send_opcodes[] = {
	IBV_WR_SEND, IBV_WR_SEND, IBV_WR_SEND_WITH_IMM, IBV_WR_RDMA_WRITE,
	IBV_WR_RDMA_WRITE, IBV_WR_RDMA_WRITE_WITH_IMM, IBV_WR_RDMA_READ,
	IBV_WR_RDMA_READ, IBV_WR_ATOMIC_CMP_AND_SWP, IBV_WR_ATOMIC_FETCH_AND_ADD,
	IBV_WR_LOCAL_INV, IBV_WR_SEND_WITH_INV, IBV_WR_BIND_MW,
};

static enum ibv_wr_opcode rnd_opcode(struct th *t, enum ibv_qp_type type)
{
	if (chance(&t->r, 3))
		return (enum ibv_wr_opcode)below(&t->r, 256);
	if (type == IBV_QPT_UD && chance(&t->r, 90))
		return chance(&t->r, 70) ? IBV_WR_SEND : IBV_WR_SEND_WITH_IMM;
	return send_opcodes[below(&t->r, sizeof(send_opcodes) /
					     sizeof(send_opcodes[0]))];
}

static int op_post_send(struct th *t)
{
	int i, a, k, j, nwr, ret;
	struct qp_o *o = PICK_RD(t, w.qp, NQP, i);
	struct ah_o *ah = NULL;
	struct ibv_send_wr wr[4], *bad = NULL;
	struct ibv_sge sge[4][8];

	if (!o)
		return -1;
	if (o->p->qp_type == IBV_QPT_UD) {
		ah = PICK_RD(t, w.ah, NAH, a);
		if (!ah)
			return -1;
	}
	nwr = 1 + below(&t->r, 4);
	memset(wr, 0, sizeof(wr));
	for (k = 0; k < nwr; k++) {
		struct ibv_send_wr *x = &wr[k];
		int nsge = below(&t->r, (o->max_send_sge < 8 ? o->max_send_sge : 7) + 2);

		x->wr_id = rnd(&t->r);
		x->next = k + 1 < nwr ? &wr[k + 1] : NULL;
		x->opcode = rnd_opcode(t, o->p->qp_type);
		x->send_flags = below(&t->r, 16) & ~IBV_SEND_INLINE;
		if (chance(&t->r, 50))
			x->send_flags |= IBV_SEND_SIGNALED;
		if (nsge > 8)
			nsge = 8;
		for (j = 0; j < nsge; j++)
			rnd_sge(t, &sge[k][j], chance(&t->r, 80) ? 4096 : 1u << 20);
		x->sg_list = sge[k];
		x->num_sge = nsge;
		if (chance(&t->r, 15)) {
			/* inline data is read by the provider: our scratch */
			x->send_flags |= IBV_SEND_INLINE;
			for (j = 0; j < nsge; j++) {
				sge[k][j].addr = (uintptr_t)t->scratch +
						 below(&t->r, SCRATCH / 2);
				sge[k][j].length = below(&t->r, 300) / (nsge ? nsge : 1);
			}
		}
		if (x->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
		    x->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) {
			rnd_remote(t, &x->wr.atomic.remote_addr, &x->wr.atomic.rkey);
			x->wr.atomic.compare_add = rnd(&t->r);
			x->wr.atomic.swap = rnd(&t->r);
			if (nsge && chance(&t->r, 80)) {
				sge[k][0].length = 8;
				x->num_sge = 1;
			}
		} else {
			rnd_remote(t, &x->wr.rdma.remote_addr, &x->wr.rdma.rkey);
		}
		x->imm_data = (uint32_t)rnd(&t->r);
		if (x->opcode == IBV_WR_SEND_WITH_INV || x->opcode == IBV_WR_LOCAL_INV)
			x->invalidate_rkey = SNAP_GET(w.s.rkey[below(&t->r, NMR)]);
		if (ah) {
			x->wr.ud.ah = ah->p;
			x->wr.ud.remote_qpn = peer_qpn(t, IBV_QPT_UD);
			x->wr.ud.remote_qkey = chance(&t->r, 90) ? QKEY : (uint32_t)rnd(&t->r);
		}
		if (o->p->qp_type == IBV_QPT_XRC_SEND)
			x->qp_type.xrc.remote_srqn = chance(&t->r, 90) ?
				SNAP_GET(w.s.srqn[below(&t->r, NSRQ)]) :
				(uint32_t)rnd(&t->r);
	}
	ret = ibv_post_send(o->p, wr, &bad);
	NOTE(t, "qp[%d] ah %d %d wrs op0 %d -> %d", i, ah ? a : -1, nwr,
	     wr[0].opcode, ret);
	return !!ret;
}

static int op_wr_api(struct th *t)
{
	static const enum ibv_wr_opcode wr_ops[9] = {
		IBV_WR_SEND, IBV_WR_SEND_WITH_IMM, IBV_WR_RDMA_WRITE,
		IBV_WR_RDMA_WRITE_WITH_IMM, IBV_WR_RDMA_READ,
		IBV_WR_ATOMIC_CMP_AND_SWP, IBV_WR_ATOMIC_FETCH_AND_ADD,
		IBV_WR_LOCAL_INV, IBV_WR_SEND_WITH_INV,
	};
	int i, a, k, n, j, b, ret;
	struct qp_o *o = PICK_RD(t, w.qp, NQP, i);
	struct ah_o *ah = NULL;
	struct ibv_qp_ex *qx;
	struct ibv_sge sge[8];
	uint64_t raddr;
	uint32_t rkey;

	if (!o || !o->ex)
		return -1;
	if (o->p->qp_type == IBV_QPT_UD) {
		ah = PICK_RD(t, w.ah, NAH, a);
		if (!ah)
			return -1;
	}
	qx = ibv_qp_to_qp_ex(o->p);
	if (!qx)
		return 1;
	n = 1 + below(&t->r, 4);
	ibv_wr_start(qx);
	for (k = 0; k < n; k++) {
		int nsge = below(&t->r, 3) + 1;

		qx->wr_id = rnd(&t->r);
		qx->wr_flags = below(&t->r, 8);
		rnd_remote(t, &raddr, &rkey);
		/*
		 * Only the builders the QP was created with exist (rdma-core
		 * leaves the others NULL); an unsupported opcode is tried
		 * through ibv_post_send instead.
		 */
		for (j = 0, b = below(&t->r, 9); j < 9; j++, b = (b + 1) % 9)
			if (o->send_ops & (1ULL << wr_ops[b]))
				break;
		if (j == 9)
			break;
		switch (b) {
		case 0: ibv_wr_send(qx); break;
		case 1: ibv_wr_send_imm(qx, (uint32_t)rnd(&t->r)); break;
		case 2: ibv_wr_rdma_write(qx, rkey, raddr); break;
		case 3: ibv_wr_rdma_write_imm(qx, rkey, raddr, (uint32_t)rnd(&t->r)); break;
		case 4: ibv_wr_rdma_read(qx, rkey, raddr); break;
		case 5: ibv_wr_atomic_cmp_swp(qx, rkey, raddr, rnd(&t->r), rnd(&t->r));
			nsge = 1; break;
		case 6: ibv_wr_atomic_fetch_add(qx, rkey, raddr, rnd(&t->r));
			nsge = 1; break;
		case 7: ibv_wr_local_inv(qx, rkey); nsge = 0; break;
		default: ibv_wr_send_inv(qx, rkey); break;
		}
		if (ah && o->p->qp_type == IBV_QPT_UD)
			ibv_wr_set_ud_addr(qx, ah->p, peer_qpn(t, IBV_QPT_UD), QKEY);
		if (o->p->qp_type == IBV_QPT_XRC_SEND)
			ibv_wr_set_xrc_srqn(qx, SNAP_GET(w.s.srqn[below(&t->r, NSRQ)]));
		if (nsge && chance(&t->r, 15)) {
			ibv_wr_set_inline_data(qx, t->scratch, below(&t->r, 300));
		} else if (nsge) {
			for (j = 0; j < nsge; j++)
				rnd_sge(t, &sge[j], 8192);
			if (nsge == 1)
				ibv_wr_set_sge(qx, sge[0].lkey, sge[0].addr,
					       sge[0].length);
			else
				ibv_wr_set_sge_list(qx, nsge, sge);
		}
	}
	if (chance(&t->r, 10)) {
		ibv_wr_abort(qx);
		ret = 0;
	} else {
		ret = ibv_wr_complete(qx);
	}
	NOTE(t, "qp[%d] ah %d %d wrs -> %d", i, ah ? a : -1, n, ret);
	return !!ret;
}

static void fill_recv(struct th *t, struct ibv_recv_wr *wr, struct ibv_sge (*sge)[8],
		      int nwr, uint32_t max_sge)
{
	int k, j;

	for (k = 0; k < nwr; k++) {
		int nsge = below(&t->r, (max_sge < 8 ? max_sge : 7) + 2);

		if (nsge > 8)
			nsge = 8;
		wr[k].wr_id = rnd(&t->r);
		wr[k].next = k + 1 < nwr ? &wr[k + 1] : NULL;
		for (j = 0; j < nsge; j++)
			rnd_sge(t, &sge[k][j], chance(&t->r, 80) ? 4096 : 1u << 20);
		wr[k].sg_list = sge[k];
		wr[k].num_sge = nsge;
	}
}

static int op_post_recv(struct th *t)
{
	int i, nwr, ret;
	struct qp_o *o = PICK_RD(t, w.qp, NQP, i);
	struct ibv_recv_wr wr[4], *bad = NULL;
	struct ibv_sge sge[4][8];

	if (!o)
		return -1;
	nwr = 1 + below(&t->r, 4);
	fill_recv(t, wr, sge, nwr, o->max_recv_sge);
	ret = ibv_post_recv(o->p, wr, &bad);
	NOTE(t, "qp[%d] %d wrs -> %d", i, nwr, ret);
	return !!ret;
}

static int op_post_srq_recv(struct th *t)
{
	int i, nwr, ret;
	struct srq_o *o = PICK_RD(t, w.srq, NSRQ, i);
	struct ibv_recv_wr wr[4], *bad = NULL;
	struct ibv_sge sge[4][8];

	if (!o)
		return -1;
	nwr = 1 + below(&t->r, 4);
	fill_recv(t, wr, sge, nwr, o->max_sge);
	ret = ibv_post_srq_recv(o->p, wr, &bad);
	NOTE(t, "srq[%d] %d wrs -> %d", i, nwr, ret);
	return !!ret;
}

static int op_async(struct th *t)
{
	struct ibv_async_event ev;

	if (ibv_get_async_event(w.ctx, &ev)) {
		NOTE(t, "none");
		return 1;
	}
	NOTE(t, "event %d", ev.event_type);
	ibv_ack_async_event(&ev);
	return 0;
}

/*
 * Puts mapping @p (BUFSZ bytes, made where the kernel chose) in place of
 * buffer @b, or unmaps it.  Never mmap(MAP_FIXED) over a live buffer: a
 * MAP_FIXED that fails after unmapping the old range (a huge page that
 * cannot be reserved fails only then) leaves a hole, another thread's
 * ring mmap can land in it, and the next remap replaces that ring under
 * the provider.  mremap() moves the new mapping over the old one in one
 * step.  Returns false with the buffer's state set when it failed.
 */
static bool buf_replace(int b, void *p)
{
	struct buf_o *o = &w.buf[b];
	void *hole;

	if (p == MAP_FAILED)
		return false;
	if (mremap(p, BUFSZ, BUFSZ, MREMAP_MAYMOVE | MREMAP_FIXED,
		   buf_addr(b)) != MAP_FAILED)
		return true;
	munmap(p, BUFSZ);
	/* the old range may have gone: fill a hole, or give the range up */
	hole = mmap(buf_addr(b), BUFSZ, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE |
		    MAP_NORESERVE, -1, 0);
	__atomic_store_n(&o->state, hole == MAP_FAILED ? BUF_LOST : BUF_UNMAPPED,
			 __ATOMIC_RELAXED);
	return false;
}

static int buf_state(int b)
{
	return __atomic_load_n(&w.buf[b].state, __ATOMIC_RELAXED);
}

static int op_buf_remap(struct th *t)
{
	int b = below(&t->r, NBUF), how = below(&t->r, 10), fd;
	struct buf_o *o = &w.buf[b];
	void *p = MAP_FAILED;

	if (!wrl(t, &o->lk) || o->state == BUF_LOST)
		return -1;
	if (how == 0) {	/* a 2 MiB huge page, when there is one */
		p = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	} else if (how == 1) {	/* shared memory */
		fd = memfd_create("smlx_fuzz", 0);
		if (fd >= 0 && !ftruncate(fd, BUFSZ))
			p = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
		if (fd >= 0)
			close(fd);
	} else if (how == 2 && o->state != BUF_UNMAPPED) {
		if (!mprotect(buf_addr(b), BUFSZ, PROT_READ)) {
			o->state = BUF_RO;
			NOTE(t, "buf %d read-only", b);
			return 0;
		}
	}
	if (p == MAP_FAILED)
		p = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!buf_replace(b, p)) {
		NOTE(t, "buf %d: %s (state %d)", b, strerror(errno), o->state);
		return 1;
	}
	o->state = BUF_RW;
	if (chance(&t->r, 50))
		memset(buf_addr(b), (int)below(&t->r, 256), BUFSZ);
	NOTE(t, "buf %d remapped (%d)", b, how);
	return 0;
}

static int op_buf_madvise(struct th *t)
{
	static const int advice[] = { MADV_DONTNEED, MADV_DONTNEED, MADV_FREE,
				      MADV_PAGEOUT, MADV_COLD, MADV_HUGEPAGE,
				      MADV_NOHUGEPAGE, MADV_WILLNEED };
	int b = below(&t->r, NBUF), ret;
	int adv = advice[below(&t->r, sizeof(advice) / sizeof(advice[0]))];
	size_t off = below(&t->r, 512) * 4096;
	size_t len = 4096 * (1 + below(&t->r, 512 - off / 4096));

	/* no CPU access: the buffer need not be held, only still ours */
	if (buf_state(b) == BUF_LOST)
		return -1;
	ret = madvise(buf_addr(b) + off, len, adv);
	NOTE(t, "buf %d +%zx len %zx advice %d -> %d", b, off, len, adv, ret);
	return !!ret;
}

static int op_buf_touch(struct th *t)
{
	int b = below(&t->r, NBUF);
	struct buf_o *o = &w.buf[b];
	size_t off = below(&t->r, BUFSZ), len = below(&t->r, BUFSZ - off);
	volatile uint8_t *p = buf_addr(b) + off;
	uint8_t sum = 0;
	size_t k;

	if (!rdl(t, &o->lk) || o->state == BUF_UNMAPPED || o->state == BUF_LOST)
		return -1;
	if (o->state == BUF_RW && chance(&t->r, 60)) {
		memset((void *)p, (int)below(&t->r, 256), len);
	} else {
		for (k = 0; k < len; k += 4096)
			sum += p[k];
	}
	NOTE(t, "buf %d +%zx len %zx (%u)", b, off, len, sum);
	return 0;
}

static int op_buf_unmap(struct th *t)
{
	int b = below(&t->r, NBUF);
	struct buf_o *o = &w.buf[b];
	bool ok;

	if (!wrl(t, &o->lk) || o->state == BUF_LOST)
		return -1;
	/*
	 * Unmapped for the device, but never a hole: the provider's next
	 * ring mmap could land in it, and the next remap would replace the
	 * ring.  A PROT_NONE mapping in its place unmaps the pages all the
	 * same (the MMU notifiers see an unmap).
	 */
	ok = buf_replace(b, mmap(NULL, BUFSZ, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				 -1, 0));
	if (ok)
		o->state = BUF_UNMAPPED;
	NOTE(t, "buf %d -> %s (state %d)", b, ok ? "unmapped" : strerror(errno),
	     o->state);
	return !ok;
}

static int op_fork(struct th *t)
{
	int b = below(&t->r, NBUF), st;
	struct buf_o *o = &w.buf[b];
	pid_t pid;

	if (!rdl(t, &o->lk))
		return -1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		/* the child: write what the parent registered, then go */
		if (o->state == BUF_RW)
			memset(buf_addr(b), 0x5a, BUFSZ / 2);
		_exit(0);
	}
	/* the parent writes too: copy-on-write under its registrations */
	if (o->state == BUF_RW)
		memset(buf_addr(b) + BUFSZ / 2, 0xa5, 4096);
	waitpid(pid, &st, 0);
	NOTE(t, "buf %d child %d", b, st);
	return 0;
}

/* The raw doorbell of docs/queues.md, on any QP of ours. */
static int raw_doorbell(struct ibv_qp *qp, uint32_t command)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		union {
			struct ib_uverbs_post_send send;
			struct ib_uverbs_post_recv recv;
		};
	} req;
	uint8_t resp[64];
	size_t len = sizeof(req.hdr);

	memset(&req, 0, sizeof(req));
	req.hdr.command = command;
	req.hdr.out_words = sizeof(resp) / 4;
	if (command == IB_USER_VERBS_CMD_POST_SEND) {
		req.send.response = (uintptr_t)resp;
		req.send.qp_handle = qp->handle;
		req.send.wqe_size = sizeof(struct ib_uverbs_send_wr);
		len += sizeof(req.send);
	} else {
		req.recv.response = (uintptr_t)resp;
		req.recv.qp_handle = qp->handle;
		req.recv.wqe_size = sizeof(struct ib_uverbs_recv_wr);
		len += sizeof(req.recv);
	}
	req.hdr.in_words = len / 4;
	return write(qp->context->cmd_fd, &req, len) == (ssize_t)len ? 0 : errno;
}

/* Random bytes into one ring: slots, indices, or the header. */
static void scribble_ring(struct th *t, struct smlx_mapped_ring *ring,
			  bool user_produces, uint32_t wqe_hdr)
{
	struct smlx_ring *hdr = ring->hdr;
	uint32_t idx = ring->own_index + below(&t->r, ring->num_slots);
	uint8_t *slot = smlx_ring_slot(ring, idx);

	switch (below(&t->r, 8)) {
	case 0:		/* garbage in a slot */
		rnd_bytes(&t->r, slot, 1 + below(&t->r, ring->stride));
		break;
	case 1:		/* a header with random fields in the next slot */
	case 2:
		slot = smlx_ring_slot(ring, ring->own_index);
		rnd_bytes(&t->r, slot, wqe_hdr);
		if (user_produces) {
			smlx_ring_store_release(&hdr->producer,
						ring->own_index + 1);
			if (chance(&t->r, 50))
				ring->own_index++;
		}
		break;
	case 3:		/* our index moved anywhere */
		smlx_ring_store_release(user_produces ? &hdr->producer :
					&hdr->consumer,
					chance(&t->r, 50) ?
					ring->own_index + below(&t->r, 2 * ring->num_slots + 2) :
					(uint32_t)rnd(&t->r));
		break;
	case 4:		/* the kernel's index: it must not read it back */
		smlx_ring_store_release(user_produces ? &hdr->consumer :
					&hdr->producer, (uint32_t)rnd(&t->r));
		break;
	case 5:		/* the geometry and flags the kernel wrote */
		__atomic_store_n(&hdr->num_slots, (uint32_t)rnd(&t->r), __ATOMIC_RELAXED);
		__atomic_store_n(&hdr->stride, (uint32_t)rnd(&t->r), __ATOMIC_RELAXED);
		__atomic_store_n(&hdr->flags, (uint32_t)rnd(&t->r), __ATOMIC_RELAXED);
		break;
	default:	/* a few bytes anywhere in the mapping */
		rnd_bytes(&t->r, (uint8_t *)hdr + below(&t->r, ring->map_size - 8), 8);
		break;
	}
}

static int op_scribble(struct th *t)
{
	int i;

	switch (below(&t->r, 4)) {
	case 0: {
		struct qp_o *o = PICK_RD(t, w.qp, NQP, i);
		struct smlx_qp *qp;

		if (!o)
			return -1;
		qp = to_sqp(o->p);
		if (!smlx_ring_present(&qp->sq))
			return -1;
		scribble_ring(t, &qp->sq, true, sizeof(struct smlx_send_wqe));
		if (chance(&t->r, 70))
			raw_doorbell(o->p, IB_USER_VERBS_CMD_POST_SEND);
		NOTE(t, "qp[%d] sq", i);
		return 0;
	}
	case 1: {
		struct qp_o *o = PICK_RD(t, w.qp, NQP, i);
		struct smlx_qp *qp;

		if (!o)
			return -1;
		qp = to_sqp(o->p);
		if (!smlx_ring_present(&qp->rq))
			return -1;
		scribble_ring(t, &qp->rq, true, sizeof(struct smlx_recv_wqe) +
			      sizeof(struct smlx_sge));
		if (chance(&t->r, 30))
			raw_doorbell(o->p, IB_USER_VERBS_CMD_POST_RECV);
		NOTE(t, "qp[%d] rq", i);
		return 0;
	}
	case 2: {
		struct srq_o *o = PICK_RD(t, w.srq, NSRQ, i);
		struct smlx_srq *srq;

		if (!o)
			return -1;
		srq = to_ssrq(o->p);
		if (!smlx_ring_present(&srq->ring))
			return -1;
		scribble_ring(t, &srq->ring, true, sizeof(struct smlx_recv_wqe) +
			      sizeof(struct smlx_sge));
		NOTE(t, "srq[%d]", i);
		return 0;
	}
	default: {
		struct cq_o *o = PICK_RD(t, w.cq, NCQ, i);
		struct smlx_cq *cq;

		if (!o)
			return -1;
		cq = to_scq(o->p);
		if (!smlx_ring_present(&cq->ring))
			return -1;
		scribble_ring(t, &cq->ring, false, sizeof(struct smlx_cqe));
		NOTE(t, "cq[%d]", i);
		return 0;
	}
	}
}

/* uverbs write() commands on our own objects, with random contents. */
static int op_raw_cmd(struct th *t)
{
	struct {
		struct ib_uverbs_cmd_hdr hdr;
		uint8_t body[1024];
	} req;
	uint8_t *resp = t->scratch + SCRATCH / 2;
	size_t body = 0, len;
	int i, which = below(&t->r, 5);
	ssize_t ret;

	rnd_bytes(&t->r, &req, sizeof(req));
	if (which <= 1) {
		struct qp_o *o = PICK_RD(t, w.qp, NQP, i);

		if (!o)
			return -1;
		if (which == 0) {
			struct ib_uverbs_post_send *c = (void *)req.body;
			struct ib_uverbs_send_wr *wr = (void *)(c + 1);

			req.hdr.command = IB_USER_VERBS_CMD_POST_SEND;
			c->qp_handle = o->p->handle;
			c->wr_count = below(&t->r, 4);
			c->sge_count = below(&t->r, 6);
			c->wqe_size = chance(&t->r, 80) ? sizeof(*wr) :
				      below(&t->r, 256);
			wr->num_sge = below(&t->r, 3);
			wr->opcode = below(&t->r, 12);
			c->response = (uintptr_t)resp;
			body = sizeof(*c) + below(&t->r, sizeof(req.body) - sizeof(*c));
		} else {
			struct ib_uverbs_post_recv *c = (void *)req.body;

			req.hdr.command = IB_USER_VERBS_CMD_POST_RECV;
			c->qp_handle = o->p->handle;
			c->wr_count = below(&t->r, 4);
			c->sge_count = below(&t->r, 6);
			c->wqe_size = chance(&t->r, 80) ?
				      sizeof(struct ib_uverbs_recv_wr) :
				      below(&t->r, 256);
			c->response = (uintptr_t)resp;
			body = sizeof(*c) + below(&t->r, sizeof(req.body) - sizeof(*c));
		}
	} else {
		struct cq_o *o = PICK_RD(t, w.cq, NCQ, i);

		if (!o)
			return -1;
		if (which == 2) {
			struct ib_uverbs_poll_cq *c = (void *)req.body;

			req.hdr.command = IB_USER_VERBS_CMD_POLL_CQ;
			c->cq_handle = o->p->handle;
			c->ne = below(&t->r, 64);
			c->response = (uintptr_t)resp;
			body = sizeof(*c);
		} else if (which == 3) {
			struct ib_uverbs_req_notify_cq *c = (void *)req.body;

			req.hdr.command = IB_USER_VERBS_CMD_REQ_NOTIFY_CQ;
			c->cq_handle = o->p->handle;
			body = sizeof(*c);
		} else {
			struct ib_uverbs_resize_cq *c = (void *)req.body;

			/* resize without the provider: its ring goes stale */
			if (!chance(&t->r, 10))
				return -1;
			req.hdr.command = IB_USER_VERBS_CMD_RESIZE_CQ;
			c->cq_handle = o->p->handle;
			c->cqe = 1 + below(&t->r, 1024);
			c->response = (uintptr_t)resp;
			body = sizeof(*c) + below(&t->r, 64);
		}
	}
	body &= ~3UL;
	len = sizeof(req.hdr) + body;
	req.hdr.in_words = len / 4;
	req.hdr.out_words = chance(&t->r, 90) ? (SCRATCH / 2) / 4 / 4 :
			    below(&t->r, 64);
	if (chance(&t->r, 3))
		*(uint64_t *)(req.body) ^= rnd(&t->r);	/* a bad response ptr */
	ret = write(w.ctx->cmd_fd, &req, len);
	NOTE(t, "obj %d command %u len %zu -> %zd (%s)", i, req.hdr.command, len, ret,
	     ret < 0 ? strerror(errno) : "ok");
	return ret < 0;
}

/* Reads (and maybe writes @wlen bytes at @woff of) a mapping that may fault. */
static __attribute__((noinline)) void probe(uint8_t *p, size_t len,
					    size_t woff, size_t wlen,
					    uint64_t val)
{
	size_t k;

	probing = 1;
	if (!sigsetjmp(probe_jmp, 1)) {
		volatile uint8_t sum = 0;

		for (k = 0; k < len; k += 512)
			sum += ((volatile uint8_t *)p)[k];
		(void)sum;
		for (k = 0; k < wlen; k++)
			((volatile uint8_t *)p)[woff + k] = (uint8_t)(val >> (k & 56));
	}
	probing = 0;
}

static int op_mmap_rand(struct th *t)
{
	size_t len = 4096 * (1 + below(&t->r, 16));
	off_t off = chance(&t->r, 80) ? (off_t)below(&t->r, 4096) * 4096 :
		    (off_t)(rnd(&t->r) & ~4095ULL & INT64_MAX);
	int prot = chance(&t->r, 70) ? PROT_READ | PROT_WRITE : PROT_READ;
	uint8_t *p;

	p = mmap(NULL, len, prot, chance(&t->r, 90) ? MAP_SHARED : MAP_PRIVATE,
		 w.ctx->cmd_fd, off);
	NOTE(t, "off %#jx len %zx prot %d: %s", (intmax_t)off, len, prot,
	     p == MAP_FAILED ? strerror(errno) : "mapped");
	if (p == MAP_FAILED)
		return 1;
	/* writes only rarely: this may be a ring of ours */
	probe(p, len, below(&t->r, len - 64),
	      (prot & PROT_WRITE) && chance(&t->r, 20) ? 64 : 0, rnd(&t->r));
	munmap(p, len);
	return 0;
}

static int op_query_dev(struct th *t)
{
	struct ibv_device_attr_ex a;
	struct ibv_port_attr pa;
	union ibv_gid gid;
	int ret;

	ret = ibv_query_device_ex(w.ctx, NULL, &a);
	ret |= ibv_query_port(w.ctx, chance(&t->r, 90) ? PORT : below(&t->r, 256), &pa);
	ret |= ibv_query_gid(w.ctx, PORT, below(&t->r, 256), &gid);
	NOTE(t, "-> %d", ret);
	return !!ret;
}

/*
 * A valid SGE: over a live MR of PD slot @pd (by the snapshot), within it.
 * False when the PD has none.
 */
static bool valid_sge(struct th *t, int pd, struct ibv_sge *sge,
		      uint32_t max_len, uint32_t *rkey)
{
	int k, m;

	for (k = 0; k < 2 * NMR; k++) {
		uint64_t addr, len, off;

		m = below(&t->r, NMR);
		if (SNAP_GET(w.s.mr_pd[m]) != pd + 1)
			continue;
		addr = SNAP_GET(w.s.mr_addr[m]);
		len = SNAP_GET(w.s.mr_len[m]);
		if (len > 64ULL << 20)	/* implicit: within our buffers */
			addr = (uintptr_t)w.base, len = NBUF * BUFSZ;
		if (!len)
			continue;
		off = below(&t->r, len);
		if (len - off < max_len)
			max_len = len - off;
		sge->addr = addr + off;
		sge->length = 1 + below(&t->r, max_len);
		sge->lkey = SNAP_GET(w.s.lkey[m]);
		if (rkey)
			*rkey = SNAP_GET(w.s.rkey[m]);
		return true;
	}
	return false;
}

/* RESET -> INIT -> RTR -> RTS towards @remote, every attribute valid. */
static int qp_bring_up(struct th *t, struct ibv_qp *qp, uint32_t remote)
{
	struct ibv_qp_attr a = { .qp_state = IBV_QPS_RESET };
	enum ibv_qp_state st;
	int ret;

	ret = ibv_modify_qp(qp, &a, IBV_QP_STATE);
	for (st = IBV_QPS_RESET; !ret && st != IBV_QPS_RTS; st++) {
		if (qp->qp_type == IBV_QPT_XRC_RECV && st == IBV_QPS_RTR)
			break;	/* a target needs no RTS */
		ret = qp_step(t, qp, st, true, remote);
	}
	return ret;
}

static bool pair_types(enum ibv_qp_type a, enum ibv_qp_type b)
{
	return (a == b && (a == IBV_QPT_RC || a == IBV_QPT_UC || a == IBV_QPT_UD)) ||
	       (a == IBV_QPT_XRC_SEND && b == IBV_QPT_XRC_RECV);
}

/*
 * The valid path, so that there is traffic to disturb: two QPs of ours
 * reset and connected to each other, receives posted on the second (or
 * its SRQ), then well-formed sends, RDMA and atomics from the first.
 */
static int op_pair_up(struct th *t)
{
	int i, j = -1, k, n, a_i = -1, ret;
	struct qp_o *a = PICK_RD(t, w.qp, NQP, i), *b = NULL;
	struct ah_o *ah = NULL;
	struct ibv_send_wr wr[4], *bad;
	struct ibv_recv_wr rwr[4], *rbad;
	struct ibv_sge sge[4], rsge[4];
	enum ibv_qp_type type;
	int rpd;

	if (!a || a->pd < 0)
		return -1;
	type = a->p->qp_type;
	for (k = 1; k < NQP; k++) {
		j = (i + k) % NQP;
		if (!pair_types(type, (enum ibv_qp_type)SNAP_GET(w.s.qp_type[j])))
			continue;
		b = &w.qp[j];
		if (rdl(t, &b->lk) && b->p && pair_types(type, b->p->qp_type))
			break;
		b = NULL;
	}
	if (!b)
		return -1;
	if (type == IBV_QPT_UD) {
		ah = PICK_RD(t, w.ah, NAH, a_i);
		if (!ah)
			return -1;
	}
	if (qp_bring_up(t, a->p, b->p->qp_num) ||
	    qp_bring_up(t, b->p, a->p->qp_num)) {
		NOTE(t, "qp[%d] + qp[%d]: bring-up failed", i, j);
		return 1;
	}
	/* receives: on b's SRQ or RQ, from MRs of b's PD (a's for XRC) */
	rpd = b->pd >= 0 ? b->pd : a->pd;
	n = 1 + below(&t->r, 4);
	memset(rwr, 0, sizeof(rwr));
	for (k = 0; k < n; k++) {
		rwr[k].wr_id = rnd(&t->r);
		rwr[k].next = k + 1 < n ? &rwr[k + 1] : NULL;
		rwr[k].sg_list = &rsge[k];
		rwr[k].num_sge = valid_sge(t, rpd, &rsge[k], 65536, NULL);
	}
	if (b->p->srq)
		ibv_post_srq_recv(b->p->srq, rwr, &rbad);
	else if (type != IBV_QPT_XRC_SEND)
		ibv_post_recv(b->p, rwr, &rbad);
	/* sends */
	n = 1 + below(&t->r, 4);
	memset(wr, 0, sizeof(wr));
	for (k = 0; k < n; k++) {
		struct ibv_send_wr *x = &wr[k];
		struct ibv_sge rs;
		uint32_t rkey = 0;

		x->wr_id = rnd(&t->r);
		x->next = k + 1 < n ? &wr[k + 1] : NULL;
		x->send_flags = IBV_SEND_SIGNALED;
		x->sg_list = &sge[k];
		x->num_sge = valid_sge(t, a->pd, &sge[k], 16384, NULL);
		x->opcode = IBV_WR_SEND;
		if (type == IBV_QPT_UD) {
			x->wr.ud.ah = ah->p;
			x->wr.ud.remote_qpn = b->p->qp_num;
			x->wr.ud.remote_qkey = QKEY;
			if (sge[k].length > 1024)
				sge[k].length = 1024;
		} else if (valid_sge(t, rpd, &rs, 16384, &rkey)) {
			switch (below(&t->r, type == IBV_QPT_UC ? 3 : 6)) {
			case 0: x->opcode = IBV_WR_SEND_WITH_IMM; break;
			case 1: x->opcode = IBV_WR_RDMA_WRITE; break;
			case 2: x->opcode = IBV_WR_RDMA_WRITE_WITH_IMM; break;
			case 3: x->opcode = IBV_WR_RDMA_READ; break;
			case 4: x->opcode = IBV_WR_ATOMIC_FETCH_AND_ADD; break;
			default: break;
			}
			x->wr.rdma.remote_addr = rs.addr;
			x->wr.rdma.rkey = rkey;
			if (x->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) {
				x->wr.atomic.remote_addr = rs.addr & ~7ULL;
				x->wr.atomic.rkey = rkey;
				x->wr.atomic.compare_add = 1;
				sge[k].length = 8;
			}
		}
		if (type == IBV_QPT_XRC_SEND)
			x->qp_type.xrc.remote_srqn =
				SNAP_GET(w.s.srqn[below(&t->r, NSRQ)]);
	}
	ret = ibv_post_send(a->p, wr, &bad);
	NOTE(t, "qp[%d] -> qp[%d] type %d ah %d: %d wrs -> %d", i, j, type,
	     a_i, n, ret);
	return !!ret;
}

static int (*const op_fn[NOPS])(struct th *) = {
	[OP_PD_ALLOC] = op_pd_alloc, [OP_PD_FREE] = op_pd_free,
	[OP_CH_CREATE] = op_ch_create, [OP_CH_DESTROY] = op_ch_destroy,
	[OP_CH_EVENT] = op_ch_event, [OP_CQ_CREATE] = op_cq_create,
	[OP_CQ_DESTROY] = op_cq_destroy, [OP_CQ_RESIZE] = op_cq_resize,
	[OP_CQ_NOTIFY] = op_cq_notify, [OP_CQ_POLL] = op_cq_poll,
	[OP_QP_CREATE] = op_qp_create, [OP_QP_DESTROY] = op_qp_destroy,
	[OP_QP_CONNECT] = op_qp_connect,
	[OP_QP_MODIFY_RAND] = op_qp_modify_rand, [OP_QP_QUERY] = op_qp_query,
	[OP_SRQ_CREATE] = op_srq_create, [OP_SRQ_DESTROY] = op_srq_destroy,
	[OP_SRQ_MODIFY] = op_srq_modify, [OP_XRCD_OPEN] = op_xrcd_open,
	[OP_XRCD_CLOSE] = op_xrcd_close, [OP_AH_CREATE] = op_ah_create,
	[OP_AH_DESTROY] = op_ah_destroy, [OP_MR_REG] = op_mr_reg,
	[OP_MR_REREG] = op_mr_rereg, [OP_MR_DEREG] = op_mr_dereg,
	[OP_MW] = op_mw, [OP_ADVISE] = op_advise,
	[OP_POST_SEND] = op_post_send, [OP_WR_API] = op_wr_api,
	[OP_POST_RECV] = op_post_recv, [OP_POST_SRQ_RECV] = op_post_srq_recv,
	[OP_ASYNC] = op_async, [OP_BUF_REMAP] = op_buf_remap,
	[OP_BUF_MADVISE] = op_buf_madvise, [OP_BUF_TOUCH] = op_buf_touch,
	[OP_BUF_UNMAP] = op_buf_unmap, [OP_FORK] = op_fork,
	[OP_SCRIBBLE] = op_scribble, [OP_RAW_CMD] = op_raw_cmd,
	[OP_MMAP_RAND] = op_mmap_rand, [OP_QUERY_DEV] = op_query_dev,
	[OP_PAIR_UP] = op_pair_up,
};

static unsigned int weight_total;

static enum op_id pick_op(struct rng *r)
{
	unsigned int x = below(r, weight_total), k;

	for (k = 0; k < NOPS; k++) {
		if (x < ops[k].weight)
			return (enum op_id)k;
		x -= ops[k].weight;
	}
	return OP_CQ_POLL;
}

static bool past(const struct timespec *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->tv_sec ||
	       (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

static void *worker_thread(void *arg)
{
	struct th *t = arg;
	uint64_t tseed = mix64(w.seed ^ mix64(0x7431ULL + (uint64_t)t->id));

	for (t->n = 0; !opt_ops || t->n < opt_ops; t->n++) {
		enum op_id op;
		int ret;

		if (!(t->n & 15) && past(&w.deadline))
			break;
		/* every op draws from its own generator: see the top */
		t->r.s = mix64(tseed + t->n);
		op = pick_op(&t->r);
		t->note[0] = 0;
		t->op = op;
		ret = op_fn[op](t);
		unlock_all(t);
		count(&sh->tried[op], 1);
		count(&sh->worker_ops[w.slot], 1);
		if (!ret)
			count(&sh->ok[op], 1);
		if (opt_trace)
			fprintf(stderr, "w%d t%d op %" PRIu64 " %s %s -> %s\n",
				w.slot, t->id, t->n, ops[op].name, t->note,
				ret < 0 ? "skip" : ret ? "fail" : "ok");
	}
	return NULL;
}

static struct ibv_context *open_device(void)
{
	const char *want = getenv("SMLX_DEV");
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int k, n;

	if (!want || !*want)
		want = "smlx0";
	list = ibv_get_device_list(&n);
	if (!list)
		return NULL;
	for (k = 0; k < n && !ctx; k++)
		if (!strcmp(ibv_get_device_name(list[k]), want))
			ctx = ibv_open_device(list[k]);
	ibv_free_device_list(list);
	return ctx;
}

/* Tears down what is left, children first, checking nothing: the kernel's
 * counts after the run are the check. */
static void worker_cleanup(void)
{
	int k;

	for (k = 0; k < NQP; k++)
		if (w.qp[k].p)
			ibv_destroy_qp(w.qp[k].p);
	for (k = 0; k < NAH; k++)
		if (w.ah[k].p)
			ibv_destroy_ah(w.ah[k].p);
	for (k = 0; k < NSRQ; k++)
		if (w.srq[k].p)
			ibv_destroy_srq(w.srq[k].p);
	for (k = 0; k < NMR; k++)
		if (w.mr[k].p)
			ibv_dereg_mr(w.mr[k].p);
	for (k = 0; k < NCQ; k++)
		if (w.cq[k].p)
			ibv_destroy_cq(w.cq[k].p);
	for (k = 0; k < NCH; k++)
		if (w.ch[k].p)
			ibv_destroy_comp_channel(w.ch[k].p);
	for (k = 0; k < NXRCD; k++)
		if (w.xrcd[k].p)
			ibv_close_xrcd(w.xrcd[k].p);
	for (k = 0; k < NPD; k++)
		if (w.pd[k].p)
			ibv_dealloc_pd(w.pd[k].p);
	ibv_close_device(w.ctx);
}

static uint64_t worker_seed(int slot, int gen)
{
	return mix64(opt_seed ^ mix64(((uint64_t)slot << 32) | (uint32_t)gen));
}

static int worker_main(int slot, int gen, const struct timespec *deadline)
{
	pthread_t tid[MAX_THREADS];
	struct th th[MAX_THREADS];
	struct sigaction sa = { .sa_sigaction = probe_fault,
				 .sa_flags = SA_SIGINFO };
	const char *env = getenv("SMLX_GID_INDEX");
	unsigned int k;
	uint8_t *res;

	w.slot = slot;
	w.seed = worker_seed(slot, gen);
	w.deadline = *deadline;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	w.ctx = open_device();
	if (!w.ctx) {
		fprintf(stderr, "worker %d: cannot open the device: %s\n", slot,
			strerror(errno));
		return 2;
	}
	if (ibv_query_device_ex(w.ctx, NULL, &w.dev) ||
	    ibv_query_port(w.ctx, PORT, &w.port)) {
		fprintf(stderr, "worker %d: query failed\n", slot);
		return 2;
	}
	w.gid_index = env && *env ? atoi(env) : 1;
	if (ibv_query_gid(w.ctx, PORT, w.gid_index, &w.gid))
		w.gid_index = 0;
	ibv_query_gid(w.ctx, PORT, w.gid_index, &w.gid);
	fcntl(w.ctx->async_fd, F_SETFL,
	      fcntl(w.ctx->async_fd, F_GETFL) | O_NONBLOCK);

	/* NBUF buffers, 2 MiB aligned (huge pages fit), one reservation */
	res = mmap(NULL, (NBUF + 1) * BUFSZ, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return 2;
	w.base = (uint8_t *)(((uintptr_t)res + BUFSZ - 1) & ~(BUFSZ - 1));
	for (k = 0; k < NBUF; k++) {
		if (mmap(buf_addr(k), BUFSZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    MAP_FAILED)
			return 2;
		w.buf[k].state = BUF_RW;
	}
#define INIT_LOCKS(tab, n)                                                     \
	for (k = 0; k < (n); k++)                                              \
		pthread_rwlock_init(&(tab)[k].lk, NULL)
	INIT_LOCKS(w.pd, NPD);
	INIT_LOCKS(w.ch, NCH);
	INIT_LOCKS(w.cq, NCQ);
	INIT_LOCKS(w.qp, NQP);
	INIT_LOCKS(w.srq, NSRQ);
	INIT_LOCKS(w.xrcd, NXRCD);
	INIT_LOCKS(w.ah, NAH);
	INIT_LOCKS(w.mr, NMR);
	INIT_LOCKS(w.buf, NBUF);

	for (k = 0; k < opt_threads; k++) {
		memset(&th[k], 0, sizeof(th[k]));
		th[k].id = (int)k;
		th[k].scratch = mmap(NULL, SCRATCH, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (th[k].scratch == MAP_FAILED)
			return 2;
		threads[k] = &th[k];
		if (pthread_create(&tid[k], NULL, worker_thread, &th[k]))
			return 2;
	}
	for (k = 0; k < opt_threads; k++)
		pthread_join(tid[k], NULL);
	/* half the workers tear down by verbs, half leave it to exit */
	if (mix64(w.seed) & 1)
		worker_cleanup();
	return 0;
}

/* ---- the supervisor ---- */

struct wproc {
	pid_t pid;
	int gen;
	bool killed;
};

static void ts_add_ms(struct timespec *ts, long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static pid_t start_worker(int slot, int gen, const struct timespec *deadline)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid)
		_exit(worker_main(slot, gen, deadline));
	printf("smlx_fuzz: start slot %d gen %d pid %d seed %#018" PRIx64 "\n",
	       slot, gen, pid, worker_seed(slot, gen));
	return pid;
}

static void show_stack(pid_t pid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("    %s", line);
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
}

/* Reaps @pid within @ms; false (and its stack shown) when it would not go. */
static bool reap(pid_t pid, long ms, int *status)
{
	long waited;

	for (waited = 0; waited < ms; waited += 10) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return true;
		if (r < 0)
			return false;
		sleep_ms(10);
	}
	printf("smlx_fuzz: HANG: pid %d still there after %ld ms; kernel stack:\n",
	       pid, ms);
	show_stack(pid);
	return false;
}

static int bad;

static void judge(int slot, struct wproc *p, int status)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && p->killed)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	bad++;
	if (WIFSIGNALED(status))
		printf("smlx_fuzz: CRASH: slot %d gen %d pid %d died of signal %d (seed %#018" PRIx64 ")\n",
		       slot, p->gen, p->pid, WTERMSIG(status),
		       worker_seed(slot, p->gen));
	else
		printf("smlx_fuzz: FAIL: slot %d gen %d pid %d exited %d\n",
		       slot, p->gen, p->pid, WEXITSTATUS(status));
}

static int supervise(void)
{
	struct wproc wp[MAX_PROCS] = {};
	struct timespec deadline;
	struct rng r = { mix64(opt_seed ^ 0x5eedULL) };
	unsigned int k, kills = 0, restarts = 0, hangs = 0;
	uint64_t total = 0, okc = 0;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	ts_add_ms(&deadline, (long)opt_seconds * 1000);
	for (k = 0; k < opt_procs; k++)
		wp[k].pid = start_worker((int)k, 0, &deadline);

	while (!past(&deadline)) {
		long ms = opt_kill_ms ? 1 + below(&r, 2 * opt_kill_ms) : 200;

		sleep_ms(ms);
		/* workers that ended on their own (early, or a crash) */
		for (k = 0; k < opt_procs; k++) {
			if (waitpid(wp[k].pid, &status, WNOHANG) != wp[k].pid)
				continue;
			judge((int)k, &wp[k], status);
			wp[k].pid = -1;
			if (past(&deadline))
				continue;
			wp[k].gen++;
			wp[k].killed = false;
			wp[k].pid = start_worker((int)k, wp[k].gen, &deadline);
			restarts++;
		}
		if (!opt_kill_ms || past(&deadline))
			continue;
		k = below(&r, opt_procs);
		if (wp[k].pid <= 0)
			continue;
		kill(wp[k].pid, SIGKILL);
		wp[k].killed = true;
		kills++;
		if (!reap(wp[k].pid, 30000, &status)) {
			hangs++;
			bad++;
			wp[k].pid = -1;
			continue;
		}
		judge((int)k, &wp[k], status);
		wp[k].gen++;
		wp[k].killed = false;
		wp[k].pid = start_worker((int)k, wp[k].gen, &deadline);
		restarts++;
	}

	/* the deadline: every worker stops by itself within the grace time */
	for (k = 0; k < opt_procs; k++) {
		if (wp[k].pid <= 0)
			continue;
		if (!reap(wp[k].pid, (long)opt_grace * 1000, &status)) {
			hangs++;
			bad++;
			kill(wp[k].pid, SIGKILL);
			if (!reap(wp[k].pid, 30000, &status))
				printf("smlx_fuzz: pid %d survives SIGKILL\n", wp[k].pid);
			continue;
		}
		judge((int)k, &wp[k], status);
	}

	printf("smlx_fuzz: operations by kind (run / succeeded):\n");
	for (k = 0; k < NOPS; k++) {
		printf("  %-18s %10" PRIu64 " %10" PRIu64 "\n", ops[k].name,
		       sh->tried[k], sh->ok[k]);
		total += sh->tried[k];
		okc += sh->ok[k];
	}
	printf("smlx_fuzz: completions polled: %" PRIu64 " success, %" PRIu64
	       " error\n", sh->cqe_ok, sh->cqe_err);
	printf("smlx_fuzz: seed %#018" PRIx64 " ops %" PRIu64 " (succeeded %" PRIu64
	       ") procs %u threads %u seconds %u kills %u restarts %u hangs %u bad %d\n",
	       opt_seed, total, okc, opt_procs, opt_threads, opt_seconds, kills,
	       restarts, hangs, bad);
	return bad ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smlx_fuzz [--seed N] [--seconds S] [--procs P] [--threads T]\n"
		"                 [--kill-ms MS] [--ops N] [--grace S] [--trace]\n"
		"                 [--worker SLOT:GEN]\n"
		"  --seed N       base seed (default: from the clock; printed)\n"
		"  --seconds S    run time (default 30)\n"
		"  --procs P      worker processes (default 4, at most %d)\n"
		"  --threads T    threads per worker (default 3, at most %d)\n"
		"  --kill-ms MS   SIGKILL a random worker every 0..2*MS ms (default 500; 0: never)\n"
		"  --ops N        stop each thread after N operations\n"
		"  --grace S      seconds workers get to end after the deadline (default 60)\n"
		"  --trace        print every operation on stderr\n"
		"  --worker S:G   run only worker slot S generation G, in this process\n"
		"Device: $SMLX_DEV (default smlx0), GID index $SMLX_GID_INDEX (default 1).\n",
		MAX_PROCS, MAX_THREADS);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "procs", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "kill-ms", required_argument, NULL, 'k' },
		{ "ops", required_argument, NULL, 'o' },
		{ "grace", required_argument, NULL, 'g' },
		{ "trace", no_argument, NULL, 'T' },
		{ "worker", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct timespec ts;
	int c, k;
	bool have_seed = false;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's': opt_seed = strtoull(optarg, NULL, 0); have_seed = true; break;
		case 'S': opt_seconds = strtoul(optarg, NULL, 0); break;
		case 'p': opt_procs = strtoul(optarg, NULL, 0); break;
		case 't': opt_threads = strtoul(optarg, NULL, 0); break;
		case 'k': opt_kill_ms = strtoul(optarg, NULL, 0); break;
		case 'o': opt_ops = strtoull(optarg, NULL, 0); break;
		case 'g': opt_grace = strtoul(optarg, NULL, 0); break;
		case 'T': opt_trace = 1; break;
		case 'w':
			if (sscanf(optarg, "%d:%d", &opt_worker_slot, &opt_worker_gen) < 1) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !opt_procs || opt_procs > MAX_PROCS ||
	    !opt_threads || opt_threads > MAX_THREADS ||
	    opt_worker_slot >= MAX_PROCS) {
		usage(stderr);
		return 2;
	}
	if (!have_seed) {
		clock_gettime(CLOCK_REALTIME, &ts);
		opt_seed = mix64((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	}
	for (k = 0; k < NOPS; k++)
		weight_total += ops[k].weight;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("smlx_fuzz: seed %#018" PRIx64 " seconds %u procs %u threads %u kill-ms %u\n",
	       opt_seed, opt_seconds, opt_procs, opt_threads, opt_kill_ms);
	if (opt_worker_slot >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts_add_ms(&ts, (long)opt_seconds * 1000);
		printf("smlx_fuzz: worker slot %d gen %d seed %#018" PRIx64 "\n",
		       opt_worker_slot, opt_worker_gen,
		       worker_seed(opt_worker_slot, opt_worker_gen));
		c = worker_main(opt_worker_slot, opt_worker_gen, &ts);
		printf("smlx_fuzz: seed %#018" PRIx64 " worker %d:%d ops %" PRIu64 "\n",
		       opt_seed, opt_worker_slot, opt_worker_gen,
		       sh->worker_ops[opt_worker_slot]);
		return c;
	}
	return supervise();
}
