# rdma-core 44's own ODP tests (tests/test_odp.py as Debian ships them):
# RC/UD/XRC/SRQ traffic on explicit, implicit and HUGETLB ODP MRs, atomics,
# RDMA READ/WRITE, and every prefetch advice sync and async.  Huge-page
# tests need reserved 2 MiB pages, reserved here when there are none.  A
# test may skip for a capability the device does not claim; none may fail.
. "$(dirname "$0")/../lib.sh"
src=/usr/share/doc/rdma-core/tests
[ -d "$src" ] || { echo "no $src (rdma-core package docs)"; exit 77; }
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ "$(cat $hp 2>/dev/null || echo 0)" -gt 0 ] || echo 16 >"$hp" 2>/dev/null
work=$(mktemp -d)
cp -r "$src" "$work/tests"
gunzip -f "$work"/tests/*.gz
gid=${SMLX_GID_INDEX:-1}
out=$work/out
/usr/bin/python3 "$(dirname "$0")/../pyverbs-run" "$work/tests" --dev "$SMLX_DEV" --gid "$gid" -v \
	tests.test_odp >"$out" 2>&1
rc=$?
cat "$out"
grep -Eq "^Ran [1-9][0-9]* tests?" "$out" || fail "pyverbs ran no tests"
[ $rc -eq 0 ] || fail "pyverbs ODP tests failed (exit $rc)"
grep -Eq "^OK" "$out" || fail "no OK verdict"
# Every test must have run: the device claims all the caps they need.
! grep -q "skipped" "$out" || fail "some ODP tests were skipped"
