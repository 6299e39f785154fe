# Pinned, explicit ODP (64 GiB, untouched) and implicit ODP registration,
# errno of bad input, then 1,000 cycles that must leave no kernel object.
. "$(dirname "$0")/../lib.sh"
"$SMLX_TESTBIN/mr_registration" || fail "mr_registration"
before=$(res_counts)
"$SMLX_TESTBIN/mr_registration" cycles 1000 || fail "register/deregister cycles"
after=$(res_counts)
echo "resources before: $before"
echo "resources after:  $after"
[ "$before" = "$after" ] || fail "kernel objects leaked: '$before' -> '$after'"
echo "$after" | grep -q "mr 0" || fail "MRs still live after all processes ended: $after"
