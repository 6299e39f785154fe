# An XRC initiator stopping in the middle of a message: ibv_destroy_srq and
# the exit of the SRQ's process return at once, not when (never) the
# message ends (issue 8, item 3e).
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/xrc_srq_destroy" || fail "xrc_srq_destroy"
expect_no_leak "$before"
