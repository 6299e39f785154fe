# Debian's UCX 1.13 on smlx0, its UCT layer, with ucx_perftest between two
# processes: over rc_verbs every put, get and am flavour (short, bcopy,
# zcopy) and the atomics of IB verbs, latency and bandwidth from 8 B to
# 4 MiB; over ud_verbs am short, bcopy and zcopy up to the largest
# message UD carries.  82-ucx-ucp checks the data itself.
# case-timeout: 900
. "$(dirname "$0")/../lib.sh"
port=13400
export UCX_NET_DEVICES=$SMLX_DEV:1
lat="-n 300 -w 20"
bw="-n 200 -w 10"
big="-n 20 -w 2"

rc=$(mktemp)
{
	echo "put_lat_short -t put_lat -D short -s 8 $lat"
	echo "put_bw_short -t put_bw -D short -s 8 $bw"
	for s in 8 1024 8192; do
		echo "put_bw_bcopy_$s -t put_bw -D bcopy -s $s $bw"
		echo "get_bcopy_$s -t get -D bcopy -s $s $bw"
		echo "am_bw_bcopy_$s -t am_bw -D bcopy -s $s $bw"
		echo "am_bw_zcopy_$s -t am_bw -D zcopy -s $s $bw"
	done
	echo "put_lat_bcopy -t put_lat -D bcopy -s 1024 $lat"
	echo "am_lat_short -t am_lat -D short -s 8 $lat"
	echo "am_lat_bcopy -t am_lat -D bcopy -s 1024 $lat"
	echo "am_lat_zcopy -t am_lat -D zcopy -s 1024 $lat"
	echo "am_bw_short -t am_bw -D short -s 8 $bw"
	for s in 8 4096 65536; do
		echo "put_bw_zcopy_$s -t put_bw -D zcopy -s $s $bw"
	done
	# rc_verbs reads zero-copy from 65 bytes up (ucx_info -d: get_zcopy)
	for s in 65 4096 65536; do
		echo "get_zcopy_$s -t get -D zcopy -s $s $bw"
	done
	for s in 1048576 4194304; do
		echo "put_bw_zcopy_$s -t put_bw -D zcopy -s $s $big"
		echo "get_zcopy_$s -t get -D zcopy -s $s $big"
	done
	echo "put_lat_zcopy -t put_lat -D zcopy -s 65536 $lat"
	# The atomics of IB verbs, which is all rc_verbs offers: 64-bit add,
	# fetch-add and compare-swap.  32-bit atomics and swap are mlx5
	# extensions (rc_mlx5); UCP emulates them, and 81-ucx-ucp checks that.
	echo "add_lat -t add_lat -s 8 $lat"
	echo "add_mr -t add_mr -s 8 $bw"
	echo "fadd -t fadd -s 8 $lat"
	echo "cswap -t cswap -s 8 $lat"
} >"$rc"
info=$(ucx_info -d)
for cap in "atomic_add: 64 bit" "atomic_fadd: 64 bit" "atomic_cswap: 64 bit"; do
	echo "$info" | sed -n '/Transport: rc_verbs/,/Transport: ud_verbs/p' |
		grep -q "$cap" || fail "ucx_info -d: rc_verbs on $SMLX_DEV lacks $cap"
done
ucx_batch rc_verbs "$rc" -x rc_verbs -d "$SMLX_DEV:1"

ud=$(mktemp)
{
	echo "am_lat_short -t am_lat -D short -s 8 $lat"
	echo "am_bw_short -t am_bw -D short -s 8 $bw"
	# ud_verbs carries one MTU (1024 on the guest's 1500-byte netdev)
	for s in 8 512 1016; do
		echo "am_lat_bcopy_$s -t am_lat -D bcopy -s $s $lat"
		echo "am_bw_bcopy_$s -t am_bw -D bcopy -s $s $bw"
		echo "am_bw_zcopy_$s -t am_bw -D zcopy -s $s $bw"
	done
} >"$ud"
ucx_batch ud_verbs "$ud" -x ud_verbs -d "$SMLX_DEV:1"
rm -f "$rc" "$ud"
echo "ucx uct: all passed"
