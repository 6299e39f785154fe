# ibv_destroy_cq racing ibv_destroy_qp of a QP on the CQ: EBUSY or success,
# never a crash of the provider (found by 70-fuzz).
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/queue_destroy_race" || fail "queue_destroy_race"
expect_no_leak "$before"
