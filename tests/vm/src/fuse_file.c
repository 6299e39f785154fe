// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The FUSE server of fuse_file.h.  It answers what open() and mmap() need
 * (INIT, LOOKUP, GETATTR, OPEN, FLUSH, RELEASE), WRITE as done, and READ
 * with zeros, late or never.  Single-threaded: while it sleeps on the
 * first READ, every other request of the mount waits too, which is what
 * a slow backing store looks like.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuse_file.h"

#define FILE_INO 2
#define MAX_READ (1U << 20)

static void fuse_file_die(const char *what)
{
	perror(what);
	exit(2);
}

static void reply(int fd, uint64_t unique, int error, const void *arg,
		  size_t len)
{
	struct fuse_out_header out = {
		.len = sizeof(out) + len, .error = error, .unique = unique,
	};
	struct iovec iov[2] = {
		{ &out, sizeof(out) }, { (void *)arg, len },
	};

	/* ENOENT: the request was interrupted and is gone. */
	if (writev(fd, iov, len ? 2 : 1) != (ssize_t)out.len &&
	    errno != ENOENT)
		perror("fuse_file: reply");
}

static void fill_attr(struct fuse_attr *a, uint64_t ino, size_t size)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->nlink = 1;
	a->blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
	} else {
		a->mode = S_IFREG | 0644;
		a->size = size;
		a->blocks = size / 512;
	}
}

static void serve(int fd, size_t size, int first_read_ms,
		  volatile int *reads)
{
	static char buf[MAX_READ + 4096];
	static const char zeros[MAX_READ];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		struct fuse_in_header *in = (void *)buf;
		void *arg = buf + sizeof(*in);

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(*in))
			_exit(0);	/* unmounted or aborted */
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_out o = {
				.major = FUSE_KERNEL_VERSION,
				.minor = 31,
				.max_readahead = 0,
				.max_write = 4096,
				.max_background = 16,
				.congestion_threshold = 12,
			};

			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out o = { .nodeid = FILE_INO };

			if (strcmp(arg, "f")) {
				reply(fd, in->unique, -ENOENT, NULL, 0);
				break;
			}
			fill_attr(&o.attr, FILE_INO, size);
			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = {};

			fill_attr(&o.attr, in->nodeid, size);
			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out o = { .fh = 1 };

			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_READ: {
			const struct fuse_read_in *r = arg;
			size_t len = 0;

			if (__sync_fetch_and_add(reads, 1) == 0 &&
			    first_read_ms > 0)
				usleep(first_read_ms * 1000U);
			if (first_read_ms == FUSE_FILE_NEVER)
				break;
			if (r->offset < size)
				len = size - r->offset;
			if (len > r->size)
				len = r->size;
			if (len > MAX_READ)
				len = MAX_READ;
			reply(fd, in->unique, 0, zeros, len);
			break;
		}
		case FUSE_WRITE: {
			const struct fuse_write_in *w = arg;
			struct fuse_write_out o = { .size = w->size };

			reply(fd, in->unique, 0, &o, sizeof(o));
			break;
		}
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;		/* no reply expected */
		case FUSE_FLUSH:
		case FUSE_RELEASE:
		case FUSE_FSYNC:
			reply(fd, in->unique, 0, NULL, 0);
			break;
		default:
			reply(fd, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
}

void fuse_file_start(struct fuse_file *f, size_t size, int first_read_ms)
{
	char opts[128];
	struct stat st;
	int fd;

	memset(f, 0, sizeof(*f));
	f->reads = mmap(NULL, sizeof(*f->reads), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f->reads == MAP_FAILED)
		fuse_file_die("fuse_file: mmap");
	snprintf(f->dir, sizeof(f->dir), "/tmp/smlx-fuse.XXXXXX");
	if (!mkdtemp(f->dir))
		fuse_file_die("fuse_file: mkdtemp");
	snprintf(f->path, sizeof(f->path), "%s/f", f->dir);
	fd = open("/dev/fuse", O_RDWR);
	if (fd < 0)
		fuse_file_die("fuse_file: /dev/fuse (modprobe fuse?)");
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	if (mount("smlx-fuse", f->dir, "fuse", MS_NOSUID | MS_NODEV, opts))
		fuse_file_die("fuse_file: mount -t fuse");
	fflush(NULL);
	f->server = fork();
	if (f->server < 0)
		fuse_file_die("fuse_file: fork");
	if (!f->server)
		serve(fd, size, first_read_ms, f->reads);
	close(fd);	/* the server's is the only one: killing it aborts */
	if (stat(f->path, &st) || st.st_size != (off_t)size)
		fuse_file_die("fuse_file: stat of the served file");
}

void *fuse_file_map(const struct fuse_file *f, size_t len)
{
	int fd = open(f->path, O_RDWR);
	void *p;

	if (fd < 0)
		fuse_file_die(f->path);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		fuse_file_die("fuse_file: mmap");
	close(fd);
	return p;
}

void fuse_file_abort(struct fuse_file *f)
{
	if (f->server <= 0)
		return;
	kill(f->server, SIGKILL);
	waitpid(f->server, NULL, 0);
	f->server = 0;
}

void fuse_file_stop(struct fuse_file *f)
{
	fuse_file_abort(f);
	if (umount2(f->dir, MNT_DETACH))
		perror("fuse_file: umount");
	else if (rmdir(f->dir))
		perror("fuse_file: rmdir");
	munmap((void *)f->reads, sizeof(*f->reads));
}
