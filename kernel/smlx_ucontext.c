// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * User contexts: the provider handshake (smlx-abi.h) and the per-context
 * status page the process maps read-only.
 *
 * The status page is an ordinary kernel page inserted into the VMA, so the
 * mapping holds its own page reference: it stays valid after the context,
 * or the whole device, is gone.  That is what lets a disassociated process
 * still read SMLX_STATUS_DEVICE_FATAL from it.
 */
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "smlx.h"

static struct smlx_status_page *smlx_status_page(struct smlx_ucontext *uctx)
{
	return page_address(uctx->status->page);
}

static int smlx_status_page_create(struct smlx_ucontext *uctx)
{
	struct smlx_mmap_entry *entry;
	struct smlx_status_page *status;
	int ret;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return -ENOMEM;
	entry->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!entry->page) {
		kfree(entry);
		return -ENOMEM;
	}
	status = page_address(entry->page);
	status->version = SMLX_STATUS_PAGE_VERSION;
	status->clock_ns = ktime_get_ns();

	ret = rdma_user_mmap_entry_insert(&uctx->ibuc, &entry->rdma_entry,
					  PAGE_SIZE);
	if (ret) {
		__free_page(entry->page);
		kfree(entry);
		return ret;
	}
	uctx->status = entry;
	return 0;
}

int smlx_alloc_ucontext(struct ib_ucontext *ibuc, struct ib_udata *udata)
{
	struct smlx_ucontext *uctx = to_suctx(ibuc);
	struct smlx_alloc_ucontext_resp resp = {};
	struct smlx_alloc_ucontext_cmd cmd;
	int ret;

	/* A provider that does not say which ABI it speaks is not ours. */
	if (udata->inlen < sizeof(cmd))
		return -EINVAL;
	if (ib_copy_from_udata(&cmd, udata, sizeof(cmd)))
		return -EFAULT;
	if (cmd.provider_abi != SMLX_UVERBS_ABI_VERSION || cmd.reserved)
		return -EINVAL;
	if (udata->inlen > sizeof(cmd) &&
	    !ib_is_udata_cleared(udata, sizeof(cmd),
				 udata->inlen - sizeof(cmd)))
		return -EOPNOTSUPP;
	if (udata->outlen < sizeof(resp))
		return -EINVAL;

	ret = smlx_status_page_create(uctx);
	if (ret)
		return ret;

	resp.abi_version = SMLX_UVERBS_ABI_VERSION;
	resp.page_size = PAGE_SIZE;
	resp.status_page_offset =
		rdma_user_mmap_get_offset(&uctx->status->rdma_entry);
	resp.status_page_size = PAGE_SIZE;
	resp.max_inline_data = SMLX_MAX_INLINE_DATA;
	resp.odp_chunk_shift = SMLX_ODP_CHUNK_SHIFT;
	ret = ib_copy_to_udata(udata, &resp, sizeof(resp));
	if (ret) {
		rdma_user_mmap_entry_remove(&uctx->status->rdma_entry);
		uctx->status = NULL;
		return -EFAULT;
	}
	return 0;
}

void smlx_dealloc_ucontext(struct ib_ucontext *ibuc)
{
	struct smlx_ucontext *uctx = to_suctx(ibuc);

	/* The entry, and our page reference, go in smlx_mmap_free(). */
	rdma_user_mmap_entry_remove(&uctx->status->rdma_entry);
}

/*
 * The device is going away under a live process (module unload, rdma link
 * delete, netdev removal).  ib_uverbs destroys the context's objects after
 * this; the process keeps its mapping of the status page and learns why
 * its calls now fail.
 */
void smlx_disassociate_ucontext(struct ib_ucontext *ibuc)
{
	struct smlx_status_page *status = smlx_status_page(to_suctx(ibuc));

	WRITE_ONCE(status->clock_ns, ktime_get_ns());
	/* clock_ns first: a reader that sees the flag sees its time. */
	smp_wmb();
	WRITE_ONCE(status->flags, status->flags | SMLX_STATUS_DEVICE_FATAL);
}

int smlx_mmap(struct ib_ucontext *ibuc, struct vm_area_struct *vma)
{
	struct rdma_user_mmap_entry *rdma_entry;
	struct smlx_mmap_entry *entry;
	int ret;

	/* Checks the offset, the length and VM_SHARED. */
	rdma_entry = rdma_user_mmap_entry_get(ibuc, vma);
	if (!rdma_entry)
		return -EINVAL;
	entry = to_smlx_mmap_entry(rdma_entry);

	if (entry->vbuf) {
		ret = smlx_queue_mmap(vma, entry);
		goto out;
	}
	/* Only the device writes the status page. */
	if (vma->vm_flags & (VM_WRITE | VM_EXEC)) {
		ret = -EPERM;
		goto out;
	}
	vma->vm_flags &= ~(VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	ret = vm_insert_page(vma, vma->vm_start, entry->page);
out:
	rdma_user_mmap_entry_put(rdma_entry);
	return ret;
}

void smlx_mmap_free(struct rdma_user_mmap_entry *rdma_entry)
{
	struct smlx_mmap_entry *entry = to_smlx_mmap_entry(rdma_entry);

	if (entry->vbuf) {
		smlx_queue_mmap_free(entry);
		return;
	}
	__free_page(entry->page);
	kfree(entry);
}
