// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ucp_verify: checks that UCX's UCP layer moves every byte right, over
 * whatever transports the environment selects (UCX_TLS, UCX_NET_DEVICES,
 * UCX_IB_REG_METHODS, ...; nothing is hard-coded here).
 *
 * The program forks: the parent is A, the child B.  A socketpair between
 * them carries only out-of-band traffic (worker addresses, the packed rkey,
 * step tokens, results); every byte under test goes through UCP.  Each side
 * creates its own context and worker after the fork and an endpoint to the
 * other from the exchanged worker address.
 *
 * Groups (--ops, comma-separated, default all):
 *   tag     ucp_tag_send_nbx/ucp_tag_recv_nbx of 1 B .. 4 MiB (eager and
 *           rendezvous) into receives posted beforehand, then 8 sends of
 *           mixed sizes in flight at once, received in reverse tag order
 *           after they were sent (unexpected path); A->B, then B->A.  The
 *           length, the sender tag, the payload and guard bytes on both
 *           sides of the receive buffer are checked.
 *   stream  1 MiB in uneven ucp_stream_send_nbx chunks, taken by
 *           ucp_stream_recv_nbx calls of other uneven sizes that may
 *           complete short; the reassembled stream is checked; both ways.
 *   put     into a window that B mmap()s itself and registers with
 *           ucp_mem_map, so it may be ODP-registered memory the application
 *           owns: 8 B .. 4 MiB at aligned and odd offsets, then many small
 *           puts under one flush.  B checks every byte of the window, also
 *           those that must not have changed.  In round 1 the first put
 *           lands on pages nobody has touched yet.
 *   get     the same sizes read back from a pattern B wrote (and, in round
 *           1, from pages nobody touched); B checks that nothing changed.
 *   atomic  ADD (posted and fetching), SWAP, CSWAP (equal and not equal),
 *           AND, OR, XOR (posted and fetching) on two 32-bit words (one only
 *           4-byte aligned) and a 64-bit word, starting where an ADD must
 *           carry or wrap; every fetched value and the final memory,
 *           neighbouring bytes included, are checked (by a get and by B).
 *   am      ucp_am_send_nbx with a header and payloads of 0 B .. 1 MiB; the
 *           handler takes rendezvous messages with ucp_am_recv_data_nbx.
 *           One message is forced eager, one forced rendezvous.
 *
 * Patterns depend on the operation, direction, round, size and offset, so
 * data that lands in the wrong place or is left from an earlier transfer
 * does not pass.
 *
 * Usage: ucp_verify [--ops LIST] [--max-size BYTES[k|m]] [--iters N]
 *                   [--timeout SEC] [--verbose] [--nonblock]
 *   e.g. UCX_TLS=tcp,self ./ucp_verify --iters 3
 * --verbose prints the endpoint's lanes and protocol thresholds
 * (ucp_ep_print_info) and whether each active message came as rendezvous.
 * --nonblock maps the window with UCP_MEM_MAP_NONBLOCK, which UCX registers
 * with IBV_ACCESS_ON_DEMAND (explicit ODP) on a device that has ODP.
 *
 * Every wait is bounded by --timeout (default 60 s) and names what it
 * waited for; a peer that dies is noticed through the socket.  A mismatch
 * names the operation, size, offset of the first bad byte, expected and got.
 * Exit status: 0 only after "ucp_verify: all N checks passed", 1 on any
 * failure, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ucp/api/ucp.h>

#include "mix64.h"

#define GUARD		64	/* guard bytes on each side of a receive buffer */
#define ODD_OFF		4093	/* unaligned; small transfers there cross a page end */
#define AREA_LEN	64	/* atomic words and their neighbours, at window offset 0 */
#define SCATTER_STRIDE	521
#define SCATTER_MAX	64
#define TAG_MULTI	8
#define AM_ID		7
#define AM_MAGIC	0x75637076616d6821ULL
#define MIB		(1024 * 1024)
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

enum group { G_TAG, G_STREAM, G_PUT, G_GET, G_ATOMIC, G_AM, G_NR };

static const char *const group_name[G_NR] = {
	"tag", "stream", "put", "get", "atomic", "am",
};

/* What the extra per-group counter means, printed after the check count. */
static const char *const extra_name[G_NR] = {
	[G_STREAM] = "short receives", [G_AM] = "by rendezvous",
};

static const char *const dir_name[2] = { "A->B", "B->A" };

enum msg_type { MSG_ADDR = 1, MSG_RKEY, MSG_GO, MSG_DONE, MSG_BARRIER,
		MSG_AREA, MSG_COUNTS };

struct msg_hdr {
	uint32_t type;
	uint32_t len;
};

struct counts {
	uint64_t checks[G_NR];
	uint64_t extra[G_NR];
};

static struct {
	unsigned ops;
	size_t max_size;
	int iters;
	int timeout;
	int verbose;
	int nonblock;
} cfg = { (1u << G_NR) - 1, 4 * MIB, 2, 60, 0, 0 };

static struct peer {
	char name;		/* 'A' (parent) or 'B' (child) */
	int sock;
	pid_t child;		/* A only: B's pid until reaped */
	double last_alive;
	ucp_context_h ctx;
	ucp_worker_h wrk;
	ucp_ep_h ep;
	uint8_t *win;		/* B: the RMA window */
	size_t win_len, main_len, fresh_len;
	ucp_mem_h memh;
	uint64_t raddr;		/* A: where the window is in B */
	ucp_rkey_h rkey;
	struct counts cnt;
} me_store;

static struct peer *const me = &me_store;

/* ---------------------------------------------------------------- failing */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double deadline(void)
{
	return now() + cfg.timeout;
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "wait status 0x%x", st);
}

/* A only: reap B within secs seconds; returns 1 and its status if it did. */
static int wait_child(double secs, int *st)
{
	double end = now() + secs;

	while (me->child > 0) {
		pid_t r = waitpid(me->child, st, WNOHANG);

		if (r == me->child || (r < 0 && errno != EINTR)) {
			me->child = 0;
			return r > 0;
		}
		if (now() > end)
			return 0;
		usleep(10000);
	}
	return 0;
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;
	int st;

	fflush(stdout);
	fprintf(stderr, "ucp_verify[%c]: FAIL: ", me->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (me->child > 0) {
		/* B sees the socket close and stops; only a stuck B is killed */
		close(me->sock);
		if (!wait_child(5, &st)) {
			kill(me->child, SIGKILL);
			waitpid(me->child, &st, 0);
			fprintf(stderr, "ucp_verify[A]: killed B, which did not exit\n");
		}
	}
	/* _exit: no LeakSanitizer report or UCX teardown on a path already failed */
	_exit(1);
}

static void peer_gone(const char *what) __attribute__((noreturn));

static void peer_gone(const char *what)
{
	char how[64] = "socket closed";
	int st;

	/* B closed its end because it is exiting: say how it ended */
	if (me->child > 0 && wait_child(5, &st))
		describe_status(st, how, sizeof(how));
	die("peer %c went away (%s) while waiting for %s",
	    me->name == 'A' ? 'B' : 'A', how, what);
}

static void ucs_ok(ucs_status_t st, const char *what)
{
	if (st != UCS_OK)
		die("%s: %s", what, ucs_status_string(st));
}

/* ------------------------------------------------------------ progressing */

/*
 * POLLHUP comes once the peer's end is closed.  A reader first takes what
 * the peer wrote before it went (its last barrier token, say); anyone else
 * waits on UCP, and a peer that is gone meanwhile is a failure.
 */
static void check_peer(const char *what, int reading)
{
	struct pollfd pfd = { .fd = me->sock, .events = POLLIN };

	if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLHUP | POLLERR)))
		return;
	if (!reading || !(pfd.revents & POLLIN))
		peer_gone(what);
}

