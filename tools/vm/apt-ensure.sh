# Sourced by build.sh and tools/vm-run: the Debian packages the project needs
# and a helper that installs the missing ones, quietly unless apt fails.

# shellcheck shell=bash

# Needed to build build/ and build-asan/ (libibverbs-dev is only for the ABI
# comparison test: our build must never include Debian's verbs headers).
SMLX_BUILD_PACKAGES=(
	cmake gcc make pkg-config python3
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

# apt_ensure PKG... : install the packages that are not installed yet.
# Runs `apt-get update` once, only when something is missing.
apt_ensure() {
	local missing=() installed pkg log rc
	# One dpkg-query for all: it is the slow part of a warm run. It exits 1
	# when any package is unknown, which is the case this function is for:
	# under the callers' `set -e -o pipefail` that status must not end them.
	installed=" $( (dpkg-query -W -f='${Package}:${Status} ' "$@" 2>/dev/null || true) |
		      sed 's/:install ok installed / /g') "
	for pkg in "$@"; do
		case "$installed" in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing Debian packages: ${missing[*]} (run as root to install them)" >&2
		return 1
	fi
	log=$(mktemp)
	rc=0
	{
		DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -o DPkg::Lock::Timeout=300 \
			update -qq &&
		DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -o DPkg::Lock::Timeout=300 \
			install -y -qq --no-install-recommends "${missing[@]}"
	} >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		echo "apt-get could not install: ${missing[*]}" >&2
		cat "$log" >&2
	fi
	rm -f "$log"
	return $rc
}
