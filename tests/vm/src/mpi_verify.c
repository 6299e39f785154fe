// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mpi_verify: an MPI program that checks every byte MPI moves, so that
 * Open MPI over UCX over smlx is tested for correctness, not just for not
 * crashing.
 *
 *   p2p   blocking Send/Recv in a ring and pairwise, Ssend, Sendrecv, at
 *         1 B .. 4 MiB; 16 outstanding Isend/Irecv of mixed sizes and tags
 *         to and from every other rank; MPI_ANY_SOURCE/MPI_ANY_TAG receives
 *         checked against MPI_Status (source, tag, MPI_Get_count) and the
 *         non-overtaking order.
 *   coll  Barrier, Bcast from every root, Reduce/Allreduce (SUM, MAX, MIN on
 *         int64 and on doubles whose sums are exact in any order), Gather,
 *         Scatter, Allgather, Alltoall, Alltoallv with uneven counts and
 *         gaps, Reduce_scatter_block, Scan, Exscan; small and >= 1 MiB.
 *   osc   once per kind of window memory: MPI_Win_create over malloc()ed
 *         and over freshly mmap()ed, never touched memory (the HCA has to
 *         fault it in: On-Demand Paging of user memory), and
 *         MPI_Win_allocate.  Put/Get under fences at several sizes and
 *         offsets; exclusive and shared MPI_Win_lock, MPI_Win_lock_all with
 *         flushes; an exclusive-lock counter that loses updates if the lock
 *         is not exclusive; Accumulate SUM and REPLACE from every rank onto
 *         one target; Get_accumulate; Fetch_and_op on a shared counter
 *         (every fetched value unique); Compare_and_swap.
 *
 * Data depends on test, source, destination, size, offset and round, and
 * receive buffers start as junk with a guard behind them, so stale,
 * misplaced, short or long deliveries all show.  A mismatch prints rank,
 * test, size, peer and the offset, expected and actual value of the first
 * bad byte (or element).  MPI errors are returned, printed with
 * MPI_Error_string, and abort the job: a peer may be waiting for the
 * message that failed.  Rank 0 prints a line per group and a total; the
 * exit status is 0 only if every check passed (1: mismatches, 2: usage,
 * 3: MPI error, 4: a test made no progress for --timeout seconds).
 *
 * usage: mpirun -np N mpi_verify [--max-size BYTES] [--iters K] [--timeout S]
 *        N >= 2; BYTES caps message sizes (default 4M, k/m/g suffixes,
 *        at least 64); K rounds (default 2); S seconds a single test may
 *        take before the rank gives up (default 300, 0: never).
 *
 * Debian 12's Open MPI 4.1.4 disables UCX in /etc/openmpi/openmpi-mca-params.conf
 * ("pml = ^ucx", "osc = ^ucx,pt2pt"); naming the components on the command
 * line overrides that.  pml/ucx also refuses to run unless UCX offers a
 * transport in pml_ucx_tls (default rc_verbs,ud_verbs,rc_mlx5,dc_mlx5,
 * ud_mlx5,cuda_ipc,rocm_ipc), and outranks ob1 only on a device whose
 * driver matches pml_ucx_devices (default mlx*):
 *   mpirun -np 4 --mca pml ucx --mca osc ucx --mca pml_ucx_devices any \
 *          -x UCX_TLS=rc_verbs,self mpi_verify          (smlx, verbs only)
 *   mpirun -np 4 --mca pml ucx --mca osc ucx --mca pml_ucx_tls any \
 *          --mca pml_ucx_devices any -x UCX_TLS=tcp,self mpi_verify
 *   mpirun -np 4 --mca pml ob1 --mca btl self,vader --mca osc pt2pt mpi_verify
 * Without "--mca osc pt2pt" (or ucx) windows get osc/rdma, whose emulated
 * atomics over btl/vader crash in MPI_Compare_and_swap in 4.1.4, and which
 * cannot work over btl/tcp: with pt2pt and ucx disabled by that file,
 * MPI_Win_create then fails with MPI_ERR_WIN.
 *
 * build: mpicc -std=gnu11 -Wall -Wextra -Werror -O2 -g mpi_verify.c -o mpi_verify
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mpi.h>

#include "mix64.h"

#define KIB ((size_t)1024)
#define MIB (1024 * KIB)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define GUARD 64		/* bytes behind each receive that must stay junk */
#define MAX_REPORTS 30		/* failure lines per rank; the count is total */

/* Tags: one range per p2p test, so no test can match another's message. */
#define TAG_RING 100
#define TAG_SSEND 200
#define TAG_PAIR 300
#define TAG_SR 400
#define TAG_NB 500
#define TAG_WC 600
#define TAG_BAR 700

static int me, nr;
static size_t max_size = 4 * MIB;
static int iters = 2;
static unsigned int timeout_s = 300;

static int iter;			/* current round */
static int kind;			/* current kind of window memory */
/* Test and window kind under way; volatile as the SIGALRM handler reads them. */
static const char *volatile cur_test = "startup";
static const char *volatile cur_sub = "";

static long long g_checks, g_fails;	/* this rank, current group */
static long long tot_checks, tot_fails;	/* all ranks, groups so far */
static int reports;

static size_t sizes[8];		/* p2p and bcast sizes, ascending */
static int n_sizes;

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* ---- failures and MPI errors ------------------------------------------ */

static void __printf(1, 2) fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	g_fails++;
	if (++reports > MAX_REPORTS) {
		if (reports == MAX_REPORTS + 1)
			fprintf(stderr, "mpi_verify: rank %d: further failures not printed\n",
				me);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mpi_verify: rank %d: FAIL %s%s%s round %d: %s\n", me,
		cur_test, *cur_sub ? " " : "", cur_sub, iter, msg);
	fflush(stderr);
}

/* One check; returns @cond so callers can skip checks that depend on it. */
static int __printf(2, 3) check(int cond, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	g_checks++;
	if (cond)
		return 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail("%s", msg);
	return 0;
}

static void print_mpi_error(int rc, const char *what, int line)
{
	char msg[MPI_MAX_ERROR_STRING + 1];
	int len = 0;

	if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
		len = snprintf(msg, sizeof(msg), "unknown error %d", rc);
	msg[len < 0 ? 0 : len > MPI_MAX_ERROR_STRING ? MPI_MAX_ERROR_STRING : len] = 0;
	fprintf(stderr, "mpi_verify: rank %d: %s%s%s round %d: line %d: %s: %s\n",
		me, cur_test, *cur_sub ? " " : "", cur_sub, iter, line, what, msg);
	fflush(stderr);
}

/*
 * An MPI call failed: whatever it was part of is lost, and a peer may be
 * blocked waiting for it, so nothing after it can be trusted not to hang.
 */
static void mpi_ck(int rc, const char *what, int line)
{
	if (rc == MPI_SUCCESS)
		return;
	print_mpi_error(rc, what, line);
	MPI_Abort(MPI_COMM_WORLD, 3);
}

#define CK(call) mpi_ck((call), #call, __LINE__)

static void waitall(int n, MPI_Request *req, MPI_Status *st, int line)
{
	int rc = MPI_Waitall(n, req, st), i;

	if (rc == MPI_ERR_IN_STATUS) {
		for (i = 0; i < n; i++)
			if (st[i].MPI_ERROR != MPI_SUCCESS &&
			    st[i].MPI_ERROR != MPI_ERR_PENDING)
				print_mpi_error(st[i].MPI_ERROR, "request of MPI_Waitall",
						line);
	}
	mpi_ck(rc, "MPI_Waitall", line);
}

static void out_of_memory(size_t len)
{
	fprintf(stderr, "mpi_verify: rank %d: out of memory (%zu bytes)\n", me,
		len);
	MPI_Abort(MPI_COMM_WORLD, 3);
}

static void *xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	if (!p)
		out_of_memory(len);
	return p;
}

static void *xcalloc(size_t len)
{
	void *p = xmalloc(len);

	memset(p, 0, len);
	return p;
}

/* ---- watchdog ----------------------------------------------------------- */

static size_t put_str(char *b, size_t at, size_t cap, const char *s)
{
	while (*s && at < cap)
		b[at++] = *s++;
	return at;
}

static size_t put_num(char *b, size_t at, size_t cap, unsigned long v)
{
	char d[24];
	int n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 24);
	while (n && at < cap)
		b[at++] = d[--n];
	return at;
}

/*
 * A broken transport hangs rather than fails; say which test it hung in,
 * with only async-signal-safe calls, and let mpirun take the job down.
 */
static void on_alarm(int sig)
{
	char b[256];
	size_t n = 0, cap = sizeof(b) - 1;

	(void)sig;
	n = put_str(b, n, cap, "mpi_verify: rank ");
	n = put_num(b, n, cap, (unsigned long)me);
	n = put_str(b, n, cap, ": TIMEOUT: ");
	n = put_str(b, n, cap, cur_test);
	if (*cur_sub) {
		n = put_str(b, n, cap, " ");
		n = put_str(b, n, cap, cur_sub);
	}
	n = put_str(b, n, cap, " made no progress for ");
	n = put_num(b, n, cap, timeout_s);
	n = put_str(b, n, cap, " s\n");
	if (write(2, b, n) < 0)
		_exit(4);
	_exit(4);
}

static void set_test(const char *name)
{
	cur_test = name;
	if (timeout_s)
		alarm(timeout_s);
}

/* ---- patterns ----------------------------------------------------------- */

/*
 * Seed of the data @src sends to @dst: every parameter goes in, so data of
 * another test, round, peer, size or offset never passes for the right one.
 * Negative @src values name junk (-2), sentinels (-3) and the like.
 */
