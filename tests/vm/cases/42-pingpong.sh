# Debian's unmodified ibv_*_pingpong, server and client in this guest,
# through our libibverbs and provider: RC (polling and with completion
# events), UC, UD, SRQ and XRC SRQ.
. "$(dirname "$0")/../lib.sh"
gid=${SMLX_GID_INDEX:-1}

# wait_listen PORT: until a server listens on PORT (30 s at most); the
# first tool started in a fresh guest takes seconds to load its libraries.
wait_listen() {
	local i
	for i in $(seq 300); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}


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
}

pingpong ibv_rc_pingpong 18600
pingpong ibv_rc_pingpong 18601 -e -n 200
pingpong ibv_rc_pingpong 18602 -s 65536 -n 100
pingpong ibv_uc_pingpong 18603
pingpong ibv_ud_pingpong 18604 -s 512
pingpong ibv_srq_pingpong 18605
pingpong ibv_xsrq_pingpong 18606
echo "pingpong: all passed"
