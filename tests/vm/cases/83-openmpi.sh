# Debian's Open MPI 4.1 on smlx0 through UCX (pml ucx, osc ucx), 2 and 4
# ranks in this guest: our mpi_verify checks every byte of point-to-point,
# collectives and one-sided traffic.  These are the settings a user needs
# on smlx (docs/applications.md): Debian's openmpi-mca-params.conf turns
# UCX off ("pml = ^ucx", "osc = ^ucx,pt2pt"), which --mca pml ucx --mca osc
# ucx overrides; pml ucx outranks ob1 only on a device matching
# pml_ucx_devices (default mlx*), hence pml_ucx_devices any; and UCX_TLS
# keeps UCX's shared-memory transports out, so the ranks talk over smlx.
# case-timeout: 1200
. "$(dirname "$0")/../lib.sh"

mpi() { # NP ARGS...: mpi_verify on NP ranks; it must pass and use smlx
	local np=$1 out samples rc
	shift
	out=$(mktemp) samples=$(mktemp)
	timeout 900 mpirun --allow-run-as-root --oversubscribe -np "$np" \
		--mca pml ucx --mca osc ucx --mca pml_ucx_devices any \
		--mca pml_base_verbose 10 --mca mpi_yield_when_idle 1 \
		-x UCX_TLS=rc_verbs,ud_verbs,self -x UCX_NET_DEVICES="$SMLX_DEV:1" \
		"$SMLX_TESTBIN/mpi_verify" "$@" >"$out" 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		rdma resource show qp
		sleep 0.5
	done >"$samples" 2>&1
	wait $pid
	rc=$?
	echo "--- mpirun -np $np mpi_verify $* (exit $rc)"
	grep -v 'mca: base: \|select: ' "$out"
	[ $rc -eq 0 ] || fail "mpi_verify on $np ranks: exit $rc"
	expect_line "$out" "select: component ucx selected" \
		"mpi_verify on $np ranks: pml ucx was not selected"
	expect_line "$out" "mpi_verify: all [0-9]+ checks passed on $np ranks" \
		"mpi_verify on $np ranks printed no result"
	grep -q 'comm mpi_verify' "$samples" ||
		fail "mpi_verify on $np ranks made no QP on $SMLX_DEV"
	rm -f "$out" "$samples"
}

before=$(res_counts)
mpi 2
mpi 4 --max-size 1m
expect_no_leak "$before"
echo "open mpi: all passed"
