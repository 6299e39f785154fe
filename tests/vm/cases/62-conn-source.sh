# A QP on a second smlx device (on its own netdev) that took a connected
# peer's QPN cannot SEND, WRITE, READ or do atomics on the other end of that
# connection: packets are taken from the path's far end only (issue 8,
# item 3f).
. "$(dirname "$0")/../lib.sh"
dev2=smlx1 net2=dummy1
cleanup() {
	rdma link delete "$dev2" 2>/dev/null
	ip link del "$net2" 2>/dev/null
}
trap cleanup EXIT
ip link add "$net2" type dummy || fail "ip link add $net2"
ip addr add 198.51.100.1/24 dev "$net2" || fail "ip addr add"
ip link set "$net2" up || fail "ip link set $net2 up"
rdma link add "$dev2" type smlx netdev "$net2" || fail "rdma link add $dev2"
# the IPv4 GID (index 1) shows up once the address is on the device
gid=/sys/class/infiniband/$dev2/ports/1/gids/1
for _ in $(seq 100); do
	[ -r "$gid" ] && ! grep -q '^0000:0000:0000:0000:0000:0000:0000:0000$' "$gid" && break
	sleep 0.1
done
before=$(res_counts)
SMLX_DEV2=$dev2 "$SMLX_TESTBIN/conn_source" || fail "conn_source"
expect_no_leak "$before"
