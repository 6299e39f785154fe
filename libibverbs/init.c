// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Library start-up and device discovery.
 *
 * Devices are found through sysfs alone (no netlink): every
 * class/infiniband_verbs/uverbsN names its IB device (ibdev), its driver ABI
 * (abi_version) and its character device (dev), and the IB device's
 * attributes sit in class/infiniband/<ibdev>.  The sysfs root is
 * $SYSFS_PATH or /sys; the character devices are looked up in
 * /dev/infiniband, or $IBV_DEVICE_DIR (a hook for tests on a fake tree).
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ibverbs.h"

int ibverbs_abi_version;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

/* The uverbs ABI of the kernel (class/infiniband_verbs/abi_version). */
static int check_abi_version(void)
{
	char value[16];

	if (ibv_read_sysfs_file(ibv_get_sysfs_path(),
				"class/infiniband_verbs/abi_version", value,
				sizeof(value)) < 0)
		return ENOSYS;
	ibverbs_abi_version = (int)strtol(value, NULL, 10);
	if (ibverbs_abi_version < IB_USER_VERBS_MIN_ABI_VERSION ||
	    ibverbs_abi_version > IB_USER_VERBS_MAX_ABI_VERSION) {
		fprintf(stderr,
			"libibverbs: kernel ABI version %d doesn't match library version %d.\n",
			ibverbs_abi_version, IB_USER_VERBS_MAX_ABI_VERSION);
		return ENOSYS;
	}
	return 0;
}

static void do_init(void)
{
	ibverbs_log_init();
	ibverbs_fork_env_init();
	init_result = check_abi_version();
}

int ibverbs_init(void)
{
	pthread_once(&init_once, do_init);
	return init_result;
}

static const char *device_dir(void)
{
	const char *env = getenv("IBV_DEVICE_DIR");

	return (env && *env) ? env : "/dev/infiniband";
}

/* The uverbs character device must exist (a char device, or a link to one). */
static bool cdev_exists(const char *sysfs_name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", device_dir(), sysfs_name);
	return !stat(path, &st) && S_ISCHR(st.st_mode);
}

static uint64_t parse_guid(const char *str, bool *ok)
{
	unsigned int part[4];

	*ok = sscanf(str, "%4x:%4x:%4x:%4x", &part[0], &part[1], &part[2],
		     &part[3]) == 4;
	if (!*ok)
		return 0;
	/* node_guid is kept in network byte order, as the kernel hands it */
	return htobe64(((uint64_t)part[0] << 48) | ((uint64_t)part[1] << 32) |
		       ((uint64_t)part[2] << 16) | part[3]);
}

