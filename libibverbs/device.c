// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Device list, opening/closing devices, contexts and async events. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <endian.h>
#include <stddef.h>
#include <sys/stat.h>

#include "ibverbs.h"

/*
 * Applications' inline wrappers locate the extended context by these
 * offsets (rdma-core 44, x86_64); a header change must not move them.
 */
_Static_assert(sizeof(struct verbs_context) == 648, "verbs_context size");
_Static_assert(offsetof(struct verbs_context, context) == 320,
	       "verbs_context.context offset");
_Static_assert(offsetof(struct verbs_context, sz) == 312,
	       "verbs_context.sz offset");
_Static_assert(sizeof(struct ibv_device) == 664, "ibv_device size");
_Static_assert(offsetof(struct verbs_device, ops) == sizeof(struct ibv_device),
	       "verbs_device layout");

IBV_EXPORT struct ibv_device **ibv_get_device_list(int *num_devices)
{
	struct verbs_device **devs;
	int num = 0, ret;

	ret = ibverbs_get_device_list(&devs, &num);
	if (ret) {
		errno = ret;
		if (num_devices)
			*num_devices = 0;
		return NULL;
	}
	if (num_devices)
		*num_devices = num;
	/* struct verbs_device starts with its ibv_device */
	return (struct ibv_device **)devs;
}

IBV_EXPORT void ibv_free_device_list(struct ibv_device **list)
{
	int i;

	if (!list)
		return;
	for (i = 0; list[i]; i++)
		ibverbs_device_put(list[i]);
	free(list);
}

IBV_EXPORT const char *ibv_get_device_name(struct ibv_device *device)
{
	return device->name;
}

IBV_EXPORT int ibv_get_device_index(struct ibv_device *device)
{
	struct verbs_sysfs_dev *sdev = verbs_get_device(device)->sysfs;

	return sdev ? sdev->ibdev_idx : -1;
}

IBV_EXPORT __be64 ibv_get_device_guid(struct ibv_device *device)
{
	struct verbs_sysfs_dev *sdev = verbs_get_device(device)->sysfs;
	char buf[64];
	unsigned int part[4];

	if (sdev && (sdev->flags & VSYSFS_READ_NODE_GUID))
		return sdev->node_guid;
	/* not cached (or no sysfs_dev): read it now */
	if (ibv_read_sysfs_file(device->ibdev_path, "node_guid", buf,
				sizeof(buf)) <= 0 ||
	    sscanf(buf, "%4x:%4x:%4x:%4x", &part[0], &part[1], &part[2],
		   &part[3]) != 4)
		return 0;
	return htobe64(((uint64_t)part[0] << 48) | ((uint64_t)part[1] << 32) |
		       ((uint64_t)part[2] << 16) | part[3]);
}

IBV_EXPORT void verbs_init_cq(struct ibv_cq *cq, struct ibv_context *context,
			      struct ibv_comp_channel *channel,
			      void *cq_context)
{
	cq->context = context;
	cq->channel = channel;
	cq->cq_context = cq_context;
	cq->comp_events_completed = 0;
	cq->async_events_completed = 0;
	pthread_mutex_init(&cq->mutex, NULL);
	pthread_cond_init(&cq->cond, NULL);

	if (channel) {
		pthread_mutex_lock(&channel->context->mutex);
		channel->refcnt++;
		pthread_mutex_unlock(&channel->context->mutex);
	}
}

/*
 * Set up the verbs_context a provider embeds in its own context: the
 * library's private state, default ops and the extended-context markers
 * that inline wrappers in applications test.  Takes ownership of cmd_fd.
 */
IBV_EXPORT int verbs_init_context(struct verbs_context *vctx,
				  struct ibv_device *device, int cmd_fd,
				  uint32_t driver_id)
{
	struct ibv_context *ctx = &vctx->context;
	struct verbs_ex_private *priv;

	ctx->device = device;
	ctx->cmd_fd = cmd_fd;
	ctx->async_fd = -1;
	pthread_mutex_init(&ctx->mutex, NULL);

	priv = calloc(1, sizeof(*priv));
	if (!priv) {
		errno = ENOMEM;
		close(cmd_fd);
		return -1;
	}
	priv->driver_id = driver_id;
	vctx->priv = priv;
	vctx->sz = sizeof(*vctx);
	ctx->abi_compat = __VERBS_ABI_IS_EXTENDED;

	verbs_set_ops(vctx, &verbs_dummy_ops);
	/* the library's own front ends, whatever the provider sets later */
	vctx->query_port = __lib_query_port;
	vctx->create_cq_ex = __lib_ibv_create_cq_ex;

	ibverbs_device_hold(device);
	return 0;
}