static uint64_t pseed(long src, long dst, size_t size, long off)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *s;

	for (s = cur_test; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	for (s = cur_sub; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	h = mix64(h ^ (uint64_t)src);
	h = mix64(h + (uint64_t)dst);
	h = mix64(h + size);
	h = mix64(h + (uint64_t)off);
	return mix64(h + (uint64_t)iter);
}

/* Byte i of a pattern is byte i % 8 of mix64(seed + i / 8). */
static void pat_fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *p = buf;
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		w = mix64(seed + i / 8);
		memcpy(p + i, &w, 8);
	}
	if (i < len) {
		w = mix64(seed + i / 8);
		memcpy(p + i, &w, len - i);
	}
}

/* What a byte check reports besides the bytes. */
struct where {
	const char *what;
	size_t size;		/* transfer the check belongs to */
	int peer;
	size_t base;		/* offset of buf[0] in the buffer reported on */
};

#define AT(what, size, peer, base) \
	(&(struct where){ (what), (size), (peer), (size_t)(base) })

/* " peer N", or nothing for checks that have no single peer. */
static const char *peer_str(char *b, size_t len, int peer)
{
	if (peer < 0)
		return "";
	snprintf(b, len, " peer %d", peer);
	return b;
}

static int report_bytes(const struct where *w, size_t first, unsigned int want,
			unsigned int got, size_t bad, size_t len)
{
	char p[24];

	fail("%s size %zu%s: first bad byte at offset %zu: expected 0x%02x got 0x%02x (%zu of %zu bytes bad)",
	     w->what, w->size, peer_str(p, sizeof(p), w->peer), w->base + first,
	     want, got, bad, len);
	return 0;
}

/*
 * @buf must hold bytes @start .. @start + @len of the pattern of @seed, or
 * zeros when @zero.  Empty ranges are not counted as checks.
 */
static int check_bytes(const void *buf, size_t len, uint64_t seed,
		       size_t start, int zero, const struct where *w)
{
	const unsigned char *p = buf;
	unsigned char word[8] = { 0 }, want0 = 0, got0 = 0;
	size_t i, bad = 0, first = 0;
	uint64_t v;

	if (!len)
		return 1;
	g_checks++;
	for (i = 0; i < len; i++) {
		size_t idx = start + i;

		if (!zero && (i == 0 || !(idx & 7))) {
			v = mix64(seed + idx / 8);
			memcpy(word, &v, 8);
		}
		if (p[i] == word[idx & 7])
			continue;
		if (!bad++) {
			first = i;
			want0 = word[idx & 7];
			got0 = p[i];
		}
	}
	return bad ? report_bytes(w, first, want0, got0, bad, len) : 1;
}

static int check_pat(const void *buf, size_t len, uint64_t seed, size_t start,
		     const struct where *w)
{
	return check_bytes(buf, len, seed, start, 0, w);
}

static int check_mem(const void *got, const void *want, size_t len,
		     const struct where *w)
{
	const unsigned char *g = got, *e = want;
	size_t i, bad = 0, first = 0;

	g_checks++;
	for (i = 0; i < len; i++)
		if (g[i] != e[i] && !bad++)
			first = i;
	return bad ? report_bytes(w, first, e[first], g[first], bad, len) : 1;
}

/* ---- typed values for reductions and atomics ---------------------------- */

enum { T_I64, T_DBL };

static const char *const type_name[] = { "int64", "double" };

static MPI_Datatype mtype(int t)
{
	return t == T_I64 ? MPI_INT64_T : MPI_DOUBLE;
}

static void gen_vals(int t, void *buf, size_t n, long r)
{
	uint64_t s = pseed(r, t, n, 0x5ed);
	size_t i;

	if (t == T_I64) {
		int64_t *v = buf;

		for (i = 0; i < n; i++)
			v[i] = (int64_t)(mix64(s + i) >> 24) - ((int64_t)1 << 39);
	} else {
		double *v = buf;

		/*
		 * Multiples of 1/8 below 2^20: sums of up to 2^29 of them
		 * are exact, whatever order a reduction adds them in.
		 */
		for (i = 0; i < n; i++)
			v[i] = (double)((int64_t)(mix64(s + i) >> 40) -
					((int64_t)1 << 23)) / 8.0;
	}
}

enum { O_SUM, O_MAX, O_MIN };

static const char *const op_name[] = { "sum", "max", "min" };

static MPI_Op mop(int o)
{
	return o == O_SUM ? MPI_SUM : o == O_MAX ? MPI_MAX : MPI_MIN;
}

#define FOLD(a, b, o) ((o) == O_SUM ? (a) + (b) :			\
		       (o) == O_MAX ? ((a) > (b) ? (a) : (b)) :		\
				      ((a) < (b) ? (a) : (b)))

static void fold(int t, int o, void *acc, const void *v, size_t n)
{
	size_t i;

	if (t == T_I64) {
		int64_t *a = acc;
		const int64_t *b = v;

		for (i = 0; i < n; i++)
			a[i] = FOLD(a[i], b[i], o);
	} else {
		double *a = acc;
		const double *b = v;

		for (i = 0; i < n; i++)
			a[i] = FOLD(a[i], b[i], o);
	}
}

/* What ranks @lo .. @hi reduce to with gen_vals() contributions. */
static void expect(int t, int o, void *want, size_t n, int lo, int hi)
{
	void *tmp = xmalloc(n * 8);
	int r;

	gen_vals(t, want, n, lo);
	for (r = lo + 1; r <= hi; r++) {
		gen_vals(t, tmp, n, r);
		fold(t, o, want, tmp, n);
	}
	free(tmp);
}

/* Reports the element, its byte offset, expected and got. */
static int check_vals(int t, const void *got, const void *want, size_t n,
		      const struct where *w)
{
	size_t i, bad = 0, first = 0;
	char e[40], g[40], p[24];

	g_checks++;
	for (i = 0; i < n; i++) {
		int same = t == T_I64 ?
			((const int64_t *)got)[i] == ((const int64_t *)want)[i] :
			((const double *)got)[i] == ((const double *)want)[i];

		if (!same && !bad++)
			first = i;
	}
	if (!bad)
		return 1;
	if (t == T_I64) {
		snprintf(e, sizeof(e), "%" PRId64, ((const int64_t *)want)[first]);
		snprintf(g, sizeof(g), "%" PRId64, ((const int64_t *)got)[first]);
	} else {
		snprintf(e, sizeof(e), "%.17g", ((const double *)want)[first]);
		snprintf(g, sizeof(g), "%.17g", ((const double *)got)[first]);
	}
	fail("%s count %zu%s: first bad element %zu (byte offset %zu): expected %s got %s (%zu of %zu elements bad)",
	     w->what, w->size, peer_str(p, sizeof(p), w->peer), first,
	     w->base + first * 8, e, g, bad, n);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* @v (sorted here) must be exactly @base, @base + 1, ... each once. */
static void check_sequence(int64_t *v, size_t n, int64_t base, const char *what)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_i64);
	for (i = 0; i < n && v[i] == base + (int64_t)i; i++)
		;
	check(i == n, "%s: %zu values should be %" PRId64 " .. %" PRId64
	      " each once, but sorted value %zu is %" PRId64
	      " (a duplicate or a gap)", what, n, base, base + (int64_t)n - 1,
	      i, i < n ? v[i] : 0);
}

/* ---- point to point ----------------------------------------------------- */

struct msg {
	char *mem;
	char *p;		/* misaligned by a round-dependent amount */
	size_t len;
	uint64_t junk;
};

static size_t misalign(void)
{
	return (size_t)(iter * 3) % 8;
}

static void msg_send(struct msg *m, size_t len, uint64_t seed)
{
	m->mem = xmalloc(len + 8);
	m->p = m->mem + misalign();
	m->len = len;
	m->junk = 0;
	pat_fill(m->p, len, seed);
}

/* Junk to start with, and GUARD more bytes than the message must fill. */
static void msg_recv(struct msg *m, size_t len)
{
	m->mem = xmalloc(len + GUARD + 8);
	m->p = m->mem + misalign();
	m->len = len;
	m->junk = pseed(-2, me, len, 0);
	pat_fill(m->p, len + GUARD, m->junk);
}

static void msg_check(const struct msg *m, const MPI_Status *st, int src,
		      int tag, uint64_t seed)
{
	int count = -1;

	CK(MPI_Get_count(st, MPI_BYTE, &count));
	check(st->MPI_SOURCE == src && st->MPI_TAG == tag &&
	      count == (int)m->len,
	      "size %zu: status says source %d tag %d count %d, expected source %d tag %d count %zu",
	      m->len, st->MPI_SOURCE, st->MPI_TAG, count, src, tag, m->len);
	check_pat(m->p, m->len, seed, 0, AT("data", m->len, src, 0));
	check_pat(m->p + m->len, GUARD, m->junk, m->len,
		  AT("guard behind the message", m->len, src, m->len));
}

static void send_msg(const struct msg *m, int dst, int tag, int sync)
{
	if (sync)
		CK(MPI_Ssend(m->p, (int)m->len, MPI_BYTE, dst, tag, MPI_COMM_WORLD));
	else
		CK(MPI_Send(m->p, (int)m->len, MPI_BYTE, dst, tag, MPI_COMM_WORLD));
}

/*
 * Blocking exchange with @dst and @src.  The caller picks @send_first so
 * that no cycle of ranks all sit in a send whose receive is not posted yet:
 * large messages go rendezvous and a blocking send then waits.
 */
static void exchange(size_t len, int dst, int src, int tag, int send_first,
		     int sync)
{
	struct msg s, r;
	MPI_Status st;

	msg_send(&s, len, pseed(me, dst, len, 0));
	msg_recv(&r, len);
	if (send_first)
		send_msg(&s, dst, tag, sync);
	CK(MPI_Recv(r.p, (int)(len + GUARD), MPI_BYTE, src, tag,
		    MPI_COMM_WORLD, &st));
	if (!send_first)
		send_msg(&s, dst, tag, sync);
	msg_check(&r, &st, src, tag, pseed(src, me, len, 0));
	free(s.mem);
	free(r.mem);
}

