# ibv_modify_qp is all or nothing: refused transitions, masks and values
# fail with EINVAL and change nothing; the QP still carries traffic.
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/datapath_qp_modify" || fail "datapath_qp_modify"
after=$(res_counts)
echo "resources before: $before"
echo "resources after:  $after"
[ "$before" = "$after" ] || fail "kernel objects leaked: '$before' -> '$after'"
