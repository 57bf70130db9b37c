# expect: {"status": ["error", "timeout", "memory"], "max_total": 0, "endless": true}
# [14] Fork bomb.
import os

while True:
    try:
        os.fork()
    except OSError:
        pass
