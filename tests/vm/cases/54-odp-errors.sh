# Unresolvable ODP faults end in error completions (LOC_PROT_ERR on the
# requester, REM_ACCESS_ERR through the responder's NAK); a responder
# fault slower than the requester's timer (on a FUSE file whose READ comes
# late) is answered with RNR NAKs, for as long as it lasts (the requester
# lives on rnr_retry); processes exiting with faults in flight leave no
# kernel object behind.
. "$(dirname "$0")/../lib.sh"
modprobe fuse 2>/dev/null
[ -c /dev/fuse ] || fail "no /dev/fuse"
before=$(res_counts)
"$SMLX_TESTBIN/odp_errors" || fail "odp_errors"
"$SMLX_TESTBIN/odp_errors" exit 20 || fail "odp_errors exit"
sleep 1
expect_no_leak "$before"
