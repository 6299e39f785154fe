# ibv_modify_qp is all or nothing: refused transitions, masks and values
# fail with EINVAL and change nothing; the QP still carries traffic.
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/datapath_qp_modify" || fail "datapath_qp_modify"
expect_no_leak "$before"
