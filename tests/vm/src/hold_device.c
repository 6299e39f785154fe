// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Keeps an smlx context open with a PD and an ODP MR until stdin closes, so a
 * test can try to unload the module or remove the device underneath it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test_device.h"

int main(void)
{
	struct ibv_context *ctx = test_open_device();
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	size_t len = 1 << 20;
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ibv_mr *mr;
	char c;

	if (!pd || buf == MAP_FAILED) {
		perror("setup");
		return 2;
	}
	mr = ibv_reg_mr(pd, buf, len, IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_ON_DEMAND);
	if (!mr) {
		perror("ibv_reg_mr");
		return 2;
	}
	printf("holding\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	/* After a disassociate these may fail; they must not crash. */
	ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	printf("released\n");
	return 0;
}
