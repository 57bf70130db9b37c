"""One memory budget for a whole submission: every process it starts, what it writes to the
sandbox's /tmp (a tmpfs in host RAM) and the page cache of its files, together.

RLIMIT_DATA bounds each process on its own; a submission that forks, fills /tmp and writes
files could still use many times the limit (measured: 8.2 GB against 4 GiB). A memory cgroup
made for the run closes that: the kernel charges all of it to the group, and past the limit
the group's own processes are killed (the row says `memory`), never the grader or another
submission.

Linux cgroup v1 (a writable memory hierarchy, as on this machine) and v2 (where the grader's
own group delegates the memory controller) both work. Where neither is writable (not root, no
delegation), `create` returns None and the per-process limits stay the only ones; the
sandbox's description says so.
"""

import contextlib
import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PREFIX = "perceptron-grader-"


def _own_paths() -> tuple[Path | None, Path | None]:
    """This process's v1 memory group and its v2 group, as folders (None when absent)."""
    v1 = v2 = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            number, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                v1 = ROOT / "memory" / path.lstrip("/")
            elif number == "0" and controllers == "":
                v2 = ROOT / path.lstrip("/")
    return v1, v2


class MemoryGroup:
    """A memory cgroup for one run; `wrap` a command so that it starts inside it."""

    def __init__(self, path: Path, version: int) -> None:
        self.path = path
        self.version = version

    @classmethod
    def create(cls, limit_bytes: int, name: str) -> "MemoryGroup | None":
        v1, v2 = _own_paths()
        candidates: list[tuple[Path, int]] = []
        if v1 is not None and (v1 / "memory.limit_in_bytes").exists():
            candidates.append((v1, 1))
        if v2 is not None:
            with contextlib.suppress(OSError):
                if "memory" in (v2 / "cgroup.subtree_control").read_text().split():
                    candidates.append((v2, 2))
        for parent, version in candidates:
            group = cls(parent / f"{PREFIX}{name}", version)
            try:
                group.path.mkdir()
                group._limit(limit_bytes)
                return group
            except OSError:
                group.close()
        return None

    def _limit(self, limit_bytes: int) -> None:
        if self.version == 1:
            (self.path / "memory.limit_in_bytes").write_text(str(limit_bytes))
            with contextlib.suppress(OSError):  # absent without swap accounting
                (self.path / "memory.memsw.limit_in_bytes").write_text(str(limit_bytes))
        else:
            (self.path / "memory.max").write_text(str(limit_bytes))
            with contextlib.suppress(OSError):
                (self.path / "memory.swap.max").write_text("0")

    def wrap(self, command: list[str]) -> list[str]:
        """The command, started by a shell that first moves itself into the group (so every
        process it becomes or starts is charged there from its first byte)."""
        procs = str(self.path / "cgroup.procs")
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', procs, *command]

    def _read(self, name: str) -> str:
        try:
            return (self.path / name).read_text()
        except OSError:
            return ""

    def peak_bytes(self) -> int:
        text = self._read("memory.max_usage_in_bytes" if self.version == 1 else "memory.peak")
        return int(text) if text.strip().isdigit() else 0

    def oom_killed(self) -> bool:
        """Did the kernel kill a process of the group for going over its limit?"""
        text = self._read("memory.oom_control" if self.version == 1 else "memory.events")
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value) > 0
        if self.version == 1:  # older kernels: no oom_kill counter; the limit was hit
            failures = self._read("memory.failcnt").strip()
            return failures.isdigit() and int(failures) > 0
        return False

    def close(self) -> None:
        """Kill whatever is still in the group, then remove it."""
        for _ in range(50):
            pids = [int(word) for word in self._read("cgroup.procs").split() if word.isdigit()]
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)
