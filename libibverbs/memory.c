// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fork() safety for registered memory, with rdma-core's semantics:
 *
 * - Kernels that copy DMA-pinned pages on fork (reported by the RDMA netlink
 *   "copy on fork" system attribute, Linux >= 5.13) need nothing; then
 *   ibv_is_fork_initialized() says IBV_FORK_UNNEEDED.
 * - Otherwise ibv_fork_init() (or RDMAV_FORK_SAFE / IBV_FORK_SAFE in the
 *   environment) makes every registration madvise(MADV_DONTFORK) its pages,
 *   reference counted per page so overlapping MRs don't undo each other.
 * - On-demand-paging MRs never pin pages, so they are never madvised.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <rdma/rdma_netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ibverbs.h"

/* A page range with a count of registrations covering it. */
struct fork_range {
	struct fork_range *next;
	uintptr_t start, end;
	unsigned int refs;
};

static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
static bool fork_enabled;
static long page_size;
static struct fork_range *ranges; /* sorted, disjoint */

/* Ask the kernel (NETLINK_RDMA, nldev SYS_GET) whether it copies on fork. */
static bool kernel_copies_on_fork(void)
{
	struct {
		struct nlmsghdr hdr;
	} req = {
		.hdr = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV,
						       RDMA_NLDEV_CMD_SYS_GET),
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1,
		},
	};
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr hdr;
		char buf[4096];
	} resp;
	struct nlattr *attr;
	bool copies = false;
	ssize_t len;
	size_t off;
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_RDMA);
	if (fd < 0)
		return false;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&addr,
		   sizeof(addr)) != sizeof(req))
		goto out;
	len = recv(fd, &resp, sizeof(resp), 0);
	if (len < (ssize_t)NLMSG_HDRLEN || !NLMSG_OK(&resp.hdr, (size_t)len) ||
	    resp.hdr.nlmsg_type == NLMSG_ERROR)
		goto out;

	for (off = NLMSG_HDRLEN; off + NLA_HDRLEN <= resp.hdr.nlmsg_len;
	     off += NLA_ALIGN(attr->nla_len)) {
		attr = (struct nlattr *)(resp.buf + off);
		if (attr->nla_len < NLA_HDRLEN ||
		    off + attr->nla_len > resp.hdr.nlmsg_len)
			break;
		if ((attr->nla_type & NLA_TYPE_MASK) ==
			    RDMA_NLDEV_SYS_ATTR_COPY_ON_FORK &&
		    attr->nla_len >= NLA_HDRLEN + 1) {
			copies = *((uint8_t *)attr + NLA_HDRLEN);
			break;
		}
	}
out:
	close(fd);
	return copies;
}

static pthread_once_t cof_once = PTHREAD_ONCE_INIT;
static bool copy_on_fork;

static void probe_copy_on_fork(void)
{
	copy_on_fork = kernel_copies_on_fork();
}

static bool fork_unneeded(void)
{
	pthread_once(&cof_once, probe_copy_on_fork);
	return copy_on_fork;
}

IBV_EXPORT int ibv_fork_init(void)
{
	if (fork_unneeded())
		return 0;

	pthread_mutex_lock(&fork_lock);
	if (!fork_enabled) {
		page_size = sysconf(_SC_PAGESIZE);
		/* madvise must work here, or registrations could not use it */
		if (page_size <= 0 ||
		    madvise(NULL, 0, MADV_DONTFORK) != 0) {
			pthread_mutex_unlock(&fork_lock);
			return EINVAL;
		}
		fork_enabled = true;
	}
	pthread_mutex_unlock(&fork_lock);
	return 0;
}

IBV_EXPORT enum ibv_fork_status ibv_is_fork_initialized(void)
{
	bool enabled;

	if (fork_unneeded())
		return IBV_FORK_UNNEEDED;
	pthread_mutex_lock(&fork_lock);
	enabled = fork_enabled;
	pthread_mutex_unlock(&fork_lock);
	return enabled ? IBV_FORK_ENABLED : IBV_FORK_DISABLED;
}

int ibverbs_fork_env_init(void)
{
	if (getenv("RDMAV_FORK_SAFE") || getenv("IBV_FORK_SAFE"))
		return ibv_fork_init();
	return 0;
}

/* Pinned (non-ODP) memory is what a forked child could corrupt. */
bool ibverbs_fork_should_madvise(unsigned int access)
{
	return !(access & IBV_ACCESS_ON_DEMAND);
}

/* Split so that a range boundary falls at addr; returns false on ENOMEM. */
static bool split_at(uintptr_t addr)
{
	struct fork_range *r, *n;

	for (r = ranges; r; r = r->next) {
		if (addr <= r->start || addr >= r->end)
			continue;
		n = malloc(sizeof(*n));
		if (!n)
			return false;
		*n = *r;
		n->start = addr;
		r->end = addr;
		r->next = n;
		return true;
	}
	return true;
}

/* Insert uncovered gaps of [start, end) as zero-count ranges. */
static bool fill_gaps(uintptr_t start, uintptr_t end)
{
	struct fork_range **pos = &ranges, *n;
	uintptr_t cur = start;

	while (cur < end) {
		while (*pos && (*pos)->end <= cur)
			pos = &(*pos)->next;
		if (*pos && (*pos)->start <= cur) {
			cur = (*pos)->end;
			continue;
		}
		n = malloc(sizeof(*n));
		if (!n)
			return false;
		n->start = cur;
		n->end = (*pos && (*pos)->start < end) ? (*pos)->start : end;
		n->refs = 0;
		n->next = *pos;
		*pos = n;
		cur = n->end;
	}
	return true;
}

static void drop_unused(void)
{
	struct fork_range **pos = &ranges, *r;

	while ((r = *pos)) {
		if (!r->refs) {
			*pos = r->next;
			free(r);
		} else {
			pos = &r->next;
		}
	}
}

/*
 * Add delta (+1/-1) registrations to every page of [base, base + size);
 * madvise the pages whose count leaves or reaches zero.
 */
static int update_range(void *base, size_t size, int delta)
{
	uintptr_t start, end;
	struct fork_range *r;
	int ret = 0;

	if (!size)
		return 0;
	pthread_mutex_lock(&fork_lock);
	if (!fork_enabled)
		goto out;

	start = (uintptr_t)base & ~(uintptr_t)(page_size - 1);
	if ((uintptr_t)base + size < (uintptr_t)base) {
		ret = EINVAL;
		goto out;
	}
	end = ((uintptr_t)base + size + page_size - 1) &
	      ~(uintptr_t)(page_size - 1);

	if (!split_at(start) || !split_at(end) ||
	    (delta > 0 && !fill_gaps(start, end))) {
		ret = ENOMEM;
		goto out;
	}

	for (r = ranges; r; r = r->next) {
		if (r->end <= start || r->start >= end)
			continue;
		if (delta > 0 && r->refs++ == 0 &&
		    madvise((void *)r->start, r->end - r->start,
			    MADV_DONTFORK)) {
			ret = errno;
			r->refs--;
			break;
		}
		if (delta < 0 && r->refs && --r->refs == 0 &&
		    madvise((void *)r->start, r->end - r->start, MADV_DOFORK))
			ret = errno;
	}
	drop_unused();
out:
	pthread_mutex_unlock(&fork_lock);
	if (ret)
		errno = ret;
	return ret;
}

IBV_EXPORT int ibv_dontfork_range(void *base, size_t size)
{
	return update_range(base, size, +1);
}

IBV_EXPORT int ibv_dofork_range(void *base, size_t size)
{
	return update_range(base, size, -1);
}
