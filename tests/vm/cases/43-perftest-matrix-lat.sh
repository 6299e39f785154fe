# perftest latency tools, every size, both post APIs (tests/vm/perftest-matrix.sh).
PERFTEST_TOOLS="ib_write_lat ib_read_lat ib_send_lat" \
	exec bash "$(dirname "$0")/../perftest-matrix.sh"
