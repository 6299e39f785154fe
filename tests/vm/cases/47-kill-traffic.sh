# SIGKILL of one side of Debian's perftest in the middle of traffic, 100
# times: the survivor must notice (a completion error, or the TCP control
# channel closing) and exit non-zero on its own, never hang; afterwards no
# QP, CQ, MR or PD of the device is left and the kernel log is clean
# (tools/vm-run checks the log).
#
# Only pairs whose survivor can notice are used: a process that just waits
# for receives cannot tell its peer died, on any RDMA device.  So the
# receiver of ib_send_bw is never the survivor.  Five pairs run at once
# (ib_write_bw, ib_read_bw, ib_send_bw), killed server or client in turn;
# the victim, too, must be gone at once (no process stuck in its exit).
# 100 perftest pairs started and killed take 260-290 s under TCG, near
# tests/vm/run's default of 300 s; each wait has its own bound below.
# case-timeout: 600
. "$(dirname "$0")/../lib.sh"
gid=${SMLX_GID_INDEX:-1}
rounds=${KILL_ROUNDS:-20}	# 5 pairs per round
survivor_limit=30		# seconds a survivor may take to give up

# wait_connected PORT PID...: until the pair's control connection is up
# (60 s at most); fails at once when one of the PIDs is gone.
wait_connected() {
	local port=$1 t0=$SECONDS p
	shift
	while [ $((SECONDS - t0)) -lt 60 ]; do
		ss -Htn state established "dport = :$port" | grep -q . && return 0
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null || return 1
		done
		sleep 0.1
	done
	return 1
}

# one_kill TOOL VICTIM PORT: runs TOOL as a pair, SIGKILLs VICTIM (server or
# client) at a random moment, and checks the other side gives up.
one_kill() {
	local tool=$1 victim=$2 port=$3 log=$TMPDIR_KILL/$3
	local srv cli vpid spid rc delay
	# no timeout(1) wrapper: $! must be the tool itself, the one to kill
	"$tool" -d "$SMLX_DEV" -x "$gid" -p "$port" -D 60 -s 65536 \
		>"$log.srv" 2>&1 &
	srv=$!
	if ! wait_listen "$port"; then
		kill -KILL $srv 2>/dev/null
		echo "$tool port $port: no server" >"$log.result"
		return
	fi
	"$tool" -d "$SMLX_DEV" -x "$gid" -p "$port" -D 60 -s 65536 \
		localhost >"$log.cli" 2>&1 &
	cli=$!
	# A server still waiting for its client to connect cannot know the
	# client is gone: kill only once the control connection is up, then
	# 0.1 .. 2 s later, mostly mid-transfer, sometimes still setting up.
	if ! wait_connected "$port" $srv $cli; then
		kill -KILL $srv $cli 2>/dev/null
		wait $srv $cli 2>/dev/null
		echo "NOCONN $tool: the pair never connected" >"$log.result"
		return
	fi
	delay=$(( (RANDOM % 20) + 1 ))
	sleep "$((delay / 10)).$((delay % 10))"
	if [ "$victim" = server ]; then vpid=$srv spid=$cli; else vpid=$cli spid=$srv; fi
	kill -KILL "$vpid" 2>/dev/null
	wait "$vpid" 2>/dev/null
	# the survivor: non-zero exit within the limit
	local t0=$SECONDS
	while kill -0 "$spid" 2>/dev/null && [ $((SECONDS - t0)) -lt $survivor_limit ]; do
		sleep 0.2
	done
	if kill -0 "$spid" 2>/dev/null; then
		kill -KILL "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		echo "HANG $tool kill $victim after ${delay}00 ms: survivor still running after ${survivor_limit}s" >"$log.result"
		return
	fi
	wait "$spid"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "OK0 $tool kill $victim after ${delay}00 ms: survivor exited 0" >"$log.result"
	else
		echo "OK $tool kill $victim after ${delay}00 ms: survivor exit $rc" >"$log.result"
	fi
}

# wait_round: the round's five pairs, 150 s at most (each needs < 100 s).
# A round that takes longer has a process stuck, in exit or in a wait the
# kill should have ended: show where, and stop.
wait_round() {
	local t0=$SECONDS p
	while [ -n "$(jobs -pr)" ]; do
		if [ $((SECONDS - t0)) -ge 150 ]; then
			echo "round $round stuck after 150 s:"
			ps -eo pid,ppid,stat,wchan:32,etimes,args | awk '$2 != 2 && $1 != 2'
			for p in $(pgrep -f 'ib_(write|read|send)_bw'); do
				echo "--- kernel stack of $p ($(cat /proc/$p/comm)):"
				cat /proc/$p/stack
			done
			echo "STUCK round $round" >"$TMPDIR_KILL/stuck.result"
			return 1
		fi
		sleep 1
	done
	wait
}

TMPDIR_KILL=$(mktemp -d)
before=$(res_counts)
port=19000
for round in $(seq "$rounds"); do
	if [ $((round % 2)) = 1 ]; then a=server b=client; else a=client b=server; fi
	one_kill ib_write_bw $a $((port + 1)) &
	one_kill ib_read_bw $b $((port + 2)) &
	one_kill ib_write_bw $b $((port + 3)) &
	one_kill ib_send_bw server $((port + 4)) &
	one_kill ib_read_bw $a $((port + 5)) &
	wait_round || break
	port=$((port + 5))
done

results=$(cat "$TMPDIR_KILL"/*.result)
echo "$results" | sort | uniq -c | sort -rn | head -20
n=$(echo "$results" | grep -c .)
ok=$(echo "$results" | grep -c '^OK ')
zero=$(echo "$results" | grep -c '^OK0 ')
echo "kills: $n, survivor failed on its own: $ok, survivor exited 0: $zero"
bad=$(echo "$results" | grep -Ev '^OK')
if [ -n "$bad" ]; then
	echo "$bad"
	for f in $(grep -lEv '^OK' "$TMPDIR_KILL"/*.result); do
		p=${f%.result}
		echo "--- ${p##*/} server:"; tail -5 "$p.srv"
		echo "--- ${p##*/} client:"; tail -5 "$p.cli"
	done
	fail "$(echo "$bad" | grep -c .) of $n kills went wrong"
fi
[ "$n" -eq $((rounds * 5)) ] || fail "only $n of $((rounds * 5)) kills ran"

# every process is gone: the device must hold nothing of theirs
sleep 1
expect_no_leak "$before"
echo "kill -9: all $n survivors gave up on their own, nothing leaked"
