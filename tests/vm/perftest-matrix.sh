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
tools=${PERFTEST_TOOLS:?which perftest tools}

port=$((18900 + RANDOM % 50 * 10))

# retried TOOL ARGS...: one server/client pair (lib.sh's perftest_pair, retried
# while perftest only could not time it); 0, or 2 when no try could be
# timed ("Can't produce a report", noisy clocks under emulation; the
# transfers themselves completed).  Any other failure fails the case.
retried() {
	PERF_ALLOW_TIMING_FAILURE=1 perftest_pair "$@"
}

# Sizes perftest reported in $PERF_CLI (first column of its result lines).
reported_sizes() {
	awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { print $1 }' "$PERF_CLI"
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
			[ "$api" = default ] && grep -Eq "ibv_wr\* API +: OFF" "$PERF_CLI" && break
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
		if [ "$api" = default ] && grep -Eq "ibv_wr\* API +: OFF" "$PERF_CLI"; then
			echo "     (perftest's default on $SMLX_DEV is the old post API already)"
			break
		fi
	done
done
echo "perftest matrix ($tools): all passed"
