# A CQ overrun: IBV_EVENT_CQ_ERR, the CQEs it held intact, the QP in error,
# its other CQ and the peer undisturbed, nothing leaked.
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/datapath_cq_overrun" || fail "datapath_cq_overrun"
after=$(res_counts)
echo "resources before: $before"
echo "resources after:  $after"
[ "$before" = "$after" ] || fail "kernel objects leaked: '$before' -> '$after'"