/* Rank 0 sends first, everyone else receives first: a chain, not a cycle. */
static void p2p_ring(int sync)
{
	int right = (me + 1) % nr, left = (me + nr - 1) % nr, k;

	set_test(sync ? "p2p/ring-ssend" : "p2p/ring");
	for (k = 0; k < n_sizes; k++)
		exchange(sizes[k], right, left, (sync ? TAG_SSEND : TAG_RING) + k,
			 me == 0, sync);
}

/*
 * Every pair exchanges, lower rank sending first, pairs taken in one
 * global order: the earliest unfinished pair always has both ranks at it.
 */
static void p2p_pairwise(void)
{
	int k, a, b;

	set_test("p2p/pairwise");
	for (k = 0; k < n_sizes; k++)
		for (a = 0; a < nr; a++)
			for (b = a + 1; b < nr; b++) {
				if (me == a)
					exchange(sizes[k], b, b, TAG_PAIR + k, 1, 0);
				else if (me == b)
					exchange(sizes[k], a, a, TAG_PAIR + k, 0, 0);
			}
}

static void p2p_sendrecv(void)
{
	int k, sh;

	set_test("p2p/sendrecv");
	for (k = 0; k < n_sizes; k++) {
		for (sh = 1; sh < nr; sh++) {
			int dst = (me + sh) % nr, src = (me + nr - sh) % nr;
			size_t len = sizes[k];
			struct msg s, r;
			MPI_Status st;

			msg_send(&s, len, pseed(me, dst, len, 0));
			msg_recv(&r, len);
			CK(MPI_Sendrecv(s.p, (int)len, MPI_BYTE, dst, TAG_SR + k,
					r.p, (int)(len + GUARD), MPI_BYTE, src,
					TAG_SR + k, MPI_COMM_WORLD, &st));
			msg_check(&r, &st, src, TAG_SR + k, pseed(src, me, len, 0));
			free(s.mem);
			free(r.mem);
		}
	}
}

#define NB_MSGS 16

/* Mostly eager sizes, one in eight large enough for rendezvous. */
static size_t nb_len(int src, int dst, int j)
{
	static const size_t mix[] = { 0, 1, 8, 1000, 4097, 8 * KIB, 64 * KIB,
				      200 * KIB + 3 };
	size_t len = j % 8 == 7 ? MIB :
		mix[(size_t)(j + 3 * src + 5 * dst + iter) % ARRAY_SIZE(mix)];

	return min_sz(len, max_size);
}

/*
 * Half the receives are posted before the sends and half after, so some
 * messages find a posted receive and others arrive unexpected.
 */
static void p2p_nonblocking(void)
{
	int n = (nr - 1) * NB_MSGS, k, j, i;
	struct msg *s = xmalloc(n * sizeof(*s)), *r = xmalloc(n * sizeof(*r));
	MPI_Request *req = xmalloc(2 * n * sizeof(*req));
	MPI_Status *st = xmalloc(2 * n * sizeof(*st));

	set_test("p2p/isend-irecv");
	for (k = 1; k < nr; k++) {
		int peer = (me + nr - k) % nr;

		for (j = 0; j < NB_MSGS; j++) {
			i = (k - 1) * NB_MSGS + j;
			msg_recv(&r[i], nb_len(peer, me, j));
			if (j % 2 == 0)
				CK(MPI_Irecv(r[i].p, (int)(r[i].len + GUARD), MPI_BYTE,
					     peer, TAG_NB + j, MPI_COMM_WORLD, &req[i]));
		}
	}
	for (k = 1; k < nr; k++) {
		int peer = (me + k) % nr;

		for (j = 0; j < NB_MSGS; j++) {
			size_t len = nb_len(me, peer, j);

			i = (k - 1) * NB_MSGS + j;
			msg_send(&s[i], len, pseed(me, peer, len, j));
			CK(MPI_Isend(s[i].p, (int)len, MPI_BYTE, peer, TAG_NB + j,
				     MPI_COMM_WORLD, &req[n + i]));
		}
	}
	for (k = 1; k < nr; k++) {
		int peer = (me + nr - k) % nr;

		for (j = 1; j < NB_MSGS; j += 2) {
			i = (k - 1) * NB_MSGS + j;
			CK(MPI_Irecv(r[i].p, (int)(r[i].len + GUARD), MPI_BYTE, peer,
				     TAG_NB + j, MPI_COMM_WORLD, &req[i]));
		}
	}
	waitall(2 * n, req, st, __LINE__);
	for (k = 1; k < nr; k++) {
		int peer = (me + nr - k) % nr;

		for (j = 0; j < NB_MSGS; j++) {
			i = (k - 1) * NB_MSGS + j;
			msg_check(&r[i], &st[i], peer, TAG_NB + j,
				  pseed(peer, me, r[i].len, j));
		}
	}
	for (i = 0; i < n; i++) {
		free(s[i].mem);
		free(r[i].mem);
	}
	free(s);
	free(r);
	free(req);
	free(st);
}

#define WC_MSGS 8
#define WC_CAP (64 * KIB)

static size_t wc_len(int src, int dst, int k)
{
	static const size_t mix[] = { 0, 1, 8, 1000, 3, 4097, 8 * KIB, WC_CAP };

	return min_sz(mix[(size_t)(k + src + 2 * dst + iter) % ARRAY_SIZE(mix)],
		      max_size);
}

/*
 * The status says who sent what: check it against the message's tag, its
 * size against MPI_Get_count, and, as receives are matched in the order
 * they were posted, that messages from each sender come in sending order.
 */
static void wc_check(char *slot, const MPI_Status *st, int i, int *next,
		     uint64_t junk)
{
	int src = st->MPI_SOURCE, k = st->MPI_TAG - TAG_WC, count = -1;
	size_t len;

	if (!check(src >= 0 && src < nr && src != me && k >= 0 && k < WC_MSGS,
		   "receive %d: status source %d tag %d is no message sent to this rank",
		   i, src, st->MPI_TAG))
		return;
	check(k == next[src],
	      "receive %d: message %d from rank %d overtook message %d", i, k,
	      src, next[src]);
	next[src] = k + 1;
	len = wc_len(src, me, k);
	CK(MPI_Get_count(st, MPI_BYTE, &count));
	check(count == (int)len, "receive %d from rank %d tag %d: MPI_Get_count %d, sent %zu",
	      i, src, st->MPI_TAG, count, len);
	check_pat(slot, len, pseed(src, me, len, k), 0,
		  AT("any-source data", len, src, 0));
	check_pat(slot + len, WC_CAP + GUARD - len, junk,
		  (size_t)i * (WC_CAP + GUARD) + len,
		  AT("bytes behind the message", len, src, len));
}

static void p2p_wildcard(void)
{
	int n = (nr - 1) * WC_MSGS, i, k, j, *next = xcalloc(nr * sizeof(int));
	size_t slot = WC_CAP + GUARD;
	char *rbuf = xmalloc(n * slot);
	struct msg *s = xmalloc(n * sizeof(*s));
	MPI_Request *req = xmalloc(2 * n * sizeof(*req));
	MPI_Status *st = xmalloc(2 * n * sizeof(*st));
	uint64_t junk;
	MPI_Comm comm;

	set_test("p2p/any-source");
	junk = pseed(-2, me, 0, 0);
	/*
	 * A private communicator: a peer done here may start the next test
	 * while these wildcard receives are open, and must not feed them.
	 */
	CK(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
	pat_fill(rbuf, n * slot, junk);
	for (i = 0; i < n; i++)
		CK(MPI_Irecv(rbuf + i * slot, WC_CAP, MPI_BYTE, MPI_ANY_SOURCE,
			     MPI_ANY_TAG, comm, &req[i]));
	for (k = 1; k < nr; k++) {
		int dst = (me + k) % nr;

		for (j = 0; j < WC_MSGS; j++) {
			size_t len = wc_len(me, dst, j);

			i = (k - 1) * WC_MSGS + j;
			msg_send(&s[i], len, pseed(me, dst, len, j));
			CK(MPI_Isend(s[i].p, (int)len, MPI_BYTE, dst, TAG_WC + j,
				     comm, &req[n + i]));
		}
	}
	waitall(2 * n, req, st, __LINE__);
	for (i = 0; i < n; i++)
		wc_check(rbuf + i * slot, &st[i], i, next, junk);
	for (k = 0; k < nr; k++)
		if (k != me)
			check(next[k] == WC_MSGS,
			      "last message taken from rank %d was %d of %d",
			      k, next[k] - 1, WC_MSGS);
	CK(MPI_Comm_free(&comm));
	for (i = 0; i < n; i++)
		free(s[i].mem);
	free(s);
	free(rbuf);
	free(req);
	free(st);
	free(next);
}

static void run_p2p(void)
{
	p2p_ring(0);
	p2p_ring(1);
	p2p_pairwise();
	p2p_sendrecv();
	p2p_nonblocking();
	p2p_wildcard();
}

/* ---- collectives -------------------------------------------------------- */

/* Large collectives move at least 1 MiB in all, within --max-size. */
static size_t coll_total(void)
{
	return min_sz(max_size, MIB);
}

/* The big block is odd-sized so later blocks land misaligned. */
static int coll_blocks(size_t *b)
{
	static const size_t small[] = { 1, 8, 1000 };
	size_t i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(small); i++)
		if (small[i] <= max_size)
			b[n++] = small[i];
	b[n++] = min_sz(((coll_total() + nr - 1) / nr) | 1, max_size);
	return n;
}

/*
 * A rank that a barrier let out early would send its token before a late
 * rank entered; the late rank looks for it just before entering.
 */
