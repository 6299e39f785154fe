# Helpers of the cases that end by unloading smlx (sourced after lib.sh):
# the module must unload cleanly once its users are gone, and come back as
# tools/vm-run left it (one link on $SMLX_NETDEV, port active).

# odp_stat NAME: the device's ODP counter NAME ("rdma statistic"), or 0.
odp_stat() {
	rdma statistic show link "$SMLX_DEV/1" 2>/dev/null |
		tr ' ' '\n' | grep -A1 -x "$1" | tail -n 1 | grep -E '^[0-9]+$' ||
		echo 0
}

# smlx_link_add [WHAT]: the link on $SMLX_NETDEV, not waiting for the port.
smlx_link_add() {
	rdma link add "$SMLX_DEV" type smlx netdev "${SMLX_NETDEV:?}" ||
		fail "rdma link add${1:+ $1}"
}

smlx_link_up() {
	local _
	smlx_link_add
	for _ in $(seq 100); do
		grep -q ACTIVE "/sys/class/infiniband/$SMLX_DEV/ports/1/state" \
			2>/dev/null && return 0
		sleep 0.1
	done
	fail "port did not become active"
}

# smlx_reload: rdma link delete, rmmod (must succeed), insmod, link up.
smlx_reload() {
	local refs
	refs=$(cat /sys/module/smlx/refcnt)
	[ "$refs" = 0 ] || fail "module refcount $refs with no user left"
	rdma link delete "$SMLX_DEV" || fail "rdma link delete"
	rmmod smlx || fail "rmmod"
	insmod "$SMLX_KO" || fail "insmod"
	smlx_link_up
	echo "smlx unloaded cleanly and loaded again"
}
