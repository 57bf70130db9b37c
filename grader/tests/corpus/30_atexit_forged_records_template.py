# expect: {"status": ["tampered"], "max_total": 0}
# [issue 10.1, 10.7] Flood the records folder with records the harness never wrote: four records
# with planned call numbers, each a compressed array that unpacks to 400 MB (1.6 GB if the
# grader read them all, past its 1 GiB budget for a run), and a record whose name is a
# spreadsheet formula. Once at import, and again at exit, after the harness's done mark. The
# harness ends its process without Python's teardown (grader.ending), so the exit hook never
# runs; the records written at import void the run on their own.
import atexit
import os

import numpy as np


def _flood():
    zeros = np.zeros(400_000_000, dtype=np.uint8)
    for number in range(4):
        np.savez_compressed(f"out/call-{number}.npz", **{f"c{number}_0": zeros})
        with open(f"out/call-{number}.json", "w") as record:
            record.write(
                '{"id": %d, "seconds": 0.1, "returned": {"array": "c%d_0"}}' % (number, number)
            )
    with open('out/=HYPERLINK("x.invalid","ok").json', "w") as record:
        record.write("{}")


if os.path.isdir("out"):
    _flood()
    atexit.register(_flood)
