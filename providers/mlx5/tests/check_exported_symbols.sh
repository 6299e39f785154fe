#!/bin/sh
# usage: check_exported_symbols.sh OUR_LIBMLX5 REFERENCE_LIBMLX5
#
# Applications linked against rdma-core 44's libmlx5.so.1 (with BIND_NOW)
# need every symbol@version it defines, and the version nodes chained the
# same way.  Compares ours with the reference (Debian's) and fails on any
# difference: a missing symbol breaks loading, an extra one is a leak.
set -eu

ours=$1
ref=$2

for lib in "$ours" "$ref"; do
	if [ ! -e "$lib" ]; then
		echo "missing library: $lib" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "version symbol" for every defined dynamic symbol, hidden versions keep
# their parentheses; the version-node marker symbols (*ABS*) are skipped.
exported() {
	objdump -T "$1" | awk '
		NF >= 6 && $0 !~ /\*UND\*/ && $0 !~ /\*ABS\*/ &&
		$(NF - 1) ~ /^\(?MLX5_/ { print $(NF - 1), $NF }' | sort
}

# "node parent" for each version definition, in file order.
nodes() {
	objdump -p "$1" | awk '
		/^Version definitions:/ { on = 1; next }
		/^Version References:/ { on = 0 }
		on && $4 ~ /^MLX5_/ { node = $4; parent[node] = "-"; next }
		on && $1 ~ /^MLX5_/ { parent[node] = $1 }
		END { for (n in parent) print n, parent[n] }' | sort
}

exported "$ours" >"$tmp/ours.syms"
exported "$ref" >"$tmp/ref.syms"
nodes "$ours" >"$tmp/ours.nodes"
nodes "$ref" >"$tmp/ref.nodes"

status=0
if [ ! -s "$tmp/ref.syms" ]; then
	echo "no MLX5_* symbols found in $ref" >&2
	exit 1
fi

missing=$(comm -13 "$tmp/ours.syms" "$tmp/ref.syms")
extra=$(comm -23 "$tmp/ours.syms" "$tmp/ref.syms")
if [ -n "$missing" ]; then
	echo "missing from $ours:"
	echo "$missing" | sed 's/^/  /'
	status=1
fi
if [ -n "$extra" ]; then
	echo "exported by $ours but not by $ref:"
	echo "$extra" | sed 's/^/  /'
	status=1
fi
if ! diff -u "$tmp/ref.nodes" "$tmp/ours.nodes" >"$tmp/nodes.diff"; then
	echo "version nodes or their chaining differ (- reference, + ours):"
	cat "$tmp/nodes.diff"
	status=1
fi

ours_soname=$(objdump -p "$ours" | awk '$1 == "SONAME" { print $2 }')
ref_soname=$(objdump -p "$ref" | awk '$1 == "SONAME" { print $2 }')
if [ "$ours_soname" != "$ref_soname" ]; then
	echo "SONAME $ours_soname, expected $ref_soname"
	status=1
fi

count=$(wc -l <"$tmp/ref.syms")
nodes_count=$(wc -l <"$tmp/ref.nodes")
if [ "$status" -eq 0 ]; then
	echo "libmlx5 ABI: all $count symbols in $nodes_count version nodes match"
fi
exit "$status"
