# The module unloads cleanly, also while a process holds the device open,
# and survives RELOAD_CYCLES (default 50) unload/reload cycles (vm-run
# fails the run on any kernel warning, oops or leak report these produce).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../reload.sh"
cycles=${RELOAD_CYCLES:-50}

# A process holds a context, a PD and an ODP MR while we unload.
fifo=$(mktemp -u); mkfifo "$fifo"
"$SMLX_TESTBIN/hold_device" <"$fifo" >/tmp/hold.out 2>&1 &
holder=$!
exec 9>"$fifo"
for _ in $(seq 50); do grep -q holding /tmp/hold.out && break; sleep 0.1; done
grep -q holding /tmp/hold.out || { cat /tmp/hold.out; fail "holder did not start"; }
if rmmod smlx 2>/tmp/rmmod.err; then
	echo "module unloaded under an open context (disassociated)"
	gone_ok=1
else
	cat /tmp/rmmod.err
	grep -q "in use" /tmp/rmmod.err || fail "rmmod failed without saying why"
	gone_ok=0
fi
exec 9>&-
wait $holder; rc=$?
cat /tmp/hold.out
[ $rc = 0 ] || fail "holder exited $rc"
if [ $gone_ok = 0 ]; then rmmod smlx || fail "rmmod after the holder exited"; fi
lsmod | grep -q '^smlx ' && fail "module still loaded"

for i in $(seq "$cycles"); do
	insmod "$SMLX_KO" || fail "insmod cycle $i"
	if [ "$i" = 1 ]; then
		smlx_link_up
	else
		smlx_link_add "cycle $i"
	fi
	rdma link delete "$SMLX_DEV" || fail "rdma link delete cycle $i"
	rmmod smlx || fail "rmmod cycle $i"
done
echo "$cycles unload/reload cycles done"

# Leave the guest as vm-run set it up.
insmod "$SMLX_KO" || fail "final insmod"
smlx_link_up