static void step_as(double end, const char *what, int reading)
{
	double t;

	/* idle: let the peer (or a software HCA's threads) have the CPU */
	if (!ucp_worker_progress(me->wrk))
		sched_yield();
	t = now();
	if (t > end)
		die("timeout after %d s waiting for %s", cfg.timeout, what);
	if (t - me->last_alive > 0.005) {
		me->last_alive = t;
		check_peer(what, reading);
	}
}

static void step(double end, const char *what)
{
	step_as(end, what, 0);
}

static ucs_status_t req_wait(ucs_status_ptr_t r, const char *what)
{
	double end = deadline();
	ucs_status_t st;

	if (r == NULL)
		return UCS_OK;
	if (UCS_PTR_IS_ERR(r))
		return UCS_PTR_STATUS(r);
	while ((st = ucp_request_check_status(r)) == UCS_INPROGRESS)
		step(end, what);
	ucp_request_free(r);
	return st;
}

static void req_ok(ucs_status_ptr_t r, const char *what)
{
	ucs_ok(req_wait(r, what), what);
}

static void ep_flush(const char *what)
{
	ucp_request_param_t prm = { .op_attr_mask = 0 };
	char w[256];

	snprintf(w, sizeof(w), "flush after %s", what);
	req_ok(ucp_ep_flush_nbx(me->ep, &prm), w);
}

/* ----------------------------------------------------------------- socket */

static void write_all(const void *buf, size_t len)
{
	const char *b = buf;

	while (len) {
		/* messages are small: they fit the socket buffer, no progress needed */
		ssize_t n = send(me->sock, b, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			peer_gone("the socket to take a message");
		if (n < 0)
			die("send on socket: %s", strerror(errno));
		b += n;
		len -= n;
	}
}

/* Waits for socket bytes while progressing UCP: the peer may need us to. */
static void read_all(void *buf, size_t len, const char *what)
{
	double end = deadline();
	char *b = buf;

	while (len) {
		struct pollfd pfd = { .fd = me->sock, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 0) <= 0) {
			step_as(end, what, 1);
			continue;
		}
		n = recv(me->sock, b, len, MSG_DONTWAIT);
		/* ECONNRESET: the peer went with our message still unread */
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			peer_gone(what);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			die("recv on socket: %s", strerror(errno));
		b += n;
		len -= n;
	}
}

static void msg_send(uint32_t type, const void *buf, size_t len)
{
	struct msg_hdr h = { type, (uint32_t)len };

	write_all(&h, sizeof(h));
	write_all(buf, len);
}

static void *msg_recv(uint32_t type, size_t *len, const char *what)
{
	struct msg_hdr h;
	void *buf;

	read_all(&h, sizeof(h), what);
	if (h.type != type)
		die("protocol out of step: message type %u instead of %u while waiting for %s",
		    h.type, type, what);
	buf = malloc(h.len + 1);
	if (!buf)
		die("out of memory for a %u byte message", h.len);
	read_all(buf, h.len, what);
	*len = h.len;
	return buf;
}

static void msg_recv_exact(uint32_t type, void *buf, size_t len, const char *what)
{
	size_t got;
	void *m = msg_recv(type, &got, what);

	if (got != len)
		die("protocol: %zu byte message instead of %zu while waiting for %s",
		    got, len, what);
	memcpy(buf, m, len);
	free(m);
}

/* A step token names group, round and step, so a desync is caught at once. */
static uint64_t tok(enum group g, int iter, unsigned stepno)
{
	return (uint64_t)g << 48 | (uint64_t)iter << 24 | stepno;
}

static void send_tok(uint32_t type, uint64_t t)
{
	msg_send(type, &t, sizeof(t));
}

static void wait_tok(uint32_t type, uint64_t t, const char *what)
{
	uint64_t got;

	msg_recv_exact(type, &got, sizeof(got), what);
	if (got != t)
		die("protocol out of step: token 0x%" PRIx64 " instead of 0x%" PRIx64
		    " while waiting for %s", got, t, what);
}

static void barrier(uint64_t t, const char *what)
{
	send_tok(MSG_BARRIER, t);
	wait_tok(MSG_BARRIER, t, what);
}

/* --------------------------------------------------------------- patterns */

/* Never 0: seed 0 stands for the zeroes of untouched pages. */
static uint64_t seed_of(enum group g, unsigned dir, int iter, uint64_t size,
			uint64_t off)
{
	uint64_t s = mix64((uint64_t)g << 8 | dir);

	s = mix64(s ^ (uint64_t)iter);
	s = mix64(s ^ size);
	return mix64(s ^ off) | 1;
}

/* Pattern bytes 8j .. 8j+7 of seed, lowest byte first. */
static inline uint64_t pat_word(uint64_t seed, size_t j)
{
	return seed ? mix64(seed + j * 0x9e3779b97f4a7c15ULL) : 0;
}

static inline uint8_t pat(uint64_t seed, size_t i)
{
	return (uint8_t)(pat_word(seed, i >> 3) >> (i & 7) * 8);
}

static void fill(uint8_t *buf, size_t len, uint64_t seed)
{
	size_t i = 0, k;
	uint64_t w;

	for (; i + 8 <= len; i += 8) {
		w = pat_word(seed, i >> 3);
		for (k = 0; k < 8; k++)
			buf[i + k] = (uint8_t)(w >> k * 8);
	}
	for (; i < len; i++)
		buf[i] = pat(seed, i);
}

/* base[i] for i in [from, to) must be pattern byte i - origin of seed. */
static void check_pat(const char *what, const uint8_t *base, ptrdiff_t from,
		      ptrdiff_t to, uint64_t seed, ptrdiff_t origin)
{
	ptrdiff_t i, at = 0;
	unsigned want1 = 0, got1 = 0;
	size_t nbad = 0, j;
	uint64_t w = 0;
	uint8_t want;

	for (i = from; i < to; i++) {
		j = (size_t)(i - origin);
		if (i == from || !(j & 7))
			w = pat_word(seed, j >> 3);
		want = (uint8_t)(w >> (j & 7) * 8);
		if (base[i] != want && !nbad++) {
			at = i;
			want1 = want;
			got1 = base[i];
		}
	}
	if (nbad)
		die("%s: first bad byte at offset %td: expected 0x%02x got 0x%02x"
		    " (%zu bad in [%td, %td))", what, at, want1, got1, nbad, from, to);
}

static void cmp_bytes(const char *what, const uint8_t *got, const uint8_t *want,
		      size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (got[i] != want[i])
			die("%s: first bad byte at offset %zu: expected 0x%02x got 0x%02x",
			    what, i, want[i], got[i]);
}

/* A buffer with GUARD pattern bytes on both sides; returns the data part. */
static uint8_t *galloc(size_t len, uint64_t gseed)
{
	uint8_t *m = malloc(len + 2 * GUARD);

	if (!m)
		die("out of memory (%zu bytes)", len);
	fill(m, len + 2 * GUARD, gseed);
	return m + GUARD;
}

static void gfree(uint8_t *data)
{
	free(data - GUARD);
}

static void gcheck(const char *what, const uint8_t *d, size_t len,
		   uint64_t seed, ptrdiff_t origin, uint64_t gseed)
{
	char w[320];

	snprintf(w, sizeof(w), "%s (guard before the buffer)", what);
	check_pat(w, d, -GUARD, 0, gseed, -GUARD);
	check_pat(what, d, 0, (ptrdiff_t)len, seed, origin);
	snprintf(w, sizeof(w), "%s (guard after the data)", what);
	check_pat(w, d, (ptrdiff_t)len, (ptrdiff_t)len + GUARD, gseed, -GUARD);
}

static size_t cap(size_t size)
{
	return size < cfg.max_size ? size : cfg.max_size;
}

/* -------------------------------------------------------------------- tag */

static const size_t tag_sizes[] = { 1, 8, 1000, 8192, 65536, MIB, 4 * MIB };
static const size_t tag_multi[TAG_MULTI] = {
	1, 8192, 65536, 100, MIB, 8, 5000, 300000,
};

