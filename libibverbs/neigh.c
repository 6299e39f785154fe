// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ibv_resolve_eth_l2_from_gid: the Ethernet MAC (and VLAN) a RoCE address
 * handle sends to.  Link-local and multicast GIDs carry their MAC; other
 * IPv4 destinations come from the kernel's ARP table, and a GID of our own
 * port resolves to our own interface (loopback).  A neighbour that is not
 * resolved yet gives EHOSTUNREACH.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "ibverbs.h"

#define NO_VLAN 0xffff

static bool gid_is_link_local(const union ibv_gid *gid)
{
	static const uint8_t prefix[8] = { 0xfe, 0x80 };

	return !memcmp(gid->raw, prefix, sizeof(prefix));
}

static bool gid_is_ipv4_mapped(const union ibv_gid *gid)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(gid->raw, prefix, sizeof(prefix));
}

static int read_mac(const char *path, uint8_t mac[ETHERNET_LL_SIZE])
{
	unsigned int b[6];
	char buf[64];
	int i;

	if (ibv_read_sysfs_file(path, "address", buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

/* VLAN id of a netdev from /proc/net/vlan/<name>, or NO_VLAN. */
static uint16_t netdev_vlan(const char *ifname)
{
	char path[IF_NAMESIZE + 32], line[128];
	unsigned int vid;
	uint16_t ret = NO_VLAN;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/net/vlan/%s", ifname);
	f = fopen(path, "re");
	if (!f)
		return NO_VLAN;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s VID: %u", &vid) == 1) {
			ret = vid;
			break;
		}
	fclose(f);
	return ret;
}

static int arp_lookup(uint32_t ip_be, const char *ifname,
		      uint8_t mac[ETHERNET_LL_SIZE])
{
	char line[256], ip[64], hw[64], dev[IF_NAMESIZE + 1];
	unsigned int type, flags, b[6];
	struct in_addr addr;
	int ret = -1, i;
	FILE *f;

	f = fopen("/proc/net/arp", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s 0x%x 0x%x %63s %*s %16s", ip, &type,
			   &flags, hw, dev) != 5)
			continue;
		if (!inet_aton(ip, &addr) || addr.s_addr != ip_be ||
		    strcmp(dev, ifname) || !(flags & 0x2 /* ATF_COM */))
			continue;
		if (sscanf(hw, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
			   &b[4], &b[5]) != 6)
			continue;
		for (i = 0; i < 6; i++)
			mac[i] = b[i];
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

IBV_EXPORT int ibv_resolve_eth_l2_from_gid(struct ibv_context *context,
					   struct ibv_ah_attr *attr,
					   uint8_t eth_mac[ETHERNET_LL_SIZE],
					   uint16_t *vid)
{
	const union ibv_gid *dgid = &attr->grh.dgid;
	struct ibv_gid_entry sgid;
	char ifname[IF_NAMESIZE] = "", netpath[IF_NAMESIZE + 32];
	int ret;

	ret = __ibv_query_gid_ex(context, attr->port_num, attr->grh.sgid_index,
				 &sgid, 0, sizeof(sgid),
				 VERBS_QUERY_GID_ATTR_GID |
					 VERBS_QUERY_GID_ATTR_NDEV_IFINDEX);
	if (ret)
		return set_errno_ret(ret) ? -1 : 0;
	if (!sgid.ndev_ifindex || !if_indextoname(sgid.ndev_ifindex, ifname)) {
		errno = ENODEV;
		return -1;
	}
	*vid = netdev_vlan(ifname);

	if (dgid->raw[0] == 0xff) {
		/* IPv6 multicast: 33:33 + low 32 bits */
		eth_mac[0] = 0x33;
		eth_mac[1] = 0x33;
		memcpy(&eth_mac[2], &dgid->raw[12], 4);
		return 0;
	}
	if (gid_is_ipv4_mapped(dgid) && (dgid->raw[12] & 0xf0) == 0xe0) {
		/* IPv4 multicast: 01:00:5e + low 23 bits */
		eth_mac[0] = 0x01;
		eth_mac[1] = 0x00;
		eth_mac[2] = 0x5e;
		eth_mac[3] = dgid->raw[13] & 0x7f;
		eth_mac[4] = dgid->raw[14];
		eth_mac[5] = dgid->raw[15];
		return 0;
	}
	if (!memcmp(dgid, &sgid.gid, sizeof(*dgid))) {
		snprintf(netpath, sizeof(netpath), "/sys/class/net/%s", ifname);
		if (!read_mac(netpath, eth_mac))
			return 0;
		errno = ENODEV;
		return -1;
	}
	if (gid_is_link_local(dgid)) {
		/* modified EUI-64: undo the U/L flip and drop ff:fe */
		eth_mac[0] = dgid->raw[8] ^ 2;
		eth_mac[1] = dgid->raw[9];
		eth_mac[2] = dgid->raw[10];
		eth_mac[3] = dgid->raw[13];
		eth_mac[4] = dgid->raw[14];
		eth_mac[5] = dgid->raw[15];
		return 0;
	}
	if (gid_is_ipv4_mapped(dgid)) {
		uint32_t ip;

		memcpy(&ip, &dgid->raw[12], sizeof(ip));
		if (!arp_lookup(ip, ifname, eth_mac))
			return 0;
	}
	errno = EHOSTUNREACH;
	return -1;
}
