// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ODP traffic under fire, for the fault-and-load cases 71-73.
 *
 *   odp_storm traffic [--hog]
 *       One process: an RC pair in loopback over ODP buffers, RDMA WRITE
 *       and READ between them, the buffers' pages thrown away (MADV_DONTNEED)
 *       or replaced (mmap MAP_FIXED) by a second thread while the transfers
 *       run, asynchronous prefetches in between: every transfer faults and
 *       is invalidated.  Writes "ready" to stdout once the first transfer
 *       completed, then runs until killed (or until the device is gone:
 *       exit 3).  --hog: also grows an implicit-ODP-registered heap by
 *       1 MiB per round that RDMA READs then fault in, so the process keeps
 *       growing (under a memory cgroup limit, until it is killed).
 *
 *   odp_storm kill N PAR [SEED]
 *       Forks N traffic children, PAR at a time, and SIGKILLs each at a
 *       random moment: 10% before it is ready (in setup), the rest 0-40 ms
 *       after it reported ready, in the middle of its faults and
 *       invalidations.  A child that ends by itself failed.  Prints the
 *       number of kills.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp_test.h"

#define BUF (1UL << 20)
#define PAGE 4096UL

static struct dp_dev dev;
static char *src, *dst;
static volatile int stop;

/* Opens the device without dp_open's chatter (a thousand children). */
static void open_quiet(struct dp_dev *d)
{
	const char *env = getenv("SMLX_GID_INDEX");

	memset(d, 0, sizeof(*d));
	d->ctx = test_open_device();
	d->pd = ibv_alloc_pd(d->ctx);
	if (!d->pd || ibv_query_port(d->ctx, DP_PORT, &d->port))
		dp_die("pd/port");
	d->gid_index = env && *env ? atoi(env) : 1;
	if (ibv_query_gid(d->ctx, DP_PORT, d->gid_index, &d->gid) ||
	    !dp_gid_usable(&d->gid)) {
		d->gid_index = 0;
		if (ibv_query_gid(d->ctx, DP_PORT, 0, &d->gid))
			dp_die("gid");
	}
}

static void *map_buf(void *at)
{
	void *p = mmap(at, BUF, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0), -1, 0);

	if (p == MAP_FAILED)
		dp_die("mmap");
	return p;
}

/* The invalidator: pages of both buffers go away under the transfers. */
static void *invalidate(void *arg)
{
	unsigned int r = (unsigned int)(uintptr_t)arg;

	while (!stop) {
		char *b = (r & 1) ? src : dst;
		size_t off = (rand_r(&r) % (BUF / PAGE)) * PAGE;
		size_t len = PAGE * (1 + rand_r(&r) % 64);

		if (off + len > BUF)
			len = BUF - off;
		if (rand_r(&r) % 8 == 0)
			map_buf(b);	/* a new mapping at the same place */
		else
			madvise(b + off, len, MADV_DONTNEED);
		usleep(rand_r(&r) % 2000);
	}
	return NULL;
}

