# Error completions, flushing, QP state rules, completion channel events,
# CQ overrun, CQ resize and the CQEs of a destroyed QP.
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/datapath_errors" || fail "datapath_errors"
expect_no_leak "$before"
