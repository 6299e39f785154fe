#!/bin/bash
# Issue "ODP" (a): ibv_reg_mr time, ODP vs pinned, 1 MiB to 16 GiB
# (bench/src/bench_reg_time.c says how).  Pinned sizes whose pages the
# guest cannot hold come out as "n/a" in the reference column.
. "$(dirname "$0")/lib.sh"

odp_or_na "reg_mr: ODP vs pinned" || exit 0
if [ "$BENCH_QUICK" = 1 ]; then
	bench_prog 600 bench_reg_time 1M:5 16M:5 256M:3 1G:3
	for s in "4 GiB" "16 GiB"; do
		bench_na "reg_mr $s: ODP vs pinned" ms lower "not run by --quick"
	done
else
	bench_prog 1200 bench_reg_time 1M:9 16M:9 256M:7 1G:5 4G:3 16G:3
fi