static void coll_barrier(void)
{
	char *in = xmalloc(nr), out;
	MPI_Request *req = xmalloc(2 * nr * sizeof(*req));
	MPI_Status *sts = xmalloc(2 * nr * sizeof(*sts));
	int round, k, n, flag;
	MPI_Status st;

	set_test("coll/barrier");
	for (round = 0; round < 4; round++) {
		usleep(2000 * (unsigned int)((me + round) % nr));
		flag = 0;
		st.MPI_SOURCE = -1;
		CK(MPI_Iprobe(MPI_ANY_SOURCE, TAG_BAR + round, MPI_COMM_WORLD,
			      &flag, &st));
		check(!flag, "round %d: rank %d's token arrived before this rank entered the barrier",
		      round, st.MPI_SOURCE);
		CK(MPI_Barrier(MPI_COMM_WORLD));
		out = (char)(round + 1);
		memset(in, 0, nr);
		for (k = 0, n = 0; k < nr; k++) {
			if (k == me)
				continue;
			CK(MPI_Irecv(&in[k], 1, MPI_BYTE, k, TAG_BAR + round,
				     MPI_COMM_WORLD, &req[n++]));
			CK(MPI_Isend(&out, 1, MPI_BYTE, k, TAG_BAR + round,
				     MPI_COMM_WORLD, &req[n++]));
		}
		waitall(n, req, sts, __LINE__);
		for (k = 0; k < nr; k++)
			if (k != me)
				check(in[k] == out, "round %d: token from rank %d is %d",
				      round, k, in[k]);
	}
	free(in);
	free(req);
	free(sts);
}

static void coll_bcast(void)
{
	int root, k;

	set_test("coll/bcast");
	for (root = 0; root < nr; root++) {
		for (k = 0; k < n_sizes; k++) {
			size_t len = sizes[k];
			uint64_t seed = pseed(root, -1, len, 0);
			struct msg m;

			msg_recv(&m, len);
			if (me == root)
				pat_fill(m.p, len, seed);
			CK(MPI_Bcast(m.p, (int)len, MPI_BYTE, root, MPI_COMM_WORLD));
			check_pat(m.p, len, seed, 0, AT("data", len, root, 0));
			check_pat(m.p + len, GUARD, m.junk, len,
				  AT("guard", len, root, len));
			free(m.mem);
		}
	}
}

static void coll_gather(void)
{
	size_t b[4], len;
	int nb = coll_blocks(b), k, root, s;

	set_test("coll/gather");
	for (k = 0; k < nb; k++) {
		len = b[k];
		for (root = 0; root < nr; root++) {
			char *sb = xmalloc(len), *rb = xmalloc(nr * len + GUARD);
			uint64_t junk = pseed(-2, me, len, root);

			pat_fill(sb, len, pseed(me, root, len, 0));
			pat_fill(rb, nr * len + GUARD, junk);
			CK(MPI_Gather(sb, (int)len, MPI_BYTE, rb, (int)len, MPI_BYTE,
				      root, MPI_COMM_WORLD));
			if (me == root) {
				for (s = 0; s < nr; s++)
					check_pat(rb + s * len, len, pseed(s, root, len, 0),
						  0, AT("block", len, s, s * len));
				check_pat(rb + nr * len, GUARD, junk, nr * len,
					  AT("guard", len, root, nr * len));
			}
			free(sb);
			free(rb);
		}
	}
}

static void coll_scatter(void)
{
	size_t b[4], len;
	int nb = coll_blocks(b), k, root, d;

	set_test("coll/scatter");
	for (k = 0; k < nb; k++) {
		len = b[k];
		for (root = 0; root < nr; root++) {
			char *sb = xmalloc(nr * len);
			struct msg m;

			for (d = 0; d < nr; d++)
				pat_fill(sb + d * len, len, pseed(root, d, len, 0));
			msg_recv(&m, len);
			CK(MPI_Scatter(sb, (int)len, MPI_BYTE, m.p, (int)len, MPI_BYTE,
				       root, MPI_COMM_WORLD));
			check_pat(m.p, len, pseed(root, me, len, 0), 0,
				  AT("block", len, root, 0));
			check_pat(m.p + len, GUARD, m.junk, len,
				  AT("guard", len, root, len));
			free(sb);
			free(m.mem);
		}
	}
}

/* Allgather when @all2all is 0, else Alltoall: block s->d at s*len of d. */
static void coll_allgather(int all2all)
{
	size_t b[4], len;
	int nb = coll_blocks(b), k, d, s;

	set_test(all2all ? "coll/alltoall" : "coll/allgather");
	for (k = 0; k < nb; k++) {
		char *sb, *rb;
		uint64_t junk;

		len = b[k];
		sb = xmalloc(nr * len);
		rb = xmalloc(nr * len + GUARD);
		junk = pseed(-2, me, len, 0);
		for (d = 0; d < (all2all ? nr : 1); d++)
			pat_fill(sb + d * len, len, pseed(me, all2all ? d : -1, len, 0));
		pat_fill(rb, nr * len + GUARD, junk);
		if (all2all)
			CK(MPI_Alltoall(sb, (int)len, MPI_BYTE, rb, (int)len, MPI_BYTE,
					MPI_COMM_WORLD));
		else
			CK(MPI_Allgather(sb, (int)len, MPI_BYTE, rb, (int)len,
					 MPI_BYTE, MPI_COMM_WORLD));
		for (s = 0; s < nr; s++)
			check_pat(rb + s * len, len,
				  pseed(s, all2all ? me : -1, len, 0), 0,
				  AT("block", len, s, s * len));
		check_pat(rb + nr * len, GUARD, junk, nr * len,
			  AT("guard", len, -1, nr * len));
		free(sb);
		free(rb);
	}
}

/* One pair in five sends nothing; the rest 1..7 units and a ragged tail. */
static int a2av_count(int s, int d, size_t unit)
{
	if ((3 * s + d + iter) % 5 == 0)
		return 0;
	return (int)(unit * (size_t)((3 * s + 5 * d + iter) % 7 + 1) +
		     (size_t)(s + 2 * d) % 5);
}

/*
 * Blocks are received in reverse rank order with gaps between them, so
 * the displacements, not the arrival order, decide where data lands; the
 * gaps must keep their junk.
 */
static void coll_alltoallv_one(size_t unit)
{
	int *sc = xmalloc(4 * nr * sizeof(int)), *sd = sc + nr, *rc = sd + nr,
	    *rd = rc + nr, s, d;
	size_t spos = 0, rpos = 0, rlen;
	char *sb, *rb, *want;
	uint64_t junk;

	for (d = 0; d < nr; d++) {
		sc[d] = a2av_count(me, d, unit);
		sd[d] = (int)spos + 1 + d % 3;
		spos = (size_t)sd[d] + (size_t)sc[d];
	}
	for (s = nr - 1; s >= 0; s--) {
		rc[s] = a2av_count(s, me, unit);
		rd[s] = (int)rpos + 2 + s % 3;
		rpos = (size_t)rd[s] + (size_t)rc[s];
	}
	rlen = rpos + GUARD;
	sb = xmalloc(spos);
	rb = xmalloc(rlen);
	want = xmalloc(rlen);
	pat_fill(sb, spos, pseed(-4, me, spos, 0));
	for (d = 0; d < nr; d++)
		pat_fill(sb + sd[d], sc[d], pseed(me, d, sc[d], 0));
	junk = pseed(-2, me, rlen, 0);
	pat_fill(rb, rlen, junk);
	pat_fill(want, rlen, junk);
	for (s = 0; s < nr; s++)
		pat_fill(want + rd[s], rc[s], pseed(s, me, rc[s], 0));
	CK(MPI_Alltoallv(sb, sc, sd, MPI_BYTE, rb, rc, rd, MPI_BYTE,
			 MPI_COMM_WORLD));
	for (s = 0; s < nr; s++)
		check_pat(rb + rd[s], rc[s], pseed(s, me, rc[s], 0), 0,
			  AT("block", rc[s], s, rd[s]));
	check_mem(rb, want, rlen, AT("whole buffer incl. gaps", rlen, -1, 0));
	free(sc);
	free(sb);
	free(rb);
	free(want);
}

static void coll_alltoallv(void)
{
	size_t big = min_sz(coll_total() / (4 * nr), (max_size - 4) / 7);

	set_test("coll/alltoallv");
	coll_alltoallv_one(1);
	if (max_size >= 704)
		coll_alltoallv_one(100);
	coll_alltoallv_one(big ? big : 1);
}

/* Element counts for reductions: small, and 1 MiB within --max-size. */
static int red_counts(size_t *c)
{
	static const size_t small[] = { 1, 7, 1000 };
	size_t i;
	int n = 0;

	for (i = 0; i < ARRAY_SIZE(small); i++)
		if (small[i] * 8 <= max_size)
			c[n++] = small[i];
	if (coll_total() / 8 > 1000)
		c[n++] = coll_total() / 8;
	return n;
}

static void reduce_one(int t, int o, size_t n)
{
	size_t bytes = n * 8;
	char *sb = xmalloc(bytes), *rb = xmalloc(bytes), *want = xmalloc(bytes);
	uint64_t junk = pseed(-2, me, bytes, 0);
	char what[64];
	int root;

	gen_vals(t, sb, n, me);
	expect(t, o, want, n, 0, nr - 1);

	snprintf(what, sizeof(what), "allreduce %s %s", type_name[t], op_name[o]);
	pat_fill(rb, bytes, junk);
	CK(MPI_Allreduce(sb, rb, (int)n, mtype(t), mop(o), MPI_COMM_WORLD));
	check_vals(t, rb, want, n, AT(what, n, -1, 0));

	snprintf(what, sizeof(what), "allreduce in place %s %s", type_name[t],
		 op_name[o]);
	memcpy(rb, sb, bytes);
	CK(MPI_Allreduce(MPI_IN_PLACE, rb, (int)n, mtype(t), mop(o),
			 MPI_COMM_WORLD));
	check_vals(t, rb, want, n, AT(what, n, -1, 0));

	snprintf(what, sizeof(what), "reduce %s %s", type_name[t], op_name[o]);
	for (root = 0; root < nr; root++) {
		pat_fill(rb, bytes, junk);
		CK(MPI_Reduce(sb, rb, (int)n, mtype(t), mop(o), root,
			      MPI_COMM_WORLD));
		if (me == root)
			check_vals(t, rb, want, n, AT(what, n, root, 0));
	}
	free(sb);
	free(rb);
	free(want);
}

