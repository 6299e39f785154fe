# Debian's UCX 1.13 on smlx0, its UCP layer, as applications use it: with
# UCX_TLS=rc_verbs,ud_verbs,self (RC for data, UD for wire-up) and with
# UCX_TLS=ud_verbs,self (UD alone), ucx_perftest's tag (eager and
# rendezvous), stream, put, get, atomics and am between two processes, and
# our ucp_verify, which checks every byte of the same operations.
# case-timeout: 900
. "$(dirname "$0")/../lib.sh"
port=13500
export UCX_NET_DEVICES=$SMLX_DEV:1
lat="-n 200 -w 10"
bw="-n 100 -w 5"
big="-n 10 -w 1"

batch=$(mktemp)
{
	echo "tag_lat -t tag_lat -s 8 $lat"
	echo "tag_sync_lat -t tag_sync_lat -s 8 $lat"
	for s in 8 8192 65536; do
		echo "tag_bw_$s -t tag_bw -s $s $bw"
	done
	echo "tag_bw_4194304 -t tag_bw -s 4194304 $big"
	echo "stream_lat -t stream_lat -s 8 $lat"
	echo "stream_bw -t stream_bw -s 65536 $bw"
	echo "ucp_put_lat -t ucp_put_lat -s 8 $lat"
	echo "ucp_get_8 -t ucp_get -s 8 $lat"
	for s in 8 65536; do
		echo "ucp_put_bw_$s -t ucp_put_bw -s $s $bw"
		echo "ucp_get_bw_$s -t ucp_get -s $s $bw"
	done
	echo "ucp_put_bw_4194304 -t ucp_put_bw -s 4194304 $big"
	echo "ucp_get_4194304 -t ucp_get -s 4194304 $big"
	for s in 4 8; do
		echo "ucp_add_$s -t ucp_add -s $s $bw"
		echo "ucp_fadd_$s -t ucp_fadd -s $s $lat"
		echo "ucp_swap_$s -t ucp_swap -s $s $lat"
		echo "ucp_cswap_$s -t ucp_cswap -s $s $lat"
	done
	echo "ucp_am_lat -t ucp_am_lat -s 8 $lat"
	for s in 8 65536 1048576; do
		echo "ucp_am_bw_$s -t ucp_am_bw -s $s $bw"
	done
} >"$batch"

for tls in rc_verbs,ud_verbs,self ud_verbs,self; do
	before=$(res_counts)
	UCX_TLS=$tls ucx_batch "UCX_TLS=$tls" "$batch"
	echo "--- ucp_verify UCX_TLS=$tls"
	UCX_TLS=$tls timeout 600 "$SMLX_TESTBIN/ucp_verify" ||
		fail "ucp_verify with UCX_TLS=$tls"
	expect_no_leak "$before"
done
rm -f "$batch"
echo "ucx ucp: all passed"
