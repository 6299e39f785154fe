#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Compare the versioned exports of our libibverbs.so.1 with Debian's.

Usage: check_symbols.py OUR_LIB REFERENCE_LIB

Both export lists come from `objdump -T`: every defined symbol with its
version node, plus the version nodes themselves.  Debian's library also
carries hidden compatibility versions (shown in parentheses, e.g.
"(IBVERBS_1.0) ibv_alloc_pd"); no consumer can bind to those at link time,
so they are reported but not required.  Exit 77 (skip) if the reference
library is not installed.
"""
import os
import re
import subprocess
import sys

SKIP = 77


def exports(lib):
    out = subprocess.run(["objdump", "-T", lib], check=True,
                         capture_output=True, text=True).stdout
    default, hidden = set(), set()
    for line in out.splitlines():
        # addr flags section size version name
        m = re.match(r"^[0-9a-f]+\s.*?\s(\*UND\*|\S+)\s+[0-9a-f]+\s+"
                     r"(\(?[\w.]+\)?)\s+(\S+)$", line)
        if not m or m.group(1) == "*UND*":
            continue
        version, name = m.group(2), m.group(3)
        if version.startswith("("):
            hidden.add((version.strip("()"), name))
        elif version.startswith("IBVERBS"):
            default.add((version, name))
    return default, hidden


def main():
    ours, ref = sys.argv[1], sys.argv[2]
    if not os.path.exists(ref):
        print("reference %s not installed; skipping" % ref)
        return SKIP
    our_default, our_hidden = exports(ours)
    ref_default, ref_hidden = exports(ref)

    missing = sorted(ref_default - our_default)
    extra = sorted(our_default - ref_default)
    for v, n in missing:
        print("MISSING  %s@%s" % (n, v))
    for v, n in extra:
        print("EXTRA    %s@%s" % (n, v))

    nodes = sorted(v for v, n in ref_default if v == n)
    print("%d exported symbols, %d version nodes compared; "
          "%d hidden compat versions in the reference not required"
          % (len(ref_default) - len(nodes), len(nodes),
             len(ref_hidden - our_hidden)))
    if len(ref_default) < 100:
        print("reference export list looks wrong (%d entries)"
              % len(ref_default))
        return 1
    return 1 if missing or extra else 0


if __name__ == "__main__":
    sys.exit(main())
