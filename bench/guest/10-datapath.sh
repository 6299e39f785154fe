#!/bin/bash
# Issue "Data path": Debian's perftest on our smlx0 (our libibverbs and
# provider) and on Debian's rxe0 (Debian's libibverbs and librxe), both
# bound to the same dummy netdev of this guest, server and client as two
# processes, runs of the two devices alternating so drift hits both alike.
# ib_write_bw 64 KiB: "BW average[MB/sec]"; ib_write_lat 8 B: "t_typical
# [usec]" (perftest's median); the median of the runs is reported.
. "$(dirname "$0")/lib.sh"
. "$SMLX_REPO/tests/vm/lib.sh"	# wait_listen

RXE_DEV=${SMLX_RXE_DEV:-rxe0}
if [ "$BENCH_QUICK" = 1 ]; then
	reps=1 bw_iters=1000 lat_iters=1000
else
	reps=3 bw_iters=3000 lat_iters=3000
fi
port=18500

# gid_index DEV: the IPv4-mapped RoCE v2 GID of DEV's port 1.
gid_index() {
	local dir=/sys/class/infiniband/$1/ports/1 f i
	for f in "$dir"/gids/*; do
		i=${f##*/}
		case $(cat "$f" 2>/dev/null) in
		0000:0000:0000:0000:0000:ffff:*) ;;
		*) continue ;;
		esac
		[ "$(cat "$dir/gid_attrs/types/$i" 2>/dev/null)" = "RoCE v2" ] &&
			{ echo "$i"; return 0; }
	done
	return 1
}

# column NAME FILE: NAME's column of perftest's result table in FILE, from
# the first numeric row under the header naming it; fails unless that is a
# finite number.  Header names can hold
# spaces ("BW average[MB/sec]", "99% percentile[usec]"): a word that has no
# "[unit]" and is not a "#count" belongs to the next word's name.
column() {
	awk -v name="$1" '
		col && $1 ~ /^[0-9]+$/ && NF >= col {
			# perftest prints "inf" when its clock sampling failed
			if ($col ~ /^[0-9]+(\.[0-9]+)?$/) { print $col; found = 1 }
			exit
		}
		!col && index($0, name) {
			n = 0; pending = ""
			for (i = 1; i <= NF; i++) {
				word = pending == "" ? $i : pending " " $i
				if ($i ~ /^#/ || $i ~ /\]$/) {
					n++; pending = ""
					if (word == name) col = n
				} else {
					pending = word
				}
			}
		}
		END { exit !found }' "$2"
}

# perf_value DEV COLUMN TOOL ARGS...: one server/client run of TOOL on DEV
# (Debian's libibverbs for rxe); sets VALUE to COLUMN of the client's
# result.  perftest refuses to report when its clock sampling is too noisy
# ("Can't produce a report", frequent under emulation) or reports "inf":
# such a run is redone, up to three tries.
perf_value() {
	local dev=$1 col=$2 tool=$3 gid libpath try srv cli pid rc
	shift 3
	VALUE=
	gid=$(gid_index "$dev") || { echo "$dev: no RoCE v2 IPv4 GID"; return 1; }
	libpath=$LD_LIBRARY_PATH
	[ "$dev" = "$SMLX_DEV" ] || libpath=
	srv=$(mktemp) cli=$(mktemp)
	for try in 1 2 3; do
		port=$((port + 1))
		LD_LIBRARY_PATH=$libpath timeout 300 "$tool" -d "$dev" -x "$gid" \
			-p $port "$@" >"$srv" 2>&1 &
		pid=$!
		wait_listen $port || echo "$tool: no server on port $port"
		LD_LIBRARY_PATH=$libpath timeout 300 "$tool" -d "$dev" -x "$gid" \
			-p $port "$@" localhost >"$cli" 2>&1
		rc=$?
		wait $pid || rc=$((rc ? rc : 1))
		echo "--- $dev: $tool $* (GID $gid, try $try, rc $rc)"
		grep -F -A1 -- "$col" "$cli"
		if [ $rc -eq 0 ] && VALUE=$(column "$col" "$cli"); then
			rm -f "$srv" "$cli"
			return 0
		fi
		[ $rc -eq 0 ] || grep -q "Can't produce a report" "$cli" "$srv" ||
			break
	done
	cat "$cli" "$srv"
	rm -f "$srv" "$cli"
	return 1
}

# measure METRIC UNIT BETTER COLUMN TOOL ARGS...: REPS alternating runs.
measure() {
	local metric=$1 unit=$2 better=$3 col=$4 dev rep
	local -a smlx=() rxe=()
	shift 4
	for rep in $(seq $reps); do
		for dev in "$SMLX_DEV" "$RXE_DEV"; do
			perf_value "$dev" "$col" "$@" || continue
			if [ "$dev" = "$SMLX_DEV" ]; then
				smlx+=("$VALUE")
			else
				rxe+=("$VALUE")
			fi
		done
	done
	if [ ${#smlx[@]} -eq 0 ] || [ ${#rxe[@]} -eq 0 ]; then
		bench_na "$metric" "$unit" "$better" \
			"perftest failed on $([ ${#smlx[@]} -eq 0 ] && echo "$SMLX_DEV ")$([ ${#rxe[@]} -eq 0 ] && echo "$RXE_DEV"), see build/bench/log.txt"
		return
	fi
	bench_row "$metric" "$(median "${smlx[@]}")" "$(median "${rxe[@]}")" \
		"$unit" "$better" \
		"perftest $*: median of ${#smlx[@]}/${#rxe[@]} runs ($SMLX_DEV: ${smlx[*]}; $RXE_DEV: ${rxe[*]})"
}

if [ ! -e "/sys/class/infiniband/$RXE_DEV" ]; then
	for m in "ib_write_bw 64 KiB: smlx0 vs rxe0" "ib_write_lat 8 B: smlx0 vs rxe0"; do
		bench_na "$m" - higher "no $RXE_DEV in the guest (vm-run --rxe)"
	done
	exit 0
fi
measure "ib_write_bw 64 KiB: $SMLX_DEV vs $RXE_DEV" MB/s higher \
	"BW average[MB/sec]" ib_write_bw -s 65536 -n $bw_iters
measure "ib_write_lat 8 B: $SMLX_DEV vs $RXE_DEV" us lower \
	"t_typical[usec]" ib_write_lat -s 8 -n $lat_iters
