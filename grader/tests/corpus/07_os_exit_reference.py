# expect: {"status": ["error"], "max_total": 0, "note": "exit code 0"}
# [7] Hard exit: no cleanup, no results.
import os

os._exit(0)
