# Debian's perftest binaries are linked BIND_NOW against libibverbs, libmlx5,
# libefa and librdmacm: with our libraries first every symbol must resolve.
. "$(dirname "$0")/../lib.sh"
for tool in ib_write_bw ib_send_lat ib_read_bw ib_atomic_bw; do
	out=$(mktemp)
	$tool --help >"$out" 2>&1	# perftest's --help exits 1 by design
	grep -q "^Usage:" "$out" || { cat "$out"; fail "$tool --help did not run"; }
	LD_TRACE_LOADED_OBJECTS=1 $tool >"$out" 2>&1
	for lib in libibverbs.so.1 libmlx5.so.1; do
		grep -q "$lib => $SMLX_BUILD/lib/$lib" "$out" ||
			{ cat "$out"; fail "$tool does not use our $lib"; }
	done
	echo "$tool: loads with our libraries"
done
