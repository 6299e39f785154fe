# rmmod while ODP traffic and faults are in flight: four odp_storm traffic
# processes (RDMA WRITE/READ over ODP buffers under steady invalidations
# and prefetches) run when smlx is unloaded.  rmmod must finish (the
# processes are disassociated, not waited for), every process must then
# be gone within 10 s of a SIGKILL (none stuck in the kernel), and the
# module must come back; RMMOD_CYCLES times (default 3), every other time
# with "rdma link delete" first (device unregistered under its users).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../reload.sh"
cycles=${RMMOD_CYCLES:-3}
tmp=$(mktemp -d)

before=$(res_counts)
for cycle in $(seq "$cycles"); do
	pids=()
	for k in 1 2 3 4; do
		"$SMLX_TESTBIN/odp_storm" traffic >"$tmp/$k.out" 2>&1 &
		pids+=($!)
	done
	for k in 1 2 3 4; do
		for _ in $(seq 300); do
			grep -q ready "$tmp/$k.out" && break
			sleep 0.1
		done
		grep -q ready "$tmp/$k.out" ||
			{ cat "$tmp/$k.out"; fail "cycle $cycle: traffic $k never got going"; }
	done
	sleep "0.$((RANDOM % 10))"
	t_rm=$SECONDS
	f=$(odp_stat page_faults)
	# odd cycles unregister the device first, even ones only rmmod
	if [ $((cycle % 2)) = 1 ]; then
		how="rdma link delete, then rmmod"
		timeout 120 rdma link delete "$SMLX_DEV" ||
			fail "cycle $cycle: rdma link delete under traffic"
	else
		how="rmmod"
	fi
	timeout 120 rmmod smlx &
	rm_pid=$!
	if ! wait $rm_pid; then
		ps -eo pid,stat,wchan:32,args | grep -E 'rmmod|odp_storm' | grep -v grep
		for p in $(pgrep -x rmmod) "${pids[@]}"; do
			echo "--- stack of $p:"; cat "/proc/$p/stack" 2>/dev/null
		done
		fail "cycle $cycle: rmmod under traffic failed or hung"
	fi
	t_rm=$((SECONDS - t_rm))
	sleep 1
	kill -KILL "${pids[@]}" 2>/dev/null
	t0=$SECONDS
	for p in "${pids[@]}"; do
		while kill -0 "$p" 2>/dev/null && [ $((SECONDS - t0)) -lt 10 ]; do
			sleep 0.1
		done
		if kill -0 "$p" 2>/dev/null; then
			echo "--- stack of $p:"; cat "/proc/$p/stack"
			fail "cycle $cycle: process $p still there 10 s after SIGKILL"
		fi
	done
	wait "${pids[@]}" 2>/dev/null
	echo "cycle $cycle: $how under traffic took ${t_rm}s ($f ODP page faults counted by then)"
	insmod "$SMLX_KO" || fail "cycle $cycle: insmod"
	smlx_link_up
done
expect_no_leak "$before"
smlx_reload
