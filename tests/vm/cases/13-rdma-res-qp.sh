# "rdma resource show qp -dd" shows the engine's state of a QP (what a test
# that lost a completion prints, kernel/smlx_qp_res.c): a QP of Debian's
# ibv_rc_pingpong server, waiting for its client, reads as idle with its
# send queue at 0.
. "$(dirname "$0")/../lib.sh"
port=18515
ibv_rc_pingpong -d "$SMLX_DEV" -g "${SMLX_GID_INDEX:-1}" -p $port >/tmp/res-qp.out 2>&1 &
pid=$!
wait_listen $port || { kill $pid; fail "ibv_rc_pingpong server did not listen"; }
out=$(rdma resource show qp link "$SMLX_DEV/1" -dd)
kill $pid; wait $pid 2>/dev/null
echo "$out"
line=$(echo "$out" | grep -E 'type RC' | head -1)
[ -n "$line" ] || fail "no RC QP in rdma resource show qp"
for f in "engine idle" "inbox 0" "sq_kidx 0" "req_send 0" "rd_out 0" "timer_armed 0" \
	"odp_queued 0" "odp_scheduled 0" "odp_work_pending 0" "odp_orphans 0"; do
	echo "$line" | grep -q "$f" || fail "no '$f' in: $line"
done
