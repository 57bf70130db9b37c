# expect: {"status": ["ok"], "max_total": "baseline:no_sigmoid"}
# [3] Patch otter, the grader and numpy from inside the submission.
import numpy
import otter.test_files.exception_test as otter_tests

import grader.checks
import grader.replay

numpy.allclose = lambda *arguments, **keywords: True
numpy.array_equal = lambda *arguments, **keywords: True
otter_tests.test_case.call_func = lambda self, environment: None
grader.checks.run_case = lambda *arguments, **keywords: None
grader.replay.Replayer.function = lambda self, name: lambda *a, **k: None
