# Debian's python3-pyverbs opens our device through our libibverbs and reads
# the ODP capabilities from query_device_ex().
. "$(dirname "$0")/../lib.sh"
/usr/bin/python3 - <<'PY' || fail "pyverbs check failed"
import os, sys
from pyverbs.device import Context
import pyverbs.enums as e

dev = os.environ["SMLX_DEV"]
ctx = Context(name=dev)
maps = open("/proc/self/maps").read()
lib = os.environ["SMLX_BUILD"] + "/lib/libibverbs.so.1"
if lib not in maps:
    sys.exit("pyverbs did not load our libibverbs (%s)" % lib)
attr = ctx.query_device_ex()
odp = attr.odp_caps
print("general_caps %#x rc %#x uc %#x ud %#x xrc %#x" % (
    odp.general_caps, odp.rc_odp_caps, odp.uc_odp_caps, odp.ud_odp_caps,
    odp.xrc_odp_caps))
if not odp.general_caps & e.IBV_ODP_SUPPORT:
    sys.exit("IBV_ODP_SUPPORT not reported")
if not odp.general_caps & e.IBV_ODP_SUPPORT_IMPLICIT:
    sys.exit("IBV_ODP_SUPPORT_IMPLICIT not reported")
port = ctx.query_port(1)
if port.state != e.IBV_PORT_ACTIVE:
    sys.exit("port state %d" % port.state)
print("pyverbs: ok")
PY
