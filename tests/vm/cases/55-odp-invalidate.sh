# Invalidations during ODP traffic, every byte checked: MADV_PAGEOUT (with
# a zram swap), THP split and collapse, page migration and compaction,
# fork with COW on both sides, and munmap/MADV_DONTNEED/mremap between
# transfers.  Migration between nodes needs two NUMA nodes (vm-run
# --kernel-args numa=fake=2); with one it is compaction only and may find
# nothing to move.
. "$(dirname "$0")/../lib.sh"

zram_swap_on
echo "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
nodes=$(ls -d /sys/devices/system/node/node* | wc -l)
echo "NUMA nodes: $nodes"
# asked for fake nodes and got one: migration would silently test nothing
if grep -q 'numa=fake=' /proc/cmdline && [ "$nodes" -lt 2 ]; then
	fail "numa=fake= on the command line but $nodes node(s)"
fi
"$SMLX_TESTBIN/odp_invalidate" || fail "odp_invalidate"
