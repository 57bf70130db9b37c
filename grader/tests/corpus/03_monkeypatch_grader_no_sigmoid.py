# expect: {"status": ["ok"], "max_total": "baseline:no_sigmoid", "min_total": "baseline:no_sigmoid"}
# [3] Patch otter, the grader, numpy and Keras from inside the submission, and print a pass:
# the row keeps exactly the no-sigmoid example's points.
import keras
import numpy
import otter.test_files.exception_test as otter_tests

import grader.checks
import grader.replay

numpy.allclose = lambda *arguments, **keywords: True
numpy.array_equal = lambda *arguments, **keywords: True
numpy.isfinite = lambda values: numpy.ones(numpy.shape(values), dtype=bool)
otter_tests.ExceptionTestFile.run = lambda self, environment: None
keras.Model.count_params = lambda self: 785
print("All tests passed! 12/12")
otter_tests.test_case.call_func = lambda self, environment: None
grader.checks.run_case = lambda *arguments, **keywords: None
grader.replay.Replayer.function = lambda self, name: lambda *a, **k: None
