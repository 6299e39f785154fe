#!/bin/bash
# The main build: installs what the build and tools/vm-run need (when root and
# missing), then configures and builds build/ (userspace + the kernel module
# target "kmod"); with --asan also build-asan/ (userspace with ASan + UBSan).
# Idempotent; prints nothing but compiler output when there is work to do
# (and, when it installs packages, one line saying which, then progress).
# Any failure says what failed: a step's own message, or the ERR trap's.

set -euo pipefail
set -E
# A command that fails with no message of its own (set -e) still says so;
# not inside command substitutions, where bash turns -e off.
trap '_err_rc=$?; [[ $- != *e* ]] || echo "build.sh: line $LINENO: \"$BASH_COMMAND\" failed (exit $_err_rc)." \
	"This exit has no message of its own: please report it with the lines above." >&2' ERR

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd -P)
JOBS=2

usage() {
	cat <<'EOF'
usage: ./build.sh [--no-deps] [--asan]
  --no-deps   do not check/install Debian packages
  --asan      also build build-asan/ (-DENABLE_SANITIZERS=ON, no kernel module)
EOF
}

deps=1
asan=0
for arg in "$@"; do
	case "$arg" in
	--no-deps) deps=0 ;;
	--asan) asan=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "build.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
	esac
done

if [ $deps = 1 ]; then
	# shellcheck source=tools/vm/apt-ensure.sh
	. "$REPO/tools/vm/apt-ensure.sh"
	packages=("${SMLX_BUILD_PACKAGES[@]}" "${SMLX_VM_PACKAGES[@]}"
		  "${SMLX_APP_PACKAGES[@]}")
	if [ "$(id -u)" -eq 0 ]; then
		apt_ensure "${packages[@]}" || {
			echo "build.sh: the Debian packages above could not be installed;" \
			     "fix that (or use --no-deps with them installed) and run ./build.sh again" >&2
			exit 1
		}
	else
		apt_ensure "${packages[@]}" ||
			echo "build.sh: not root, continuing without them (the build may fail)" >&2
	fi
fi

# configure DIR CMAKE-ARGS...: only the first time; afterwards the generated
# build system re-runs cmake itself when a CMakeLists.txt changes.
configure() {
	local dir=$1 log
	shift
	[ -f "$dir/CMakeCache.txt" ] && return 0
	log=$(mktemp)
	if ! cmake -S "$REPO" -B "$dir" --no-warn-unused-cli "$@" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "build.sh: configuring $dir failed" >&2
		return 1
	fi
	rm -f "$log"
}

# compile DIR: show what gets built, not the "Built target" roll call.
compile() {
	local status
	cmake --build "$1" --parallel "$JOBS" |
		grep --line-buffered -v -E '^\[ *[0-9]+%\] Built target |^Consolidate compiler generated dependencies' &&
		status=${PIPESTATUS[0]} || status=${PIPESTATUS[0]}
	return "$status"
}

configure "$REPO/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
compile "$REPO/build" || { echo "build.sh: building build/ failed" >&2; exit 1; }

if [ $asan = 1 ]; then
	configure "$REPO/build-asan" -DCMAKE_BUILD_TYPE=Debug \
		-DENABLE_SANITIZERS=ON -DSMLX_BUILD_KMOD=OFF
	compile "$REPO/build-asan" || { echo "build.sh: building build-asan/ failed" >&2; exit 1; }
fi
