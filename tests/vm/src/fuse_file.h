/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One file on a FUSE mount served by a child process (raw /dev/fuse
 * protocol, no libfuse), whose READs are answered late or never: the way
 * to make a page fault on a mapping of it last as long as a test wants.
 * ODP faults through hmm_range_fault() wait for such a READ like any other
 * page fault does.  Needs root and the fuse module.
 */
#ifndef SMLX_TEST_FUSE_FILE_H
#define SMLX_TEST_FUSE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* How the server answers READ. */
#define FUSE_FILE_NEVER	-1	/* never: the faults last until abort */

struct fuse_file {
	char dir[64];		/* mount point, made and removed here */
	char path[80];		/* the file: dir + "/f" */
	pid_t server;
	volatile int *reads;	/* READs the server received */
};

/*
 * Mounts a file of @size zero bytes and starts its server.  With
 * @first_read_ms >= 0 the server answers the first READ after that many
 * milliseconds and every later one at once; with FUSE_FILE_NEVER none.
 * Ends the program on failure.
 */
void fuse_file_start(struct fuse_file *f, size_t size, int first_read_ms);

/*
 * A private, writable mapping of the file's first @len bytes: its pages
 * are read through the server on first touch, and written ones are COW
 * copies that never go back to it.  Ends the program on failure.
 */
void *fuse_file_map(const struct fuse_file *f, size_t len);

/* Kills the server: the connection aborts, pending READs fail with EIO. */
void fuse_file_abort(struct fuse_file *f);

/* Aborts if not done yet, unmounts (lazily) and removes the mount point. */
void fuse_file_stop(struct fuse_file *f);

#endif
