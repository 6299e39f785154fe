# Issue 8 item 3d: kernel memory a user sizes (CQ and QP rings, the send
# queues' shadow copies) is charged to the creator's memory cgroup and
# bounded per user context (smlx's ucontext_mem_max): a child in a cgroup
# with memory.max sees its CQ and QPs in memory.current, and going over the
# cgroup's limit or the context budget fails with ENOMEM, nobody killed.
. "$(dirname "$0")/../lib.sh"
memcg_make smlx64
echo $((192 << 20)) >"$memcg/memory.max" || fail "memory.max"
param=/sys/module/smlx/parameters/ucontext_mem_max
saved=$(cat "$param" 2>/dev/null)
before=$(res_counts)
SMLX_MEMCG=$memcg "$SMLX_TESTBIN/queue_memory" memcg || fail "queue_memory memcg"
"$SMLX_TESTBIN/queue_memory" budget || fail "queue_memory budget"
[ -z "$saved" ] || [ "$(cat "$param")" = "$saved" ] || fail "ucontext_mem_max not restored"
grep -q "^oom_kill 0" "$memcg/memory.events" || fail "OOM kills in the cgroup: $(cat "$memcg/memory.events")"
expect_no_leak "$before"
