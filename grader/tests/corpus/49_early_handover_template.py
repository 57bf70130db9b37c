# expect: {"status": ["tampered"], "max_total": 0}
# [new] Write the harness's "public calls done" mark at import, to get the hidden cases' inputs
# before the public calls run; the grader must see the mark came too early and void the run.
import os as _os
import time as _time

open("out/public-done.json", "w").write("{}")
for _ in range(100):
    if _os.path.exists("hidden-plan.npz"):
        break
    _time.sleep(0.05)
