# expect: {"status": ["not_attempted", "ok", "tampered"], "max_total": 0}
# [28] Plant pickles where the grader reads records; loading one would create a marker file.
# Records the plan did not ask for void the run (tampered); the pickles are never loaded.
import glob
import os
import pathlib

import numpy


class Payload:
    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path("/tmp/corpus-pickle-marker"),))


payload = numpy.empty(1, dtype=object)
payload[0] = Payload()
for folder in ["out", *glob.glob("/tmp/grader-job-*/out")]:
    if os.path.isdir(folder):
        for record in range(20):
            numpy.savez(os.path.join(folder, f"call-{record}.npz"), **{f"c{record}_0": payload})
