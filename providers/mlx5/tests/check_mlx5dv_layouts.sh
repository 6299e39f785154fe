#!/bin/sh
# usage: check_mlx5dv_layouts.sh CC PROBE_SOURCE WORKDIR -- OUR_INCLUDE_FLAGS...
#
# Compiles mlx5dv_layout_probe.c against our headers (the include flags
# given, searched before the system) and against rdma-core 44's as Debian
# installs them, runs both, and fails on any difference.
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

if ! diff -u "$work/reference.txt" "$work/ours.txt"; then
	echo "mlx5dv.h layouts differ from rdma-core 44 (- reference, + ours)"
	exit 1
fi
echo "mlx5dv.h: $(wc -l <"$work/ours.txt") sizes, offsets and constants match"
