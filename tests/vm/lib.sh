# Helpers shared by the VM test cases (sourced, not run).
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_line FILE REGEX WHAT: FILE must have a line matching REGEX.
expect_line() {
	grep -Eq -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "$3"; }
}

# Live resource counts of the device under test, e.g. "pd 0 mr 0 ...".
res_counts() {
	rdma resource show "$SMLX_DEV" | sed 's/^[0-9]*: [^:]*: //'
}

# expect_no_leak BEFORE: the device holds the same kernel objects as it did
# when res_counts gave BEFORE.
expect_no_leak() {
	local after
	after=$(res_counts)
	echo "resources before: $1"
	echo "resources after:  $after"
	[ "$1" = "$after" ] || fail "kernel objects leaked: '$1' -> '$after'"
}

# wait_no_leak SECS BEFORE: expect_no_leak, once the device holds what it
# held at BEFORE or SECS seconds have passed, for objects that go away on
# their own: those of a process whose last mm reference a kernel worker
# dropped are released from a workqueue (a deferred fput), after it exits.
wait_no_leak() {
	local t0=$SECONDS
	while [ "$(res_counts)" != "$2" ] && [ $((SECONDS - t0)) -lt "$1" ]; do
		sleep 0.2
	done
	echo "objects released $((SECONDS - t0)) s after the check began"
	expect_no_leak "$2"
}

