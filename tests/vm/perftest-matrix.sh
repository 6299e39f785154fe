# Debian's perftest between two processes of this guest, every tool of the
# data-path issue through the all-sizes sweep (-a: 2 B .. 8 MiB; atomics
# are 8 B only), with perftest's default posting and --use_old_post_send.
# perftest only uses the ibv_wr_* API on devices it recognises (ConnectX,
# EFA, ...); on smlx0 its default is the old ibv_post_send too, which the
# header line "ibv_wr* API : OFF" shows, so the second run is made only
# when the first one used ibv_wr_*.  Iteration counts are small for
# emulation: this checks that every size completes, not how fast.
#
# Not a case itself: cases/43-perftest-matrix-*.sh run it for a share of
# the tools each (PERFTEST_TOOLS), to stay within the per-case time limit.
. "$(dirname "$0")/lib.sh"
gid=${SMLX_GID_INDEX:-1}
tools=${PERFTEST_TOOLS:?which perftest tools}

wait_listen() {
	local i
	for i in $(seq 300); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

port=$((18900 + RANDOM % 50 * 10))
srv=$(mktemp) cli=$(mktemp)

# run TOOL ARGS...: one server/client pair; 0, 1 (failed) or 2 (perftest
# only could not time it: "Can't produce a report", noisy clocks under
# emulation; the transfers themselves completed).
run() {
	local tool=$1 pid crc src; shift
	port=$((port + 1))
	timeout 200 "$tool" -d "$SMLX_DEV" -x "$gid" -p "$port" "$@" >"$srv" 2>&1 &
	pid=$!
	wait_listen "$port" || echo "no server listening on $port"
	timeout 200 "$tool" -d "$SMLX_DEV" -x "$gid" -p "$port" "$@" localhost >"$cli" 2>&1
	crc=$?
	wait $pid
	src=$?
	[ $src -eq 0 ] && [ $crc -eq 0 ] && return 0
	# one side gave up timing and left: the other then fails to exchange
	# its results over TCP, which is no data-path error
	if grep -q "Can't produce a report" "$cli" "$srv" &&
	   ! grep -Eiq "completion with error|failed status|wc status" "$cli" "$srv"; then
		return 2
	fi
	echo "--- $tool $* (server rc $src, client rc $crc)"
	cat "$srv" "$cli"
	return 1
}

# retried TOOL ARGS...: run, repeated (3 tries) while only timing failed.
retried() {
	local try rc
	for try in 1 2 3; do
		run "$@"
		rc=$?
		[ $rc = 2 ] || return $rc
	done
	return 2
}

# Sizes perftest reported in $cli (first column of its result lines).
reported_sizes() {
	awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { print $1 }' "$cli"
}

for tool in $tools; do
	for api in default old; do
		args=()
		[ "$api" = old ] && args+=(--use_old_post_send)
		case $tool in
		*_lat) iters=(-n 20) ;;
		*) iters=(-n 10) ;;
		esac
		start=$SECONDS
		if [ "$tool" = ib_atomic_bw ]; then
			retried "$tool" "${args[@]}" -n 200 ||
				[ $? = 2 ] || fail "$tool ${args[*]}"
			echo "ok   $tool ${args[*]} -n 200 ($((SECONDS - start)) s)"
			[ "$api" = default ] && grep -Eq "ibv_wr\* API +: OFF" "$cli" && break
			continue
		fi
		retried "$tool" "${args[@]}" -a "${iters[@]}"
		rc=$?
		[ $rc = 1 ] && fail "$tool ${args[*]} -a"
		done_sizes=$(reported_sizes | tr '\n' ' ')
		if [ $rc = 2 ]; then
			# the sweep stopped at a size it could not time: the
			# sizes after the last one reported, one run each
			last=$(reported_sizes | tail -1)
			size=$(( ${last:-1} * 2 ))
			while [ $size -le 8388608 ]; do
				retried "$tool" "${args[@]}" -s $size "${iters[@]}"
				rc=$?
				[ $rc = 1 ] && fail "$tool ${args[*]} -s $size"
				[ $rc = 0 ] && done_sizes+="$size "
				[ $rc = 2 ] && done_sizes+="${size}(untimed) "
				size=$((size * 2))
			done
		fi
		n=$(echo $done_sizes | wc -w)
		echo "ok   $tool ${args[*]} -a ${iters[*]}: $n sizes ($((SECONDS - start)) s)"
		[ "$n" -ge 23 ] || fail "$tool ${args[*]}: only sizes $done_sizes"
		if [ "$api" = default ] && grep -Eq "ibv_wr\* API +: OFF" "$cli"; then
			echo "     (perftest's default on $SMLX_DEV is the old post API already)"
			break
		fi
	done
done
echo "perftest matrix ($tools): all passed"
