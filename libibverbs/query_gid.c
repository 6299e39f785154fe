// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GID and P_Key queries.  GIDs come from the kernel's GID table methods
 * (RDMA_VERBS_IOCTL); sysfs (ports/N/gids, gid_attrs) is the fallback for
 * kernels without them.  P_Keys only exist in sysfs.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <rdma/ib_user_ioctl_cmds.h>

#include "ibverbs.h"

static bool ioctl_unsupported(int ret)
{
	return ret == EOPNOTSUPP || ret == ENOTTY || ret == EPROTONOSUPPORT;
}

static int parse_gid(const char *str, union ibv_gid *gid)
{
	unsigned int w[8];
	int i;

	if (sscanf(str, "%4x:%4x:%4x:%4x:%4x:%4x:%4x:%4x", &w[0], &w[1],
		   &w[2], &w[3], &w[4], &w[5], &w[6], &w[7]) != 8)
		return -1;
	for (i = 0; i < 8; i++) {
		gid->raw[2 * i] = w[i] >> 8;
		gid->raw[2 * i + 1] = w[i] & 0xff;
	}
	return 0;
}

static const union ibv_gid zero_gid;

/* One GID table entry from sysfs; ENODATA for an empty slot. */
static int query_gid_sysfs(struct ibv_context *ctx, uint32_t port_num,
			   uint32_t index, struct ibv_gid_entry *entry,
			   uint32_t attr_mask)
{
	const char *ibdev_path = ctx->device->ibdev_path;
	char file[128], buf[64];
	union ibv_gid gid;
	int len;

	memset(entry, 0, sizeof(*entry));
	entry->gid_index = index;
	entry->port_num = port_num;

	snprintf(file, sizeof(file), "ports/%u/gids/%u", port_num, index);
	if (ibv_read_sysfs_file(ibdev_path, file, buf, sizeof(buf)) <= 0 ||
	    parse_gid(buf, &gid))
		return errno == ENOENT ? EINVAL : (errno ? errno : EINVAL);
	if (!memcmp(&gid, &zero_gid, sizeof(gid)))
		return ENODATA;
	memcpy(&entry->gid, &gid, sizeof(gid));

	if (attr_mask & VERBS_QUERY_GID_ATTR_TYPE) {
		snprintf(file, sizeof(file), "ports/%u/link_layer", port_num);
		len = ibv_read_sysfs_file(ibdev_path, file, buf, sizeof(buf));
		if (len > 0 && !strcmp(buf, "InfiniBand")) {
			entry->gid_type = IBV_GID_TYPE_IB;
		} else {
			snprintf(file, sizeof(file),
				 "ports/%u/gid_attrs/types/%u", port_num,
				 index);
			len = ibv_read_sysfs_file(ibdev_path, file, buf,
						  sizeof(buf));
			if (len <= 0)
				return errno == EINVAL ? ENODATA : EINVAL;
			if (!strcasecmp(buf, "RoCE v2"))
				entry->gid_type = IBV_GID_TYPE_ROCE_V2;
			else
				entry->gid_type = IBV_GID_TYPE_ROCE_V1;
		}
	}
	if (attr_mask & VERBS_QUERY_GID_ATTR_NDEV_IFINDEX) {
		snprintf(file, sizeof(file), "ports/%u/gid_attrs/ndevs/%u",
			 port_num, index);
		if (ibv_read_sysfs_file(ibdev_path, file, buf, sizeof(buf)) > 0)
			entry->ndev_ifindex = if_nametoindex(buf);
	}
	return 0;
}

/*
 * Returns 0 or an errno value (ENODATA: that slot of the table is empty).
 * fallback_attr_mask says which fields the sysfs fallback has to provide.
 */
IBV_EXPORT int __ibv_query_gid_ex(struct ibv_context *ctx, uint32_t port_num,
				  uint32_t gid_index,
				  struct ibv_gid_entry *entry, uint32_t flags,
				  size_t entry_size,
				  uint32_t fallback_attr_mask)
{
	struct ib_uverbs_gid_entry kentry = {};
	int ret;

	if (flags || entry_size < sizeof(*entry))
		return EINVAL;

	{
		DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_DEVICE,
				       UVERBS_METHOD_QUERY_GID_ENTRY, 4);
		/* CONST_IN attributes: always 64 bit on the wire */
		fill_attr_const_in(cmdb, UVERBS_ATTR_QUERY_GID_ENTRY_PORT,
				   port_num);
		fill_attr_const_in(cmdb, UVERBS_ATTR_QUERY_GID_ENTRY_GID_INDEX,
				   gid_index);
		fill_attr_in_uint32(cmdb, UVERBS_ATTR_QUERY_GID_ENTRY_FLAGS,
				    flags);
		fill_attr_out_ptr(cmdb, UVERBS_ATTR_QUERY_GID_ENTRY_RESP_ENTRY,
				  &kentry);
		ret = execute_ioctl(ctx, cmdb);
	}
	if (ioctl_unsupported(ret))
		return query_gid_sysfs(ctx, port_num, gid_index, entry,
				       fallback_attr_mask);
	if (ret)
		return ret;

	memset(entry, 0, sizeof(*entry));
	memcpy(&entry->gid, kentry.gid, sizeof(entry->gid));
	entry->gid_index = kentry.gid_index;
	entry->port_num = kentry.port_num;
	entry->gid_type = kentry.gid_type;
	entry->ndev_ifindex = kentry.netdev_ifindex;
	return 0;
}

IBV_EXPORT int _ibv_query_gid_ex(struct ibv_context *ctx, uint32_t port_num,
				 uint32_t gid_index,
				 struct ibv_gid_entry *entry, uint32_t flags,
				 size_t entry_size)
{
	return __ibv_query_gid_ex(ctx, port_num, gid_index, entry, flags,
				  entry_size,
				  VERBS_QUERY_GID_ATTR_GID |
					  VERBS_QUERY_GID_ATTR_TYPE |
					  VERBS_QUERY_GID_ATTR_NDEV_IFINDEX);
}

