/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Building RDMA_VERBS_IOCTL commands.  Same structure and helper names as
 * rdma-core 44, because providers compiled against it construct these
 * buffers themselves and hand them to execute_ioctl().
 *
 * A command is a chain of ibv_command_buffer blocks: each caller in a call
 * chain (provider -> library) declares a block on its stack for the
 * attributes it adds, linked through ->next.  The block that finally issues
 * the ioctl is sized for all attributes of the chain so execute_ioctl() can
 * gather them into one contiguous array behind its header.
 */
#ifndef INFINIBAND_CMD_IOCTL_H
#define INFINIBAND_CMD_IOCTL_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <assert.h>
#include <rdma/rdma_user_ioctl_cmds.h>
#include <infiniband/verbs.h>

static inline uint64_t ioctl_ptr_to_u64(const void *ptr)
{
	return (uintptr_t)ptr;
}

struct ibv_command_buffer {
	struct ibv_command_buffer *next;
	/* attributes still free in this block: [next_attr, last_attr) */
	struct ib_uverbs_attr *next_attr;
	struct ib_uverbs_attr *last_attr;
	/*
	 * Where the driver's UHW in/out attributes sit, and how much room the
	 * write() fallback needs in front of them for header + core command.
	 */
	uint8_t uhw_in_idx;
	uint8_t uhw_out_idx;
	uint8_t uhw_in_headroom_dwords;
	uint8_t uhw_out_headroom_dwords;

	uint8_t buffer_error:1;
	/* the write() fallback must use an extended command */
	uint8_t fallback_require_ex:1;
	/* the command has no write() equivalent */
	uint8_t fallback_ioctl_only:1;
	/* hdr.attrs[] continues into the following array elements */
	struct ib_uverbs_ioctl_hdr hdr;
};

enum { _UHW_NO_INDEX = 0xFF };

/* Number of ibv_command_buffer elements that hold a block of _num_attrs. */
#define _IOCTL_NUM_CMDB(_num_attrs)                                            \
	((sizeof(struct ibv_command_buffer) +                                  \
	  sizeof(struct ib_uverbs_attr) * (_num_attrs) +                       \
	  sizeof(struct ibv_command_buffer) - 1) /                             \
	 sizeof(struct ibv_command_buffer))

unsigned int __ioctl_final_num_attrs(unsigned int num_attrs,
				     struct ibv_command_buffer *link);

/* Attributes the final block needs: its own plus those of the chain. */
static inline unsigned int
_ioctl_final_num_attrs(unsigned int num_attrs, struct ibv_command_buffer *link)
{
	return link ? __ioctl_final_num_attrs(num_attrs, link) : num_attrs;
}

static inline int _ioctl_init_cmdb(struct ibv_command_buffer *cmd,
				   uint16_t object_id, uint16_t method_id,
				   size_t num_attrs,
				   struct ibv_command_buffer *link)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->next = link;
	cmd->hdr.object_id = object_id;
	cmd->hdr.method_id = method_id;
	cmd->uhw_in_idx = _UHW_NO_INDEX;
	cmd->uhw_out_idx = _UHW_NO_INDEX;
	cmd->next_attr = cmd->hdr.attrs;
	cmd->last_attr = cmd->hdr.attrs + num_attrs;
	return 0;
}

/*
 * Declare a command block named _name on the stack with room for _num_attrs
 * attributes (plus, when _link is given, those of the linked blocks).
 */