static int traffic(int hog)
{
	struct ibv_cq *cq;
	struct ibv_qp *a, *b;
	struct ibv_mr *smr, *dmr, *imr = NULL;
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sge;
	struct ibv_wc wc;
	pthread_t inv;
	unsigned int r = (unsigned int)getpid();
	uint64_t round = 0;
	char *heap = NULL;
	size_t heap_len = 0;
	int access = DP_ALL_ACCESS | IBV_ACCESS_ON_DEMAND;

	open_quiet(&dev);
	src = map_buf(NULL);
	dst = map_buf(NULL);
	memset(src, 0x11, BUF);
	cq = ibv_create_cq(dev.ctx, 64, NULL, NULL, 0);
	if (!cq)
		dp_die("cq");
	a = dp_create_qp(&dev, IBV_QPT_RC, cq, cq, NULL, 16, 1, 0);
	b = dp_create_qp(&dev, IBV_QPT_RC, cq, cq, NULL, 16, 1, 0);
	if (dp_to_init(a) || dp_to_init(b) || dp_to_rts(&dev, a, b->qp_num, NULL) ||
	    dp_to_rts(&dev, b, a->qp_num, NULL))
		dp_die("connect");
	smr = ibv_reg_mr(dev.pd, src, BUF, access);
	dmr = ibv_reg_mr(dev.pd, dst, BUF, access);
	if (!smr || !dmr)
		dp_die("reg_mr");
	if (hog) {
		imr = ibv_reg_mr(dev.pd, NULL, SIZE_MAX, access);
		if (!imr)
			dp_die("implicit reg_mr");
	}
	if (pthread_create(&inv, NULL, invalidate, (void *)(uintptr_t)r))
		dp_die("pthread_create");

	for (;;) {
		size_t len = PAGE * (1 + rand_r(&r) % (BUF / PAGE));
		int n;

		memset(&wr, 0, sizeof(wr));
		wr.wr_id = round;
		wr.sg_list = &sge;
		wr.num_sge = 1;
		wr.send_flags = IBV_SEND_SIGNALED;
		if (hog) {
			/* a fresh MiB of heap, filled by the device: faults */
			char *p = mmap(NULL, BUF, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				dp_die("heap mmap");
			heap = p;
			heap_len += BUF;
			sge = (struct ibv_sge){ (uintptr_t)heap, BUF, imr->lkey };
			wr.opcode = IBV_WR_RDMA_READ;
			wr.wr.rdma.remote_addr = (uintptr_t)src;
			wr.wr.rdma.rkey = smr->rkey;
		} else {
			sge = (struct ibv_sge){ (uintptr_t)src, (uint32_t)len,
						smr->lkey };
			wr.opcode = (round & 1) ? IBV_WR_RDMA_READ :
						  IBV_WR_RDMA_WRITE;
			wr.wr.rdma.remote_addr = (uintptr_t)dst;
			wr.wr.rdma.rkey = dmr->rkey;
		}
		if (ibv_post_send(a, &wr, &bad))
			return 3;	/* device gone (rmmod) or QP broken */
		if (rand_r(&r) % 4 == 0) {
			struct ibv_sge ps = { (uintptr_t)dst, BUF, dmr->lkey };

			ibv_advise_mr(dev.pd, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
				      0, &ps, 1);
		}
		n = dp_poll(cq, &wc, 1, DP_TIMEOUT_MS);
		if (n != 1) {
			fprintf(stderr, "odp_storm %d: round %llu: no completion within %d ms\n",
				getpid(), (unsigned long long)round, DP_TIMEOUT_MS);
			return 4;
		}
		if (wc.status != IBV_WC_SUCCESS) {
			/* after rmmod every verb fails: that is not ours to judge */
			if (wc.status == IBV_WC_WR_FLUSH_ERR)
				return 3;
			fprintf(stderr, "odp_storm %d: round %llu: %s\n", getpid(),
				(unsigned long long)round,
				ibv_wc_status_str(wc.status));
			return 5;
		}
		if (!round) {
			if (write(1, "ready\n", 6) != 6)
				return 2;
		}
		round++;
	}
	(void)heap_len;
	return 0;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct child {
	pid_t pid;
	int fd;		/* its stdout: "ready" */
	int64_t kill_at;	/* 0: when ready + delay */
	int delay_us;
	int ready;
};

static int kill_storm(int n, int par, unsigned int seed)
{
	struct child c[64] = {};
	int started = 0, done = 0, in_traffic = 0, early = 0, failed = 0;
	int k, st;

	if (par > 64)
		par = 64;
	while (done < n) {
		for (k = 0; k < par && started < n; k++) {
			int fds[2];

			if (c[k].pid)
				continue;
			if (pipe(fds))
				dp_die("pipe");
			c[k].pid = fork();
			if (c[k].pid < 0)
				dp_die("fork");
			if (!c[k].pid) {
				close(fds[0]);
				dup2(fds[1], 1);
				close(fds[1]);
				_exit(traffic(0));
			}
			close(fds[1]);
			c[k].fd = fds[0];
			fcntl(c[k].fd, F_SETFL, O_NONBLOCK);
			c[k].ready = 0;
			c[k].kill_at = 0;
			c[k].delay_us = rand_r(&seed) % 40000;
			if (rand_r(&seed) % 10 == 0)	/* in its setup */
				c[k].kill_at = now_us() + rand_r(&seed) % 20000;
			started++;
		}
		for (k = 0; k < par; k++) {
			char buf[16];
			pid_t r;

			if (!c[k].pid)
				continue;
			if (!c[k].ready && read(c[k].fd, buf, sizeof(buf)) > 0) {
				c[k].ready = 1;
				if (!c[k].kill_at)
					c[k].kill_at = now_us() + c[k].delay_us;
			}
			r = waitpid(c[k].pid, &st, WNOHANG);
			if (r == c[k].pid) {
				/* ended before we killed it */
				fprintf(stderr, "child %d ended by itself: %s %d\n",
					c[k].pid, WIFEXITED(st) ? "exit" : "signal",
					WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
				failed++;
				done++;
				close(c[k].fd);
				c[k].pid = 0;
				continue;
			}
			if (!c[k].kill_at || now_us() < c[k].kill_at)
				continue;
			kill(c[k].pid, SIGKILL);
			if (waitpid(c[k].pid, &st, 0) != c[k].pid)
				dp_die("waitpid");
			if (c[k].ready)
				in_traffic++;
			else
				early++;
			done++;
			close(c[k].fd);
			c[k].pid = 0;
		}
		usleep(500);
	}
	printf("kills: %d (%d in traffic, %d in setup), children that ended by themselves: %d\n",
	       n - failed, in_traffic, early, failed);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "traffic"))
		return traffic(argc >= 3 && !strcmp(argv[2], "--hog"));
	if (argc >= 4 && !strcmp(argv[1], "kill"))
		return kill_storm(atoi(argv[2]), atoi(argv[3]),
				  argc >= 5 ? (unsigned int)strtoul(argv[4], NULL, 0) :
					      (unsigned int)getpid());
	fprintf(stderr, "usage: odp_storm traffic [--hog] | kill N PAR [SEED]\n");
	return 2;
}
