// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The in-kernel wire: which smlx device owns a GID, and delivery of a
 * packet to a QP.  Devices join at creation and leave when their last
 * reference goes; lookups run under RCU and take a QP reference before
 * leaving it, so a packet never reaches a QP that destroy has let go of.
 */
#include <linux/rculist.h>
#include <linux/slab.h>
#include <rdma/ib_cache.h>

#include "smlx.h"

static LIST_HEAD(smlx_wire_ports);
static DEFINE_SPINLOCK(smlx_wire_lock);	/* writers of the list */
static atomic_t smlx_wire_next_id = ATOMIC_INIT(0);

struct smlx_pkt *smlx_pkt_alloc(u32 len, gfp_t gfp)
{
	struct smlx_pkt *pkt;

	pkt = kmalloc(struct_size(pkt, data, len), gfp | __GFP_NOWARN);
	if (!pkt)
		return NULL;
	memset(pkt, 0, sizeof(*pkt));
	INIT_LIST_HEAD(&pkt->node);
	pkt->len = len;
	return pkt;
}

void smlx_pkt_free(struct smlx_pkt *pkt)
{
	kfree(pkt);
}

void smlx_pkt_free_list(struct list_head *list)
{
	struct smlx_pkt *pkt, *next;

	list_for_each_entry_safe(pkt, next, list, node) {
		list_del(&pkt->node);
		smlx_pkt_free(pkt);
	}
}

void smlx_wire_port_add(struct smlx_wire_port *port, struct smlx_dev *sdev)
{
	port->sdev = sdev;
	port->id = atomic_inc_return(&smlx_wire_next_id);
	spin_lock(&smlx_wire_lock);
	list_add_tail_rcu(&port->node, &smlx_wire_ports);
	spin_unlock(&smlx_wire_lock);
}

/* After this returns no sender can reach the device through the wire. */
void smlx_wire_port_del(struct smlx_wire_port *port)
{
	spin_lock(&smlx_wire_lock);
	list_del_rcu(&port->node);
	spin_unlock(&smlx_wire_lock);
	synchronize_rcu();
}

static bool smlx_wire_dev_has_gid(struct smlx_dev *sdev,
				  const union ib_gid *gid)
{
	static const enum ib_gid_type types[] = {
		IB_GID_TYPE_ROCE_UDP_ENCAP, IB_GID_TYPE_ROCE,
	};
	const struct ib_gid_attr *attr;
	int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		attr = rdma_find_gid_by_port(&sdev->ibdev, gid, types[i],
					     SMLX_PORT, NULL);
		if (!IS_ERR(attr)) {
			rdma_put_gid_attr(attr);
			return true;
		}
	}
	return false;
}

/**
 * smlx_wire_resolve - the wire port of the smlx device that owns @gid
 * @gid: destination GID from an address vector
 *
 * Returns 0 when no smlx device in this kernel has the GID: packets sent
 * there are lost, as on a network with nobody at that address.
 */
u32 smlx_wire_resolve(const union ib_gid *gid)
{
	struct smlx_wire_port *port;
	u32 id = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(port, &smlx_wire_ports, node) {
		if (smlx_wire_dev_has_gid(port->sdev, gid)) {
			id = port->id;
			break;
		}
	}
	rcu_read_unlock();
	return id;
}

static struct smlx_qp *smlx_wire_find_qp(u32 port_id, u32 qpn)
{
	struct smlx_wire_port *port;
	struct smlx_qp *qp = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(port, &smlx_wire_ports, node) {
		if (port->id == port_id) {
			qp = smlx_qp_get(port->sdev, qpn);
			break;
		}
	}
	rcu_read_unlock();
	return qp;
}

static bool smlx_wire_deliver(struct smlx_pkt *pkt, bool run)
{
	struct smlx_qp *qp;
	bool delivered;

	qp = pkt->dst_port ? smlx_wire_find_qp(pkt->dst_port, pkt->dst_qpn) :
			     NULL;
	if (!qp) {
		smlx_pkt_free(pkt);
		return false;
	}
	delivered = smlx_qp_deliver(qp, pkt, run);
	smlx_qp_put(qp);
	return delivered;
}

/**
 * smlx_wire_send - deliver @pkt to its destination QP
 * @pkt: a packet with dst_port and dst_qpn set; consumed
 *
 * The destination's engine handles it in its work item.  Returns false
 * when the packet was lost: no such port or QP, or the QP refused it.
 * Senders learn of losses the way real ones do, from timeouts, never from
 * this result.
 */
bool smlx_wire_send(struct smlx_pkt *pkt)
{
	return smlx_wire_deliver(pkt, false);
}

/**
 * smlx_wire_send_run - deliver @pkt and run its destination's engine now
 * @pkt: as for smlx_wire_send()
 *
 * For a sender in process context that may sleep: the destination handles
 * the packet in the caller's context unless its engine is busy elsewhere
 * (then its work item does, as after smlx_wire_send()).
 */
bool smlx_wire_send_run(struct smlx_pkt *pkt)
{
	return smlx_wire_deliver(pkt, true);
}
