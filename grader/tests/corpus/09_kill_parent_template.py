# expect: {"status": ["error", "not_attempted"], "max_total": 0}
# [8] Kill the grading process.
import os
import signal

for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
