# rdma-core 44's own pyverbs tests of the data path (as Debian ships them)
# against our device: CQs (incl. cq_ex and events), QPs (incl. the
# ibv_wr_* API), address handles, atomics.  A test may skip for a
# capability the device does not claim; none may fail or error.
. "$(dirname "$0")/../lib.sh"
src=/usr/share/doc/rdma-core/tests
[ -d "$src" ] || { echo "no $src (rdma-core package docs)"; exit 77; }
work=$(mktemp -d)
cp -r "$src" "$work/tests"
gunzip -f "$work"/tests/*.gz
gid=${SMLX_GID_INDEX:-1}
out=$work/out
run() {
	/usr/bin/python3 "$(dirname "$0")/../pyverbs-run" "$work/tests" --dev "$SMLX_DEV" \
		--gid "$gid" -v "$@" >"$out" 2>&1
	local rc=$?
	cat "$out"
	grep -Eq "^Ran [1-9][0-9]* tests?" "$out" || fail "pyverbs ran no tests"
	grep -Eq "^(OK|FAILED)" "$out" || fail "no unittest verdict"
	return $rc
}

run tests.test_cq tests.test_cqex tests.test_cq_events tests.test_qp \
	tests.test_qpex tests.test_addr tests.test_atomic ||
	fail "pyverbs data-path tests failed"
