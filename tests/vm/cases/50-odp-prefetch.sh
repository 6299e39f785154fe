# ibv_advise_mr on ODP MRs: each advice synchronous and queued, NO_FAULT
# mapping no new page, the errors of bad requests, invalidations by
# MADV_DONTNEED, munmap, COW and MADV_PAGEOUT, all seen through
# "rdma statistic mr" and "rdma resource show mr -dd".  A small zram swap
# makes MADV_PAGEOUT able to reclaim the registered anonymous pages.  A
# prefetch queued behind a slow FUSE fault, whose MR goes meanwhile, faults
# in nothing of the mapping that then takes its range.
. "$(dirname "$0")/../lib.sh"
modprobe fuse 2>/dev/null
[ -c /dev/fuse ] || fail "no /dev/fuse"

zram_swap_on
grep -q / /proc/swaps || echo "no swap: MADV_PAGEOUT is checked without reclaim"

before=$(rdma statistic show link "$SMLX_DEV/1")
"$SMLX_TESTBIN/odp_prefetch" || fail "odp_prefetch"
after=$(rdma statistic show link "$SMLX_DEV/1")
echo "device counters before: $before"
echo "device counters after:  $after"
# The device totals keep what MRs counted after the MRs are gone.
b=$(echo "$before" | sed -n 's/.* page_prefetch \([0-9]*\).*/\1/p')
a=$(echo "$after" | sed -n 's/.* page_prefetch \([0-9]*\).*/\1/p')
[ -n "$a" ] && [ -n "$b" ] || fail "rdma statistic does not show page_prefetch"
[ "$a" -gt "$b" ] || fail "device page_prefetch did not grow: $b -> $a"
