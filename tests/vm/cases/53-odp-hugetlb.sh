# ODP MRs with IBV_ACCESS_HUGETLB over hugetlbfs pages (reserved here when
# vm-run --hugepages did not): 2 MiB mirroring, invalidation, and EINVAL
# where small pages turn up, at registration or at fault time.
. "$(dirname "$0")/../lib.sh"
if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 8 ]; then
	echo 8 >/proc/sys/vm/nr_hugepages 2>/dev/null
fi
free=$(sed -n 's/^HugePages_Free: *//p' /proc/meminfo)
[ "${free:-0}" -ge 5 ] || { echo "only ${free:-0} free huge pages"; exit 77; }
"$SMLX_TESTBIN/odp_hugetlb"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || fail "odp_hugetlb"