#define N_TAG_SIZES ARRAY_LEN(tag_sizes)

struct trecv {
	uint8_t *buf;
	size_t size;
	ucp_tag_t tag;
	uint64_t seed, gseed;
	ucs_status_ptr_t req;
	ucp_tag_recv_info_t info;
	char what[160];
};

static ucp_tag_t tag_of(int iter, int dir, unsigned phase, unsigned idx)
{
	return 0x7563ULL << 48 | (uint64_t)iter << 24 | (uint64_t)dir << 20 |
	       phase << 16 | idx;
}

static uint64_t tag_seed(int iter, int dir, unsigned phase, unsigned idx,
			 size_t size)
{
	return seed_of(G_TAG, dir, iter, size, phase << 8 | idx);
}

static void trecv_post(struct trecv *t, int iter, int dir, unsigned phase,
		       unsigned idx, size_t size)
{
	/*
	 * UCX before 1.16 leaves recv_info.tag_info unset when the receive
	 * completes at once (df0798c005): always get a request and ask it.
	 */
	ucp_request_param_t prm = { .op_attr_mask = UCP_OP_ATTR_FLAG_NO_IMM_CMPL };

	t->info.sender_tag = ~(ucp_tag_t)0;
	t->info.length = SIZE_MAX;
	t->size = size;
	t->tag = tag_of(iter, dir, phase, idx);
	t->seed = tag_seed(iter, dir, phase, idx, size);
	t->gseed = t->seed ^ 0x6775617264ULL;
	t->buf = galloc(size, t->gseed);
	snprintf(t->what, sizeof(t->what), "tag %s receive of %zu bytes (tag 0x%" PRIx64 ")",
		 dir_name[dir], size, t->tag);
	/* room for the guard too: a message must not spill past its length */
	t->req = ucp_tag_recv_nbx(me->wrk, t->buf, size + GUARD, t->tag,
				  ~(ucp_tag_t)0, &prm);
	if (UCS_PTR_IS_ERR(t->req))
		die("%s: %s", t->what, ucs_status_string(UCS_PTR_STATUS(t->req)));
}

static void trecv_check(struct trecv *t)
{
	ucs_status_t st = UCS_OK;
	double end = deadline();

	if (!t->req)
		die("%s: completed without a request despite NO_IMM_CMPL", t->what);
	while ((st = ucp_tag_recv_request_test(t->req, &t->info)) == UCS_INPROGRESS)
		step(end, t->what);
	ucp_request_free(t->req);
	ucs_ok(st, t->what);
	if (t->info.length != t->size)
		die("%s: received length %zu", t->what, t->info.length);
	if (t->info.sender_tag != t->tag)
		die("%s: sender tag 0x%" PRIx64, t->what, t->info.sender_tag);
	gcheck(t->what, t->buf, t->size, t->seed, 0, t->gseed);
	gfree(t->buf);
	me->cnt.checks[G_TAG]++;
}

static ucs_status_ptr_t tag_post_send(uint8_t **buf, int iter, int dir,
				      unsigned phase, unsigned idx, size_t size,
				      char *what, size_t wlen)
{
	ucp_request_param_t prm = { .op_attr_mask = 0 };
	ucp_tag_t tag = tag_of(iter, dir, phase, idx);

	*buf = malloc(size);
	if (!*buf)
		die("out of memory (%zu bytes)", size);
	fill(*buf, size, tag_seed(iter, dir, phase, idx, size));
	snprintf(what, wlen, "tag %s send of %zu bytes (tag 0x%" PRIx64 ")",
		 dir_name[dir], size, tag);
	return ucp_tag_send_nbx(me->ep, *buf, size, tag, &prm);
}

static void tag_sender(int iter, int dir)
{
	ucs_status_ptr_t req[TAG_MULTI];
	uint8_t *buf[TAG_MULTI];
	char what[TAG_MULTI][160];
	unsigned i;

	wait_tok(MSG_GO, tok(G_TAG, iter, dir * 4 + 1), "tag receives to be posted");
	for (i = 0; i < N_TAG_SIZES && tag_sizes[i] <= cfg.max_size; i++) {
		req[0] = tag_post_send(&buf[0], iter, dir, 1, i, tag_sizes[i],
				       what[0], sizeof(what[0]));
		req_ok(req[0], what[0]);
		free(buf[0]);
	}
	/* all in flight before the receiver posts anything */
	for (i = 0; i < TAG_MULTI; i++)
		req[i] = tag_post_send(&buf[i], iter, dir, 2, i, cap(tag_multi[i]),
				       what[i], sizeof(what[i]));
	send_tok(MSG_GO, tok(G_TAG, iter, dir * 4 + 2));
	for (i = 0; i < TAG_MULTI; i++) {
		req_ok(req[i], what[i]);
		free(buf[i]);
	}
}

static void tag_receiver(int iter, int dir)
{
	struct trecv t[N_TAG_SIZES > TAG_MULTI ? N_TAG_SIZES : TAG_MULTI];
	unsigned i, n;

	for (n = 0; n < N_TAG_SIZES && tag_sizes[n] <= cfg.max_size; n++)
		trecv_post(&t[n], iter, dir, 1, n, tag_sizes[n]);
	send_tok(MSG_GO, tok(G_TAG, iter, dir * 4 + 1));
	for (i = 0; i < n; i++)
		trecv_check(&t[i]);

	wait_tok(MSG_GO, tok(G_TAG, iter, dir * 4 + 2), "tag sends to be in flight");
	/* reverse order: matching must go by tag, not by arrival */
	for (i = TAG_MULTI; i-- > 0;)
		trecv_post(&t[i], iter, dir, 2, i, cap(tag_multi[i]));
	for (i = 0; i < TAG_MULTI; i++)
		trecv_check(&t[i]);
}

static void run_tag(int iter)
{
	if (me->name == 'A') {
		tag_sender(iter, 0);
		tag_receiver(iter, 1);
	} else {
		tag_receiver(iter, 0);
		tag_sender(iter, 1);
	}
}

/* ----------------------------------------------------------------- stream */

static const size_t stream_send_chunks[] = {
	1, 7, 100, 4093, 65539, 13, 200001, 3000, 511, 77777,
};
static const size_t stream_recv_chunks[] = {
	5000, 1, 131072, 999, 65536, 3, 300000, 17,
};

static size_t stream_chunk(size_t k, size_t left)
{
	size_t len = stream_send_chunks[k % ARRAY_LEN(stream_send_chunks)];

	return len < left ? len : left;
}

static void stream_sender(int iter, int dir)
{
	size_t total = cap(MIB), off, n, k;
	ucp_request_param_t prm = { .op_attr_mask = 0 };
	ucs_status_ptr_t *req;
	uint8_t *buf = malloc(total);
	char what[160];

	for (off = 0, n = 0; off < total; off += stream_chunk(n++, total - off))
		;
	req = calloc(n, sizeof(*req));
	if (!buf || !req)
		die("out of memory (%zu bytes)", total);
	fill(buf, total, seed_of(G_STREAM, dir, iter, total, 0));
	/* all chunks in flight at once: their order on the wire is UCP's job */
	for (off = 0, k = 0; k < n; off += stream_chunk(k++, total - off))
		req[k] = ucp_stream_send_nbx(me->ep, buf + off,
					     stream_chunk(k, total - off), &prm);
	for (k = 0; k < n; k++) {
		snprintf(what, sizeof(what), "stream %s send chunk %zu of %zu (%zu bytes total)",
			 dir_name[dir], k + 1, n, total);
		req_ok(req[k], what);
	}
	free(req);
	free(buf);
}

