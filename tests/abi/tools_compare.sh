#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
#
# Runs Debian's ibv_devinfo/ibv_devices (rdma-core 44, ibverbs-utils) and
# ours against the same fake libibverbs.so.1 and requires identical stdout,
# stderr and exit status for every command line below.
#
# usage: tools_compare.sh FAKE_LIB_DIR OUR_DEVINFO OUR_DEVICES WORKDIR
set -u

fake_dir=$1 our_devinfo=$2 our_devices=$3 work=$4
debian_devinfo=/usr/bin/ibv_devinfo
debian_devices=/usr/bin/ibv_devices

for tool in "$debian_devinfo" "$debian_devices"; do
	if [ ! -x "$tool" ]; then
		echo "tools: FAILED: $tool is missing (install ibverbs-utils)"
		exit 1
	fi
done
mkdir -p "$work"

passed=0 failed=0

# run NAME BINARY ARGS...: output files $work/NAME.{out,err,rc}; argv[0] is
# fixed so that usage texts agree.
run() {
	local name=$1 bin=$2
	shift 2
	(LD_LIBRARY_PATH=$fake_dir exec -a ibv_tool "$bin" "$@") \
		>"$work/$name.out" 2>"$work/$name.err"
	echo $? >"$work/$name.rc"
}

compare() {
	local label=$1 debian=$2 ours=$3
	shift 3
	local tag
	tag=$(echo "$label $*" | tr -c 'A-Za-z0-9_\n-' '_')
	run "$tag.debian" "$debian" "$@"
	run "$tag.ours" "$ours" "$@"
	local ok=1 part
	for part in out err rc; do
		if ! cmp -s "$work/$tag.debian.$part" "$work/$tag.ours.$part"; then
			ok=0
			echo "--- $label $* ($part): Debian vs ours"
			diff "$work/$tag.debian.$part" "$work/$tag.ours.$part" | head -20
		fi
	done
	# Both tools must really have run on the fake, not died in ld.so.
	if grep -qE 'error while loading|symbol lookup error|version .* not found' \
		"$work/$tag.debian.err" "$work/$tag.ours.err"; then
		ok=0
		echo "--- $label $*: a tool failed to load against the fake library"
		cat "$work/$tag.debian.err" "$work/$tag.ours.err"
	fi
	if [ $ok = 1 ]; then
		passed=$((passed + 1))
		echo "same: $label $*"
	else
		failed=$((failed + 1))
	fi
}

compare ibv_devinfo "$debian_devinfo" "$our_devinfo"
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -v
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -l
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" --list
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -d fake_roce0 -v
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -d fake_iw2 -v
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" --ib-dev=fake_ib1 --verbose
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -d fake_ib1 -i 2
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -d fake_ib1 -i 1 -v
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -d fake_ib1 -i 3
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -i 2
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -d no_such_dev
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -d fake_roce0 -i 0
compare ibv_devinfo "$debian_devinfo" "$our_devinfo" -d fake_roce0 -x
compare ibv_devices "$debian_devices" "$our_devices"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
