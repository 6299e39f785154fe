# Implicit ODP: children created lazily per 1 GiB chunk (4+ chunks, racing
# creators, a range across a boundary), torn down once emptied by munmap,
# re-created, freed with the MR.  No MR may outlive the program.
. "$(dirname "$0")/../lib.sh"
# The checks count pages the test mapped.  Seen under the debug kernel with
# NUMA balancing on: the racers' 2 MiB region lost its 512 pages in one
# invalidation, and the teardown check found its child gone too.
numa_balancing_off
"$SMLX_TESTBIN/odp_implicit" || fail "odp_implicit"
res_counts | grep -q "mr 0" || fail "MRs left behind: $(res_counts)"