static void coll_reduce(void)
{
	size_t c[4];
	int nc = red_counts(c), t, o, k;

	set_test("coll/reduce");
	for (t = T_I64; t <= T_DBL; t++)
		for (o = O_SUM; o <= O_MIN; o++)
			for (k = 0; k < nc; k++)
				reduce_one(t, o, c[k]);
}

static void coll_reduce_scatter(void)
{
	size_t rcs[3] = { 1, 1000, (coll_total() / 8 + nr - 1) / nr }, rc, n;
	int t, o, k;

	set_test("coll/reduce-scatter-block");
	for (t = T_I64; t <= T_DBL; t++) {
		for (o = O_SUM; o <= O_MAX; o++) {
			for (k = 0; k < 3; k++) {
				char *sb, *rb, *want, what[64];

				rc = rcs[k];
				if (rc * 8 > max_size || (k == 2 && rc <= 1000))
					continue;
				n = rc * nr;
				sb = xmalloc(n * 8);
				rb = xmalloc(rc * 8);
				want = xmalloc(n * 8);
				gen_vals(t, sb, n, me);
				expect(t, o, want, n, 0, nr - 1);
				pat_fill(rb, rc * 8, pseed(-2, me, rc, 0));
				CK(MPI_Reduce_scatter_block(sb, rb, (int)rc, mtype(t),
							    mop(o), MPI_COMM_WORLD));
				snprintf(what, sizeof(what), "%s %s", type_name[t],
					 op_name[o]);
				check_vals(t, rb, want + me * rc * 8, rc,
					   AT(what, rc, -1, me * rc * 8));
				free(sb);
				free(rb);
				free(want);
			}
		}
	}
}

/* Scan: ranks 0..me; Exscan: ranks 0..me-1, undefined on rank 0. */
static void coll_scan(void)
{
	size_t c[4], n;
	int nc = red_counts(c), t, o, k;

	set_test("coll/scan");
	for (t = T_I64; t <= T_DBL; t++) {
		for (o = O_SUM; o <= O_MAX; o++) {
			for (k = 0; k < nc; k++) {
				char *sb, *rb, *want, what[64];

				n = c[k];
				sb = xmalloc(n * 8);
				rb = xmalloc(n * 8);
				want = xmalloc(n * 8);
				gen_vals(t, sb, n, me);
				expect(t, o, want, n, 0, me);
				pat_fill(rb, n * 8, pseed(-2, me, n, 0));
				CK(MPI_Scan(sb, rb, (int)n, mtype(t), mop(o),
					    MPI_COMM_WORLD));
				snprintf(what, sizeof(what), "scan %s %s", type_name[t],
					 op_name[o]);
				check_vals(t, rb, want, n, AT(what, n, -1, 0));
				if (t == T_I64 && o == O_SUM) {
					CK(MPI_Exscan(sb, rb, (int)n, mtype(t), mop(o),
						      MPI_COMM_WORLD));
					if (me > 0) {
						expect(t, o, want, n, 0, me - 1);
						check_vals(t, rb, want, n,
							   AT("exscan int64 sum", n, -1, 0));
					}
				}
				free(sb);
				free(rb);
				free(want);
			}
		}
	}
}

static void run_coll(void)
{
	coll_barrier();
	coll_bcast();
	coll_reduce();
	coll_gather();
	coll_scatter();
	coll_allgather(0);
	coll_allgather(1);
	coll_alltoallv();
	coll_reduce_scatter();
	coll_scan();
}

/* ---- one-sided ---------------------------------------------------------- */

enum { W_MALLOC, W_MMAP, W_ALLOCATE, W_KINDS };

static const char *const kind_name[W_KINDS] = {
	"win_create(malloc)", "win_create(mmap)", "win_allocate",
};

struct win {
	MPI_Win w;
	void *base;
	size_t size;
};

static void win_open(struct win *w, size_t size, int disp)
{
	w->size = size;
	w->base = NULL;
	if (kind == W_ALLOCATE) {
		CK(MPI_Win_allocate((MPI_Aint)size, disp, MPI_INFO_NULL,
				    MPI_COMM_WORLD, &w->base, &w->w));
	} else {
		if (kind == W_MMAP) {
			/*
			 * Pages nothing has touched yet: registering them
			 * must not need them, and the HCA faults them in
			 * on first access.
			 */
			w->base = mmap(NULL, size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (w->base == MAP_FAILED)
				out_of_memory(size);
		} else {
			w->base = xmalloc(size);
		}
		CK(MPI_Win_create(w->base, (MPI_Aint)size, disp, MPI_INFO_NULL,
				  MPI_COMM_WORLD, &w->w));
	}
	CK(MPI_Win_set_errhandler(w->w, MPI_ERRORS_RETURN));
}

static void win_close(struct win *w)
{
	CK(MPI_Win_free(&w->w));
	if (kind == W_MMAP)
		munmap(w->base, w->size);
	else if (kind == W_MALLOC)
		free(w->base);
}

/* Local stores to a window are ordered against RMA only inside an epoch. */
static void self_fill(struct win *w, uint64_t sent)
{
	CK(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, me, 0, w->w));
	pat_fill(w->base, w->size, sent);
	CK(MPI_Win_unlock(me, w->w));
}

static size_t osc_max(void)
{
	return min_sz(max_size, MIB);
}

/*
 * Per-source region of a byte window: room for the largest transfer at
 * the largest offset, the bytes read behind it, and then some.
 */
static size_t osc_reg(void)
{
	return (osc_max() + 4095) / 4096 * 4096 + 8192;
}

#define TAIL 2048		/* bytes read behind a region's data */

static const size_t osc_offs[] = { 0, 1, 4093 };

/* The sentinel of the window of @rank, indexed by window offset. */
static int check_sent(const void *buf, size_t len, uint64_t sent, size_t woff,
		      int fresh, const struct where *w)
{
	return check_bytes(buf, len, sent, woff, fresh, w);
}

/*
 * The window of this rank after every rank wrote @size bytes with pattern
 * offset @poff at @off of its own region: that data, and the sentinel (or
 * the zeros of fresh memory) everywhere else.
 */
static void check_regions(const struct win *w, size_t size, size_t off,
			  long poff, uint64_t sent, int fresh)
{
	size_t reg = osc_reg(), r0;
	char *b = w->base;
	int src;

	for (src = 0; src < nr; src++) {
		r0 = src * reg;
		check_sent(b + r0, off, sent, r0, fresh,
			   AT("window before the data", size, src, r0));
		check_pat(b + r0 + off, size, pseed(src, me, size, poff), 0,
			  AT("window data", size, src, r0 + off));
		check_sent(b + r0 + off + size, reg - off - size, sent,
			   r0 + off + size, fresh,
			   AT("window behind the data", size, src, r0 + off + size));
	}
}

static void self_check(struct win *w, size_t size, size_t off, long poff,
		       uint64_t sent)
{
	CK(MPI_Win_lock(MPI_LOCK_SHARED, me, 0, w->w));
	check_regions(w, size, off, poff, sent, 0);
	CK(MPI_Win_unlock(me, w->w));
}

static void put_all(struct win *w, const char *obuf, size_t s, size_t off)
{
	int t;

	for (t = 0; t < nr; t++)
		CK(MPI_Put(obuf + t * s, (int)s, MPI_BYTE, t,
			   (MPI_Aint)(me * osc_reg() + off), (int)s, MPI_BYTE, w->w));
}

static void fill_origin(char *obuf, size_t s, long poff)
{
	int t;

	for (t = 0; t < nr; t++)
		pat_fill(obuf + t * s, s, pseed(me, t, s, poff));
}

/* What this rank reads back from region @g of every target. */
static void check_gets(const char *gbuf, size_t s, int g, long poff)
{
	int t;

	for (t = 0; t < nr; t++)
		check_pat(gbuf + t * s, s, pseed(g, t, s, poff), 0,
			  AT("fetched data", s, t, g * osc_reg() + (size_t)poff));
}

/*
 * Every rank puts into its region of every window, itself included, then
 * gets another rank's region back, and the bytes behind it that only the
 * target's CPU wrote.  The first pass on mmap()ed memory writes into pages
 * nobody touched, so everything else must read back as zero.
 */
static void osc_fence(void)
{
	size_t reg = osc_reg(), om = osc_max(), s, o;
	char *obuf = xmalloc(nr * om), *gbuf = xmalloc(nr * om),
	     *tbuf = xmalloc(nr * TAIL);
	int fresh = kind == W_MMAP, combo = 0, g = (me + 1) % nr, k, t;
	size_t oi;
	struct win w;

	set_test("osc/fence-put-get");
	win_open(&w, reg * nr, 1);
	for (k = 0; k < n_sizes && sizes[k] <= om; k++) {
		for (oi = 0; oi < ARRAY_SIZE(osc_offs); oi++, combo++) {
			uint64_t sent = pseed(-3, me, combo, 0);
			size_t tl;

			s = sizes[k];
			o = osc_offs[oi];
			tl = min_sz(s, TAIL);
			if (!fresh)
				pat_fill(w.base, w.size, sent);
			fill_origin(obuf, s, (long)o);
			pat_fill(gbuf, nr * s, pseed(-2, me, s, 0));
			pat_fill(tbuf, nr * TAIL, pseed(-2, me, s, 1));
			CK(MPI_Win_fence(0, w.w));
			put_all(&w, obuf, s, o);
			CK(MPI_Win_fence(0, w.w));
			check_regions(&w, s, o, (long)o, sent, fresh);
			for (t = 0; t < nr; t++) {
				CK(MPI_Get(gbuf + t * s, (int)s, MPI_BYTE, t,
					   (MPI_Aint)(g * reg + o), (int)s, MPI_BYTE,
					   w.w));
				CK(MPI_Get(tbuf + t * TAIL, (int)tl, MPI_BYTE, t,
					   (MPI_Aint)(g * reg + o + s), (int)tl,
					   MPI_BYTE, w.w));
			}
			CK(MPI_Win_fence(0, w.w));
			check_gets(gbuf, s, g, (long)o);
			for (t = 0; t < nr; t++)
				check_sent(tbuf + t * TAIL, tl,
					   pseed(-3, t, combo, 0), g * reg + o + s,
					   fresh, AT("fetched bytes behind the data",
						     s, t, g * reg + o + s));
			fresh = 0;
		}
	}
	win_close(&w);
	free(obuf);
	free(gbuf);
	free(tbuf);
}

