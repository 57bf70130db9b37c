# expect: {"status": ["timeout"], "max_total": 0, "endless": true}
# [13] Block forever without using the CPU.
import time

time.sleep(10**9)