# wait_listen PORT: until a server listens on PORT (30 s at most); the
# first tool started in a fresh guest takes seconds to load its libraries.
wait_listen() {
	local _
	for _ in $(seq 300); do
		ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# zram_swap_on: a small zram swap, so that MADV_PAGEOUT can reclaim
# anonymous pages; turned off and reset again when the case exits, so the
# next case can set it up afresh.  Outside tools/vm-run's guest, or when a
# swap is on already, it leaves things as they are.  In the guest a swap
# that cannot be set up fails the case: reclaim would go untested.
# Sets swap_dev, empty when it set none up.
zram_swap_off() {
	[ -n "${swap_dev:-}" ] || return 0
	swapoff "$swap_dev"
	echo 1 >/sys/block/zram0/reset
	swap_dev=
}
zram_swap_on() {
	swap_dev=
	[ "${VM_RUN:-0}" = 1 ] || return 0
	grep -q / /proc/swaps && return 0
	modprobe zram num_devices=1 || fail "no zram module"
	# a disksize left behind makes a new one EBUSY
	echo 1 >/sys/block/zram0/reset || fail "cannot reset zram0"
	echo 64M >/sys/block/zram0/disksize || fail "zram0 disksize"
	mkswap /dev/zram0 >/dev/null || fail "mkswap /dev/zram0"
	swapon /dev/zram0 || fail "swapon /dev/zram0"
	swap_dev=/dev/zram0
	trap lib_cleanup EXIT
}

# server_client NAME SERVER_CMD... -- CLIENT_CMD...: the server in the
# background, then its client; both must exit 0 (120 s each at most).  A
# client that came before the server listened (its output says rejected,
# unreachable or refused) tries again: an rdma_cm listener is no socket
# wait_listen could see.  The client's last output stays in $pair_out.
server_client() {
	local name=$1 srv spid crc src try
	local scmd=() ccmd=()
	shift
	while [ "$1" != -- ]; do scmd+=("$1"); shift; done
	shift
	ccmd=("$@")
	pair_out=${pair_out:-$(mktemp)}
	srv=$(mktemp)
	timeout 120 "${scmd[@]}" >"$srv" 2>&1 &
	spid=$!
	for try in $(seq 1 50); do
		timeout 120 "${ccmd[@]}" >"$pair_out" 2>&1
		crc=$?
		[ $crc -eq 0 ] && break
		grep -qiE 'REJECTED|UNREACHABLE|refused|failed to connect' \
			"$pair_out" || break
		sleep 0.2
	done
	wait $spid
	src=$?
	echo "--- $name (server rc $src, client rc $crc, tries $try)"
	cat "$pair_out"
	if [ $src -ne 0 ] || [ $crc -ne 0 ]; then
		echo "--- server:"
		cat "$srv"
		fail "$name"
	fi
	rm -f "$srv"
}

# perftest_pair TOOL ARGS...: a perftest server in the background, its
# client to localhost, each run on the next port after $port (set by the
# case).  (Not "perf": that would hide Linux's perf from the cases.)
# perftest refuses to report when its CPU-clock sampling is too noisy
# ("Can't produce a report", common under emulation): that run alone is
# repeated, up to three times; any other failure fails at once.  With
# PERF_ALLOW_TIMING_FAILURE=1, a run that only could not be timed returns 2.
# The last run's outputs stay in the files $PERF_SRV and $PERF_CLI.
perftest_pair() {
	local tool=$1; shift
	local try crc src pid timing_only=0 gid=${SMLX_GID_INDEX:-1}
	local srv=${PERF_SRV:=$(mktemp)} cli=${PERF_CLI:=$(mktemp)}
	for try in 1 2 3; do
		port=$((port + 1))
		timeout 240 "$tool" -d "$SMLX_DEV" -x "$gid" -p "$port" "$@" >"$srv" 2>&1 &
		pid=$!
		wait_listen "$port" || echo "no server listening on $port"
		timeout 240 "$tool" -d "$SMLX_DEV" -x "$gid" -p "$port" "$@" localhost >"$cli" 2>&1
		crc=$?
		wait $pid
		src=$?
		echo "--- $tool $* (server rc $src, client rc $crc, try $try)"
		cat "$cli"
		[ $src -eq 0 ] && [ $crc -eq 0 ] && return 0
		grep -q "Can't produce a report" "$cli" "$srv" || break
	done
	cat "$srv"
	grep -q "Can't produce a report" "$cli" "$srv" && timing_only=1
	[ "${PERF_ALLOW_TIMING_FAILURE:-0}" = 1 ] && [ $timing_only = 1 ] &&
		return 2
	fail "$tool $*"
}

# kmsg_mark: remember where the kernel log is now; expect_kmsg_clean then
# fails the case itself on a WARN, BUG, oops or lockdep report logged since,
# so a case names its own splat instead of leaving it to vm-run's final
# check (which fails the whole run, not the case).
kmsg_mark() {
	kmsg_tag="smlx-test-mark-$$-$(date +%s%N)"
	echo "$kmsg_tag" >/dev/kmsg
}
expect_kmsg_clean() {
	local log
	log=$(dmesg | sed -n "/$kmsg_tag/,\$p" |
	      grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t:|list_(add|del) corruption|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU|KASAN|UBSAN|hung_task|blocked for more than' || true)
	[ -z "$log" ] || { echo "$log" >&2; fail "kernel log: ${log%%$'\n'*}"; }
}

# memcg_make NAME: a fresh cgroup v2 group /sys/fs/cgroup/NAME with the
# memory controller (cgroup2 mounted and +memory enabled at the root
# first, when they are not); removed again when the case exits.  Sets
# memcg to its path.
memcg_remove() {
	[ -n "${memcg:-}" ] && [ -d "$memcg" ] && rmdir "$memcg" 2>/dev/null
	return 0
}
memcg_make() {
	local root=/sys/fs/cgroup
	[ "$(stat -f -c %T "$root")" = cgroup2fs ] ||
		mount -t cgroup2 none "$root" || fail "cannot mount cgroup2"
	grep -qw memory "$root/cgroup.subtree_control" ||
		echo +memory >"$root/cgroup.subtree_control" ||
		fail "cannot enable the memory controller"
	memcg=$root/$1
	[ -d "$memcg" ] && rmdir "$memcg"
	mkdir "$memcg" || fail "cannot create $memcg"
	trap lib_cleanup EXIT
}

# numa_balancing_off: NUMA balancing (numa=fake=2 in run-all's guest)
# takes pages away for its hinting faults, which rightly drops their ODP
# mappings; a case that counts the pages it mapped turns it off, and gets
# it back when it exits.
numa_balancing_restore() {
	[ -n "${numa_balancing_was:-}" ] &&
		echo "$numa_balancing_was" >/proc/sys/kernel/numa_balancing
	numa_balancing_was=
	return 0
}
numa_balancing_off() {
	numa_balancing_was=$(cat /proc/sys/kernel/numa_balancing 2>/dev/null || true)
	[ -z "$numa_balancing_was" ] ||
		echo 0 >/proc/sys/kernel/numa_balancing ||
		fail "cannot turn NUMA balancing off"
	trap lib_cleanup EXIT
}

# What zram_swap_on, memcg_make and numa_balancing_off leave behind,
# undone at exit.
lib_cleanup() {
	zram_swap_off
	memcg_remove
	numa_balancing_restore
}

# ucx_batch LABEL BATCH ARGS...: Debian's ucx_perftest, a server and its
# client to localhost on the next port after $port, both running every
# line of the file BATCH ("NAME -t TEST OPTIONS", one test a line) over one
# connection with ARGS added.  Every line must report its result row.
# ucx_perftest measures and does not check data; ucp_verify does.
ucx_batch() {
	local label=$1 batch=$2
	shift 2
	local srv cli pid src crc name opts
	srv=$(mktemp) cli=$(mktemp)
	port=$((port + 1))
	timeout 600 ucx_perftest -p "$port" -b "$batch" "$@" >"$srv" 2>&1 &
	pid=$!
	wait_listen "$port" || echo "no ucx_perftest server on port $port"
	timeout 600 ucx_perftest localhost -p "$port" -b "$batch" -f "$@" \
		>"$cli" 2>&1
	crc=$?
	wait $pid
	src=$?
	echo "--- ucx_perftest $label $* (server rc $src, client rc $crc)"
	cat "$cli"
	if [ $src -ne 0 ] || [ $crc -ne 0 ]; then
		echo "--- server:"
		cat "$srv"
		fail "ucx_perftest $label: exit $src/$crc"
	fi
	while read -r name opts; do
		[ -n "$name" ] || continue
		grep -Eq "^ *$name +[1-9][0-9]* " "$cli" ||
			fail "ucx_perftest $label: $name ($opts) reported no result"
	done <"$batch"
	rm -f "$srv" "$cli"
}