enum { L_EXCL, L_SHARED, L_ALL };

/* Offsets for the passive tests: alternately aligned and across a page. */
static size_t passive_off(int k)
{
	return k % 2 ? 4093 : (size_t)(3 + iter % 5);
}

/* One size of a passive-target test; see osc_passive(). */
static void passive_one(struct win *w, int mode, int k, char *obuf, char *gbuf)
{
	size_t s = sizes[k], o = passive_off(k), reg = osc_reg();
	uint64_t sent = pseed(-3, me, k, 0);
	long poff = (long)o;
	int t, i;

	self_fill(w, sent);
	fill_origin(obuf, s, poff);
	pat_fill(gbuf, nr * s, pseed(-2, me, s, 0));
	CK(MPI_Barrier(MPI_COMM_WORLD));
	if (mode == L_EXCL) {
		for (i = 0; i < nr; i++) {
			t = (me + i) % nr;
			CK(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, t, 0, w->w));
			CK(MPI_Put(obuf + t * s, (int)s, MPI_BYTE, t,
				   (MPI_Aint)(me * reg + o), (int)s, MPI_BYTE, w->w));
			CK(MPI_Win_unlock(t, w->w));
		}
	} else if (mode == L_SHARED) {
		/* After a flush the put is done at the target: a get sees it. */
		for (i = 0; i < nr; i++) {
			t = (me + i) % nr;
			CK(MPI_Win_lock(MPI_LOCK_SHARED, t, 0, w->w));
			CK(MPI_Put(obuf + t * s, (int)s, MPI_BYTE, t,
				   (MPI_Aint)(me * reg + o), (int)s, MPI_BYTE, w->w));
			CK(MPI_Win_flush(t, w->w));
			CK(MPI_Get(gbuf + t * s, (int)s, MPI_BYTE, t,
				   (MPI_Aint)(me * reg + o), (int)s, MPI_BYTE, w->w));
			CK(MPI_Win_unlock(t, w->w));
		}
		check_gets(gbuf, s, me, poff);
	} else {
		/* Two generations through one lock_all epoch. */
		CK(MPI_Win_lock_all(0, w->w));
		for (t = 0; t < nr; t++) {
			CK(MPI_Put(obuf + t * s, (int)s, MPI_BYTE, t,
				   (MPI_Aint)(me * reg + o), (int)s, MPI_BYTE, w->w));
			CK(MPI_Win_flush(t, w->w));
			CK(MPI_Get(gbuf + t * s, (int)s, MPI_BYTE, t,
				   (MPI_Aint)(me * reg + o), (int)s, MPI_BYTE, w->w));
		}
		CK(MPI_Win_flush_local_all(w->w));
		check_gets(gbuf, s, me, poff);
		poff++;
		fill_origin(obuf, s, poff);
		put_all(w, obuf, s, o);
		CK(MPI_Win_flush_all(w->w));
		for (t = 0; t < nr; t++)
			CK(MPI_Get(gbuf + t * s, (int)s, MPI_BYTE, t,
				   (MPI_Aint)(me * reg + o), (int)s, MPI_BYTE, w->w));
		CK(MPI_Win_flush_all(w->w));
		check_gets(gbuf, s, me, poff);
		CK(MPI_Win_unlock_all(w->w));
	}
	CK(MPI_Barrier(MPI_COMM_WORLD));
	self_check(w, s, o, poff, sent);
	if (mode == L_EXCL) {
		/* Read another rank's region under shared locks. */
		int g = (me + 1) % nr;

		pat_fill(gbuf, nr * s, pseed(-2, me, s, 0));
		for (t = 0; t < nr; t++) {
			CK(MPI_Win_lock(MPI_LOCK_SHARED, t, 0, w->w));
			CK(MPI_Get(gbuf + t * s, (int)s, MPI_BYTE, t,
				   (MPI_Aint)(g * reg + o), (int)s, MPI_BYTE, w->w));
			CK(MPI_Win_unlock(t, w->w));
		}
		check_gets(gbuf, s, g, poff);
	}
	/* Nobody refills a window that another rank may still be reading. */
	CK(MPI_Barrier(MPI_COMM_WORLD));
}

static void osc_passive(int mode)
{
	static const char *const name[] = {
		[L_EXCL] = "osc/lock-exclusive", [L_SHARED] = "osc/lock-shared",
		[L_ALL] = "osc/lock-all-flush",
	};
	size_t om = osc_max();
	char *obuf = xmalloc(nr * om), *gbuf = xmalloc(nr * om);
	struct win w;
	int k;

	set_test(name[mode]);
	win_open(&w, osc_reg() * nr, 1);
	for (k = 0; k < n_sizes && sizes[k] <= om; k++)
		passive_one(&w, mode, k, obuf, gbuf);
	win_close(&w);
	free(obuf);
	free(gbuf);
}

/* Initial contents of an int64 window, written by its owner @tgt. */
static void init_i64(struct win *w, int tgt, size_t n, int fence)
{
	if (me == tgt && !fence)
		CK(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, me, 0, w->w));
	if (me == tgt)
		gen_vals(T_I64, w->base, n, -5);
	if (me == tgt && !fence)
		CK(MPI_Win_unlock(me, w->w));
	if (fence)
		CK(MPI_Win_fence(0, w->w));
	else
		CK(MPI_Barrier(MPI_COMM_WORLD));
}

static int64_t init_val(size_t n, size_t i)
{
	int64_t *v = xmalloc(n * 8), x;

	gen_vals(T_I64, v, n, -5);
	x = v[i];
	free(v);
	return x;
}

#define CNT_REPS 8

/* Get, add one, put, under an exclusive lock: any overlap loses counts. */
static void osc_lock_counter(void)
{
	int tgt = iter % nr, k;
	int64_t v = 0, x;
	struct win w;

	set_test("osc/lock-exclusive-counter");
	win_open(&w, 8, 8);
	init_i64(&w, tgt, 1, 0);
	x = init_val(1, 0);
	for (k = 0; k < CNT_REPS; k++) {
		CK(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, tgt, 0, w.w));
		CK(MPI_Get(&v, 1, MPI_INT64_T, tgt, 0, 1, MPI_INT64_T, w.w));
		CK(MPI_Win_flush(tgt, w.w));
		v++;
		CK(MPI_Put(&v, 1, MPI_INT64_T, tgt, 0, 1, MPI_INT64_T, w.w));
		CK(MPI_Win_unlock(tgt, w.w));
	}
	CK(MPI_Barrier(MPI_COMM_WORLD));
	CK(MPI_Win_lock(MPI_LOCK_SHARED, tgt, 0, w.w));
	CK(MPI_Get(&v, 1, MPI_INT64_T, tgt, 0, 1, MPI_INT64_T, w.w));
	CK(MPI_Win_unlock(tgt, w.w));
	check(v == x + nr * CNT_REPS,
	      "counter on rank %d: expected %" PRId64 " got %" PRId64
	      " (fewer: two ranks held the exclusive lock at once)",
	      tgt, x + nr * CNT_REPS, v);
	CK(MPI_Barrier(MPI_COMM_WORLD));
	win_close(&w);
}

static int acc_counts(size_t *c)
{
	int n = 0;

	c[n++] = 1;
	if (1000 * 8 <= max_size)
		c[n++] = 1000;
	if (min_sz(max_size / 8, 64 * KIB) > 1000)
		c[n++] = min_sz(max_size / 8, 64 * KIB);
	return n;
}

/* Initial window contents plus @reps times every rank's contribution. */
static void acc_expect(int64_t *want, size_t n, int reps)
{
	int64_t *v = xmalloc(n * 8);
	int r, k;

	gen_vals(T_I64, want, n, -5);
	for (r = 0; r < nr; r++) {
		gen_vals(T_I64, v, n, r);
		for (k = 0; k < reps; k++)
			fold(T_I64, O_SUM, want, v, n);
	}
	free(v);
}

/* Every rank adds into one target's window, in a fence epoch. */
static void osc_acc_fence(void)
{
	size_t c[3], n;
	int nc = acc_counts(c), k, tgt;

	set_test("osc/accumulate-sum-fence");
	for (k = 0; k < nc; k++) {
		int64_t *v, *want, *got;
		struct win w;

		n = c[k];
		tgt = (k + iter) % nr;
		v = xmalloc(n * 8);
		want = xmalloc(n * 8);
		got = xmalloc(n * 8);
		win_open(&w, n * 8, 8);
		init_i64(&w, tgt, n, 1);
		gen_vals(T_I64, v, n, me);
		CK(MPI_Accumulate(v, (int)n, MPI_INT64_T, tgt, 0, (int)n,
				  MPI_INT64_T, MPI_SUM, w.w));
		CK(MPI_Win_fence(0, w.w));
		acc_expect(want, n, 1);
		if (me == tgt)
			check_vals(T_I64, w.base, want, n,
				   AT("target memory", n, tgt, 0));
		CK(MPI_Get(got, (int)n, MPI_INT64_T, tgt, 0, (int)n, MPI_INT64_T,
			   w.w));
		CK(MPI_Win_fence(0, w.w));
		check_vals(T_I64, got, want, n, AT("fetched sum", n, tgt, 0));
		win_close(&w);
		free(v);
		free(want);
		free(got);
	}
}

