# kill -9 in the middle of ODP faults and invalidations, 1,000 times:
# odp_storm forks children that run RDMA WRITE/READ over ODP buffers whose
# pages a second thread keeps throwing away (MADV_DONTNEED) or replacing
# (mmap MAP_FIXED), with async prefetches in between, and SIGKILLs each at
# a random moment (10% still in setup, the rest 0-40 ms into traffic),
# four at a time.  Afterwards: the device holds what it held before, the
# ODP counters show faults and invalidations happened, and the module
# unloads cleanly (tools/vm-run checks the kernel log).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../reload.sh"
n=${KILL_STORM_N:-1000}

before=$(res_counts)
f0=$(odp_stat page_faults) i0=$(odp_stat page_invalidations)
start=$SECONDS
"$SMLX_TESTBIN/odp_storm" kill "$n" 4 "${KILL_STORM_SEED:-71}" ||
	fail "odp_storm kill $n: a child failed on its own"
f1=$(odp_stat page_faults) i1=$(odp_stat page_invalidations)
echo "$n kills in $((SECONDS - start)) s; ODP page faults +$((f1 - f0)), invalidations +$((i1 - i0))"
[ $((f1 - f0)) -gt 0 ] || fail "no ODP page fault counted"
[ $((i1 - i0)) -gt 0 ] || fail "no ODP invalidation counted"
sleep 1
expect_no_leak "$before"
smlx_reload
