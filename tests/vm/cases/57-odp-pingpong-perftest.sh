# Debian's unmodified ibv_rc_pingpong on ODP memory: -o (explicit ODP MR),
# -O (implicit ODP MR), each also with -P (prefetch), two processes, 1000
# iterations validated with -c; then perftest's --odp for WRITE, READ and
# SEND bandwidth.
. "$(dirname "$0")/../lib.sh"
gid=${SMLX_GID_INDEX:-1}

two() {	# two NAME PORT ARGS...: server in the background, client to localhost
	local tool=$1 port=$2; shift 2
	local srv cli pid src crc
	srv=$(mktemp) cli=$(mktemp)
	timeout 240 "$tool" "$@" >"$srv" 2>&1 &
	pid=$!
	sleep 1
	timeout 240 "$tool" "$@" localhost >"$cli" 2>&1
	crc=$?
	wait $pid
	src=$?
	echo "--- $tool $* (server rc $src, client rc $crc)"
	cat "$srv" "$cli"
	[ $src -eq 0 ] && [ $crc -eq 0 ] || fail "$tool $*"
	case $tool in
	ibv_*) grep -q "bytes in .* seconds" "$cli" || fail "$tool $*: no result" ;;
	*) grep -Eq "^ *65536 +200 " "$cli" || fail "$tool $*: no result" ;;
	esac
}

before=$(rdma statistic show link "$SMLX_DEV/1")
port=18700
for odp in -o -O "-o -P" "-O -P"; do
	# shellcheck disable=SC2086
	two ibv_rc_pingpong $port -d "$SMLX_DEV" -g "$gid" -p $port -n 1000 -c $odp
	port=$((port + 1))
done
for t in ib_write_bw ib_read_bw ib_send_bw; do
	two "$t" $port -d "$SMLX_DEV" -x "$gid" -p $port --odp -s 65536 -n 200 -F
	port=$((port + 1))
done
after=$(rdma statistic show link "$SMLX_DEV/1")
echo "device counters before: $before"
echo "device counters after:  $after"
f0=$(echo "$before" | sed -n 's/.* page_faults_handled \([0-9]*\) .*/\1/p')
f1=$(echo "$after" | sed -n 's/.* page_faults_handled \([0-9]*\) .*/\1/p')
[ "${f1:-0}" -gt "${f0:-0}" ] || fail "no ODP fault was handled: $before -> $after"