static size_t stream_recv_some(uint8_t *dst, size_t want, const char *what)
{
	ucp_request_param_t prm = { .op_attr_mask = 0 };
	ucs_status_ptr_t r;
	ucs_status_t st = UCS_OK;
	size_t len = 0;
	double end = deadline();

	r = ucp_stream_recv_nbx(me->ep, dst, want, &len, &prm);
	if (UCS_PTR_IS_ERR(r))
		st = UCS_PTR_STATUS(r);
	else if (r) {
		while ((st = ucp_stream_recv_request_test(r, &len)) == UCS_INPROGRESS)
			step(end, what);
		ucp_request_free(r);
	}
	ucs_ok(st, what);
	if (len == 0 || len > want)
		die("%s: completed with %zu bytes", what, len);
	return len;
}

static void stream_receiver(int iter, int dir)
{
	size_t total = cap(MIB), got = 0, want, len, k;
	uint64_t seed = seed_of(G_STREAM, dir, iter, total, 0);
	uint64_t gseed = seed_of(G_STREAM, dir, iter, total, 1);
	uint8_t *buf = galloc(total, gseed);
	char what[160];

	for (k = 0; got < total; k++) {
		want = stream_recv_chunks[k % ARRAY_LEN(stream_recv_chunks)];
		if (want > total - got)
			want = total - got;
		snprintf(what, sizeof(what),
			 "stream %s receive of up to %zu bytes at stream offset %zu of %zu",
			 dir_name[dir], want, got, total);
		len = stream_recv_some(buf + got, want, what);
		if (len < want)
			me->cnt.extra[G_STREAM]++;
		got += len;
	}
	snprintf(what, sizeof(what), "stream %s of %zu bytes in %zu receives",
		 dir_name[dir], total, k);
	gcheck(what, buf, total, seed, 0, gseed);
	gfree(buf);
	me->cnt.checks[G_STREAM]++;
}

static void run_stream(int iter)
{
	if (me->name == 'A') {
		stream_sender(iter, 0);
		stream_receiver(iter, 1);
	} else {
		stream_receiver(iter, 0);
		stream_sender(iter, 1);
	}
}

/* ------------------------------------------------------------- RMA window */

/*
 * Window layout: [main | fresh put | fresh get].  The two fresh parts are
 * left untouched by B until round 1 puts into one and gets from the other.
 */
static size_t page_round(size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (len + pg - 1) / pg * pg;
}

/* The largest put or get. */
static size_t rma_max(void)
{
	return cap(4 * MIB);
}

static void window_sizes(void)
{
	me->main_len = page_round(rma_max() + 2 * 4096);
	me->fresh_len = page_round(rma_max() + 2 * 4096);
	me->win_len = me->main_len + 2 * me->fresh_len;
}

static void window_create(void)
{
	ucp_mem_map_params_t mp = {
		.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS |
			      UCP_MEM_MAP_PARAM_FIELD_LENGTH,
	};
	uint64_t addr;
	void *rkey;
	size_t rlen;
	uint8_t *msg;

	me->win = mmap(NULL, me->win_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (me->win == MAP_FAILED)
		die("mmap of a %zu byte window: %s", me->win_len, strerror(errno));
	mp.address = me->win;
	mp.length = me->win_len;
	/*
	 * UCX registers a NONBLOCK mapping with IBV_ACCESS_ON_DEMAND: an ODP
	 * MR over memory that stays unpinned and unfaulted until used.
	 */
	if (cfg.nonblock) {
		mp.field_mask |= UCP_MEM_MAP_PARAM_FIELD_FLAGS;
		mp.flags = UCP_MEM_MAP_NONBLOCK;
	}
	ucs_ok(ucp_mem_map(me->ctx, &mp, &me->memh), "ucp_mem_map of the window");
	ucs_ok(ucp_rkey_pack(me->ctx, me->memh, &rkey, &rlen), "ucp_rkey_pack");
	msg = malloc(sizeof(addr) + rlen);
	if (!msg)
		die("out of memory");
	addr = (uintptr_t)me->win;
	memcpy(msg, &addr, sizeof(addr));
	memcpy(msg + sizeof(addr), rkey, rlen);
	msg_send(MSG_RKEY, msg, sizeof(addr) + rlen);
	free(msg);
	ucp_rkey_buffer_release(rkey);
}

static void window_attach(void)
{
	size_t len;
	uint8_t *msg = msg_recv(MSG_RKEY, &len, "B's window address and rkey");

	if (len <= sizeof(me->raddr))
		die("protocol: rkey message of %zu bytes", len);
	memcpy(&me->raddr, msg, sizeof(me->raddr));
	ucs_ok(ucp_ep_rkey_unpack(me->ep, msg + sizeof(me->raddr), &me->rkey),
	       "ucp_ep_rkey_unpack of B's window");
	free(msg);
}

struct rma_test {
	size_t off;
	size_t size;
};

/* 8 B, 32 B .. by powers of 4, then 4 MiB; each at offset 0 and ODD_OFF. */
static size_t rma_tests(struct rma_test *t)
{
	size_t size, n = 0, last = rma_max();

	for (size = 8; size < last; size *= 4) {
		t[n++] = (struct rma_test){ 0, size };
		t[n++] = (struct rma_test){ ODD_OFF, size };
	}
	t[n++] = (struct rma_test){ 0, last };
	t[n++] = (struct rma_test){ ODD_OFF, last };
	return n;
}

static size_t scatter_n(void)
{
	size_t n = me->main_len / SCATTER_STRIDE;

	return n < SCATTER_MAX ? n : SCATTER_MAX;
}

static size_t scatter_off(size_t k)
{
	return k * SCATTER_STRIDE + k % 5;
}

static size_t scatter_len(size_t k)
{
	return 1 + (k * 37) % 300;
}

/* ------------------------------------------------------------------- put */

static uint64_t put_seed(int iter, size_t idx, size_t size, size_t off)
{
	return seed_of(G_PUT, (unsigned)idx, iter, size, off);
}

static void put_one(size_t off, size_t size, uint64_t seed, const char *what)
{
	ucp_request_param_t prm = { .op_attr_mask = 0 };
	uint8_t *mem = malloc(size + 8);
	uint8_t *src = mem + (off & 7);	/* odd remote offset, odd local address */

	if (!mem)
		die("out of memory (%zu bytes)", size);
	fill(src, size, seed);
	req_ok(ucp_put_nbx(me->ep, src, size, me->raddr + off, me->rkey, &prm), what);
	ep_flush(what);
	free(mem);
}

static void put_scatter_a(int iter, size_t idx)
{
	ucp_request_param_t prm = { .op_attr_mask = 0 };
	ucs_status_ptr_t req[SCATTER_MAX];
	uint8_t *buf[SCATTER_MAX];
	size_t k, n = scatter_n();
	char what[160];

	for (k = 0; k < n; k++) {
		buf[k] = malloc(scatter_len(k));
		if (!buf[k])
			die("out of memory");
		fill(buf[k], scatter_len(k), put_seed(iter, idx, scatter_len(k),
						      scatter_off(k)));
		req[k] = ucp_put_nbx(me->ep, buf[k], scatter_len(k),
				     me->raddr + scatter_off(k), me->rkey, &prm);
	}
	snprintf(what, sizeof(what), "put A->B of %zu small puts (one flush)", n);
	/* one flush must cover every put still in flight */
	ep_flush(what);
	for (k = 0; k < n; k++) {
		snprintf(what, sizeof(what),
			 "put A->B scatter %zu: %zu bytes at window offset %zu",
			 k, scatter_len(k), scatter_off(k));
		req_ok(req[k], what);
		free(buf[k]);
	}
}

static void run_put_a(int iter)
{
	struct rma_test t[32];
	size_t i, n = rma_tests(t);
	char what[160];

	if (iter == 0) {
		snprintf(what, sizeof(what),
			 "put A->B of %zu bytes at window offset %zu (untouched pages)",
			 rma_max(), me->main_len + ODD_OFF);
		wait_tok(MSG_GO, tok(G_PUT, iter, 999), what);
		put_one(me->main_len + ODD_OFF, rma_max(),
			put_seed(iter, 999, rma_max(), ODD_OFF), what);
		send_tok(MSG_DONE, tok(G_PUT, iter, 999));
	}
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what),
			 "put A->B of %zu bytes at window offset %zu",
			 t[i].size, t[i].off);
		wait_tok(MSG_GO, tok(G_PUT, iter, i), what);
		put_one(t[i].off, t[i].size, put_seed(iter, i, t[i].size, t[i].off), what);
		send_tok(MSG_DONE, tok(G_PUT, iter, i));
	}
	wait_tok(MSG_GO, tok(G_PUT, iter, n), "B's window for the scattered puts");
	put_scatter_a(iter, n);
	send_tok(MSG_DONE, tok(G_PUT, iter, n));
}

