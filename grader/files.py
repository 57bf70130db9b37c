"""Writing a file whole: readers see the old file or the new one, never half of either.

Every output the grader leaves for people or other programs (the gradebook, results.json, the
report, the Gradescope zip, the data store) is written through here. The sandbox's records and
hand-over (grader.isolation) have rules of their own and do not use it.
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Outputs are for others to read (a web server, Gradescope, a colleague); mkstemp would make
# them private.
READABLE = 0o644


@contextlib.contextmanager
def replaced_whole(path: Path, mode: int = READABLE, durable: bool = False) -> Iterator[Path]:
    """A fresh temporary path beside `path` to write; when the block ends without an error it
    replaces `path` in one step (after an fsync when `durable`), else it is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        if durable:
            with temporary.open("rb+") as stream:
                os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_whole(
    path: Path, content: str | bytes, mode: int = READABLE, durable: bool = False
) -> None:
    """Write `content` (text as UTF-8) to `path`, whole or not at all."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with replaced_whole(path, mode, durable) as temporary:
        temporary.write_bytes(data)
