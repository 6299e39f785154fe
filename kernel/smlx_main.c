// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Module entry: the "smlx" rdma link type that creates devices on top of
 * netdevs, the netdev notifier that follows them, and unload.
 *
 * The module keeps its own list of devices instead of relying on
 * ib_unregister_driver() or ib_device_get_by_netdev(): smlx reports
 * RDMA_DRIVER_UNKNOWN, so ib_core cannot tell its devices from others'.
 */
#include <linux/if_arp.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <rdma/rdma_netlink.h>

#include "smlx.h"
#include "smlx_odp.h"

MODULE_AUTHOR("smlx authors");
MODULE_DESCRIPTION("smlx: software RDMA HCA with On-Demand Paging, modelled on mlx5");
MODULE_LICENSE("Dual BSD/GPL");
MODULE_ALIAS_RDMA_LINK("smlx");

/*
 * Every smlx device from allocation to dealloc_driver.  Never held across
 * a call into ib_core: registration takes RTNL, and the netdev notifier
 * takes this lock under RTNL.
 */
static LIST_HEAD(smlx_devices);
static DEFINE_MUTEX(smlx_devices_lock);

void smlx_devices_forget(struct smlx_dev *sdev)
{
	mutex_lock(&smlx_devices_lock);
	list_del_init(&sdev->list);
	mutex_unlock(&smlx_devices_lock);
}

/* The registered smlx device on @ndev, with a registration reference. */
static struct smlx_dev *smlx_devices_get_by_netdev(struct net_device *ndev)
{
	struct smlx_dev *sdev, *found = NULL;

	mutex_lock(&smlx_devices_lock);
	list_for_each_entry(sdev, &smlx_devices, list) {
		if (sdev->ndev == ndev && ib_device_try_get(&sdev->ibdev)) {
			found = sdev;
			break;
		}
	}
	mutex_unlock(&smlx_devices_lock);
	return found;
}

/* Adds @sdev unless @ndev already has an smlx device: one per netdev. */
static int smlx_devices_add(struct smlx_dev *sdev)
{
	struct smlx_dev *other;
	int ret = 0;

	mutex_lock(&smlx_devices_lock);
	list_for_each_entry(other, &smlx_devices, list) {
		if (other->ndev == sdev->ndev) {
			ret = -EEXIST;
			goto out;
		}
	}
	list_add_tail(&sdev->list, &smlx_devices);
out:
	mutex_unlock(&smlx_devices_lock);
	return ret;
}

static int smlx_newlink(const char *ibdev_name, struct net_device *ndev)
{
	struct smlx_dev *sdev;
	int ret;

	/* GIDs and the node GUID come from an Ethernet MAC and IP addresses. */
	if (ndev->type != ARPHRD_ETHER)
		return -EINVAL;

	sdev = smlx_dev_alloc(ndev);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);

	ret = smlx_devices_add(sdev);
	if (ret)
		goto err_dealloc;
	ret = smlx_dev_register(sdev, ibdev_name);
	if (ret)
		goto err_dealloc;

	rtnl_lock();
	sdev->port_state = smlx_netdev_port_state(ndev);
	/*
	 * The notifier skipped us if the netdev started going away while we
	 * registered (we were not gettable yet); finish its job.
	 */
	if (ndev->reg_state != NETREG_REGISTERED)
		ib_unregister_device_queued(&sdev->ibdev);
	rtnl_unlock();
	return 0;

err_dealloc:
	ib_dealloc_device(&sdev->ibdev);
	return ret;
}

static struct rdma_link_ops smlx_link_ops = {
	.type = "smlx",
	.newlink = smlx_newlink,
};

static int smlx_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(ptr);
	struct smlx_dev *sdev;

	switch (event) {
	case NETDEV_UNREGISTER:
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
		break;
	default:
		return NOTIFY_DONE;
	}

	sdev = smlx_devices_get_by_netdev(ndev);
	if (!sdev)
		return NOTIFY_DONE;

	if (event == NETDEV_UNREGISTER)
		/* Queued: unregistration must not run under RTNL. */
		ib_unregister_device_queued(&sdev->ibdev);
	else
		smlx_port_announce(sdev);

	ib_device_put(&sdev->ibdev);
	return NOTIFY_OK;
}

static struct notifier_block smlx_netdev_notifier = {
	.notifier_call = smlx_netdev_event,
};

/*
 * Unregisters every device and returns once each one's dealloc_driver has
 * run, whoever started its unregistration (rdma link delete, a netdev going
 * away, or us).  New devices cannot appear: the link type is gone.
 */
static void smlx_unregister_all(void)
{
	struct smlx_dev *sdev;

	for (;;) {
		mutex_lock(&smlx_devices_lock);
		sdev = list_first_entry_or_null(&smlx_devices,
						struct smlx_dev, list);
		/* Keeps the memory alive while we wait on its unregistration. */
		if (sdev)
			get_device(&sdev->ibdev.dev);
		mutex_unlock(&smlx_devices_lock);
		if (!sdev)
			break;
		ib_unregister_device(&sdev->ibdev);
		put_device(&sdev->ibdev.dev);
	}
}

static int __init smlx_init(void)
{
	int ret;

	ret = smlx_odp_init();
	if (ret)
		return ret;
	smlx_odp_fault_init();
	ret = register_netdevice_notifier(&smlx_netdev_notifier);
	if (ret) {
		smlx_odp_fault_exit();
		smlx_odp_exit();
		return ret;
	}
	rdma_link_register(&smlx_link_ops);
	return 0;
}

static void __exit smlx_exit(void)
{
	/* Waits for newlink calls in flight. */
	rdma_link_unregister(&smlx_link_ops);
	unregister_netdevice_notifier(&smlx_netdev_notifier);
	smlx_unregister_all();
	smlx_odp_fault_exit();
	smlx_odp_exit();
}

module_init(smlx_init);
module_exit(smlx_exit);
