# perftest bandwidth tools, every size, both post APIs (tests/vm/perftest-matrix.sh).
PERFTEST_TOOLS="ib_write_bw ib_read_bw ib_send_bw ib_atomic_bw" \
	exec bash "$(dirname "$0")/../perftest-matrix.sh"
