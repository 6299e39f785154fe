#!/bin/bash
# Issue "ODP" (b) and (c): device fault-to-resume per page beside a CPU
# first-touch fault, and warm ODP vs pinned RDMA WRITE bandwidth
# (bench/src/bench_odp_fault.c says how).
. "$(dirname "$0")/lib.sh"

odp_or_na "ODP fault-to-resume" "RDMA WRITE bw, warm ODP vs pinned MRs" ||
	exit 0
if [ "$BENCH_QUICK" = 1 ]; then
	bench_prog 600 bench_odp_fault 4096 3 9
else
	bench_prog 900 bench_odp_fault 8192 7 21
fi
