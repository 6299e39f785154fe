# Sourced by the bench/guest/[0-9]*.sh scripts, which run in the guest
# (tools/vm-run) and print result rows in the format of
# bench/src/bench_result.h, one "@bench" line per row; the rest of their
# output is the log.  BENCH_QUICK=1 asks for the short run.

BENCH_BIN=${SMLX_REPO:?not in a tools/vm-run guest}/build/bench
BENCH_QUICK=${BENCH_QUICK:-0}
SMLX_DEV=${SMLX_DEV:-smlx0}

# bench_row METRIC SMLX REF UNIT higher|lower NOTE
bench_row() {
	printf '@bench\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6"
}

# bench_na METRIC UNIT higher|lower REASON
bench_na() {
	bench_row "$1" n/a n/a "$2" "$3" "$4"
}

# bench_prog SECONDS PROG ARGS...: one benchmark program of build/bench;
# if it fails, one n/a row says so (the rows it printed before stand).
bench_prog() {
	local limit=$1 prog=$2 rc
	shift 2
	echo "--- $prog $*"
	timeout "$limit" "$BENCH_BIN/$prog" "$@"
	rc=$?
	[ $rc -eq 0 ] && return 0
	[ $rc -eq 124 ] && rc="timed out after ${limit}s"
	bench_na "$prog $*" - lower "failed ($rc), see build/bench/log.txt"
	return 1
}

# median N...: the median of the numbers given.
median() {
	printf '%s\n' "$@" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) exit 1
			if (NR % 2) print v[(NR + 1) / 2]
			else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# odp_or_na METRIC...: succeeds when SMLX_DEV advertises ODP; otherwise
# prints an n/a row for each METRIC and fails.
odp_or_na() {
	local m
	ibv_devinfo -v -d "$SMLX_DEV" 2>/dev/null | grep -q 'ODP_SUPPORT\b' &&
		return 0
	for m in "$@"; do
		bench_na "$m" - lower "$SMLX_DEV does not advertise ODP_SUPPORT"
	done
	return 1
}
