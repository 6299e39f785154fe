# Several threads posting to one QP and one SRQ and polling one CQ at once:
# every work request completes exactly once, successfully.
. "$(dirname "$0")/../lib.sh"
"$SMLX_TESTBIN/datapath_threads"
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || fail "datapath_threads"