/* B: the window outside [off, off + size) must still hold bg. */
static void check_window(const char *what, size_t from, size_t to, size_t off,
			 size_t size, uint64_t seed, uint64_t bg)
{
	check_pat(what, me->win, (ptrdiff_t)from, (ptrdiff_t)off, bg, 0);
	check_pat(what, me->win, (ptrdiff_t)off, (ptrdiff_t)(off + size), seed,
		  (ptrdiff_t)off);
	check_pat(what, me->win, (ptrdiff_t)(off + size), (ptrdiff_t)to, bg, 0);
}

static void put_scatter_b(int iter, size_t idx, uint64_t bg)
{
	size_t k, pos = 0, n = scatter_n();
	char what[160];

	for (k = 0; k < n; k++) {
		snprintf(what, sizeof(what),
			 "put A->B scatter %zu of %zu: %zu bytes at window offset %zu",
			 k, n, scatter_len(k), scatter_off(k));
		check_pat(what, me->win, (ptrdiff_t)pos, (ptrdiff_t)scatter_off(k), bg, 0);
		pos = scatter_off(k) + scatter_len(k);
		check_pat(what, me->win, (ptrdiff_t)scatter_off(k), (ptrdiff_t)pos,
			  put_seed(iter, idx, scatter_len(k), scatter_off(k)),
			  (ptrdiff_t)scatter_off(k));
		me->cnt.checks[G_PUT]++;
	}
	check_pat("put A->B scatter (window after the last put)", me->win,
		  (ptrdiff_t)pos, (ptrdiff_t)me->main_len, bg, 0);
}

static void run_put_b(int iter)
{
	struct rma_test t[32];
	size_t i, n = rma_tests(t);
	uint64_t bg;
	char what[160];

	if (iter == 0) {
		/* fresh pages read as zero: seed 0 */
		send_tok(MSG_GO, tok(G_PUT, iter, 999));
		snprintf(what, sizeof(what),
			 "put A->B of %zu bytes at window offset %zu (untouched pages)",
			 rma_max(), me->main_len + ODD_OFF);
		wait_tok(MSG_DONE, tok(G_PUT, iter, 999), what);
		check_window(what, 0, me->main_len + me->fresh_len,
			     me->main_len + ODD_OFF, rma_max(),
			     put_seed(iter, 999, rma_max(), ODD_OFF), 0);
		me->cnt.checks[G_PUT]++;
	}
	for (i = 0; i <= n; i++) {
		bg = seed_of(G_PUT, 0xb6, iter, i, 0);
		fill(me->win, me->main_len, bg);
		send_tok(MSG_GO, tok(G_PUT, iter, i));
		if (i == n) {
			wait_tok(MSG_DONE, tok(G_PUT, iter, i), "A's scattered puts");
			put_scatter_b(iter, i, bg);
			break;
		}
		snprintf(what, sizeof(what),
			 "put A->B of %zu bytes at window offset %zu",
			 t[i].size, t[i].off);
		wait_tok(MSG_DONE, tok(G_PUT, iter, i), what);
		check_window(what, 0, me->main_len, t[i].off, t[i].size,
			     put_seed(iter, i, t[i].size, t[i].off), bg);
		me->cnt.checks[G_PUT]++;
	}
}

static void run_put(int iter)
{
	if (me->name == 'A')
		run_put_a(iter);
	else
		run_put_b(iter);
}

/* -------------------------------------------------------------------- get */

static uint64_t get_seed(int iter, size_t idx)
{
	return seed_of(G_GET, (unsigned)idx, iter, 0, 0);
}

static ucs_status_ptr_t get_post(uint8_t *dst, size_t off, size_t size)
{
	ucp_request_param_t prm = { .op_attr_mask = 0 };

	return ucp_get_nbx(me->ep, dst, size, me->raddr + off, me->rkey, &prm);
}

/* A: window byte off + i holds pattern byte off + i of seed. */
static void get_one(size_t off, size_t size, uint64_t seed, const char *what)
{
	uint64_t gseed = seed ^ 0x676574ULL;
	uint8_t *d = galloc(size, gseed);

	req_ok(get_post(d, off, size), what);
	gcheck(what, d, size, seed, -(ptrdiff_t)off, gseed);
	gfree(d);
	me->cnt.checks[G_GET]++;
}

static void get_scatter_a(uint64_t seed)
{
	ucs_status_ptr_t req[SCATTER_MAX];
	uint8_t *d[SCATTER_MAX];
	size_t k, n = scatter_n();
	char what[160];

	for (k = 0; k < n; k++) {
		d[k] = galloc(scatter_len(k), seed ^ 0x676574ULL);
		req[k] = get_post(d[k], scatter_off(k), scatter_len(k));
	}
	snprintf(what, sizeof(what), "get B->A of %zu small gets (one flush)", n);
	ep_flush(what);
	for (k = 0; k < n; k++) {
		snprintf(what, sizeof(what),
			 "get B->A scatter %zu: %zu bytes at window offset %zu",
			 k, scatter_len(k), scatter_off(k));
		req_ok(req[k], what);
		gcheck(what, d[k], scatter_len(k), seed, -(ptrdiff_t)scatter_off(k),
		       seed ^ 0x676574ULL);
		gfree(d[k]);
		me->cnt.checks[G_GET]++;
	}
}

static void run_get_a(int iter)
{
	struct rma_test t[32];
	size_t i, n = rma_tests(t);
	char what[160];

	if (iter == 0) {
		snprintf(what, sizeof(what),
			 "get B->A of %zu bytes at window offset %zu (untouched pages)",
			 rma_max(), me->main_len + me->fresh_len + ODD_OFF);
		wait_tok(MSG_GO, tok(G_GET, iter, 999), what);
		/* seed 0: zeroes, with the origin anywhere */
		get_one(me->main_len + me->fresh_len + ODD_OFF, rma_max(), 0, what);
		send_tok(MSG_DONE, tok(G_GET, iter, 999));
	}
	for (i = 0; i <= n; i++) {
		snprintf(what, sizeof(what), "B's window for get %zu", i);
		wait_tok(MSG_GO, tok(G_GET, iter, i), what);
		if (i == n) {
			get_scatter_a(get_seed(iter, i));
		} else {
			snprintf(what, sizeof(what),
				 "get B->A of %zu bytes at window offset %zu",
				 t[i].size, t[i].off);
			get_one(t[i].off, t[i].size, get_seed(iter, i), what);
		}
		send_tok(MSG_DONE, tok(G_GET, iter, i));
	}
}

static void run_get_b(int iter)
{
	struct rma_test t[32];
	size_t i, n = rma_tests(t);
	char what[160];

	if (iter == 0) {
		send_tok(MSG_GO, tok(G_GET, iter, 999));
		wait_tok(MSG_DONE, tok(G_GET, iter, 999), "A's get from untouched pages");
		check_pat("get B->A: untouched pages after the get", me->win,
			  (ptrdiff_t)(me->main_len + me->fresh_len),
			  (ptrdiff_t)me->win_len, 0, 0);
		me->cnt.checks[G_GET]++;
	}
	for (i = 0; i <= n; i++) {
		fill(me->win, me->main_len, get_seed(iter, i));
		send_tok(MSG_GO, tok(G_GET, iter, i));
		if (i < n)
			snprintf(what, sizeof(what),
				 "get B->A of %zu bytes at window offset %zu",
				 t[i].size, t[i].off);
		else
			snprintf(what, sizeof(what), "get B->A of %zu small gets", scatter_n());
		wait_tok(MSG_DONE, tok(G_GET, iter, i), what);
		/* a get must leave the source alone */
		check_pat(what, me->win, 0, (ptrdiff_t)me->main_len, get_seed(iter, i), 0);
		me->cnt.checks[G_GET]++;
	}
}

