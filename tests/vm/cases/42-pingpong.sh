# Debian's unmodified ibv_*_pingpong, server and client in this guest,
# through our libibverbs and provider: RC (polling and with completion
# events), UC, UD, SRQ and XRC SRQ.
. "$(dirname "$0")/../lib.sh"
gid=${SMLX_GID_INDEX:-1}

# pingpong NAME ARGS...: server in the background, client to localhost.
pingpong() {
	local tool=$1 port=$2; shift 2
	local srv cli
	srv=$(mktemp) cli=$(mktemp)
	timeout 120 "$tool" -d "$SMLX_DEV" -g "$gid" -p "$port" "$@" >"$srv" 2>&1 &
	local pid=$!
	wait_listen "$port" || echo "no server listening on $port"
	timeout 120 "$tool" -d "$SMLX_DEV" -g "$gid" -p "$port" "$@" localhost >"$cli" 2>&1
	local crc=$?
	wait $pid
	local src=$?
	echo "--- $tool $* (server rc $src, client rc $crc)"
	cat "$srv" "$cli"
	[ $src -eq 0 ] && [ $crc -eq 0 ] || fail "$tool $*"
	# xsrq_pingpong only says "success"; the others print their throughput
	grep -Eq "bytes in .* seconds|^success" "$cli" || fail "$tool $*: no result line"
	# -c only prints a mismatch, it does not change the exit status
	! grep -q "invalid data" "$srv" "$cli" || fail "$tool $*: data corrupted"
}

# 1,000 exchanges each (the tools' default), received data validated (-c)
# where the tool offers it; xsrq has no -c and defaults to 5 tests.
pingpong ibv_rc_pingpong 18600 -c
pingpong ibv_rc_pingpong 18601 -e -n 200 -c
pingpong ibv_rc_pingpong 18602 -s 65536 -n 100 -c
pingpong ibv_uc_pingpong 18603 -c
pingpong ibv_ud_pingpong 18604 -s 512 -c
pingpong ibv_srq_pingpong 18605 -c
pingpong ibv_xsrq_pingpong 18606 -n 1000
echo "pingpong: all passed"
