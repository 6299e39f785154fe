# ODP pins nothing: 16 GiB explicit and implicit ODP MRs leave RSS, VmPin
# and VmLck flat until RDMA touches them, touch only what RDMA wrote, and
# the touched pages can be reclaimed with MADV_PAGEOUT while registered
# (a zram swap is set up for that).
. "$(dirname "$0")/../lib.sh"
swap_dev=
if [ "${VM_RUN:-0}" = 1 ] && ! grep -q / /proc/swaps &&
	modprobe zram num_devices=1 2>/dev/null &&
	echo 64M >/sys/block/zram0/disksize &&
	mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; then
	swap_dev=/dev/zram0
fi
cleanup() { [ -z "$swap_dev" ] || swapoff "$swap_dev"; }
trap cleanup EXIT
"$SMLX_TESTBIN/odp_nopin" || fail "odp_nopin"
