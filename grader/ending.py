"""Ending a process that loaded TensorFlow: its teardown (finalizers, thread pools) takes about a
second after all the work is done, for every grader command and every sandboxed child."""

import contextlib
import logging
import os
import sys
from typing import NoReturn


def end_now(code: int = 0) -> NoReturn:
    """Flush what was printed, then exit with `code`, skipping Python's teardown: atexit hooks,
    finalizers and leftover threads do not run. Only for a process whose files are all closed
    and whose workers are all joined. A stream that fails to flush loses only its own text."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(BaseException):
            if stream is not None:
                stream.flush()
    with contextlib.suppress(BaseException):
        logging.shutdown()
    os._exit(code)
