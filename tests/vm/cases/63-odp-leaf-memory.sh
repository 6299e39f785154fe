# Issue 8 item 3a: the kernel memory behind an ODP MR follows what is
# mapped.  A 1 TiB ODP MR over nothing, prefetched NO_FAULT in 4 GiB SGEs,
# and faults on its unmapped addresses allocate no leaf (the device's page
# table pages, drv_odp_leaves in "rdma resource show mr -dd") and cost no
# MemAvailable; ranges past TASK_SIZE are refused; leaves of unmapped
# memory are freed; a process's leaves are charged to its memory cgroup
# (memory.current), also when a kernel worker makes them.
. "$(dirname "$0")/../lib.sh"
memcg_make smlx63
# NUMA balancing's hinting faults would free the leaves the checks count.
numa_balancing_off
before=$(res_counts)
SMLX_MEMCG=$memcg "$SMLX_TESTBIN/odp_leaf_memory" || fail "odp_leaf_memory"
expect_no_leak "$before"
