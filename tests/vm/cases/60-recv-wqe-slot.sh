# Receive WQEs of 32 SGEs (1024-byte slots) on an RQ and an SRQ, and a
# num_sge rewritten in the ring after posting: the responder copies no more
# than its WQE buffer holds (KASAN, under --debug-kernel, sees an overrun)
# and refuses the forged count (issue 8, item 3c).
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
"$SMLX_TESTBIN/recv_wqe_slot" || fail "recv_wqe_slot"
expect_no_leak "$before"
