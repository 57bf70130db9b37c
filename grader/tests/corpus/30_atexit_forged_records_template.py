# expect: {"status": ["tampered"], "max_total": 0}
# [issue 10.1, 10.7] At exit, after the harness finished its calls, flood the records folder:
# twenty records of every planned call number, each a compressed array that unpacks to 400 MB
# (8 GB if the grader read them all), and a record whose name is a spreadsheet formula.
import atexit
import os

import numpy as np


def _flood():
    zeros = np.zeros(400_000_000, dtype=np.uint8)
    for number in range(20):
        np.savez_compressed(f"out/call-{number}.npz", **{f"c{number}_0": zeros})
        with open(f"out/call-{number}.json", "w") as record:
            record.write(
                '{"id": %d, "seconds": 0.1, "returned": {"array": "c%d_0"}}' % (number, number)
            )
    with open("out/=HYPERLINK(\"http://x.invalid\",\"ok\").json", "w") as record:
        record.write("{}")


if os.path.isdir("out"):
    atexit.register(_flood)
