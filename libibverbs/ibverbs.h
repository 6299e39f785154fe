/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Library-internal declarations shared by the libibverbs sources. */
#ifndef IBVERBS_INTERNAL_H
#define IBVERBS_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <infiniband/driver.h>

#define IBV_EXPORT __attribute__((visibility("default")))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))

/* Hangs off verbs_context.priv: what the library keeps per context. */
struct verbs_ex_private {
	uint32_t driver_id;
	bool imported;
	/* the provider's ops, dummies where it has none */
	struct verbs_context_ops ops;
};

static inline struct verbs_ex_private *get_priv(struct ibv_context *ctx)
{
	return container_of(ctx, struct verbs_context, context)->priv;
}

static inline const struct verbs_context_ops *get_ops(struct ibv_context *ctx)
{
	return &get_priv(ctx)->ops;
}

/* dummy_ops.c */
extern const struct verbs_context_ops verbs_dummy_ops;

/* init.c: library setup and device discovery */
int ibverbs_init(void);
struct verbs_device_list;
int ibverbs_get_device_list(struct verbs_device **out[], int *num);
void ibverbs_device_put(struct ibv_device *dev);
void ibverbs_device_hold(struct ibv_device *dev);

/* dynamic_driver.c: provider registration and loading */
struct ibv_driver {
	struct ibv_driver *next;
	const struct verbs_device_ops *ops;
};
struct ibv_driver *ibverbs_registered_drivers(void);
void ibverbs_load_providers(void);
const char *ibverbs_config_dir(char *buf, size_t len);
int ibverbs_parse_driver_file(const char *path, char *name, size_t len);

/* matching of a sysfs device against one provider */
bool ibverbs_match_device(const struct verbs_device_ops *ops,
			  struct verbs_sysfs_dev *sysfs_dev);

/* sysfs.c */
int ibverbs_sysfs_read_u64(const char *dir, const char *file, int base,
			   uint64_t *val);

/* memory.c */
bool ibverbs_fork_should_madvise(unsigned int access);
int ibverbs_fork_env_init(void);

/* log.c */
void ibverbs_log_init(void);

/* verbs.c: library ops installed in every context */
int __lib_query_port(struct ibv_context *context, uint8_t port_num,
		     struct ibv_port_attr *port_attr, size_t port_attr_len);
struct ibv_cq_ex *__lib_ibv_create_cq_ex(struct ibv_context *context,
					 struct ibv_cq_init_attr_ex *cq_attr);

/* device.c */
extern int ibverbs_abi_version;

/* Raise a uverbs write() command on ctx->cmd_fd; returns 0 or an errno. */
int ibverbs_execute_write(struct ibv_context *ctx, uint32_t command,
			  struct ib_uverbs_cmd_hdr *req, size_t req_len,
			  void *resp, size_t resp_len);
int ibverbs_execute_write_ex(struct ibv_context *ctx, uint32_t command,
			     struct ex_hdr *req, size_t core_req_len,
			     size_t req_len, void *resp,
			     size_t core_resp_len, size_t resp_len);

/*
 * Legacy commands: the request struct carries `response`; set it to resp
 * and send the whole buffer (header included) as one write().
 */
#define execute_cmd_write(ctx, enum_, cmd, cmd_size, resp, resp_size)         \
	({                                                                     \
		(cmd)->core_payload.response = ioctl_ptr_to_u64(resp);         \
		ibverbs_execute_write(ctx, enum_, &(cmd)->hdr, cmd_size, resp, \
				      resp_size);                              \
	})

/* Legacy commands without a response. */
#define execute_cmd_write_req(ctx, enum_, cmd, cmd_size)                       \
	ibverbs_execute_write(ctx, enum_, &(cmd)->hdr, cmd_size, NULL, 0)

