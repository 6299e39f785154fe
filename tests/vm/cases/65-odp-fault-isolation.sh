# Issue 8 item 3g: one user's ODP faults cannot stall another's, and
# teardown does not wait for a fault that never ends.  A raw FUSE server
# never answers READ; user A faults on a mapping of its file from 600 QPs
# (more than the shared fault workqueue's 2 x 256 workers), user B's ODP
# traffic on its own memory must complete meanwhile, A's destroy_qp,
# dereg_mr and exit must return with the faults pending, and killing the
# server releases everything.
. "$(dirname "$0")/../lib.sh"
modprobe fuse 2>/dev/null
[ -c /dev/fuse ] || fail "no /dev/fuse"
before=$(res_counts)
"$SMLX_TESTBIN/odp_fault_isolation" || fail "odp_fault_isolation"
# A's faults held its mm until the server died: the worker that dropped
# the last reference left A's device file to a deferred fput, which then
# destroys A's 600 QPs (1 s was not enough under the debug kernel: 176
# were still there).
wait_no_leak 60 "$before"
