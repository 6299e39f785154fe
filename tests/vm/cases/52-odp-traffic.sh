# Every opcode of every transport (RC, UC, UD, RC and UD over an SRQ, XRC)
# with the ODP MR on the requester, on the responder and on both sides,
# data checked byte for byte, first-touch faults counted per MR; then the
# device totals must show them too.
. "$(dirname "$0")/../lib.sh"
"$SMLX_TESTBIN/odp_traffic" || fail "odp_traffic"
line=$(rdma statistic show link "$SMLX_DEV/1")
echo "device counters: $line"
faults=$(echo "$line" | sed -n 's/.* page_faults \([0-9]*\) .*/\1/p')
[ "${faults:-0}" -gt 0 ] || fail "device page_faults not counted: $line"
res_counts | grep -q "mr 0" || fail "MRs left behind: $(res_counts)"
