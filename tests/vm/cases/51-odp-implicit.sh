# Implicit ODP: children created lazily per 1 GiB chunk (4+ chunks, racing
# creators, a range across a boundary), torn down once emptied by munmap,
# re-created, freed with the MR.  No MR may outlive the program.
. "$(dirname "$0")/../lib.sh"
# NUMA balancing (numa=fake=2 in run-all's guest) write-protects a task's
# VMAs for its hinting faults, which rightly drops their ODP pages; the
# checks count pages the test mapped.  Seen under the debug kernel: the
# racers' 2 MiB region lost its 512 pages in one invalidation, and the
# teardown check found its child gone too.
nb=$(cat /proc/sys/kernel/numa_balancing 2>/dev/null || echo)
[ -z "$nb" ] || echo 0 >/proc/sys/kernel/numa_balancing
trap '[ -z "$nb" ] || echo "$nb" >/proc/sys/kernel/numa_balancing; lib_cleanup' EXIT
"$SMLX_TESTBIN/odp_implicit" || fail "odp_implicit"
res_counts | grep -q "mr 0" || fail "MRs left behind: $(res_counts)"
