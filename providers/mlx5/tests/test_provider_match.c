// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which devices the provider claims.  Loading libmlx5 runs its constructor,
 * which hands its verbs_device_ops to verbs_register_driver_34(); this
 * program defines that function (and the sysfs reader the provider uses),
 * so it receives the ops and can ask match_device() about fake sysfs
 * directories: only hca_type "smlx" at our driver ABI may be claimed,
 * never a ConnectX (hca_type MT4123...) or an rxe/siw device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <infiniband/driver.h>
#include <infiniband/mlx5dv.h>
#include <rdma/smlx-abi.h>

static const struct verbs_device_ops *registered;
static int registrations;

void verbs_register_driver_34(const struct verbs_device_ops *ops)
{
	registered = ops;
	registrations++;
}

/* Same contract as libibverbs': bytes read, trailing newline kept. */
int ibv_read_ibdev_sysfs_file(char *buf, size_t size,
			      struct verbs_sysfs_dev *sysfs_dev,
			      const char *fnfmt, ...)
{
	char name[64], path[IBV_SYSFS_PATH_MAX + 64];
	va_list ap;
	ssize_t len;
	int fd;

	va_start(ap, fnfmt);
	vsnprintf(name, sizeof(name), fnfmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", sysfs_dev->ibdev_path, name);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len < 0)
		return -1;
	buf[len] = '\0';
	return (int)len;
}

static char root[] = "/tmp/smlx-match-XXXXXX";
static int failures, checks;

static void make_dev(struct verbs_sysfs_dev *sdev, const char *name,
		     const char *hca_type, uint32_t abi_ver)
{
	char file[IBV_SYSFS_PATH_MAX + 16];
	FILE *f;

	memset(sdev, 0, sizeof(*sdev));
	snprintf(sdev->ibdev_path, sizeof(sdev->ibdev_path), "%s/%s", root,
		 name);
	snprintf(sdev->ibdev_name, sizeof(sdev->ibdev_name), "%s", name);
	sdev->abi_ver = abi_ver;
	if (mkdir(sdev->ibdev_path, 0700) && errno != EEXIST) {
		perror("mkdir");
		exit(1);
	}
	if (!hca_type)
		return;
	snprintf(file, sizeof(file), "%s/hca_type", sdev->ibdev_path);
	f = fopen(file, "w");
	if (!f) {
		perror("fopen");
		exit(1);
	}
	fputs(hca_type, f);
	fclose(f);
}

static void expect_match(const char *name, const char *hca_type,
			 uint32_t abi_ver, bool want)
{
	struct verbs_sysfs_dev sdev;
	bool got;

	make_dev(&sdev, name, hca_type, abi_ver);
	got = registered->match_device(&sdev);
	checks++;
	if (got != want) {
		printf("FAIL %s (hca_type %s, abi %u): %s, want %s\n", name,
		       hca_type ? hca_type : "<none>", abi_ver,
		       got ? "claimed" : "refused",
		       want ? "claimed" : "refused");
		failures++;
	}
}

int main(void)
{
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}

	/* Even the devices we claim are not mlx5 hardware to mlx5dv users. */
	checks++;
	if (mlx5dv_is_supported(NULL)) {
		printf("FAIL mlx5dv_is_supported() says yes\n");
		failures++;
	}

	checks++;
	if (registrations != 1 || !registered || !registered->match_device ||
	    strcmp(registered->name, "mlx5")) {
		printf("FAIL provider registered %d times, name %s\n",
		       registrations, registered ? registered->name : "-");
		return 1;
	}

	checks++;
	if (registered->match_min_abi_version != SMLX_UVERBS_ABI_VERSION ||
	    registered->match_max_abi_version != SMLX_UVERBS_ABI_VERSION) {
		printf("FAIL ABI range %u..%u, want only %u\n",
		       registered->match_min_abi_version,
		       registered->match_max_abi_version,
		       SMLX_UVERBS_ABI_VERSION);
		failures++;
	}

	expect_match("smlx0", SMLX_HCA_TYPE "\n", SMLX_UVERBS_ABI_VERSION, true);
	expect_match("renamed", SMLX_HCA_TYPE, SMLX_UVERBS_ABI_VERSION, true);
	expect_match("smlx_old", SMLX_HCA_TYPE "\n", SMLX_UVERBS_ABI_VERSION + 1,
		     false);
	expect_match("smlx_abi0", SMLX_HCA_TYPE "\n", 0, false);
	/* Real mlx5 uverbs ABI is 1 too: only hca_type tells them apart. */
	expect_match("mlx5_0", "MT4123\n", SMLX_UVERBS_ABI_VERSION, false);
	expect_match("mlx5_1", "MT4129\n", SMLX_UVERBS_ABI_VERSION, false);
	expect_match("rxe0", "\n", SMLX_UVERBS_ABI_VERSION, false);
	expect_match("siw0", NULL, SMLX_UVERBS_ABI_VERSION, false);
	expect_match("smlx_prefix", SMLX_HCA_TYPE "2\n", SMLX_UVERBS_ABI_VERSION,
		     false);
	expect_match("smlx_empty", "", SMLX_UVERBS_ABI_VERSION, false);

	printf("%d passed, %d failed\n", checks - failures, failures);
	if (!failures) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd))
			return 1;
	}
	return failures ? 1 : 0;
}
