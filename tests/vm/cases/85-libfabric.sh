# Debian's libfabric 1.17 on smlx0: its verbs provider lists the device
# with FI_EP_MSG (connected through rdma_cm) and FI_EP_DGRAM, ofi_rxm layers
# FI_EP_RDM on top, and fi_pingpong runs msg and rdm endpoints from 64 B to
# 1 MiB with its data integrity checks (-c), in both transmit modes.
# case-timeout: 600
. "$(dirname "$0")/../lib.sh"
before=$(res_counts)
kmsg_mark
out=$(mktemp)

fi_info -p verbs -d "$SMLX_DEV" >"$out" 2>&1
cat "$out"
expect_line "$out" "type: +FI_EP_MSG" "fi_info: no FI_EP_MSG on $SMLX_DEV"
fi_info -p "verbs;ofi_rxm" -d "$SMLX_DEV" >"$out" 2>&1
cat "$out"
expect_line "$out" "type: +FI_EP_RDM" "fi_info: no FI_EP_RDM (ofi_rxm) on $SMLX_DEV"

port=13900
for ep in msg rdm; do
	for mode in msg tagged; do
		[ $ep = msg ] && [ $mode = tagged ] && continue
		port=$((port + 1))
		server_client "fi_pingpong -e $ep -m $mode" \
			fi_pingpong -p verbs -d "$SMLX_DEV" -e $ep -m $mode \
				-c -I 100 -B $port -- \
			fi_pingpong -p verbs -d "$SMLX_DEV" -e $ep -m $mode \
				-c -I 100 -P $port "$SMLX_IPV4"
		expect_line "$pair_out" "^1m +100 +=100" "fi_pingpong -e $ep: no 1 MiB row"
	done
done

expect_kmsg_clean
wait_no_leak 10 "$before"
