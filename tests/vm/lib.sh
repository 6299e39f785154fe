# Helpers shared by the VM test cases (sourced, not run).
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_line FILE REGEX WHAT: FILE must have a line matching REGEX.
expect_line() {
	grep -Eq -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "$3"; }
}

# Live resource counts of the device under test, e.g. "pd 0 mr 0 ...".
res_counts() {
	rdma resource show "$SMLX_DEV" | sed 's/^[0-9]*: [^:]*: //'
}