/* Extended commands: the core sizes come from the kernel structs. */
#define execute_cmd_write_ex(ctx, enum_, cmd, cmd_size, resp, resp_size)      \
	ibverbs_execute_write_ex(ctx, enum_, &(cmd)->hdr,                      \
				 sizeof((cmd)->core_payload), cmd_size, resp,  \
				 sizeof(*(resp)), resp_size)

/* Extended commands without a response. */
#define execute_cmd_write_ex_req(ctx, enum_, cmd, cmd_size)                    \
	ibverbs_execute_write_ex(ctx, enum_, &(cmd)->hdr,                      \
				 sizeof((cmd)->core_payload), cmd_size, NULL,  \
				 0, 0)

/*
 * What a destroy command returns: a hot-unplugged device answers EIO, and
 * the object is gone anyway when the application allowed for that.
 */
static inline int destroy_result(int ret)
{
	if (ret == EIO && verbs_allow_disassociate_destroy)
		return 0;
	return ret;
}

/*
 * Destroy commands whose whole request is the object's handle and that
 * want no response: legacy DEALLOC_PD, CLOSE_XRCD, DEALLOC_MW, DESTROY_AH,
 * DEREG_MR; extended DESTROY_RWQ_IND_TBL, DESTROY_FLOW.
 */
#define _execute_destroy_by_handle(execute_req, ctx, enum_, handle_member,    \
				   handle)                                     \
	({                                                                     \
		IBV_ABI_REQ(enum_) __cmd = {};                                 \
		__cmd.handle_member = (handle);                                \
		destroy_result(                                                \
			execute_req(ctx, enum_, &__cmd, sizeof(__cmd)));       \
	})
#define execute_destroy_by_handle(ctx, enum_, handle_member, handle)          \
	_execute_destroy_by_handle(execute_cmd_write_req, ctx, enum_,          \
				   handle_member, handle)
#define execute_destroy_ex_by_handle(ctx, enum_, handle_member, handle)       \
	_execute_destroy_by_handle(execute_cmd_write_ex_req, ctx, enum_,       \
				   handle_member, handle)

/*
 * rdma-core's ibv_cmd_* accept cmd/resp == NULL from providers that have no
 * driver data (librxe does that); then a bare request/response of our own
 * stands in.
 */
#define USE_OWN_BUF_IF_NULL(ptr, size, type)                                   \
	type __own_##ptr;                                                      \
	do {                                                                   \
		if (!(ptr)) {                                                  \
			memset(&__own_##ptr, 0, sizeof(__own_##ptr));          \
			(ptr) = &__own_##ptr;                                  \
			(size) = sizeof(__own_##ptr);                          \
		}                                                              \
	} while (0)

/*
 * Async events (and a CQ's completion events) hand the application a
 * pointer to their object, and the application acks each one.  Destroying
 * the object waits until every event the kernel reported for it was acked,
 * so none the application still holds points at freed memory.  Each object
 * keeps its acked count under its own mutex and cond.
 */
static inline void events_init(pthread_mutex_t *mutex, pthread_cond_t *cond,
			       uint32_t *acked)
{
	*acked = 0;
	pthread_mutex_init(mutex, NULL);
	pthread_cond_init(cond, NULL);
}

static inline void events_ack(pthread_mutex_t *mutex, pthread_cond_t *cond,
			      uint32_t *acked)
{
	pthread_mutex_lock(mutex);
	++*acked;
	pthread_cond_signal(cond);
	pthread_mutex_unlock(mutex);
}

static inline void events_wait_acked(pthread_mutex_t *mutex,
				     pthread_cond_t *cond,
				     const uint32_t *acked, uint32_t reported)
{
	pthread_mutex_lock(mutex);
	while (*acked != reported)
		pthread_cond_wait(cond, mutex);
	pthread_mutex_unlock(mutex);
}

/* Turn an errno-style return into the verbs convention: errno + value. */
static inline int set_errno_ret(int err)
{
	if (err)
		errno = err;
	return err;
}

#endif /* IBVERBS_INTERNAL_H */
