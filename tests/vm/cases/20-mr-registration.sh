# Pinned, explicit ODP (64 GiB, untouched) and implicit ODP registration,
# errno of bad input, then 1,000 cycles that must leave no kernel object.
. "$(dirname "$0")/../lib.sh"
"$SMLX_TESTBIN/mr_registration" || fail "mr_registration"
before=$(res_counts)
"$SMLX_TESTBIN/mr_registration" cycles 1000 || fail "register/deregister cycles"
expect_no_leak "$before"
res_counts | grep -q "mr 0" || fail "MRs still live after all processes ended: $(res_counts)"