#define ACC_REPS 3

/* Concurrent accumulates under shared locks: element-wise atomic. */
static void osc_acc_lock(void)
{
	size_t c[3], n;
	int nc = acc_counts(c), k, rep, tgt;

	set_test("osc/accumulate-sum-shared-lock");
	for (k = 0; k < nc; k++) {
		int64_t *v, *want, *got;
		struct win w;

		n = c[k];
		tgt = (k + iter + 1) % nr;
		v = xmalloc(n * 8);
		want = xmalloc(n * 8);
		got = xmalloc(n * 8);
		win_open(&w, n * 8, 8);
		init_i64(&w, tgt, n, 0);
		gen_vals(T_I64, v, n, me);
		for (rep = 0; rep < ACC_REPS; rep++) {
			CK(MPI_Win_lock(MPI_LOCK_SHARED, tgt, 0, w.w));
			CK(MPI_Accumulate(v, (int)n, MPI_INT64_T, tgt, 0, (int)n,
					  MPI_INT64_T, MPI_SUM, w.w));
			CK(MPI_Win_unlock(tgt, w.w));
		}
		CK(MPI_Barrier(MPI_COMM_WORLD));
		acc_expect(want, n, ACC_REPS);
		CK(MPI_Win_lock(MPI_LOCK_SHARED, tgt, 0, w.w));
		CK(MPI_Get(got, (int)n, MPI_INT64_T, tgt, 0, (int)n, MPI_INT64_T,
			   w.w));
		CK(MPI_Win_unlock(tgt, w.w));
		check_vals(T_I64, got, want, n, AT("fetched sum", n, tgt, 0));
		CK(MPI_Barrier(MPI_COMM_WORLD));
		win_close(&w);
		free(v);
		free(want);
		free(got);
	}
}

/*
 * MPI_REPLACE into a block of its own per rank, and by all ranks into one
 * shared block, where each element must be some rank's whole value.
 */
static void osc_acc_replace(void)
{
	size_t n = 8 * 1000 <= max_size ? 1000 : 1, i;
	int tgt = (iter + 2) % nr, r;
	int64_t *all = xmalloc(nr * n * 8), *got = xmalloc((nr + 1) * n * 8);
	struct win w;

	set_test("osc/accumulate-replace");
	win_open(&w, (nr + 1) * n * 8, 8);
	init_i64(&w, tgt, (nr + 1) * n, 1);
	for (r = 0; r < nr; r++)
		gen_vals(T_I64, all + r * n, n, r);
	CK(MPI_Accumulate(all + me * n, (int)n, MPI_INT64_T, tgt,
			  (MPI_Aint)(me * n), (int)n, MPI_INT64_T, MPI_REPLACE, w.w));
	CK(MPI_Accumulate(all + me * n, (int)n, MPI_INT64_T, tgt,
			  (MPI_Aint)(nr * n), (int)n, MPI_INT64_T, MPI_REPLACE, w.w));
	CK(MPI_Win_fence(0, w.w));
	CK(MPI_Get(got, (int)((nr + 1) * n), MPI_INT64_T, tgt, 0,
		   (int)((nr + 1) * n), MPI_INT64_T, w.w));
	CK(MPI_Win_fence(0, w.w));
	for (r = 0; r < nr; r++)
		check_vals(T_I64, got + r * n, all + r * n, n,
			   AT("own block", n, r, r * n * 8));
	for (i = 0; i < n; i++) {
		for (r = 0; r < nr && got[nr * n + i] != all[r * n + i]; r++)
			;
		if (r == nr)
			break;
	}
	check(i == n, "shared block on rank %d: element %zu (byte offset %zu) is %" PRId64
	      ", no rank's value (torn or lost replace)", tgt, i,
	      (nr * n + i) * 8, i < n ? got[nr * n + i] : 0);
	win_close(&w);
	free(all);
	free(got);
}

#define GACC_N 256
#define SWAP_N 8

/* Swapped-in values: distinct per rank and from the initial value. */
static int64_t swap_val(int64_t x, int r)
{
	return x ^ ((int64_t)(r + 1) << 40);
}

/*
 * @seen: every rank's fetched value and the final one; a permutation of
 * the initial value and every rank's.
 */
static int swap_ok(const int64_t *seen, int64_t x)
{
	char *used = xcalloc(nr + 1);
	int i, c, ok = 1;

	for (i = 0; ok && i <= nr; i++) {
		for (c = 0; c <= nr; c++)
			if (!used[c] && seen[i] == (c == nr ? x : swap_val(x, c)))
				break;
		ok = c <= nr;
		if (ok)
			used[c] = 1;
	}
	free(used);
	return ok;
}

/*
 * Get_accumulate SUM of 1 by every rank: each element's fetched values are
 * the initial value plus 0 .. nr-1, one each.  Get_accumulate REPLACE is
 * a swap: fetched and final values are a permutation of initial and put.
 * MPI_NO_OP reads the result.
 */
static void osc_get_acc(void)
{
	size_t n = GACC_N + SWAP_N, i;
	int tgt = (iter + 3) % nr, r;
	int64_t *ones = xmalloc(n * 8), *res = xmalloc(n * 8),
		*all = xmalloc(nr * n * 8), *fin = xmalloc(n * 8),
		*x = xmalloc(n * 8), *col = xmalloc((nr + 1) * 8);
	struct win w;

	set_test("osc/get-accumulate");
	win_open(&w, n * 8, 8);
	init_i64(&w, tgt, n, 0);
	gen_vals(T_I64, x, n, -5);
	for (i = 0; i < n; i++)
		ones[i] = i < GACC_N ? 1 : swap_val(x[i], me);
	CK(MPI_Win_lock(MPI_LOCK_SHARED, tgt, 0, w.w));
	CK(MPI_Get_accumulate(ones, GACC_N, MPI_INT64_T, res, GACC_N,
			      MPI_INT64_T, tgt, 0, GACC_N, MPI_INT64_T, MPI_SUM,
			      w.w));
	CK(MPI_Get_accumulate(ones + GACC_N, SWAP_N, MPI_INT64_T, res + GACC_N,
			      SWAP_N, MPI_INT64_T, tgt, GACC_N, SWAP_N,
			      MPI_INT64_T, MPI_REPLACE, w.w));
	CK(MPI_Win_unlock(tgt, w.w));
	/* Everyone has unlocked before it contributes here. */
	CK(MPI_Allgather(res, (int)n, MPI_INT64_T, all, (int)n, MPI_INT64_T,
			 MPI_COMM_WORLD));
	CK(MPI_Win_lock(MPI_LOCK_SHARED, tgt, 0, w.w));
	CK(MPI_Get_accumulate(ones, (int)n, MPI_INT64_T, fin, (int)n, MPI_INT64_T,
			      tgt, 0, (int)n, MPI_INT64_T, MPI_NO_OP, w.w));
	CK(MPI_Win_unlock(tgt, w.w));
	for (i = 0; i < GACC_N; i++) {
		for (r = 0; r < nr; r++)
			col[r] = all[r * n + i];
		qsort(col, nr, 8, cmp_i64);
		for (r = 0; r < nr && col[r] == x[i] + r; r++)
			;
		if (r < nr || fin[i] != x[i] + nr)
			break;
	}
	check(i == GACC_N, "sum element %zu: fetched values are not initial + 0..%d once each, or final %" PRId64 " is not %" PRId64,
	      i, nr - 1, i < GACC_N ? fin[i] : 0, i < GACC_N ? x[i] + nr : 0);
	for (i = GACC_N; i < n; i++) {
		for (r = 0; r < nr; r++)
			col[r] = all[r * n + i];
		col[nr] = fin[i];
		if (!swap_ok(col, x[i]))
			break;
	}
	check(i == n, "swap element %zu: fetched and final values are not a permutation of the initial and swapped-in ones",
	      i);
	CK(MPI_Barrier(MPI_COMM_WORLD));
	win_close(&w);
	free(ones);
	free(res);
	free(all);
	free(fin);
	free(x);
	free(col);
}

#define FOP_REPS 32

/* A shared counter: each fetched value once, in order per origin. */
static void osc_fop(void)
{
	int tgt = (iter + 1) % nr, k;
	int64_t one = 1, got[FOP_REPS], fin = 0, x;
	int64_t *all = xmalloc(nr * sizeof(got));
	struct win w;

	set_test("osc/fetch-and-op");
	win_open(&w, 8, 8);
	init_i64(&w, tgt, 1, 0);
	x = init_val(1, 0);
	CK(MPI_Win_lock_all(0, w.w));
	for (k = 0; k < FOP_REPS; k++) {
		CK(MPI_Fetch_and_op(&one, &got[k], MPI_INT64_T, tgt, 0, MPI_SUM,
				    w.w));
		CK(MPI_Win_flush(tgt, w.w));
	}
	CK(MPI_Win_unlock_all(w.w));
	for (k = 1; k < FOP_REPS && got[k] > got[k - 1]; k++)
		;
	check(k == FOP_REPS, "fetch %d returned %" PRId64 " after %" PRId64,
	      k, k < FOP_REPS ? got[k] : 0, got[k - 1]);
	CK(MPI_Allgather(got, FOP_REPS, MPI_INT64_T, all, FOP_REPS, MPI_INT64_T,
			 MPI_COMM_WORLD));
	check_sequence(all, (size_t)nr * FOP_REPS, x, "values fetched by all ranks");
	CK(MPI_Win_lock(MPI_LOCK_SHARED, tgt, 0, w.w));
	CK(MPI_Fetch_and_op(&one, &fin, MPI_INT64_T, tgt, 0, MPI_NO_OP, w.w));
	CK(MPI_Win_unlock(tgt, w.w));
	check(fin == x + nr * FOP_REPS, "final counter on rank %d: expected %"
	      PRId64 " got %" PRId64, tgt, x + nr * FOP_REPS, fin);
	CK(MPI_Barrier(MPI_COMM_WORLD));
	win_close(&w);
	free(all);
}