static void run_get(int iter)
{
	if (me->name == 'A')
		run_get_a(iter);
	else
		run_get_b(iter);
}

/* ----------------------------------------------------------------- atomic */

static const struct aword {
	size_t off;
	unsigned width;
} awords[] = { { 8, 32 }, { 20, 32 }, { 24, 64 } };

enum xsel { X_RAND, X_SMALL, X_EQUAL, X_DIFFER };

static const struct amo_step {
	ucp_atomic_op_t op;
	int fetch;
	enum xsel x;
	const char *name;
} amo_steps[] = {
	{ UCP_ATOMIC_OP_ADD, 0, X_SMALL, "ADD" },
	{ UCP_ATOMIC_OP_ADD, 1, X_RAND, "fetch-ADD" },
	{ UCP_ATOMIC_OP_SWAP, 1, X_RAND, "SWAP" },
	{ UCP_ATOMIC_OP_CSWAP, 1, X_EQUAL, "CSWAP (compare equal)" },
	{ UCP_ATOMIC_OP_CSWAP, 1, X_DIFFER, "CSWAP (compare not equal)" },
	{ UCP_ATOMIC_OP_AND, 0, X_RAND, "AND" },
	{ UCP_ATOMIC_OP_AND, 1, X_RAND, "fetch-AND" },
	{ UCP_ATOMIC_OP_OR, 0, X_RAND, "OR" },
	{ UCP_ATOMIC_OP_OR, 1, X_RAND, "fetch-OR" },
	{ UCP_ATOMIC_OP_XOR, 0, X_RAND, "XOR" },
	{ UCP_ATOMIC_OP_XOR, 1, X_RAND, "fetch-XOR" },
};

/* Low 32 bits just below a wrap, so the first ADD carries or wraps. */
static uint64_t aword_init(int iter, unsigned k)
{
	uint64_t v = seed_of(G_ATOMIC, k, iter, 0, 1);

	v = (v & ~0xffffffffULL) | 0xfffffff8ULL;
	return awords[k].width == 64 ? v : (uint32_t)v;
}

static void area_expect(uint8_t *area, int iter, const uint64_t *val)
{
	unsigned k;

	fill(area, AREA_LEN, seed_of(G_ATOMIC, 0xa5, iter, 0, 0));
	for (k = 0; k < ARRAY_LEN(awords); k++) {
		uint32_t v32 = (uint32_t)val[k];

		if (awords[k].width == 64)
			memcpy(area + awords[k].off, &val[k], 8);
		else
			memcpy(area + awords[k].off, &v32, 4);
	}
}

static uint64_t amo_apply(ucp_atomic_op_t op, uint64_t m, uint64_t x, uint64_t z)
{
	switch (op) {
	case UCP_ATOMIC_OP_ADD:
		return m + x;
	case UCP_ATOMIC_OP_SWAP:
		return x;
	case UCP_ATOMIC_OP_CSWAP:
		return m == x ? z : m;
	case UCP_ATOMIC_OP_AND:
		return m & x;
	case UCP_ATOMIC_OP_OR:
		return m | x;
	default:
		return m ^ x;
	}
}

/*
 * One atomic op; x goes in the buffer, z in the reply buffer (for CSWAP
 * that is the value swapped in).  Returns the fetched value; a posted op is
 * flushed so the next one sees its effect.
 */
static uint64_t amo(ucp_atomic_op_t op, unsigned width, uint64_t x, uint64_t z,
		    int fetch, uint64_t raddr, const char *what)
{
	union { uint32_t u32; uint64_t u64; } xb, rb;
	ucp_request_param_t prm = {
		.op_attr_mask = UCP_OP_ATTR_FIELD_DATATYPE,
		.datatype = ucp_dt_make_contig(width / 8),
	};

	if (width == 32) {
		xb.u32 = (uint32_t)x;
		rb.u32 = (uint32_t)z;
	} else {
		xb.u64 = x;
		rb.u64 = z;
	}
	if (fetch) {
		prm.op_attr_mask |= UCP_OP_ATTR_FIELD_REPLY_BUFFER;
		prm.reply_buffer = &rb;
	}
	req_ok(ucp_atomic_op_nbx(me->ep, op, &xb, 1, raddr, me->rkey, &prm), what);
	if (!fetch) {
		ep_flush(what);
		return 0;
	}
	return width == 32 ? rb.u32 : rb.u64;
}

static uint64_t atomic_word(int iter, unsigned k)
{
	const struct aword *w = &awords[k];
	uint64_t mask = w->width == 64 ? ~0ULL : 0xffffffffULL;
	uint64_t seed = seed_of(G_ATOMIC, k, iter, w->width, w->off);
	uint64_t m = aword_init(iter, k), x, z, got;
	char what[160];
	unsigned s;

	for (s = 0; s < ARRAY_LEN(amo_steps); s++) {
		const struct amo_step *st = &amo_steps[s];

		x = mix64(seed + s) & mask;
		z = mix64(seed + s + 64) & mask;
		if (st->x == X_SMALL)
			x = 0x10 + (uint64_t)(iter & 0xff);
		else if (st->x == X_EQUAL)
			x = m;
		else if (st->x == X_DIFFER)
			x = m ^ (1ULL << (w->width - 1));	/* only the top bit differs */
		if (x == m && st->op == UCP_ATOMIC_OP_SWAP)
			x ^= 1;
		if (z == m)
			z ^= 1;
		snprintf(what, sizeof(what), "atomic A->B %u-bit %s at window offset %zu",
			 w->width, st->name, w->off);
		got = amo(st->op, w->width, x, z, st->fetch, me->raddr + w->off, what);
		if (st->fetch) {
			if (got != m)
				die("%s: fetched 0x%" PRIx64 ", expected 0x%" PRIx64,
				    what, got, m);
			me->cnt.checks[G_ATOMIC]++;
		}
		m = amo_apply(st->op, m, x, z) & mask;
	}
	return m;
}

static void run_atomic_a(int iter)
{
	uint64_t model[ARRAY_LEN(awords)];
	uint8_t want[AREA_LEN], got[AREA_LEN];
	unsigned k;

	wait_tok(MSG_GO, tok(G_ATOMIC, iter, 1), "B's atomic words");
	for (k = 0; k < ARRAY_LEN(awords); k++)
		model[k] = atomic_word(iter, k);
	area_expect(want, iter, model);
	req_ok(get_post(got, 0, AREA_LEN), "atomic: get of the final words");
	cmp_bytes("atomic: final words read back by get", got, want, AREA_LEN);
	me->cnt.checks[G_ATOMIC]++;
	send_tok(MSG_DONE, tok(G_ATOMIC, iter, 1));
	msg_recv_exact(MSG_AREA, got, AREA_LEN, "B's report of its atomic words");
	cmp_bytes("atomic: final words in B's memory", got, want, AREA_LEN);
	me->cnt.checks[G_ATOMIC]++;
}

static void run_atomic_b(int iter)
{
	uint64_t init[ARRAY_LEN(awords)];
	unsigned k;

	for (k = 0; k < ARRAY_LEN(awords); k++)
		init[k] = aword_init(iter, k);
	area_expect(me->win, iter, init);
	send_tok(MSG_GO, tok(G_ATOMIC, iter, 1));
	wait_tok(MSG_DONE, tok(G_ATOMIC, iter, 1), "A's atomic operations");
	msg_send(MSG_AREA, me->win, AREA_LEN);
}

