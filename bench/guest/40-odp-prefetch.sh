#!/bin/bash
# Issue "ODP" (d): ibv_advise_mr(PREFETCH_WRITE, FLUSH) throughput beside
# the CPU's first touch (bench/src/bench_prefetch.c says how).
. "$(dirname "$0")/lib.sh"

odp_or_na "PREFETCH_WRITE+FLUSH vs CPU first touch" || exit 0
if [ "$BENCH_QUICK" = 1 ]; then
	bench_prog 600 bench_prefetch 256 3
else
	bench_prog 900 bench_prefetch 256 7
fi