#define CAS_REPS 8
#define CAS_TRIES 100000

/* Increment slot @at CAS_REPS times by read and compare-and-swap. */
static void cas_increments(struct win *w, int tgt, int at, int64_t *mine)
{
	int64_t cur = 0, nxt, res = 0, dummy = 0;
	int k = 0, tries;

	CK(MPI_Win_lock_all(0, w->w));
	for (tries = 0; k < CAS_REPS && tries < CAS_TRIES; tries++) {
		CK(MPI_Fetch_and_op(&dummy, &cur, MPI_INT64_T, tgt, at, MPI_NO_OP,
				    w->w));
		CK(MPI_Win_flush(tgt, w->w));
		nxt = cur + 1;
		CK(MPI_Compare_and_swap(&nxt, &cur, &res, MPI_INT64_T, tgt, at,
					w->w));
		CK(MPI_Win_flush(tgt, w->w));
		if (res == cur)
			mine[k++] = cur;
	}
	CK(MPI_Win_unlock_all(w->w));
	check(k == CAS_REPS, "only %d of %d increments succeeded in %d tries",
	      k, CAS_REPS, tries);
	for (; k < CAS_REPS; k++)
		mine[k] = -1;
}

/*
 * Slot me: a matching CAS swaps and returns the old value, a stale one
 * returns the current value and swaps nothing.  Slot nr: every rank claims
 * it, exactly one wins.  Slot nr+1: a counter incremented by CAS.
 */
static void osc_cas(void)
{
	int tgt = (iter + 2) % nr, r, winners = 0, winner = -1;
	int64_t *x = xmalloc(nr * 8), *fin = xmalloc((nr + 2) * 8),
		*claims = xmalloc(nr * 8), *all = xmalloc(nr * CAS_REPS * 8);
	int64_t y, z, res = 0, minus1 = -1, claim = 0, self = me, mine[CAS_REPS];
	struct win w;

	set_test("osc/compare-and-swap");
	win_open(&w, (nr + 2) * 8, 8);
	if (me == tgt) {
		int64_t *b = w.base;

		CK(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, me, 0, w.w));
		gen_vals(T_I64, b, nr, -5);
		b[nr] = -1;
		b[nr + 1] = 0;
		CK(MPI_Win_unlock(me, w.w));
	}
	CK(MPI_Barrier(MPI_COMM_WORLD));
	gen_vals(T_I64, x, nr, -5);
	y = x[me] ^ 0x5a5a5a5a5a5aLL;
	z = ~y;
	CK(MPI_Win_lock(MPI_LOCK_SHARED, tgt, 0, w.w));
	CK(MPI_Compare_and_swap(&y, &x[me], &res, MPI_INT64_T, tgt, me, w.w));
	CK(MPI_Win_flush(tgt, w.w));
	check(res == x[me], "matching CAS on slot %d returned %" PRId64
	      ", the slot held %" PRId64, me, res, x[me]);
	CK(MPI_Compare_and_swap(&z, &x[me], &res, MPI_INT64_T, tgt, me, w.w));
	CK(MPI_Win_flush(tgt, w.w));
	check(res == y, "stale CAS on slot %d returned %" PRId64 ", the slot held %"
	      PRId64, me, res, y);
	CK(MPI_Compare_and_swap(&self, &minus1, &claim, MPI_INT64_T, tgt, nr,
				w.w));
	CK(MPI_Win_unlock(tgt, w.w));
	cas_increments(&w, tgt, nr + 1, mine);

	CK(MPI_Allgather(&claim, 1, MPI_INT64_T, claims, 1, MPI_INT64_T,
			 MPI_COMM_WORLD));
	CK(MPI_Allgather(mine, CAS_REPS, MPI_INT64_T, all, CAS_REPS, MPI_INT64_T,
			 MPI_COMM_WORLD));
	for (r = 0; r < nr; r++)
		if (claims[r] == -1) {
			winners++;
			winner = r;
		}
	check(winners == 1, "%d ranks won the claim of slot %d", winners, nr);
	for (r = 0; winners == 1 && r < nr; r++)
		if (r != winner)
			check(claims[r] == winner, "rank %d's failed claim returned %"
			      PRId64 ", the winner was %d", r, claims[r], winner);
	check_sequence(all, (size_t)nr * CAS_REPS, 0, "counts taken by CAS");

	CK(MPI_Win_lock(MPI_LOCK_SHARED, tgt, 0, w.w));
	CK(MPI_Get(fin, nr + 2, MPI_INT64_T, tgt, 0, nr + 2, MPI_INT64_T, w.w));
	CK(MPI_Win_unlock(tgt, w.w));
	for (r = 0; r < nr; r++)
		x[r] ^= 0x5a5a5a5a5a5aLL;
	check_vals(T_I64, fin, x, nr, AT("swapped slots", nr, tgt, 0));
	check(fin[nr] == winner && fin[nr + 1] == nr * CAS_REPS,
	      "claim slot %" PRId64 " (winner %d), counter %" PRId64 " (expected %d)",
	      fin[nr], winner, fin[nr + 1], nr * CAS_REPS);
	CK(MPI_Barrier(MPI_COMM_WORLD));
	win_close(&w);
	free(x);
	free(fin);
	free(claims);
	free(all);
}

static void run_osc(void)
{
	osc_fence();
	osc_passive(L_EXCL);
	osc_passive(L_SHARED);
	osc_passive(L_ALL);
	osc_lock_counter();
	osc_acc_fence();
	osc_acc_lock();
	osc_acc_replace();
	osc_get_acc();
	osc_fop();
	osc_cas();
}

/* ---- main --------------------------------------------------------------- */

static void group(const char *name, void (*fn)(void))
{
	long long loc[2], sum[2];

	for (iter = 0; iter < iters; iter++)
		fn();
	set_test(name);
	loc[0] = g_checks;
	loc[1] = g_fails;
	CK(MPI_Allreduce(loc, sum, 2, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD));
	tot_checks += sum[0];
	tot_fails += sum[1];
	g_checks = g_fails = 0;
	if (me != 0)
		return;
	if (sum[1])
		printf("mpi_verify: %s: FAILED: %lld of %lld checks failed on %d ranks\n",
		       name, sum[1], sum[0], nr);
	else
		printf("mpi_verify: %s: %lld checks passed on %d ranks\n", name,
		       sum[0], nr);
	fflush(stdout);
}

static int parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	int shift = 0;
	char *end;

	v = strtoull(s, &end, 0);
	if (end == s)
		return -1;
	if (*end && strchr("kK", *end))
		shift = 10;
	else if (*end && strchr("mM", *end))
		shift = 20;
	else if (*end && strchr("gG", *end))
		shift = 30;
	if (shift) {
		end++;
		if (v > (1ULL << 30) >> shift)
			return -1;
		v <<= shift;
	}
	/* Below 64 bytes the fixed small sizes would exceed it. */
	if (*end || v < 64 || v > (1ULL << 30))
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* 0: run; 1: --help; 2: bad usage. */
static int parse_args(int argc, char **argv)
{
	long v;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 1;
		if (!val)
			return 2;
		if (!strcmp(a, "--max-size")) {
			if (parse_size(val, &max_size))
				return 2;
		} else if (!strcmp(a, "--iters")) {
			if (parse_int(val, 1, 1000000, &v))
				return 2;
			iters = (int)v;
		} else if (!strcmp(a, "--timeout")) {
			if (parse_int(val, 0, 86400, &v))
				return 2;
			timeout_s = (unsigned int)v;
		} else {
			return 2;
		}
		i++;
	}
	return 0;
}

/* The brief's sizes up to --max-size, and --max-size itself. */
static void build_sizes(void)
{
	static const size_t base[] = { 1, 8, 1000, 8 * KIB, 64 * KIB, MIB,
				       4 * MIB };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(base) && base[i] < max_size; i++)
		sizes[n_sizes++] = base[i];
	sizes[n_sizes++] = max_size;
}

static void print_banner(void)
{
	char ver[MPI_MAX_LIBRARY_VERSION_STRING];
	int len = 0;

	if (MPI_Get_library_version(ver, &len) != MPI_SUCCESS)
		strcpy(ver, "unknown MPI");
	ver[strcspn(ver, ",\n")] = 0;
	printf("mpi_verify: %s, %d ranks, max size %zu, %d rounds\n", ver, nr,
	       max_size, iters);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char name[64];
	int rc;

	if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
		fprintf(stderr, "mpi_verify: MPI_Init failed\n");
		return 3;
	}
	CK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
	CK(MPI_Comm_rank(MPI_COMM_WORLD, &me));
	CK(MPI_Comm_size(MPI_COMM_WORLD, &nr));
	rc = parse_args(argc, argv);
	if (rc || nr < 2) {
		if (me == 0)
			fprintf(rc == 1 ? stdout : stderr,
				"usage: mpirun -np N (N >= 2) %s [--max-size BYTES] [--iters K] [--timeout SECONDS]\n",
				argv[0]);
		MPI_Finalize();
		return rc == 1 ? 0 : 2;
	}
	build_sizes();
	signal(SIGALRM, on_alarm);
	if (me == 0)
		print_banner();

	group("p2p", run_p2p);
	group("coll", run_coll);
	for (kind = 0; kind < W_KINDS; kind++) {
		cur_sub = kind_name[kind];
		snprintf(name, sizeof(name), "osc %s", kind_name[kind]);
		group(name, run_osc);
	}
	cur_sub = "";
	alarm(0);

	if (me == 0) {
		if (tot_fails)
			printf("mpi_verify: FAILED: %lld of %lld checks failed on %d ranks\n",
			       tot_fails, tot_checks, nr);
		else
			printf("mpi_verify: all %lld checks passed on %d ranks\n",
			       tot_checks, nr);
		fflush(stdout);
	}
	CK(MPI_Finalize());
	return tot_fails ? 1 : 0;
}