IBV_EXPORT void *_verbs_init_and_alloc_context(struct ibv_device *device,
					       int cmd_fd, size_t alloc_size,
					       struct verbs_context *context_offset,
					       uint32_t driver_id)
{
	void *drv_ctx;
	struct verbs_context *vctx;

	drv_ctx = calloc(1, alloc_size);
	if (!drv_ctx) {
		errno = ENOMEM;
		close(cmd_fd);
		return NULL;
	}
	vctx = (struct verbs_context *)((uint8_t *)drv_ctx +
					(uintptr_t)context_offset);
	if (verbs_init_context(vctx, device, cmd_fd, driver_id)) {
		free(drv_ctx);
		return NULL;
	}
	return drv_ctx;
}

IBV_EXPORT void verbs_uninit_context(struct verbs_context *vctx)
{
	struct ibv_context *ctx = &vctx->context;

	free(vctx->priv);
	vctx->priv = NULL;
	if (ctx->cmd_fd >= 0)
		close(ctx->cmd_fd);
	if (ctx->async_fd >= 0)
		close(ctx->async_fd);
	ctx->cmd_fd = -1;
	ctx->async_fd = -1;
	pthread_mutex_destroy(&ctx->mutex);
	ibverbs_device_put(ctx->device);
}

static int open_cdev(struct verbs_device *vdev)
{
	const char *dir = getenv("IBV_DEVICE_DIR");
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s",
		 (dir && *dir) ? dir : "/dev/infiniband",
		 vdev->sysfs->sysfs_name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd;
}

IBV_EXPORT struct ibv_context *verbs_open_device(struct ibv_device *device,
						 void *private_data)
{
	struct verbs_device *vdev = verbs_get_device(device);
	struct verbs_context *vctx;
	int cmd_fd, ret;

	if (!vdev->sysfs) {
		errno = ENODEV;
		return NULL;
	}
	cmd_fd = open_cdev(vdev);
	if (cmd_fd < 0)
		return NULL;

	/* from here on cmd_fd belongs to the context the provider builds */
	vctx = vdev->ops->alloc_context(device, cmd_fd, private_data);
	if (!vctx)
		return NULL;

	/* a provider may have replaced them with verbs_set_ops() */
	vctx->query_port = __lib_query_port;
	vctx->create_cq_ex = __lib_ibv_create_cq_ex;

	if (vctx->context.async_fd == -1) {
		ret = ibv_cmd_alloc_async_fd(&vctx->context);
		if (ret) {
			ibv_close_device(&vctx->context);
			errno = ret;
			return NULL;
		}
	}
	return &vctx->context;
}

IBV_EXPORT struct ibv_context *ibv_open_device(struct ibv_device *device)
{
	return verbs_open_device(device, NULL);
}

