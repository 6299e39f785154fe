#!/bin/sh
# usage: check_mlx5dv_layouts.sh CC PROBE_SOURCE WORKDIR -- OUR_INCLUDE_FLAGS...
#
# Compiles mlx5dv_layout_probe.c against our headers (the include flags
# given, searched before the system) and against rdma-core 44's as Debian
# installs them, runs both, and fails on any difference.  Also compares
# the prototypes of every exported mlx5dv function as the compiler sees
# them (gcc -aux-info), so argument and return types match too.
set -eu

cc=$1 probe=$2 work=$3
shift 3
[ "$1" = "--" ] && shift

if [ ! -e /usr/include/infiniband/mlx5dv.h ]; then
	echo "reference header /usr/include/infiniband/mlx5dv.h missing" \
	     "(package libibverbs-dev)" >&2
	exit 1
fi

mkdir -p "$work"
"$cc" -std=gnu11 -Wall -Wextra -Werror "$@" "$probe" -o "$work/ours"
"$cc" -std=gnu11 -Wall -Wextra -Werror "$probe" -o "$work/reference"
"$work/ours" >"$work/ours.txt"
"$work/reference" >"$work/reference.txt"

status=0
if ! diff -u "$work/reference.txt" "$work/ours.txt"; then
	echo "mlx5dv.h layouts differ from rdma-core 44 (- reference, + ours)"
	status=1
fi

# Non-inline mlx5dv prototypes, without the file:line comment gcc adds.
prototypes() {
	grep -E '\b_?mlx5dv_[a-z0-9_]+ \(' "$1" | grep -v '^/\*[^*]*\*/ static' |
		sed 's#^/\*[^*]*\*/ ##' | sort
}
echo '#include <infiniband/mlx5dv.h>' >"$work/protos.c"
"$cc" -std=gnu11 "$@" -aux-info "$work/ours.aux" -c "$work/protos.c" \
	-o "$work/protos_ours.o"
"$cc" -std=gnu11 -aux-info "$work/reference.aux" -c "$work/protos.c" \
	-o "$work/protos_reference.o"
prototypes "$work/ours.aux" >"$work/ours.protos"
prototypes "$work/reference.aux" >"$work/reference.protos"
if ! diff -u "$work/reference.protos" "$work/ours.protos"; then
	echo "mlx5dv.h prototypes differ from rdma-core 44 (- reference, + ours)"
	status=1
fi
if [ ! -s "$work/reference.protos" ]; then
	echo "no mlx5dv prototypes found in the reference header"
	status=1
fi
[ "$status" -eq 0 ] || exit 1
echo "mlx5dv.h: $(wc -l <"$work/ours.txt") sizes, offsets and constants and" \
     "$(wc -l <"$work/ours.protos") prototypes match"