static ssize_t query_gid_table_sysfs(struct ibv_context *ctx,
				     struct ibv_gid_entry *entries,
				     size_t max_entries, size_t entry_size)
{
	struct ibv_device_attr dev_attr;
	size_t n = 0;
	int port, i, ret;

	if (ibv_query_device(ctx, &dev_attr))
		return -errno;
	for (port = 1; port <= dev_attr.phys_port_cnt; port++) {
		struct ibv_port_attr port_attr;

		if (ibv_query_port(ctx, port, &port_attr))
			return -errno;
		for (i = 0; i < port_attr.gid_tbl_len; i++) {
			struct ibv_gid_entry *e = (void *)((uint8_t *)entries +
							   n * entry_size);

			if (n >= max_entries)
				return -EINVAL;
			ret = query_gid_sysfs(ctx, port, i, e,
					      VERBS_QUERY_GID_ATTR_GID |
						      VERBS_QUERY_GID_ATTR_TYPE |
						      VERBS_QUERY_GID_ATTR_NDEV_IFINDEX);
			if (ret == ENODATA)
				continue;
			if (ret)
				return -ret;
			n++;
		}
	}
	return n;
}

/* Number of valid entries written, or a negative errno. */
IBV_EXPORT ssize_t _ibv_query_gid_table(struct ibv_context *ctx,
					struct ibv_gid_entry *entries,
					size_t max_entries, uint32_t flags,
					size_t entry_size)
{
	uint64_t num_entries = 0;
	int ret;

	if (flags || entry_size < sizeof(*entries))
		return -EINVAL;

	{
		DECLARE_COMMAND_BUFFER(cmdb, UVERBS_OBJECT_DEVICE,
				       UVERBS_METHOD_QUERY_GID_TABLE, 4);
		fill_attr_const_in(cmdb, UVERBS_ATTR_QUERY_GID_TABLE_ENTRY_SIZE,
				   entry_size);
		fill_attr_in_uint32(cmdb, UVERBS_ATTR_QUERY_GID_TABLE_FLAGS,
				    flags);
		fill_attr_out(cmdb, UVERBS_ATTR_QUERY_GID_TABLE_RESP_ENTRIES,
			      entries, _array_len(entry_size, max_entries));
		fill_attr_out_ptr(cmdb,
				  UVERBS_ATTR_QUERY_GID_TABLE_RESP_NUM_ENTRIES,
				  &num_entries);
		ret = execute_ioctl(ctx, cmdb);
	}
	if (ioctl_unsupported(ret))
		return query_gid_table_sysfs(ctx, entries, max_entries,
					     entry_size);
	if (ret)
		return -ret;
	return (ssize_t)num_entries;
}

IBV_EXPORT int ibv_query_gid(struct ibv_context *ctx, uint8_t port_num,
			     int index, union ibv_gid *gid)
{
	struct ibv_gid_entry entry = {};
	int ret;

	if (index < 0) {
		errno = EINVAL;
		return -1;
	}
	ret = __ibv_query_gid_ex(ctx, port_num, index, &entry, 0,
				 sizeof(entry), VERBS_QUERY_GID_ATTR_GID);
	if (ret == ENODATA) {
		/* an empty slot reads as the zero GID, not as an error */
		memset(gid, 0, sizeof(*gid));
		return 0;
	}
	if (ret) {
		errno = ret;
		return -1;
	}
	memcpy(gid, &entry.gid, sizeof(*gid));
	return 0;
}

/* 0 for IB and RoCE v1 GIDs (and empty slots), 1 for RoCE v2; -1 on error */
IBV_EXPORT int ibv_query_gid_type(struct ibv_context *ctx, uint8_t port_num,
				  unsigned int index,
				  enum ibv_gid_type_sysfs *type)
{
	struct ibv_gid_entry entry = {};
	int ret;

	ret = __ibv_query_gid_ex(ctx, port_num, index, &entry, 0,
				 sizeof(entry), VERBS_QUERY_GID_ATTR_TYPE);
	if (ret == ENODATA) {
		*type = IBV_GID_TYPE_SYSFS_IB_ROCE_V1;
		return 0;
	}
	if (ret) {
		errno = ret;
		return -1;
	}
	*type = entry.gid_type == IBV_GID_TYPE_ROCE_V2 ?
			IBV_GID_TYPE_SYSFS_ROCE_V2 :
			IBV_GID_TYPE_SYSFS_IB_ROCE_V1;
	return 0;
}

IBV_EXPORT int ibv_query_pkey(struct ibv_context *ctx, uint8_t port_num,
			      int index, __be16 *pkey)
{
	char file[64], buf[16], *end;
	unsigned long val;

	snprintf(file, sizeof(file), "ports/%u/pkeys/%d", port_num, index);
	if (index < 0 ||
	    ibv_read_sysfs_file(ctx->device->ibdev_path, file, buf,
				sizeof(buf)) <= 0)
		return -1;
	val = strtoul(buf, &end, 0);
	if (end == buf || val > 0xffff) {
		errno = EINVAL;
		return -1;
	}
	*pkey = htobe16((uint16_t)val);
	return 0;
}

IBV_EXPORT int ibv_get_pkey_index(struct ibv_context *ctx, uint8_t port_num,
				  __be16 pkey)
{
	__be16 entry;
	int i;

	for (i = 0; !ibv_query_pkey(ctx, port_num, i, &entry); i++)
		if (entry == pkey)
			return i;
	errno = ENOENT;
	return -1;
}
