# Every send opcode (ibv_post_send and ibv_wr_*) on RC, UC, UD, SRQ and XRC
# in loopback with the data checked, SGE counts, inline data, cq_ex; no
# kernel object may outlive the program.
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/datapath_ops" || fail "datapath_ops"
expect_no_leak "$before"
