# Concurrent ibv_modify_qp on one QP during traffic (two RESETs at once
# on an SRQ responder mid-message, and RTS->RTS on the requester): the
# driver serialises them, the kernel log stays clean, the QPs carry
# traffic again afterwards and nothing leaks.
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
kmsg_mark
"$SMLX_TESTBIN/qp_modify_race" || fail "qp_modify_race"
expect_kmsg_clean
expect_no_leak "$before"
