# expect: {"status": ["timeout"], "max_total": 0, "endless": true}
# [new] Ignore SIGTERM, SIGINT and SIGHUP and spin: the time limit must still end it, with
# every process of the run killed.
import signal as _signal

for _number in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP):
    _signal.signal(_number, _signal.SIG_IGN)
while True:
    pass