IBV_EXPORT struct ibv_context *ibv_import_device(int cmd_fd)
{
	struct ibv_device **list, *dev = NULL;
	struct verbs_context *vctx = NULL;
	struct verbs_device *vdev;
	struct stat st;
	int i, fd;

	if (fstat(cmd_fd, &st) || !S_ISCHR(st.st_mode)) {
		errno = EINVAL;
		return NULL;
	}
	list = ibv_get_device_list(NULL);
	if (!list)
		return NULL;
	for (i = 0; list[i]; i++) {
		vdev = verbs_get_device(list[i]);
		if (vdev->sysfs && vdev->sysfs->sysfs_cdev == st.st_rdev) {
			dev = list[i];
			break;
		}
	}
	if (!dev) {
		errno = ENODEV;
		goto out;
	}
	vdev = verbs_get_device(dev);
	if (!vdev->ops->import_context) {
		errno = EOPNOTSUPP;
		goto out;
	}
	/* the context owns its fd; the caller keeps theirs */
	fd = fcntl(cmd_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	vctx = vdev->ops->import_context(dev, fd);
	if (vctx) {
		vctx->priv->imported = true;
		vctx->query_port = __lib_query_port;
		vctx->create_cq_ex = __lib_ibv_create_cq_ex;
	}
out:
	ibv_free_device_list(list);
	return vctx ? &vctx->context : NULL;
}

IBV_EXPORT int ibv_close_device(struct ibv_context *context)
{
	get_ops(context)->free_context(context);
	return 0;
}

/* The object an async event names, and so its member of event->element. */
enum event_object {
	EVENT_ON_CQ,
	EVENT_ON_QP,
	EVENT_ON_SRQ,
	EVENT_ON_WQ,
	EVENT_ON_PORT, /* port and device events: element.port_num */
};

static enum event_object event_object(enum ibv_event_type type)
{
	switch (type) {
	case IBV_EVENT_CQ_ERR:
		return EVENT_ON_CQ;
	case IBV_EVENT_QP_FATAL:
	case IBV_EVENT_QP_REQ_ERR:
	case IBV_EVENT_QP_ACCESS_ERR:
	case IBV_EVENT_COMM_EST:
	case IBV_EVENT_SQ_DRAINED:
	case IBV_EVENT_PATH_MIG:
	case IBV_EVENT_PATH_MIG_ERR:
	case IBV_EVENT_QP_LAST_WQE_REACHED:
		return EVENT_ON_QP;
	case IBV_EVENT_SRQ_ERR:
	case IBV_EVENT_SRQ_LIMIT_REACHED:
		return EVENT_ON_SRQ;
	case IBV_EVENT_WQ_FATAL:
		return EVENT_ON_WQ;
	default:
		return EVENT_ON_PORT;
	}
}

IBV_EXPORT int ibv_get_async_event(struct ibv_context *context,
				   struct ibv_async_event *event)
{
	struct ib_uverbs_async_event_desc ev;

	if (read(context->async_fd, &ev, sizeof(ev)) != sizeof(ev))
		return -1;

	event->event_type = ev.event_type;
	switch (event_object(event->event_type)) {
	case EVENT_ON_CQ:
		event->element.cq = (void *)(uintptr_t)ev.element;
		break;
	case EVENT_ON_QP:
		event->element.qp = (void *)(uintptr_t)ev.element;
		break;
	case EVENT_ON_SRQ:
		event->element.srq = (void *)(uintptr_t)ev.element;
		break;
	case EVENT_ON_WQ:
		event->element.wq = (void *)(uintptr_t)ev.element;
		break;
	case EVENT_ON_PORT:
		event->element.port_num = (int)ev.element;
		break;
	}

	get_ops(context)->async_event(context, event);
	return 0;
}

/*
 * The acked-events count an event goes to, with the mutex and cond that
 * guard it; every object an event can name keeps those two by these names.
 */
struct event_ack_target {
	pthread_mutex_t *mutex;
	pthread_cond_t *cond;
	uint32_t *acked;
};

#define EVENT_ACK_TARGET(obj, acked_member)                                    \
	((struct event_ack_target){ &(obj)->mutex, &(obj)->cond,               \
				    &(obj)->acked_member })

static struct event_ack_target event_ack_target(struct ibv_async_event *event)
{
	switch (event_object(event->event_type)) {
	case EVENT_ON_CQ:
		return EVENT_ACK_TARGET(event->element.cq, async_events_completed);
	case EVENT_ON_QP:
		return EVENT_ACK_TARGET(event->element.qp, events_completed);
	case EVENT_ON_SRQ:
		return EVENT_ACK_TARGET(event->element.srq, events_completed);
	case EVENT_ON_WQ:
		return EVENT_ACK_TARGET(event->element.wq, events_completed);
	case EVENT_ON_PORT:
		break;
	}
	return (struct event_ack_target){};
}

IBV_EXPORT void ibv_ack_async_event(struct ibv_async_event *event)
{
	struct event_ack_target target = event_ack_target(event);

	if (target.acked)
		events_ack(target.mutex, target.cond, target.acked);
}
