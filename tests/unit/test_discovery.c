// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Device discovery and provider matching against a fake sysfs tree
 * ($SYSFS_PATH), a fake device directory ($IBV_DEVICE_DIR) and the fake
 * provider named by a .driver file in $IBV_CONFIG_DIR; then what an opened
 * context looks like to applications (extended-context markers, op
 * dispatch, defaults for missing ops) and the MR registration semantics
 * around fork safety and ODP.
 *
 * Usage: test_discovery PATH_TO_FAKE_PROVIDER_SO
 */
#include <dlfcn.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <infiniband/driver.h>

#include "fake_provider.h"
#include "unit_test.h"

static char root[] = "/tmp/ibv-fake-XXXXXX";

static void put(const char *content, const char *fmt, ...)
{
	char path[512], *p;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	/* mkdir -p of the parent */
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(content, f);
	fclose(f);
}

static void link_dev(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/dev/%s", root, name);
	mkdir(path, 0755); /* parent exists after the first call */
	rmdir(path);
	if (symlink("/dev/null", path))
		perror(path);
}

static void add_uverbs(int n, const char *ibdev, const char *abi)
{
	put(ibdev, "%s/class/infiniband_verbs/uverbs%d/ibdev", root, n);
	put(abi, "%s/class/infiniband_verbs/uverbs%d/abi_version", root, n);
	put("1:3\n", "%s/class/infiniband_verbs/uverbs%d/dev", root, n);
}

static void build_tree(const char *provider)
{
	char buf[600];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(2);
	}
	put("6\n", "%s/class/infiniband_verbs/abi_version", root);

	/* matched by the provider's own test (hca_type) */
	add_uverbs(0, "fake0\n", "1\n");
	put("1: CA\n", "%s/class/infiniband/fake0/node_type", root);
	put("0002:c903:0011:2233\n", "%s/class/infiniband/fake0/node_guid", root);
	put("fakehca\n", "%s/class/infiniband/fake0/hca_type", root);
	put("fe80:0000:0000:0000:0202:c9ff:fe11:2233\n",
	    "%s/class/infiniband/fake0/ports/1/gids/0", root);
	put("0xffff\n", "%s/class/infiniband/fake0/ports/1/pkeys/0", root);
	put("0x8001\n", "%s/class/infiniband/fake0/ports/1/pkeys/1", root);

	/* same provider, driver ABI outside its 1..1 range */
	add_uverbs(1, "fake1\n", "2\n");
	put("1: CA\n", "%s/class/infiniband/fake1/node_type", root);
	put("fakehca\n", "%s/class/infiniband/fake1/hca_type", root);

	/* PCI id from device/modalias */
	add_uverbs(2, "pci0\n", "1\n");
	put("4: RNIC\n", "%s/class/infiniband/pci0/node_type", root);
	put("pci:v000015B3d00001017sv000015B3sd00000020bc02sc00i00\n",
	    "%s/class/infiniband/pci0/device/modalias", root);

	/* no modalias at all: name match */
	add_uverbs(3, "named0\n", "1\n");
	put("1: CA\n", "%s/class/infiniband/named0/node_type", root);

	/* nobody's device */
	add_uverbs(4, "other0\n", "1\n");
	put("other\n", "%s/class/infiniband/other0/hca_type", root);
	put("pci:v00008086d00001234sv00000000sd00000000bc02sc00i00\n",
	    "%s/class/infiniband/other0/device/modalias", root);

	/* would match, but has no character device */
	add_uverbs(5, "nodev0\n", "1\n");
	put("fakehca\n", "%s/class/infiniband/nodev0/hca_type", root);

	/* modalias glob */
	add_uverbs(6, "alias0\n", "1\n");
	put("vmbus:abc-fake-alias-def\n",
	    "%s/class/infiniband/alias0/device/modalias", root);

	put("", "%s/dev/.keep", root);
	link_dev("uverbs0");
	link_dev("uverbs1");
	link_dev("uverbs2");
	link_dev("uverbs3");
	link_dev("uverbs4");
	link_dev("uverbs6");

	/* an absolute path in a .driver file is loaded as it is */
	snprintf(buf, sizeof(buf), "# test provider\ndriver %s\n", provider);
	put(buf, "%s/etc/fake.driver", root);
	put("driver ../escape\n", "%s/etc/bad.driver", root);
	put("not a driver file\n", "%s/etc/README", root);

	snprintf(buf, sizeof(buf), "%s/", root); /* trailing slash is fine */
	setenv("SYSFS_PATH", buf, 1);
	snprintf(buf, sizeof(buf), "%s/dev", root);
	setenv("IBV_DEVICE_DIR", buf, 1);
	snprintf(buf, sizeof(buf), "%s/etc", root);
	setenv("IBV_CONFIG_DIR", buf, 1);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static struct ibv_device *find(struct ibv_device **list, const char *name)
{
	for (; *list; list++)
		if (!strcmp((*list)->name, name))
			return *list;
	return NULL;
}