static void run_atomic(int iter)
{
	if (me->name == 'A')
		run_atomic_a(iter);
	else
		run_atomic_b(iter);
}

/* --------------------------------------------------------------------- am */

static const struct am_msg {
	size_t size;
	uint32_t flags;
} am_msgs[] = {
	{ 0, 0 }, { 8, 0 }, { 4096, 0 }, { 65536, 0 }, { MIB, 0 },
	{ 65536, UCP_AM_SEND_FLAG_EAGER }, { MIB, UCP_AM_SEND_FLAG_RNDV },
};

#define AM_NMSG ARRAY_LEN(am_msgs)

struct am_hdr {
	uint64_t magic;
	uint64_t seed;
	uint64_t size;
	uint32_t iter;
	uint32_t idx;
	uint32_t flags;
	uint8_t fill[28];
};

/* B: what the handler has seen this round */
static struct am_slot {
	int arrived, rndv;
	size_t len;
	uint8_t *buf;
	ucs_status_ptr_t req;	/* rendezvous data still coming */
} am_slot[AM_NMSG];

static int am_iter;

static void am_hdr_make(struct am_hdr *h, int iter, unsigned idx)
{
	memset(h, 0, sizeof(*h));
	h->magic = AM_MAGIC;
	h->size = cap(am_msgs[idx].size);
	h->seed = seed_of(G_AM, 0, iter, h->size, idx);
	h->iter = (uint32_t)iter;
	h->idx = idx;
	h->flags = am_msgs[idx].flags;
	fill(h->fill, sizeof(h->fill), h->seed ^ 0x686472ULL);
}

static const char *am_kind(unsigned idx)
{
	if (am_msgs[idx].flags & UCP_AM_SEND_FLAG_RNDV)
		return "forced rendezvous";
	if (am_msgs[idx].flags & UCP_AM_SEND_FLAG_EAGER)
		return "forced eager";
	return "protocol left to UCX";
}

static ucs_status_t am_handler(void *arg, const void *header, size_t hlen,
			       void *data, size_t len,
			       const ucp_am_recv_param_t *param)
{
	struct am_hdr h, want;
	struct am_slot *s;
	char what[160];

	(void)arg;
	if (hlen != sizeof(h))
		die("am A->B: header of %zu bytes, expected %zu", hlen, sizeof(h));
	/* the header may sit unaligned inside a transport buffer */
	memcpy(&h, header, sizeof(h));
	if (h.magic != AM_MAGIC || h.idx >= AM_NMSG)
		die("am A->B: unknown header (magic 0x%" PRIx64 ", index %u)",
		    h.magic, h.idx);
	am_hdr_make(&want, am_iter, h.idx);
	snprintf(what, sizeof(what), "am A->B message %u header (%zu byte payload, %s)",
		 h.idx, (size_t)want.size, am_kind(h.idx));
	cmp_bytes(what, (const uint8_t *)&h, (const uint8_t *)&want, sizeof(h));
	s = &am_slot[h.idx];
	if (s->arrived)
		die("am A->B: message %u arrived twice", h.idx);
	if (len != want.size)
		die("am A->B: message %u has %zu bytes, expected %zu", h.idx, len,
		    (size_t)want.size);
	s->arrived = 1;
	s->len = len;
	s->buf = galloc(len, want.seed ^ 0x6775617264ULL);
	if (param->recv_attr & UCP_AM_RECV_ATTR_FLAG_RNDV) {
		ucp_request_param_t prm = { .op_attr_mask = 0 };

		s->rndv = 1;
		s->req = ucp_am_recv_data_nbx(me->wrk, data, s->buf, len, &prm);
		/* UCP owns the descriptor now, whatever the receive returned */
		return UCS_OK;
	}
	if (len)
		memcpy(s->buf, data, len);
	return UCS_OK;
}

static void am_set_handler(void)
{
	ucp_am_handler_param_t hp = {
		.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID |
			      UCP_AM_HANDLER_PARAM_FIELD_FLAGS |
			      UCP_AM_HANDLER_PARAM_FIELD_CB |
			      UCP_AM_HANDLER_PARAM_FIELD_ARG,
		.id = AM_ID,
		.flags = UCP_AM_FLAG_WHOLE_MSG,
		.cb = am_handler,
		.arg = NULL,
	};
	ucp_worker_attr_t wa = { .field_mask = UCP_WORKER_ATTR_FIELD_MAX_AM_HEADER };

	ucs_ok(ucp_worker_query(me->wrk, &wa), "ucp_worker_query");
	if (wa.max_am_header < sizeof(struct am_hdr))
		die("worker takes AM headers of %zu bytes only", wa.max_am_header);
	ucs_ok(ucp_worker_set_am_recv_handler(me->wrk, &hp),
	       "ucp_worker_set_am_recv_handler");
}

static void run_am_a(int iter)
{
	struct am_hdr hdr[AM_NMSG];
	ucs_status_ptr_t req[AM_NMSG];
	uint8_t *buf[AM_NMSG];
	char what[160];
	unsigned i;

	wait_tok(MSG_GO, tok(G_AM, iter, 1), "B to be ready for active messages");
	for (i = 0; i < AM_NMSG; i++) {
		ucp_request_param_t prm = {
			.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS,
			.flags = am_msgs[i].flags,
		};

		am_hdr_make(&hdr[i], iter, i);
		buf[i] = malloc(hdr[i].size + 1);
		if (!buf[i])
			die("out of memory");
		fill(buf[i], hdr[i].size, hdr[i].seed);
		req[i] = ucp_am_send_nbx(me->ep, AM_ID, &hdr[i], sizeof(hdr[i]),
					 buf[i], hdr[i].size, &prm);
	}
	for (i = 0; i < AM_NMSG; i++) {
		snprintf(what, sizeof(what), "am A->B send %u of %zu bytes (%s)",
			 i, (size_t)hdr[i].size, am_kind(i));
		req_ok(req[i], what);
		free(buf[i]);
	}
}

static void run_am_b(int iter)
{
	struct am_hdr h;
	char what[160];
	unsigned i;
	double end;

	memset(am_slot, 0, sizeof(am_slot));
	am_iter = iter;
	send_tok(MSG_GO, tok(G_AM, iter, 1));
	for (i = 0; i < AM_NMSG; i++) {
		struct am_slot *s = &am_slot[i];

		am_hdr_make(&h, iter, i);
		snprintf(what, sizeof(what), "am A->B message %u of %zu bytes (%s)",
			 i, (size_t)h.size, am_kind(i));
		end = deadline();
		while (!s->arrived)
			step(end, what);
		req_ok(s->req, what);
		if ((am_msgs[i].flags & UCP_AM_SEND_FLAG_RNDV) && !s->rndv)
			die("%s: arrived without UCP_AM_RECV_ATTR_FLAG_RNDV", what);
		if ((am_msgs[i].flags & UCP_AM_SEND_FLAG_EAGER) && s->rndv)
			die("%s: arrived with UCP_AM_RECV_ATTR_FLAG_RNDV", what);
		gcheck(what, s->buf, s->len, h.seed, 0, h.seed ^ 0x6775617264ULL);
		gfree(s->buf);
		me->cnt.checks[G_AM]++;
		me->cnt.extra[G_AM] += s->rndv;
		if (cfg.verbose && iter == 0)
			printf("ucp_verify[B]: %s arrived %s\n", what,
			       s->rndv ? "as rendezvous" : "eager");
	}
}

static void run_am(int iter)
{
	if (me->name == 'A')
		run_am_a(iter);
	else
		run_am_b(iter);
}

/* ------------------------------------------------------------------ setup */

static void (*const group_run[G_NR])(int iter) = {
	run_tag, run_stream, run_put, run_get, run_atomic, run_am,
};

static int want_window(void)
{
	return cfg.ops & (1u << G_PUT | 1u << G_GET | 1u << G_ATOMIC);
}

