"""otter-grader's check-file loader, without the rest of otter.

otter's package `__init__` imports its whole API (notebook export, so nbconvert and pandas):
0.7 s of every grader start, measured, before the sandboxed child can be launched. The grader
uses only `otter.test_files`. So, unless this process imported otter already, the package is
registered without running its `__init__`: its submodules import as usual (their relative
imports resolve through the package's path), and nothing of otter's top-level API is needed
here. `otter.Notebook` and the like are not available in a process that came through here;
`import otter.api` still is.
"""

import importlib
import importlib.util
import sys


def _register_package_only() -> None:
    if "otter" in sys.modules:
        return
    spec = importlib.util.find_spec("otter")
    if spec is None or spec.submodule_search_locations is None:
        return  # not installed as a package: the import below fails as it would anyway
    sys.modules["otter"] = importlib.util.module_from_spec(spec)


_register_package_only()
ExceptionTestFile = importlib.import_module("otter.test_files.exception_test").ExceptionTestFile

__all__ = ["ExceptionTestFile"]
