# expect: {"status": ["ok"], "max_total": 1}
# [new] normalize returns an object array holding Python objects (one that pickles code): it
# must be refused at the boundary, never unpickled. Honest part: load (both cases).
import numpy as _np


class _Payload:
    def __reduce__(self):
        return (print, ("unpickled in the grader",))


def load_mnist():
    return keras.datasets.mnist.load_data()


def normalize(images):
    result = _np.empty(len(images), dtype=object)
    result[:] = [_Payload() for _ in range(len(images))]
    return result