static uint32_t count_ports(const char *ibdev_path)
{
	char path[PATH_MAX];
	struct dirent *ent;
	uint32_t n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/ports", ibdev_path);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((ent = readdir(dir)))
		if (ent->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* Fill one verbs_sysfs_dev from class/infiniband_verbs/<name>; 0 on success. */
static int read_sysfs_dev(const char *class_dir, const char *name,
			  struct verbs_sysfs_dev *sdev)
{
	char dir[PATH_MAX], buf[512];
	unsigned int major, minor;
	struct stat st;
	uint64_t val;
	bool ok;

	if (strlen(name) >= sizeof(sdev->sysfs_name))
		return -1;
	strcpy(sdev->sysfs_name, name);
	if (snprintf(dir, sizeof(dir), "%s/%s", class_dir,
		     name) >= (int)sizeof(dir))
		return -1;

	if (ibv_read_sysfs_file(dir, "ibdev", sdev->ibdev_name,
				sizeof(sdev->ibdev_name)) <= 0)
		return -1;
	if (snprintf(sdev->ibdev_path, sizeof(sdev->ibdev_path),
		     "%s/class/infiniband/%s", ibv_get_sysfs_path(),
		     sdev->ibdev_name) >= (int)sizeof(sdev->ibdev_path))
		return -1;
	if (ibverbs_sysfs_read_u64(dir, "abi_version", 10, &val))
		return -1;
	sdev->abi_ver = (uint32_t)val;

	if (ibv_read_sysfs_file(dir, "dev", buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "%u:%u", &major, &minor) == 2)
		sdev->sysfs_cdev = makedev(major, minor);
	if (!stat(dir, &st))
		sdev->time_created = st.st_mtim;

	if (!cdev_exists(name))
		return -1;

	sdev->node_type = IBV_NODE_UNKNOWN;
	if (ibv_read_sysfs_file(sdev->ibdev_path, "node_type", buf,
				sizeof(buf)) > 0)
		sdev->node_type = (enum ibv_node_type)strtol(buf, NULL, 10);
	if (ibv_read_sysfs_file(sdev->ibdev_path, "node_guid", buf,
				sizeof(buf)) > 0) {
		sdev->node_guid = parse_guid(buf, &ok);
		if (ok)
			sdev->flags |= VSYSFS_READ_NODE_GUID;
	}
	if (ibv_read_sysfs_file(sdev->ibdev_path, "device/modalias",
				sdev->modalias, sizeof(sdev->modalias)) > 0)
		sdev->flags |= VSYSFS_READ_MODALIAS;
	sdev->num_ports = count_ports(sdev->ibdev_path);
	sdev->driver_id = RDMA_DRIVER_UNKNOWN; /* only netlink would tell */
	sdev->ibdev_idx = -1;
	return 0;
}

/* All uverbs devices currently in sysfs, as a malloc'd array. */
static int scan_sysfs(struct verbs_sysfs_dev ***out, int *num)
{
	char class_dir[PATH_MAX];
	struct verbs_sysfs_dev **devs = NULL, **tmp;
	struct dirent **ents;
	int n, i, count = 0;

	snprintf(class_dir, sizeof(class_dir), "%s/class/infiniband_verbs",
		 ibv_get_sysfs_path());
	n = scandir(class_dir, &ents, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? ENOSYS : errno;

	for (i = 0; i < n; i++) {
		struct verbs_sysfs_dev *sdev;

		if (strncmp(ents[i]->d_name, "uverbs", 6))
			goto next;
		sdev = calloc(1, sizeof(*sdev));
		if (!sdev)
			goto next;
		if (read_sysfs_dev(class_dir, ents[i]->d_name, sdev)) {
			free(sdev);
			goto next;
		}
		tmp = realloc(devs, sizeof(*devs) * (count + 1));
		if (!tmp) {
			free(sdev);
			goto next;
		}
		devs = tmp;
		devs[count++] = sdev;
next:
		free(ents[i]);
	}
	free(ents);
	*out = devs;
	*num = count;
	return 0;
}

/* "pci:vVVVVVVVVdDDDDDDDD..." gives the PCI ids of a device. */
static bool modalias_pci_ids(const char *modalias, uint16_t *vendor,
			     uint16_t *device)
{
	unsigned int v, d;

	if (sscanf(modalias, "pci:v%8Xd%8X", &v, &d) != 2)
		return false;
	*vendor = (uint16_t)v;
	*device = (uint16_t)d;
	return true;
}

static const struct verbs_match_ent *
match_table(const struct verbs_device_ops *ops,
	    struct verbs_sysfs_dev *sdev)
{
	const struct verbs_match_ent *ent;
	char name_alias[IBV_SYSFS_NAME_MAX + 16];
	uint16_t vendor = 0, device = 0;
	bool have_pci = false;
	const char *alias;

	if (sdev->flags & VSYSFS_READ_MODALIAS) {
		alias = sdev->modalias;
		have_pci = modalias_pci_ids(alias, &vendor, &device);
	} else {
		/* no device/modalias: name matches use this synthetic alias */
		snprintf(name_alias, sizeof(name_alias), "rdma_device:N%s",
			 sdev->ibdev_name);
		alias = name_alias;
	}

	/* a driver id, when known, is the strongest match */
	for (ent = ops->match_table; ent->kind != VERBS_MATCH_SENTINEL; ent++)
		if (ent->kind == VERBS_MATCH_DRIVER_ID &&
		    sdev->driver_id != RDMA_DRIVER_UNKNOWN &&
		    ent->u.driver_id == sdev->driver_id)
			return ent;

	for (ent = ops->match_table; ent->kind != VERBS_MATCH_SENTINEL; ent++) {
		switch (ent->kind) {
		case VERBS_MATCH_PCI:
			if (have_pci && ent->vendor == vendor &&
			    ent->device == device)
				return ent;
			break;
		case VERBS_MATCH_MODALIAS:
			if (ent->u.modalias &&
			    !fnmatch(ent->u.modalias, alias, 0))
				return ent;
			break;
		default:
			break;
		}
	}
	return NULL;
}

bool ibverbs_match_device(const struct verbs_device_ops *ops,
			  struct verbs_sysfs_dev *sdev)
{
	sdev->match = NULL;
	if (ops->match_table)
		sdev->match = match_table(ops, sdev);

	/* a provider's own test, when it has one, decides alone */
	if (ops->match_device) {
		if (!ops->match_device(sdev))
			return false;
	} else if (!sdev->match) {
		return false;
	}

	if (sdev->abi_ver < ops->match_min_abi_version ||
	    sdev->abi_ver > ops->match_max_abi_version) {
		fprintf(stderr,
			"libibverbs: Warning: Driver %s does not support the kernel ABI of %u (supports %u to %u) for device %s\n",
			ops->name, sdev->abi_ver, ops->match_min_abi_version,
			ops->match_max_abi_version, sdev->ibdev_path);
		return false;
	}
	return true;
}

static enum ibv_transport_type transport_of(enum ibv_node_type type)
{
	switch (type) {
	case IBV_NODE_CA:
	case IBV_NODE_SWITCH:
	case IBV_NODE_ROUTER:
		return IBV_TRANSPORT_IB;
	case IBV_NODE_RNIC:
		return IBV_TRANSPORT_IWARP;
	case IBV_NODE_USNIC:
		return IBV_TRANSPORT_USNIC;
	case IBV_NODE_USNIC_UDP:
		return IBV_TRANSPORT_USNIC_UDP;
	case IBV_NODE_UNSPECIFIED:
		return IBV_TRANSPORT_UNSPECIFIED;
	default:
		return IBV_TRANSPORT_UNKNOWN;
	}
}

/* Give a matched sysfs device to the first provider that wants it. */
static struct verbs_device *try_providers(struct verbs_sysfs_dev *sdev)
{
	struct ibv_driver *drv;

	for (drv = ibverbs_registered_drivers(); drv; drv = drv->next) {
		struct verbs_device *vdev;
		struct ibv_device *dev;

		if (!ibverbs_match_device(drv->ops, sdev))
			continue;
		vdev = drv->ops->alloc_device(sdev);
		if (!vdev)
			continue;

		vdev->ops = drv->ops;
		vdev->sysfs = sdev;
		atomic_init(&vdev->refcount, 1);
		dev = &vdev->device;
		dev->node_type = sdev->node_type;
		dev->transport_type = transport_of(sdev->node_type);
		snprintf(dev->name, sizeof(dev->name), "%s", sdev->ibdev_name);
		snprintf(dev->dev_name, sizeof(dev->dev_name), "%s",
			 sdev->sysfs_name);
		snprintf(dev->dev_path, sizeof(dev->dev_path),
			 "%s/class/infiniband_verbs/%s", ibv_get_sysfs_path(),
			 sdev->sysfs_name);
		snprintf(dev->ibdev_path, sizeof(dev->ibdev_path), "%s",
			 sdev->ibdev_path);
		return vdev;
	}
	return NULL;
}

/* Devices found so far; each holds one reference for being listed. */
static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct verbs_device **known;
static int num_known;

static bool same_sysfs_dev(const struct verbs_sysfs_dev *a,
			   const struct verbs_sysfs_dev *b)
{
	return !strcmp(a->sysfs_name, b->sysfs_name) &&
	       !strcmp(a->ibdev_name, b->ibdev_name) &&
	       a->sysfs_cdev == b->sysfs_cdev &&
	       a->time_created.tv_sec == b->time_created.tv_sec &&
	       a->time_created.tv_nsec == b->time_created.tv_nsec;
}

void ibverbs_device_hold(struct ibv_device *dev)
{
	atomic_fetch_add(&verbs_get_device(dev)->refcount, 1);
}

void ibverbs_device_put(struct ibv_device *dev)
{
	struct verbs_device *vdev = verbs_get_device(dev);
	struct verbs_sysfs_dev *sdev;

	if (atomic_fetch_sub(&vdev->refcount, 1) != 1)
		return;
	sdev = vdev->sysfs;
	if (vdev->ops->uninit_device)
		vdev->ops->uninit_device(vdev);
	free(sdev);
}

/*
 * Rescan sysfs: keep devices still present, drop vanished ones, offer new
 * ones to the providers.  Returns a held snapshot of the current list.
 */
int ibverbs_get_device_list(struct verbs_device **out[], int *num)
{
	struct verbs_sysfs_dev **found = NULL;
	struct verbs_device **next = NULL, **snap;
	int nfound = 0, nnext = 0, i, j, ret;

	ret = ibverbs_init();
	if (ret)
		return ret;

	pthread_mutex_lock(&list_lock);
	ret = scan_sysfs(&found, &nfound);
	if (ret)
		goto out;

	next = calloc(nfound + 1, sizeof(*next));
	if (!next) {
		ret = ENOMEM;
		goto out;
	}

	for (i = 0; i < nfound; i++) {
		struct verbs_device *vdev = NULL;

		for (j = 0; j < num_known; j++) {
			if (known[j] &&
			    same_sysfs_dev(known[j]->sysfs, found[i])) {
				vdev = known[j];
				known[j] = NULL;
				free(found[i]);
				found[i] = NULL;
				break;
			}
		}
		if (!vdev) {
			ibverbs_load_providers();
			vdev = try_providers(found[i]);
			if (!vdev) {
				free(found[i]);
				found[i] = NULL;
				continue;
			}
			found[i] = NULL; /* owned by vdev now */
		}
		next[nnext++] = vdev;
	}

	/* whatever is left in known[] vanished from sysfs */
	for (j = 0; j < num_known; j++)
		if (known[j])
			ibverbs_device_put(&known[j]->device);
	free(known);
	known = next;
	num_known = nnext;
	next = NULL;

	snap = calloc(num_known + 1, sizeof(*snap));
	if (!snap) {
		ret = ENOMEM;
		goto out;
	}
	for (i = 0; i < num_known; i++) {
		snap[i] = known[i];
		ibverbs_device_hold(&known[i]->device);
	}
	*out = snap;
	*num = num_known;
out:
	pthread_mutex_unlock(&list_lock);
	for (i = 0; i < nfound; i++)
		free(found[i]);
	free(found);
	free(next);
	return ret;
}
