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
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "smlx.h"
#include "smlx_odp.h"

/*
 * The most kernel memory one user context may have sized: CQ, QP and SRQ
 * rings and the QPs' shadow copies of their send queues.  A CQ of the most
 * CQEs takes 256 MiB, a QP of the most WRs and SGEs about 48 MiB.  Read at
 * each allocation, so a change applies to later creates.
 */
static unsigned long ucontext_mem_max = 1UL << 30;
module_param(ucontext_mem_max, ulong, 0644);
MODULE_PARM_DESC(ucontext_mem_max,
		 "bytes of rings and queue copies one user context may hold (default 1 GiB)");

/**
 * smlx_budget_charge - account @bytes to a context's budget
 * @budget: the context's, or NULL (kernel objects: not budgeted)
 * @bytes: about to be allocated
 *
 * Returns 0, or -ENOMEM when that would take the context over
 * ucontext_mem_max.
 */
int smlx_budget_charge(struct smlx_mem_budget *budget, size_t bytes)
{
	unsigned long max = READ_ONCE(ucontext_mem_max);
	s64 used;

	if (!budget || !bytes)
		return 0;
	used = atomic64_add_return(bytes, &budget->used);
	if (used > max) {
		atomic64_sub(bytes, &budget->used);
		pr_debug("smlx: %zu more bytes would take a user context over ucontext_mem_max (%lu; %lld in use)\n",
			 bytes, max, used - (s64)bytes);
		return -ENOMEM;
	}
	return 0;
}

void smlx_budget_uncharge(struct smlx_mem_budget *budget, size_t bytes)
{
	if (budget && bytes)
		atomic64_sub(bytes, &budget->used);
}

struct smlx_mem_budget *smlx_budget_get(struct smlx_mem_budget *budget)
{
	if (budget)
		refcount_inc(&budget->ref);
	return budget;
}

void smlx_budget_put(struct smlx_mem_budget *budget)
{
	if (budget && refcount_dec_and_test(&budget->ref)) {
		WARN_ON_ONCE(atomic64_read(&budget->used));
		kfree(budget);
	}
}

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

	uctx->budget = kzalloc(sizeof(*uctx->budget), GFP_KERNEL_ACCOUNT);
	if (!uctx->budget)
		return -ENOMEM;
	refcount_set(&uctx->budget->ref, 1);
	atomic64_set(&uctx->budget->used, 0);
	uctx->odp_queue = smlx_odp_queue_alloc();
	if (!uctx->odp_queue) {
		smlx_budget_put(uctx->budget);
		return -ENOMEM;
	}
	ret = smlx_status_page_create(uctx);
	if (ret) {
		smlx_odp_queue_put(uctx->odp_queue);
		smlx_budget_put(uctx->budget);
		return ret;
	}

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
		smlx_odp_queue_put(uctx->odp_queue);
		smlx_budget_put(uctx->budget);
		return -EFAULT;
	}
	return 0;
}

void smlx_dealloc_ucontext(struct ib_ucontext *ibuc)
{
	struct smlx_ucontext *uctx = to_suctx(ibuc);

	/* The entry, and our page reference, go in smlx_mmap_free(). */
	rdma_user_mmap_entry_remove(&uctx->status->rdma_entry);
	/* Rings still mapped keep it until they are freed. */
	smlx_budget_put(uctx->budget);
	/* A fault still pending keeps the queue; it finds its QP gone. */
	smlx_odp_queue_put(uctx->odp_queue);
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
