"""Keep stock otter offline in grader/tests/test_stock_otter.py; nothing else loads this file.

That test puts this folder on PYTHONPATH for the otter processes it starts, so Python imports
this module at startup in each of them and in the IPython kernel otter starts to run the
submission and its checks. Two things change there, for the test only:

* keras' MNIST loader reads the grader's verified mnist.npz, named by $STOCK_OTTER_MNIST_NPZ,
  instead of downloading Google's file (CI has no internet; keras rejects any other npz in its
  cache). Like grader/isolation/child.py's prepare_keras, this replaces `get_file` in
  keras.src.datasets.mnist, but lazily, when that module is first imported: importing keras
  here would slow every process down, otter's own CLI included.
* A socket connection to anything but this machine raises, so a run that would need the
  network fails here as it would in CI, instead of passing on a machine that happens to be
  online.
* Once keras is imported, `keras.utils.set_random_seed($STOCK_OTTER_SEED)` seeds Python, NumPy
  and TensorFlow, as the grader's sandboxed child does before it trains: otter's own `seed`
  setting seeds only Python and NumPy (otter-7.md), so without this every run would train
  from another draw, and a test at the suite's small budget would pass or fail by luck.
"""

import importlib.abc
import ipaddress
import os
import socket
import sys

MNIST_NPZ_ENV = "STOCK_OTTER_MNIST_NPZ"
SEED_ENV = "STOCK_OTTER_SEED"
KERAS_MNIST_MODULE = "keras.src.datasets.mnist"


class OfflineError(OSError):
    pass


def _verified_get_file(fname=None, origin=None, *arguments, **keywords):
    path = os.environ.get(MNIST_NPZ_ENV)
    if not path:
        raise OfflineError(f"stock-otter test: ${MNIST_NPZ_ENV} is unset; not fetching {origin}")
    if fname != "mnist.npz":
        raise OfflineError(f"stock-otter test: only mnist.npz is served offline, not {origin}")
    return path


def _seed_keras(keras):
    seed = os.environ.get(SEED_ENV)
    if seed:
        keras.utils.set_random_seed(int(seed))


def _serve_verified_mnist(module):
    module.get_file = _verified_get_file


# Each keras module to change, and what changes it once it has run.
AFTER_IMPORT = {"keras": _seed_keras, KERAS_MNIST_MODULE: _serve_verified_mnist}


class _PatchKeras(importlib.abc.MetaPathFinder):
    """Find the modules of AFTER_IMPORT as usual, then change each once it has run."""

    def find_spec(self, fullname, path, target=None):
        change = AFTER_IMPORT.get(fullname)
        if change is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            change(module)

        spec.loader.exec_module = exec_and_patch
        return spec


def _is_local(address) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already be network use


def _guard(method):
    def guarded(self, address, *arguments):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
            raise OfflineError(f"stock-otter test: network access to {address!r} is blocked")
        return method(self, address, *arguments)

    return guarded


sys.meta_path.insert(0, _PatchKeras())
socket.socket.connect = _guard(socket.socket.connect)
socket.socket.connect_ex = _guard(socket.socket.connect_ex)
