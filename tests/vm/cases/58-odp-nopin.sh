# ODP pins nothing: 16 GiB explicit and implicit ODP MRs leave RSS, VmPin
# and VmLck flat until RDMA touches them, touch only what RDMA wrote, and
# the touched pages can be reclaimed with MADV_PAGEOUT while registered
# (a zram swap is set up for that).
. "$(dirname "$0")/../lib.sh"
zram_swap_on
"$SMLX_TESTBIN/odp_nopin" || fail "odp_nopin"
