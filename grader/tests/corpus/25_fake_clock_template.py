# expect: {"status": ["timeout"], "max_total": 0, "endless": true}
# [24] Stop the clock, then never finish (sleeping: 13 is the one that spins a core).
import time

_sleep = time.sleep
time.perf_counter = time.monotonic = time.time = lambda: 0.0
while True:
    _sleep(1)
