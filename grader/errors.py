"""Errors meant for people: each carries one line saying what went wrong and what to do next.

The command line catches `GraderError` in one place (grader.cli) and prints its message;
any other exception is a bug in the grader and keeps its traceback.
"""


class GraderError(Exception):
    """A problem the user can fix; `str(error)` is the whole message."""

    exit_code = 2


class DatasetMissing(GraderError):
    """A dataset the grader needs has not been installed (or failed its checksum)."""
