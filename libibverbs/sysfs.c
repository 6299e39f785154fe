// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reading sysfs, rooted at $SYSFS_PATH when set (as rdma-core does). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ibverbs.h"

static pthread_once_t sysfs_once = PTHREAD_ONCE_INIT;
static char sysfs_root[PATH_MAX];

static void find_sysfs_root(void)
{
	const char *env = getenv("SYSFS_PATH");
	size_t len;

	if (!env || !*env || strlen(env) >= sizeof(sysfs_root))
		env = "/sys";
	strcpy(sysfs_root, env);
	/* "/tmp/fake/" and "/tmp/fake" name the same root */
	len = strlen(sysfs_root);
	while (len > 1 && sysfs_root[len - 1] == '/')
		sysfs_root[--len] = '\0';
}

IBV_EXPORT const char *ibv_get_sysfs_path(void)
{
	pthread_once(&sysfs_once, find_sysfs_root);
	return sysfs_root;
}

/*
 * Read a sysfs attribute: at most size - 1 bytes, NUL terminated, the final
 * newline dropped.  Returns the length kept, or -1 with errno set.
 */
IBV_EXPORT int ibv_read_sysfs_file_at(int dirfd, const char *file, char *buf,
				      size_t size)
{
	ssize_t len;
	int fd;

	if (!size) {
		errno = EINVAL;
		return -1;
	}
	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, size);
	close(fd);
	if (len < 0)
		return -1;
	if ((size_t)len == size)
		len--;
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return (int)len;
}

IBV_EXPORT int ibv_read_sysfs_file(const char *dir, const char *file,
				   char *buf, size_t size)
{
	char *path;
	int ret;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -1;
	ret = ibv_read_sysfs_file_at(AT_FDCWD, path, buf, size);
	free(path);
	return ret;
}

/* A file under the device's .../class/infiniband/<dev> directory. */
IBV_EXPORT int ibv_read_ibdev_sysfs_file(char *buf, size_t size,
					 struct verbs_sysfs_dev *sysfs_dev,
					 const char *fnfmt, ...)
{
	char *file;
	va_list ap;
	int ret;

	if (!sysfs_dev) {
		errno = EINVAL;
		return -1;
	}
	va_start(ap, fnfmt);
	ret = vasprintf(&file, fnfmt, ap);
	va_end(ap);
	if (ret < 0)
		return -1;
	ret = ibv_read_sysfs_file(sysfs_dev->ibdev_path, file, buf, size);
	free(file);
	return ret;
}

int ibverbs_sysfs_read_u64(const char *dir, const char *file, int base,
			   uint64_t *val)
{
	char buf[32], *end;

	if (ibv_read_sysfs_file(dir, file, buf, sizeof(buf)) <= 0)
		return -1;
	errno = 0;
	*val = strtoull(buf, &end, base);
	if (errno || end == buf) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