static void ucx_init(void)
{
	ucp_params_t prm = {
		.field_mask = UCP_PARAM_FIELD_FEATURES,
		.features = UCP_FEATURE_TAG | UCP_FEATURE_STREAM | UCP_FEATURE_RMA |
			    UCP_FEATURE_AMO32 | UCP_FEATURE_AMO64 | UCP_FEATURE_AM,
	};
	ucp_worker_params_t wp = {
		.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE,
		.thread_mode = UCS_THREAD_MODE_SINGLE,
	};

	/* no config: UCX reads UCX_* from the environment, which picks the transports */
	ucs_ok(ucp_init(&prm, NULL, &me->ctx), "ucp_init");
	ucs_ok(ucp_worker_create(me->ctx, &wp, &me->wrk), "ucp_worker_create");
	if (me->name == 'B')
		am_set_handler();
}

static void connect_peer(void)
{
	ucp_ep_params_t ep = {
		.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS |
			      UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE,
		/* what most applications run with; peer death is seen on the socket */
		.err_mode = UCP_ERR_HANDLING_MODE_NONE,
	};
	ucp_address_t *addr;
	size_t len;
	void *peer;

	ucs_ok(ucp_worker_get_address(me->wrk, &addr, &len), "ucp_worker_get_address");
	msg_send(MSG_ADDR, addr, len);
	ucp_worker_release_address(me->wrk, addr);
	peer = msg_recv(MSG_ADDR, &len, "the peer's worker address");
	ep.address = peer;
	ucs_ok(ucp_ep_create(me->wrk, &ep, &me->ep), "ucp_ep_create");
	free(peer);
}

static void teardown(void)
{
	/* no UCP_EP_CLOSE_FLAG_FORCE: close in flush mode */
	ucp_request_param_t prm = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS, .flags = 0 };

	barrier(tok(G_NR, 0, 1), "the peer to finish before teardown");
	if (me->rkey)
		ucp_rkey_destroy(me->rkey);
	req_ok(ucp_ep_close_nbx(me->ep, &prm), "endpoint close (flush mode)");
	/* the peer's close may need our progress: keep progressing until both are done */
	barrier(tok(G_NR, 0, 2), "the peer to close its endpoint");
	if (me->memh) {
		ucs_ok(ucp_mem_unmap(me->ctx, me->memh), "ucp_mem_unmap of the window");
		munmap(me->win, me->win_len);
	}
	ucp_worker_destroy(me->wrk);
	ucp_cleanup(me->ctx);
}

static uint64_t report(void)
{
	struct counts b;
	uint64_t total = 0, n;
	int g;

	msg_recv_exact(MSG_COUNTS, &b, sizeof(b), "B's counts");
	for (g = 0; g < G_NR; g++) {
		if (!(cfg.ops & (1u << g)))
			continue;
		n = me->cnt.checks[g] + b.checks[g];
		total += n;
		if (n == 0)
			die("%s: nothing was checked", group_name[g]);
		if (extra_name[g])
			printf("ucp_verify: %s: %" PRIu64 " transfers checked (%" PRIu64 " %s)\n",
			       group_name[g], n, me->cnt.extra[g] + b.extra[g], extra_name[g]);
		else
			printf("ucp_verify: %s: %" PRIu64 " transfers checked\n",
			       group_name[g], n);
	}
	return total;
}

static int run(void)
{
	double t0 = now();
	uint64_t total = 0;
	int iter, g, st;
	char how[64];

	me->last_alive = t0;
	ucx_init();
	connect_peer();
	window_sizes();
	if (want_window()) {
		if (me->name == 'B')
			window_create();
		else
			window_attach();
	}
	for (iter = 0; iter < cfg.iters; iter++) {
		for (g = 0; g < G_NR; g++) {
			if (!(cfg.ops & (1u << g)))
				continue;
			group_run[g](iter);
			barrier(tok(g, iter, 0xffff), "the peer to finish the group");
		}
		if (me->name == 'A')
			printf("ucp_verify: round %d/%d done (%.2f s)\n", iter + 1,
			       cfg.iters, now() - t0);
		if (me->name == 'A' && iter == 0 && cfg.verbose)
			ucp_ep_print_info(me->ep, stdout);
	}
	if (me->name == 'B')
		msg_send(MSG_COUNTS, &me->cnt, sizeof(me->cnt));
	else
		total = report();
	teardown();
	if (me->name == 'B')
		return 0;
	if (!wait_child(cfg.timeout, &st))
		die("B did not exit within %d s after teardown", cfg.timeout);
	if (st != 0) {
		describe_status(st, how, sizeof(how));
		die("B failed (%s)", how);
	}
	printf("ucp_verify: all %" PRIu64 " checks passed (%.2f s)\n",
	       total, now() - t0);
	return 0;
}

/* ---------------------------------------------------------------- options */

static void usage(void)
{
	fprintf(stderr,
		"usage: ucp_verify [--ops LIST] [--max-size BYTES[k|m]] [--iters N]\n"
		"                  [--timeout SEC] [--verbose] [--nonblock]\n"
		"  LIST: comma-separated of tag,stream,put,get,atomic,am (default all)\n"
		"  transports come from the environment (UCX_TLS, UCX_NET_DEVICES, ...)\n"
		"  --nonblock maps the put/get/atomic window with UCP_MEM_MAP_NONBLOCK\n"
		"  (registered on demand, an ODP MR, where the device has ODP)\n");
	exit(2);
}

static unsigned parse_ops(char *list)
{
	unsigned ops = 0;
	char *tokp, *save = NULL;
	int g;

	for (tokp = strtok_r(list, ",", &save); tokp; tokp = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tokp, "all")) {
			ops |= (1u << G_NR) - 1;
			continue;
		}
		for (g = 0; g < G_NR && strcmp(tokp, group_name[g]); g++)
			;
		if (g == G_NR) {
			fprintf(stderr, "ucp_verify: unknown op '%s'\n", tokp);
			usage();
		}
		ops |= 1u << g;
	}
	if (!ops)
		usage();
	return ops;
}

static long long parse_num(const char *s, int suffixes, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (suffixes && (*end == 'k' || *end == 'K')) {
		v *= 1024;
		end++;
	} else if (suffixes && (*end == 'm' || *end == 'M')) {
		v *= MIB;
		end++;
	}
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "ucp_verify: bad number '%s' (%lld .. %lld)\n", s, lo, hi);
		usage();
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ops", required_argument, NULL, 'o' },
		{ "max-size", required_argument, NULL, 's' },
		{ "iters", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:s:i:t:vnh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			cfg.ops = parse_ops(optarg);
			break;
		case 's':
			cfg.max_size = (size_t)parse_num(optarg, 1, 1, 1024LL * MIB);
			break;
		case 'i':
			cfg.iters = (int)parse_num(optarg, 0, 1, 1 << 20);
			break;
		case 't':
			cfg.timeout = (int)parse_num(optarg, 0, 1, 86400);
			break;
		case 'v':
			cfg.verbose = 1;
			break;
		case 'n':
			cfg.nonblock = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

int main(int argc, char **argv)
{
	const char *tls = getenv("UCX_TLS");
	int sv[2], g;
	pid_t pid;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ucp_verify: ops");
	for (g = 0; g < G_NR; g++)
		if (cfg.ops & (1u << g))
			printf(" %s", group_name[g]);
	printf(", max-size %zu, iters %d, timeout %d s, UCX_TLS=%s\n",
	       cfg.max_size, cfg.iters, cfg.timeout, tls ? tls : "(unset)");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		perror("ucp_verify: socketpair");
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("ucp_verify: fork");
		return 1;
	}
	if (pid == 0) {
		me->name = 'B';
		me->sock = sv[1];
		close(sv[0]);
	} else {
		me->name = 'A';
		me->child = pid;
		me->sock = sv[0];
		close(sv[1]);
	}
	return run();
}
