# Debian's perftest between two processes of this guest: read, send and
# atomic bandwidth, write and send latency.
. "$(dirname "$0")/../lib.sh"
port=18800

perftest_pair ib_read_bw -n 500
perftest_pair ib_send_bw -n 500
perftest_pair ib_atomic_bw -n 500
perftest_pair ib_write_lat -n 500
perftest_pair ib_send_lat -n 500
echo "perftest read/send/atomic/latency: all passed"