/* Is the page at addr marked MADV_DONTFORK ("dc" in VmFlags)? */
static int dontfork(void *addr)
{
	unsigned long start, end, a = (unsigned long)addr;
	char line[512];
	int in = 0, ret = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = a >= start && a < end;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			ret = strstr(line, " dc") != NULL;
			break;
		}
	}
	fclose(f);
	return ret;
}

static void test_list(struct ibv_device **list, int num)
{
	struct ibv_device *dev;
	char expect[512];

	CHECK_EQ(num, 4);
	CHECK(find(list, "fake0") && find(list, "pci0") &&
	      find(list, "named0") && find(list, "alias0"));
	CHECK(!find(list, "fake1"));  /* ABI mismatch */
	CHECK(!find(list, "other0")); /* nobody matches */
	CHECK(!find(list, "nodev0")); /* no /dev node */
	CHECK(list[num] == NULL);

	dev = find(list, "fake0");
	if (!dev)
		return;
	CHECK_EQ(dev->node_type, IBV_NODE_CA);
	CHECK_EQ(dev->transport_type, IBV_TRANSPORT_IB);
	CHECK(!strcmp(dev->dev_name, "uverbs0"));
	snprintf(expect, sizeof(expect), "%s/class/infiniband_verbs/uverbs0", root);
	CHECK(!strcmp(dev->dev_path, expect));
	snprintf(expect, sizeof(expect), "%s/class/infiniband/fake0", root);
	CHECK(!strcmp(dev->ibdev_path, expect));
	CHECK(!strcmp(ibv_get_device_name(dev), "fake0"));
	CHECK_EQ(ibv_get_device_guid(dev), htobe64(0x0002c90300112233ull));
	CHECK_EQ(ibv_get_device_index(dev), -1);
	CHECK(!strcmp(verbs_get_device(dev)->ops->name, "fakehca"));

	dev = find(list, "pci0");
	if (dev) {
		CHECK_EQ(dev->transport_type, IBV_TRANSPORT_IWARP);
		CHECK(!strcmp(verbs_get_device(dev)->ops->name, "fakepci"));
		CHECK(verbs_get_device(dev)->sysfs->match != NULL);
	}
}

