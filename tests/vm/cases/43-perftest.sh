# Debian's perftest between two processes of this guest: RDMA write with
# the ibv_wr_* API (perftest's default) and with ibv_post_send, all message
# sizes, and read, send and atomic bandwidth; write/send latency.
. "$(dirname "$0")/../lib.sh"
gid=${SMLX_GID_INDEX:-1}
port=18700

# perf TOOL ARGS...: server in the background, client to localhost.
# perftest refuses to report when its CPU-clock sampling is too noisy
# ("Can't produce a report", common under emulation): that run alone is
# repeated, up to three times; any other failure fails at once.
perf() {
	local tool=$1; shift
	local srv cli try crc src
	srv=$(mktemp) cli=$(mktemp)
	for try in 1 2 3; do
		port=$((port + 1))
		timeout 240 "$tool" -d "$SMLX_DEV" -x "$gid" -p "$port" "$@" >"$srv" 2>&1 &
		local pid=$!
		sleep 1
		timeout 240 "$tool" -d "$SMLX_DEV" -x "$gid" -p "$port" "$@" localhost >"$cli" 2>&1
		crc=$?
		wait $pid
		src=$?
		echo "--- $tool $* (server rc $src, client rc $crc, try $try)"
		cat "$cli"
		[ $src -eq 0 ] && [ $crc -eq 0 ] && return 0
		grep -q "Can't produce a report" "$cli" "$srv" || break
	done
	cat "$srv"
	fail "$tool $*"
}

perf ib_write_bw -n 1000
perf ib_write_bw -n 1000 --use_old_post_send
perf ib_write_bw -a -n 20
perf ib_read_bw -n 1000
perf ib_send_bw -n 1000
perf ib_send_bw -n 1000 --use_old_post_send
perf ib_atomic_bw -n 1000
perf ib_write_lat -n 1000
perf ib_send_lat -n 1000
echo "perftest: all passed"
