# What an XRC QP ignores (an initiator's recv_cq and srq, a target's CQs and
# SRQ) may be destroyed, or never have been objects: taking the QP through
# RESET touches none of it (found by the fuzzer, seed 0x70).
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/xrc_ignored_attrs" || fail "xrc_ignored_attrs"
expect_no_leak "$before"
