# A CQ overrun: IBV_EVENT_CQ_ERR, the CQEs it held intact, the QP in error,
# its other CQ and the peer undisturbed, nothing leaked.
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/datapath_cq_overrun" || fail "datapath_cq_overrun"
expect_no_leak "$before"
