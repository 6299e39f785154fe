# rdma_cm on smlx0: ib_mad's GSI QP (QP1) carries the CM's MADs over RoCE,
# so Debian's rdmacm-utils and perftest connect through the kernel's
# rdma_cm, client and server in one guest.  rping checks every byte of its
# ping data (-V); ucmatose (RC) and udaddy (UD, SIDR) check completions
# and lengths; rdma_server/rdma_client run librdmacm's rdma_verbs API;
# rdmacm_odp (ours) connects with every MR ODP and checks every byte and
# the faults.  Multicast is not supported: mckey must end in a join error.
# case-timeout: 600
. "$(dirname "$0")/../lib.sh"
port=13800
addr=$SMLX_IPV4
before=$(res_counts)
kmsg_mark

for size in 64 65000; do
	port=$((port + 1))
	server_client "rping $size B" \
		rping -s -a "$addr" -p $port -C 50 -S $size -V -- \
		rping -c -a "$addr" -p $port -C 50 -S $size -V
done

# ucmatose and udaddy listen on their fixed port (7471, 7174)
server_client "ucmatose RC, 4 connections" \
	ucmatose -c 4 -C 50 -S 4096 -- ucmatose -s "$addr" -c 4 -C 50 -S 4096
expect_line "$pair_out" "return status 0" "ucmatose"
server_client "udaddy UD, 4 connections" \
	udaddy -c 4 -C 50 -S 1024 -- udaddy -s "$addr" -c 4 -C 50 -S 1024
expect_line "$pair_out" "return status 0" "udaddy"

port=$((port + 1))
server_client "rdma_server / rdma_client" \
	rdma_server -p $port -- rdma_client -s "$addr" -p $port
expect_line "$pair_out" "rdma_client: end 0" "rdma_client"

for tool in ib_send_bw ib_write_bw ib_read_lat; do
	port=$((port + 1))
	server_client "$tool -R" \
		"$tool" -d "$SMLX_DEV" -R -p $port -n 500 -- \
		"$tool" -d "$SMLX_DEV" -R -p $port -n 500 "$addr"
done

port=$((port + 1))
echo "--- rdmacm_odp: an rdma_cm connection over ODP MRs"
timeout 120 "$SMLX_TESTBIN/rdmacm_odp" "$addr" $port || fail "rdmacm_odp"

out=$(mktemp)
timeout 30 mckey -m 239.1.1.1 -b "$addr" -C 1 >"$out" 2>&1
echo "--- mckey"
cat "$out"
expect_line "$out" "RDMA_CM_EVENT_MULTICAST_ERROR" "mckey: a join that cannot work must fail"

expect_kmsg_clean
wait_no_leak 10 "$before"
