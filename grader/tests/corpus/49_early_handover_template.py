# expect: {"status": ["tampered"], "max_total": 0}
# [new] Write the harness's "public calls done" mark at import, to get the hidden cases' inputs
# before the public calls run; the grader must see the mark came too early and void the run,
# and what the submission learned (put in normalize's error) must reach no text anyone reads.
import os as _os
import time as _time

import numpy as _np

open("out/public-done.json", "w").write("{}")
_LEAK = ""
for _ in range(100):
    if _os.path.exists("hidden-plan.npz"):
        with _np.load("hidden-plan.npz") as _arrays:
            _LEAK = "LEAKED " + " ".join(str(_arrays[_n].shape) for _n in _arrays.files)
        break
    _time.sleep(0.05)


def normalize(images):
    raise ValueError(_LEAK or "nothing leaked")
