# Implicit ODP: children created lazily per 1 GiB chunk (4+ chunks, racing
# creators, a range across a boundary), torn down once emptied by munmap,
# re-created, freed with the MR.  No MR may outlive the program.
. "$(dirname "$0")/../lib.sh"
"$SMLX_TESTBIN/odp_implicit" || fail "odp_implicit"
res_counts | grep -q "mr 0" || fail "MRs left behind: $(res_counts)"
