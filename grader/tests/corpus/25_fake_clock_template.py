# expect: {"status": ["timeout"], "max_total": 0, "endless": true}
# [24] Stop the clock, then never finish.
import time

time.perf_counter = time.monotonic = time.time = lambda: 0.0
while True:
    pass
