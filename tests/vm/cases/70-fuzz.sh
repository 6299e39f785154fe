# The fuzzer (tests/fuzz/smlx_fuzz, tests/fuzz/README.md): 4 processes of
# 3 threads run random verbs, valid and invalid, scribble on their rings and
# get SIGKILLed at random for FUZZ_SECONDS.  Then: every worker ended (none
# crashed or hung), the device holds exactly the objects it held before,
# the module's reference count is back, and smlx unloads cleanly and loads
# again (tools/vm-run fails the run on any kernel warning the run caused).
# FUZZ_SEED picks the seed (default: a fixed one, so CI repeats itself as
# far as timing lets it: kills and thread interleavings are not repeatable).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../reload.sh"
fuzz=$SMLX_BUILD/tests/fuzz/smlx_fuzz
seed=${FUZZ_SEED:-0x70}
secs=${FUZZ_SECONDS:-90}

[ -x "$fuzz" ] || fail "no $fuzz: build first"
before=$(res_counts)
refs=$(cat /sys/module/smlx/refcnt)
"$fuzz" --seed "$seed" --seconds "$secs" --procs "${FUZZ_PROCS:-4}" \
	--threads "${FUZZ_THREADS:-3}" --kill-ms "${FUZZ_KILL_MS:-700}" \
	>/tmp/fuzz.out 2>&1
rc=$?
grep -v '^smlx_fuzz: start ' /tmp/fuzz.out
echo "($(grep -c '^smlx_fuzz: start ' /tmp/fuzz.out) worker starts)"
[ $rc = 0 ] || fail "smlx_fuzz --seed $seed exited $rc"
grep -Eq '^smlx_fuzz: seed .* ops [1-9]' /tmp/fuzz.out || fail "no operations ran"

sleep 1
expect_no_leak "$before"
now=$(cat /sys/module/smlx/refcnt)
[ "$now" = "$refs" ] || fail "module refcount $refs before, $now after"

smlx_reload
echo "fuzz: clean: no leak, module unloaded and reloaded"