#define DECLARE_COMMAND_BUFFER_LINK(_name, _object_id, _method_id, _num_attrs, \
				    _link)                                     \
	const unsigned int __##_name##total =                                  \
		_ioctl_final_num_attrs(_num_attrs, _link);                     \
	struct ibv_command_buffer _name[_IOCTL_NUM_CMDB(__##_name##total)];    \
	int __attribute__((unused)) __##_name##dummy = _ioctl_init_cmdb(       \
		_name, _object_id, _method_id, __##_name##total, _link)

#define DECLARE_COMMAND_BUFFER(_name, _object_id, _method_id, _num_attrs)      \
	DECLARE_COMMAND_BUFFER_LINK(_name, _object_id, _method_id, _num_attrs, \
				    NULL)

int execute_ioctl(struct ibv_context *context, struct ibv_command_buffer *cmd);

static inline struct ib_uverbs_attr *
_ioctl_next_attr(struct ibv_command_buffer *cmd, uint16_t attr_id)
{
	struct ib_uverbs_attr *attr;

	if (cmd->next_attr >= cmd->last_attr) {
		/*
		 * Out of room: remember it (execute_ioctl fails with ENOMEM)
		 * and hand out the last slot again so callers never write
		 * past the block.
		 */
		cmd->buffer_error = 1;
		attr = cmd->last_attr - 1;
	} else {
		attr = cmd->next_attr++;
	}
	memset(attr, 0, sizeof(*attr));
	attr->attr_id = attr_id;
	/* mandatory unless wrapped in attr_optional() */
	attr->flags = UVERBS_ATTR_F_MANDATORY;
	return attr;
}

static inline struct ib_uverbs_attr *attr_optional(struct ib_uverbs_attr *attr)
{
	if (attr)
		attr->flags &= ~UVERBS_ATTR_F_MANDATORY;
	return attr;
}

/* After execute_ioctl: did the kernel fill this optional output? */
static inline bool attr_output_valid(struct ib_uverbs_attr *attr)
{
	return attr && (attr->flags & UVERBS_ATTR_F_VALID_OUTPUT);
}

/* UVERBS_ATTR_TYPE_IDR: objects travel as their 32 bit handle in data. */
static inline struct ib_uverbs_attr *
fill_attr_in_obj(struct ibv_command_buffer *cmd, uint16_t attr_id, uint32_t idr)
{
	struct ib_uverbs_attr *attr = _ioctl_next_attr(cmd, attr_id);

	attr->data = idr;
	return attr;
}

static inline struct ib_uverbs_attr *
fill_attr_out_obj(struct ibv_command_buffer *cmd, uint16_t attr_id)
{
	return fill_attr_in_obj(cmd, attr_id, 0);
}

static inline uint32_t read_attr_obj(uint16_t attr_id,
				     struct ib_uverbs_attr *attr)
{
	assert(attr->attr_id == attr_id);
	(void)attr_id;
	return (uint32_t)attr->data;
}

/* UVERBS_ATTR_TYPE_PTR_IN: up to 8 bytes inline, otherwise by pointer. */
static inline struct ib_uverbs_attr *
fill_attr_in(struct ibv_command_buffer *cmd, uint16_t attr_id, const void *data,
	     size_t len)
{
	struct ib_uverbs_attr *attr = _ioctl_next_attr(cmd, attr_id);

	if (len > UINT16_MAX)
		cmd->buffer_error = 1;
	attr->len = (uint16_t)len;
	if (len <= sizeof(uint64_t))
		memcpy(&attr->data, data, len);
	else
		attr->data = ioctl_ptr_to_u64(data);
	return attr;
}

#define fill_attr_in_ptr(cmd, attr_id, ptr)                                    \
	fill_attr_in(cmd, attr_id, ptr, sizeof(*ptr))

static inline struct ib_uverbs_attr *
fill_attr_in_uint64(struct ibv_command_buffer *cmd, uint16_t attr_id,
		    uint64_t data)
{
	struct ib_uverbs_attr *attr = _ioctl_next_attr(cmd, attr_id);

	attr->len = sizeof(data);
	attr->data = data;
	return attr;
}

#define fill_attr_const_in(cmd, attr_id, _data)                                \
	fill_attr_in_uint64(cmd, attr_id, _data)

static inline struct ib_uverbs_attr *
fill_attr_in_uint32(struct ibv_command_buffer *cmd, uint16_t attr_id,
		    uint32_t data)
{
	struct ib_uverbs_attr *attr = _ioctl_next_attr(cmd, attr_id);

	attr->len = sizeof(data);
	memcpy(&attr->data, &data, sizeof(data));
	return attr;
}

/* UVERBS_ATTR_TYPE_FD; -1 means "no fd" and adds nothing. */
static inline struct ib_uverbs_attr *
fill_attr_in_fd(struct ibv_command_buffer *cmd, uint16_t attr_id, int fd)
{
	struct ib_uverbs_attr *attr;

	if (fd == -1)
		return NULL;
	attr = _ioctl_next_attr(cmd, attr_id);
	attr->data = fd;
	return attr;
}

static inline struct ib_uverbs_attr *
fill_attr_out_fd(struct ibv_command_buffer *cmd, uint16_t attr_id, int fd)
{
	struct ib_uverbs_attr *attr = _ioctl_next_attr(cmd, attr_id);

	(void)fd;
	attr->data = 0;
	return attr;
}

static inline int read_attr_fd(uint16_t attr_id, struct ib_uverbs_attr *attr)
{
	assert(attr->attr_id == attr_id);
	(void)attr_id;
	return (int)attr->data;
}

/* UVERBS_ATTR_TYPE_PTR_OUT */
static inline struct ib_uverbs_attr *
fill_attr_out(struct ibv_command_buffer *cmd, uint16_t attr_id, void *data,
	      size_t len)
{
	struct ib_uverbs_attr *attr = _ioctl_next_attr(cmd, attr_id);

	if (len > UINT16_MAX)
		cmd->buffer_error = 1;
	attr->len = (uint16_t)len;
	attr->data = ioctl_ptr_to_u64(data);
	return attr;
}

#define fill_attr_out_ptr(cmd, attr_id, ptr)                                   \
	fill_attr_out(cmd, attr_id, ptr, sizeof(*(ptr)))

/* size * nelems, saturating at SIZE_MAX (which then fails as too long) */
static inline size_t _array_len(size_t size, size_t nelems)
{
	if (size != 0 && SIZE_MAX / size <= nelems)
		return SIZE_MAX;
	return size * nelems;
}

#define fill_attr_out_ptr_array(cmd, attr_id, ptr, nelems)                     \
	fill_attr_out(cmd, attr_id, ptr, _array_len(sizeof(*ptr), nelems))

#define fill_attr_in_ptr_array(cmd, attr_id, ptr, nelems)                      \
	fill_attr_in(cmd, attr_id, ptr, _array_len(sizeof(*ptr), nelems))

static inline size_t __check_divide(size_t val, unsigned int div)
{
	assert(val % div == 0);
	return val / div;
}

/* UVERBS_ATTR_TYPE_ENUM: which variant in elem_id, its payload as PTR_IN */
static inline struct ib_uverbs_attr *
fill_attr_in_enum(struct ibv_command_buffer *cmd, uint16_t attr_id,
		  uint8_t elem_id, const void *data, size_t len)
{
	struct ib_uverbs_attr *attr = fill_attr_in(cmd, attr_id, data, len);

	attr->attr_data.enum_data.elem_id = elem_id;
	return attr;
}

/* UVERBS_ATTR_TYPE_IDRS_ARRAY */
static inline struct ib_uverbs_attr *
fill_attr_in_objs_arr(struct ibv_command_buffer *cmd, uint16_t attr_id,
		      const uint32_t *idrs_arr, size_t nelems)
{
	return fill_attr_in(cmd, attr_id, idrs_arr,
			    _array_len(sizeof(*idrs_arr), nelems));
}

static inline struct ib_uverbs_attr *
find_attr_by_id(struct ibv_command_buffer *link, uint16_t attr_id)
{
	struct ib_uverbs_attr *attr;

	for (; link; link = link->next)
		for (attr = link->hdr.attrs; attr < link->next_attr; attr++)
			if (attr->attr_id == attr_id)
				return attr;
	return NULL;
}

#endif /* INFINIBAND_CMD_IOCTL_H */