static void test_context(struct ibv_device *dev, struct fake_calls *calls)
{
	struct ibv_device_attr_ex attr_ex;
	struct ibv_device_attr attr;
	struct ibv_port_attr port;
	struct verbs_context *vctx;
	struct ibv_context *ctx;
	struct ibv_xrcd_init_attr xattr = {};
	union ibv_gid gid;
	__be16 pkey;
	int before;

	ctx = ibv_open_device(dev);
	CHECK(ctx != NULL);
	if (!ctx)
		return;
	CHECK_EQ(calls->alloc_context, 1);
	vctx = verbs_get_ctx(ctx);
	CHECK(vctx != NULL);
	CHECK(ctx->abi_compat == (void *)UINTPTR_MAX);
	CHECK(vctx->sz >= 648);
	CHECK(ctx->device == dev);
	CHECK(ctx->async_fd >= 0);
	CHECK(vctx->query_port && vctx->create_cq_ex && vctx->open_xrcd &&
	      vctx->close_xrcd && vctx->query_device_ex && vctx->advise_mr);
	CHECK(ctx->ops.poll_cq && ctx->ops.post_send && ctx->ops.post_recv &&
	      ctx->ops.req_notify_cq && ctx->ops.post_srq_recv);

	/* the library's query_port honours the caller's struct size */
	before = calls->query_port;
	memset(&port, 0xff, sizeof(port));
	CHECK_EQ(ibv_query_port(ctx, 1, &port), 0);
	CHECK_EQ(calls->query_port, before + 1);
	CHECK_EQ(port.state, IBV_PORT_ACTIVE);
	CHECK_EQ(port.gid_tbl_len, 16);
	CHECK_EQ(port.port_cap_flags2, 0x5a5a);
	CHECK_EQ(port.lid, 0); /* zeroed, not left at 0xffff */
	{
		uint8_t small[48];

		memset(small, 0xee, sizeof(small));
		CHECK_EQ(vctx->query_port(ctx, 1, (void *)small, 40), 0);
		CHECK_EQ(small[40], 0xee); /* nothing past the 40 bytes */
	}
	CHECK_EQ(ibv_query_port(ctx, 2, &port), EINVAL);

	CHECK_EQ(ibv_query_device(ctx, &attr), 0);
	CHECK_EQ(calls->last_attr_size, sizeof(struct ibv_device_attr));
	CHECK_EQ(attr.vendor_id, 0xFFFFFF);
	CHECK_EQ(ibv_query_device_ex(ctx, NULL, &attr_ex), 0);
	CHECK_EQ(calls->last_attr_size, sizeof(struct ibv_device_attr_ex));
	CHECK_EQ(attr_ex.odp_caps.general_caps, IBV_ODP_SUPPORT);

	/* ops the provider left out answer EOPNOTSUPP */
	errno = 0;
	CHECK(ibv_create_cq(ctx, 1, NULL, NULL, 0) == NULL);
	CHECK_EQ(errno, EOPNOTSUPP);
	errno = 0;
	CHECK(ibv_open_xrcd(ctx, &xattr) == NULL);
	CHECK_EQ(errno, EOPNOTSUPP);
	{
		struct ibv_values_ex values = { .comp_mask = IBV_VALUES_MASK_RAW_CLOCK };

		CHECK_EQ(ibv_query_rt_values_ex(ctx, &values), EOPNOTSUPP);
	}

	/* GIDs and P_Keys from sysfs (the ioctl fails on /dev/null) */
	CHECK_EQ(ibv_query_gid(ctx, 1, 0, &gid), 0);
	CHECK_EQ(gid.raw[0], 0xfe);
	CHECK_EQ(gid.raw[15], 0x33);
	CHECK_EQ(ibv_query_pkey(ctx, 1, 1, &pkey), 0);
	CHECK_EQ(pkey, htobe16(0x8001));
	CHECK_EQ(ibv_get_pkey_index(ctx, 1, htobe16(0x8001)), 1);
	CHECK_EQ(ibv_get_pkey_index(ctx, 1, htobe16(0x1234)), -1);

	/* MR registration: fork safety and ODP */
	{
		long pg = sysconf(_SC_PAGESIZE);
		volatile unsigned int runtime_access = IBV_ACCESS_LOCAL_WRITE;
		struct ibv_pd *pd = ibv_alloc_pd(ctx);
		enum ibv_fork_status fork;
		uint8_t *buf;
		struct ibv_mr *mr;
		int madvised;

		CHECK(pd && pd->context == ctx);
		if (!pd)
			goto close;
		CHECK_EQ(ibv_fork_init(), 0);
		fork = ibv_is_fork_initialized();
		CHECK(fork == IBV_FORK_ENABLED || fork == IBV_FORK_UNNEEDED);
		madvised = fork == IBV_FORK_ENABLED;
		if (!madvised)
			printf("kernel copies DMA pages on fork: no madvise expected\n");

		buf = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(buf != MAP_FAILED);

		mr = ibv_reg_mr(pd, buf + pg, 2 * pg, IBV_ACCESS_LOCAL_WRITE);
		CHECK(mr != NULL);
		CHECK(calls->last_reg_addr == buf + pg);
		CHECK_EQ(calls->last_reg_iova, (uintptr_t)(buf + pg));
		CHECK_EQ(dontfork(buf + pg), madvised);
		CHECK_EQ(dontfork(buf), 0);
		if (mr) {
			CHECK(mr->pd == pd && mr->addr == buf + pg &&
			      mr->length == (size_t)(2 * pg));
			/* overlapping registration keeps the range marked */
			{
				struct ibv_mr *mr2 = ibv_reg_mr(pd, buf + 2 * pg, pg,
								IBV_ACCESS_LOCAL_WRITE);
				CHECK_EQ(ibv_dereg_mr(mr), 0);
				CHECK_EQ(dontfork(buf + pg), 0);
				CHECK_EQ(dontfork(buf + 2 * pg), madvised);
				if (mr2)
					CHECK_EQ(ibv_dereg_mr(mr2), 0);
				CHECK_EQ(dontfork(buf + 2 * pg), 0);
			}
		}

		/* ODP pins nothing: never madvised, whichever entry point */
		mr = ibv_reg_mr(pd, buf, 4 * pg,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
		CHECK(mr != NULL);
		CHECK_EQ(dontfork(buf), 0);
		if (mr)
			ibv_dereg_mr(mr);

		/* implicit ODP through both exported entry points */
		mr = ibv_reg_mr(pd, NULL, SIZE_MAX,
				IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
		CHECK(mr != NULL);
		CHECK(calls->last_reg_addr == NULL);
		CHECK_EQ(calls->last_reg_length, SIZE_MAX);
		CHECK_EQ(calls->last_reg_iova, 0);
		if (mr) {
			CHECK(mr->addr == NULL && mr->length == SIZE_MAX);
			ibv_dereg_mr(mr);
		}
		runtime_access |= IBV_ACCESS_ON_DEMAND;
		mr = ibv_reg_mr(pd, NULL, SIZE_MAX, runtime_access);
		CHECK(mr != NULL);
		CHECK(calls->last_reg_addr == NULL);
		CHECK_EQ(calls->last_reg_length, SIZE_MAX);
		CHECK_EQ(calls->last_reg_iova, 0);
		CHECK_EQ(calls->last_reg_access,
			 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_ON_DEMAND);
		if (mr)
			ibv_dereg_mr(mr);

		mr = ibv_reg_mr_iova(pd, buf, pg, 0x10000, IBV_ACCESS_LOCAL_WRITE);
		CHECK(mr != NULL);
		CHECK_EQ(calls->last_reg_iova, 0x10000);
		if (mr)
			ibv_dereg_mr(mr);

		/* a failed registration leaves the pages forkable again */
		calls->fail_reg_mr = 1;
		errno = 0;
		CHECK(ibv_reg_mr(pd, buf, pg, IBV_ACCESS_LOCAL_WRITE) == NULL);
		CHECK_EQ(errno, EFAULT);
		CHECK_EQ(dontfork(buf), 0);
		calls->fail_reg_mr = 0;

		munmap(buf, 4 * pg);
		CHECK_EQ(ibv_dealloc_pd(pd), 0);
	}
close:
	before = calls->free_context;
	CHECK_EQ(ibv_close_device(ctx), 0);
	CHECK_EQ(calls->free_context, before + 1);
}

static void test_qp_ex(void)
{
	struct verbs_qp vqp = {};

	CHECK(ibv_qp_to_qp_ex(&vqp.qp) == NULL);
	vqp.comp_mask = VERBS_QP_EX;
	CHECK(ibv_qp_to_qp_ex(&vqp.qp) == &vqp.qp_ex);
}

int main(int argc, char **argv)
{
	struct ibv_device **list, **again;
	struct fake_calls *calls;
	void *handle;
	int num = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FAKE_PROVIDER_SO\n", argv[0]);
		return 2;
	}
	build_tree(argv[1]);

	list = ibv_get_device_list(&num);
	CHECK(list != NULL);
	if (!list)
		return finish_checks();

	handle = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
	CHECK(handle != NULL); /* loaded by libibverbs from the .driver file */
	calls = handle ? dlsym(handle, "fake_calls") : NULL;
	CHECK(calls != NULL);
	if (!calls)
		return finish_checks();
	CHECK(calls->match_device >= 3);

	test_list(list, num);

	/* a second listing returns the same device objects */
	again = ibv_get_device_list(NULL);
	CHECK(again && find(again, "fake0") == find(list, "fake0"));
	ibv_free_device_list(again);

	if (find(list, "fake0"))
		test_context(find(list, "fake0"), calls);
	test_qp_ex();
	ibv_free_device_list(list);
	dlclose(handle);
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return finish_checks();
}
