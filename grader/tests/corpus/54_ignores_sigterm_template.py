# expect: {"status": ["timeout"], "max_total": 0, "endless": true}
# [new] Ignore SIGTERM, SIGINT and SIGHUP and never finish: the time limit must still end it,
# with every process of the run killed. It waits rather than spins (13 spins a core).
import signal as _signal
import time as _time

for _number in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP):
    _signal.signal(_number, _signal.SIG_IGN)
while True:
    _time.sleep(1)
