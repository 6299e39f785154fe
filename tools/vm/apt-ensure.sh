# Sourced by build.sh, tools/vm-run and tests/fresh-machine: the Debian
# packages the project needs and a helper that installs the missing ones.

# shellcheck shell=bash

# Needed to build build/ and build-asan/ (libibverbs-dev is only for the ABI
# comparison test: our build must never include Debian's verbs headers).
# Installed without recommends, so gcc's libc6-dev is named here.
SMLX_BUILD_PACKAGES=(
	cmake gcc libc6-dev make pkg-config python3
	linux-headers-amd64
	libnl-3-dev libnl-route-3-dev
	libibverbs-dev
)

# Needed by tools/vm-run on the host and, through the shared root, in the guest.
SMLX_VM_PACKAGES=(
	qemu-system-x86 busybox-static cpio kmod gzip
	linux-headers-amd64
	ibverbs-utils perftest python3-pyverbs rdma-core iproute2
	coreutils util-linux perl-base apt dpkg
)

# The applications the VM tests run on smlx (docs/applications.md), and the
# headers our own UCP, MPI and rdma_cm test programs build against.
SMLX_APP_PACKAGES=(
	ucx-utils libucx-dev
	openmpi-bin libopenmpi-dev
	rdmacm-utils librdmacm-dev libfabric-bin
)

# apt_progress: reads apt-get's APT::Status-Fd lines ("dlstatus:N:PCT:what",
# "pmstatus:PKG:PCT:what") and prints one line per tenth of each phase, so a
# long first install shows it is moving without printing hundreds of lines.
apt_progress() {
	local kind _ pct what step last_dl=-1 last_pm=-1
	while IFS=: read -r kind _ pct what; do
		step=${pct%%.*}
		[[ $step =~ ^[0-9]+$ ]] || continue
		step=$((step / 10))
		case "$kind" in
		dlstatus)
			[ "$step" -gt "$last_dl" ] || continue
			last_dl=$step
			echo "apt_ensure: downloading ${pct%%.*}% ($what)" >&2 ;;
		pmstatus)
			[ "$step" -gt "$last_pm" ] || continue
			last_pm=$step
			echo "apt_ensure: installing ${pct%%.*}% ($what)" >&2 ;;
		esac
	done
	return 0
}

# apt_ensure PKG... : install the packages that are not installed yet.
# Silent when nothing is missing; otherwise says what it installs (one line),
# shows the progress of apt-get update and install on stderr, and on failure
# prints apt-get's output and what to do. Runs `apt-get update` once, only
# when something is missing. Safe under the callers' `set -euo pipefail`:
# returns 0 or 1, never ends them.
apt_ensure() {
	local missing=() installed pkg log rc started
	# One dpkg-query for all: it is the slow part of a warm run. It exits 1
	# when any package is unknown, which is the case this function is for:
	# under the callers' `set -e -o pipefail` that status must not end them.
	installed=" $( (dpkg-query -W -f='${Package}:${Status} ' "$@" 2>/dev/null || true) |
		      sed 's/:install ok installed / /g') "
	for pkg in "$@"; do
		case "$installed" in *" $pkg "*) continue ;; esac
		case " ${missing[*]} " in *" $pkg "*) continue ;; esac
		missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "apt_ensure: missing Debian packages: ${missing[*]}" >&2
		echo "apt_ensure: to install them, run this again as root, or: apt-get install ${missing[*]}" >&2
		return 1
	fi
	echo "apt_ensure: installing ${#missing[@]} Debian packages and their dependencies" \
		"(apt-get, can take minutes on a fresh machine): ${missing[*]}" >&2
	started=$SECONDS
	log=$(mktemp)
	rc=0
	echo "apt_ensure: apt-get update" >&2
	DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -o DPkg::Lock::Timeout=300 \
		update -q >"$log" 2>&1 || rc=$?
	if [ $rc -eq 0 ]; then
		# apt-get's status lines go to fd 3 -> apt_progress; its own
		# output to the log. The subshell hands back apt-get's status.
		rc=$( { { DEBIAN_FRONTEND=noninteractive timeout 900 apt-get \
				-o DPkg::Lock::Timeout=300 -o APT::Status-Fd=3 \
				install -y -q --no-install-recommends "${missing[@]}" \
				3>&1 >>"$log" 2>&1 4>&- || echo $? >&4; } |
			    apt_progress; } 4>&1 ) || true
		rc=${rc:-0}
	fi
	if [ "$rc" -ne 0 ]; then
		cat "$log" >&2
		echo "apt_ensure: apt-get could not install: ${missing[*]} (exit $rc; its output is above)" >&2
		echo "apt_ensure: fix the apt sources (/etc/apt/sources.list*) or the network, or install them by hand: apt-get install ${missing[*]}" >&2
	else
		echo "apt_ensure: installed in $((SECONDS - started))s" >&2
	fi
	rm -f "$log"
	[ "$rc" -eq 0 ]
}
