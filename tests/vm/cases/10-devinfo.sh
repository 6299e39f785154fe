# Debian's unmodified ibv_devinfo -v sees our device, its port, a RoCEv2 GID
# and the ODP capabilities; our own ibv_devinfo prints the same thing.
. "$(dirname "$0")/../lib.sh"
out=$(mktemp) ours=$(mktemp)
/usr/bin/ibv_devinfo -v -d "$SMLX_DEV" >"$out" 2>&1 || { cat "$out"; fail "ibv_devinfo failed"; }
cat "$out"
expect_line "$out" "^hca_id:[[:space:]]+$SMLX_DEV\$" "device not listed"
expect_line "$out" "state:[[:space:]]+PORT_ACTIVE \(4\)" "port not active"
expect_line "$out" "link_layer:[[:space:]]+Ethernet" "link layer is not Ethernet"
expect_line "$out" "GID\[ *[0-9]+\]:.*RoCE v2" "no RoCEv2 GID"
expect_line "$out" "^[[:space:]]+general_odp_caps:" "no ODP block"
expect_line "$out" "^[[:space:]]+ODP_SUPPORT\$" "ODP_SUPPORT missing"
expect_line "$out" "^[[:space:]]+ODP_SUPPORT_IMPLICIT\$" "ODP_SUPPORT_IMPLICIT missing"
expect_line "$out" "^[[:space:]]+rc_odp_caps:" "no rc_odp_caps line"
expect_line "$out" "^[[:space:]]+xrc_odp_caps:" "no xrc_odp_caps line"
grep -Eq "vendor_id:[[:space:]]+0x0*2c9\$" "$out" && fail "device claims Mellanox's vendor id"
grep -q "transport:.*InfiniBand" "$out" || fail "transport is not InfiniBand (RoCE devices report InfiniBand)"

"$SMLX_BUILD/bin/ibv_devinfo" -v -d "$SMLX_DEV" >"$ours" 2>&1 || { cat "$ours"; fail "our ibv_devinfo failed"; }
diff -u "$out" "$ours" || fail "our ibv_devinfo -v disagrees with Debian's"

# Both list the device without -d too.
/usr/bin/ibv_devinfo -l | grep -q "$SMLX_DEV" || fail "ibv_devinfo -l does not list $SMLX_DEV"
"$SMLX_BUILD/bin/ibv_devices" | grep -q "$SMLX_DEV" || fail "our ibv_devices does not list $SMLX_DEV"
