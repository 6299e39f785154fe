# Error completions, flushing, QP state rules, completion channel events,
# CQ overrun, CQ resize and the CQEs of a destroyed QP.
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/datapath_errors" || fail "datapath_errors"
after=$(res_counts)
echo "resources before: $before"
echo "resources after:  $after"
[ "$before" = "$after" ] || fail "kernel objects leaked: '$before' -> '$after'"
