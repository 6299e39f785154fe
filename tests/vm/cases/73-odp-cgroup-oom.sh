# A process over its cgroup's memory.max during ODP traffic: odp_storm
# traffic --hog grows by RDMA READs into fresh memory through an implicit
# ODP MR (so the device's page faults are what allocates), in a cgroup of
# 48 MiB without swap, until the memory cgroup's OOM killer ends it; three
# times.  It must die of SIGKILL, memory.events must count the OOM kills,
# the device must hold what it held before, and smlx must unload cleanly.
#
# The OOM killer's report carries a stack dump ("Call Trace:"), which
# tools/vm-run would take for a kernel bug.  So while the hogs run the
# console shows only emergencies, and afterwards this case reads the kernel
# log since it started (what earlier cases logged is vm-run's to judge): a
# bad line is allowed only if it is the "Call Trace:" of an OOM report
# (within 5 lines after "invoked oom-killer"); anything
# else fails the case and the log is kept for vm-run.  When all is clean
# the log is cleared, so vm-run does not see the OOM reports.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../reload.sh"
rounds=${OOM_ROUNDS:-3}
cg=/sys/fs/cgroup/smlx73
bad_re='BUG:|WARNING:|Oops|Call Trace|KASAN|UBSAN|lockdep|possible recursive locking|circular locking|Kernel panic|general protection fault|soft lockup|hard LOCKUP|rcu_sched detected stall|rcu: INFO:|hung_task|blocked for more than|unreferenced object'

grep -q cgroup2 /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup ||
	fail "no cgroup2"
grep -qw memory /sys/fs/cgroup/cgroup.controllers || exit 77
echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
rmdir "$cg" 2>/dev/null
mkdir "$cg" || fail "mkdir $cg"
echo 48M >"$cg/memory.max" || fail "memory.max"
[ -f "$cg/memory.swap.max" ] && echo 0 >"$cg/memory.swap.max"

before=$(res_counts)
kmsg_mark
printk=$(cat /proc/sys/kernel/printk)
restore() { echo "$printk" >/proc/sys/kernel/printk; rmdir "$cg" 2>/dev/null; }
trap restore EXIT
echo "1 4 1 7" >/proc/sys/kernel/printk
for r in $(seq "$rounds"); do
	start=$SECONDS
	sh -c "echo \$\$ >$cg/cgroup.procs && exec $SMLX_TESTBIN/odp_storm traffic --hog" \
		>/tmp/oom.out 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null && [ $((SECONDS - start)) -lt 120 ]; do
		sleep 0.2
	done
	if kill -0 $pid 2>/dev/null; then
		cat "$cg/memory.current" "$cg/memory.events"
		echo "--- stack:"; cat /proc/$pid/stack
		kill -KILL $pid
		fail "round $r: the hog was not killed within 120 s"
	fi
	wait $pid
	rc=$?
	cat /tmp/oom.out
	[ $rc = 137 ] || fail "round $r: the hog exited $rc, not by SIGKILL"
	echo "round $r: OOM-killed after $((SECONDS - start)) s; $(tr '\n' ' ' <"$cg/memory.events")"
done
echo "$printk" >/proc/sys/kernel/printk
kills=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")
[ "${kills:-0}" -ge "$rounds" ] || fail "memory.events counts ${kills:-0} OOM kills, want $rounds"

# The kernel log: nothing bad but the OOM reports' own stack dumps.
dmesg | sed -n "/$kmsg_tag/,\$p" >/tmp/oom.dmesg
bad=$(awk -v re="$bad_re" '
	/invoked oom-killer/ { oom = NR }
	$0 ~ re {
		if ($0 ~ /Call Trace:/ && oom && NR - oom <= 5) { allowed++; next }
		print
	}
	END { if (allowed) printf "(%d OOM-report stack dumps allowed)\n", allowed > "/dev/stderr" }
' /tmp/oom.dmesg)
grep -E 'Killed process|oom-kill:' /tmp/oom.dmesg
[ -z "$bad" ] || { echo "$bad"; fail "kernel log has more than OOM reports"; }
dmesg -C

sleep 1
expect_no_leak "$before"
rmdir "$cg" || fail "rmdir $cg: something is left in the cgroup"
smlx_reload
