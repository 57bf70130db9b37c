# expect: {"status": ["memory"], "max_total": 0}
# [issue 10.5, new form] Memory spread out so that no process reaches the per-process limit:
# five processes of 1 GB and 1 GB in /tmp (a tmpfs in host RAM), 6 GB against 4 GiB.
import os as _os
import time as _time


def _hold(megabytes):
    block = bytearray(megabytes << 20)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    return block


with open("/tmp/filler", "wb") as _filler:
    for _ in range(1024):
        _filler.write(b"x" * (1 << 20))
for _ in range(4):
    if _os.fork() == 0:
        _kept = _hold(1024)
        _time.sleep(120)
        _os._exit(0)
_kept = _hold(1024)
_time.sleep(120)
