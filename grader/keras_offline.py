"""Let `keras.datasets.mnist.load_data()` read the grader's verified MNIST, offline.

Keras accepts only Google's own mnist.npz in its cache (it checks the file's SHA-256) and
otherwise downloads it. After `grader data`, a student's `python student_template.py` should
run the lesson with no network, so `grader data` installs a one-line .pth file into the
environment's site-packages, next to a copy of this module under its own name, which the .pth
imports at interpreter start-up. The copy imports only the standard library (importing the
`grader` package at start-up would shadow any other copy of it, such as the autograder's own
source folder): it waits for keras' MNIST module to be imported, then makes its `get_file`
return the verified copy for mnist.npz (anything else still goes to keras' own `get_file`).
Only then is `grader.datasets` imported, to find the store; when the grader or its data store
is gone, it does nothing.
"""

import importlib.abc
import importlib.machinery
import sys
import sysconfig
from pathlib import Path

KERAS_MNIST_MODULE = "keras.src.datasets.mnist"
PTH_NAME = "perceptron-grader-keras-offline.pth"
HOOK_MODULE = "perceptron_grader_keras_offline"  # this file's copy in site-packages
# One line, run by site.py at start-up: silent if the grader is uninstalled later.
PTH_LINE = (
    f'import sys; exec("try:\\n    import {HOOK_MODULE} as k; k.install()\\n'
    'except Exception:\\n    pass")\n'
)


def _verified_npz() -> Path | None:
    from grader.datasets import DatasetMissing, mnist_npz_path

    try:
        return mnist_npz_path()
    except (DatasetMissing, OSError):
        return None


def _patch(module) -> None:
    original = module.get_file

    def get_file(fname=None, origin=None, *arguments, **keywords):
        if str(fname).endswith("mnist.npz"):
            verified = _verified_npz()
            if verified is not None:
                return str(verified)
        return original(fname, origin, *arguments, **keywords)

    module.get_file = get_file


class _Finder(importlib.abc.MetaPathFinder):
    """Patches keras' MNIST module right after it is first imported."""

    def find_spec(self, name, path=None, target=None):
        if name != KERAS_MNIST_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module):
            execute(module)
            _patch(module)

        loader.exec_module = exec_module
        return spec


def install() -> None:
    """Called from the .pth file at start-up: arrange the patch (once per process)."""
    if KERAS_MNIST_MODULE in sys.modules:
        _patch(sys.modules[KERAS_MNIST_MODULE])
    elif not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def install_hook() -> Path:
    """Write this module's copy and the .pth file into this interpreter's site-packages;
    returns the .pth's path."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    for path, text in (
        (site_packages / f"{HOOK_MODULE}.py", Path(__file__).read_text()),
        (site_packages / PTH_NAME, PTH_LINE),
    ):
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return site_packages / PTH_NAME
