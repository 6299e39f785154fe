# UCX on smlx0 with On-Demand Paging.  UCP maps ucp_verify's put/get/atomic
# window with UCP_MEM_MAP_NONBLOCK, which UCX registers as an explicit ODP
# MR: all of ucp_verify's checks must pass, and "rdma resource show mr
# -dd" / "rdma statistic show mr", sampled while it runs, must show that
# MR as ODP and taking faults.  Then ucx_perftest -B (UCT registering with
# NONBLOCK) puts and gets over rc_verbs on ODP memory.  UCX's verbs memory
# domain, which smlx gets, takes its ODP size limit only from the
# experimental verbs of old MLNX_OFED: without UCX_IB_ODP_MAX_SIZE it is 0
# and NONBLOCK registrations are pinned.
# UCX_IB_REG_METHODS=odp (one implicit ODP MR for everything) is not run:
# UCX 1.13.1 crashes in ucp_cleanup with it on any HCA with implicit ODP
# (docs/applications.md).
# case-timeout: 600
. "$(dirname "$0")/../lib.sh"
port=13600
export UCX_NET_DEVICES=$SMLX_DEV:1 UCX_TLS=rc_verbs,ud_verbs,self
export UCX_IB_ODP_MAX_SIZE=inf

faults() {
	rdma statistic show link "$SMLX_DEV/1" |
		sed -n 's/.* page_faults_handled \([0-9]*\) .*/\1/p'
}

before=$(res_counts)
f0=$(faults)
samples=$(mktemp) out=$(mktemp)
timeout 600 "$SMLX_TESTBIN/ucp_verify" --nonblock >"$out" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	rdma resource show mr -dd
	rdma statistic show mr
	sleep 0.2
done >"$samples" 2>&1
wait $pid
rc=$?
echo "--- ucp_verify --nonblock (exit $rc)"
cat "$out"
[ $rc -eq 0 ] || fail "ucp_verify --nonblock on ODP memory"
f1=$(faults)
echo "device page_faults_handled: $f0 -> $f1"
[ "${f1:-0}" -gt "${f0:-0}" ] || fail "ucp_verify's ODP window took no fault ($f0 -> $f1)"
odp_mrns=$(sed -n 's/.* mrn \([0-9]*\) .*comm ucp_verify drv_odp explicit.*/\1/p' "$samples" | sort -u)
echo "ucp_verify's explicit ODP MRs: ${odp_mrns:-none}"
[ -n "$odp_mrns" ] || { sort -u "$samples" | head -40; fail "no MR of ucp_verify was an explicit ODP MR"; }
faulted=
for mrn in $odp_mrns; do
	grep -Eq "mrn $mrn page_faults [1-9]" "$samples" && faulted="$faulted $mrn"
done
echo "of them with page faults counted:${faulted:- none}"
[ -n "$faulted" ] || { sort -u "$samples" | head -40; fail "the ODP MRs of ucp_verify counted no page fault"; }
rm -f "$samples" "$out"
expect_no_leak "$before"

f0=$(faults)
batch=$(mktemp)
{
	for s in 8 65536 4194304; do
		echo "put_bw_zcopy_$s -t put_bw -D zcopy -s $s -n 20 -w 2"
	done
	for s in 4096 4194304; do
		echo "get_zcopy_$s -t get -D zcopy -s $s -n 20 -w 2"
	done
} >"$batch"
ucx_batch "rc_verbs -B" "$batch" -x rc_verbs -d "$SMLX_DEV:1" -B
f1=$(faults)
echo "device page_faults_handled: $f0 -> $f1"
[ "${f1:-0}" -gt "${f0:-0}" ] || fail "ucx_perftest -B took no ODP fault ($f0 -> $f1)"
rm -f "$batch"
expect_no_leak "$before"
echo "ucx odp: all passed"
