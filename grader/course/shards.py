"""A class too big for one machine: grade deterministic slices (`--shard K/N`), then merge.

Each shard is an ordinary batch with its own --out folder and journal, so a shard that dies is
resumed by rerunning the same command, exactly like a whole batch. A submission's shard is
decided by a hash of its name alone, not by its position in a listing: every machine that sees
the same folder (or the same LMS download) agrees on the slices without talking to the others,
and a file added late does not move anyone else.

`grader merge OUT SHARD_OUT...` reads the shards' journals, refuses anything that would lose or
double a row (a name graded in two shards, shards graded under different settings or grader
versions, a shard still running), and writes one journal, gradebook and report into OUT.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from grader.course.batch import JOURNAL_NAME, SETTINGS_KEY, Journal
from grader.errors import GraderError
from grader.records import SubmissionResult
from grader.submissions import Submission

SHARD_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as a Slurm array task or a Kubernetes completion index + 1
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """'K/N' with 1 <= K <= N; anything else is refused with what was expected."""
    match = SHARD_PATTERN.match(text)
    if not match:
        raise GraderError(f"--shard takes K/N, for example 2/8 (shard 2 of 8), not {text!r}.")
    index, count = int(match[1]), int(match[2])
    if count < 1 or not 1 <= index <= count:
        raise GraderError(f"--shard {text}: K must be between 1 and N (N at least 1).")
    return Shard(index, count)


def shard_of(name: str, count: int) -> int:
    """The 1-based shard a submission name belongs to, the same on every machine."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select(submissions: list[Submission], shard: Shard) -> list[Submission]:
    return [s for s in submissions if shard_of(s.name, shard.count) == shard.index]


@dataclass(frozen=True)
class Merged:
    rows: list[SubmissionResult]  # one per submission, sorted by name
    settings: str
    per_shard: dict[Path, int]


def read_shards(folders: list[Path]) -> Merged:
    """Every row of every shard's journal, checked to form one class without loss or doubles."""
    if not folders:
        raise GraderError("grader merge needs at least one shard folder.")
    rows: dict[str, tuple[SubmissionResult, Path]] = {}
    settings_seen: dict[tuple[str, str], Path] = {}
    per_shard: dict[Path, int] = {}
    for folder in folders:
        path = folder / JOURNAL_NAME
        if not path.is_file():
            raise GraderError(f"{folder} holds no {JOURNAL_NAME}: is it a shard's --out folder?")
        settings_of: dict[str, str] = {}
        with Journal(path).opened() as contents:  # refuses a journal a running shard holds
            if contents.unreadable:
                raise GraderError(
                    f"{path} has {contents.unreadable} unreadable line(s); rerun that shard "
                    "before merging."
                )
            for (name, _sha, version, settings), row in contents.rows.items():
                settings_of[name] = settings
                settings_seen.setdefault((version, settings), folder)
                if name in rows and rows[name][1] != folder:
                    raise GraderError(
                        f"{name!r} was graded in two shards ({rows[name][1]} and {folder}): "
                        "were they given different --shard counts or inputs? Merge the "
                        "shards of one `--shard K/N` run."
                    )
                rows[name] = (row, folder)
        per_shard[folder] = len({name for name, (_, f) in rows.items() if f == folder})
    if len(settings_seen) > 1:
        listing = "; ".join(
            f"{folder}: grader {version}, settings {settings}"
            for (version, settings), folder in settings_seen.items()
        )
        raise GraderError(
            "The shards were graded with different grader versions or settings (config, "
            f"checks or solution), so their rows do not compare: {listing}. Regrade them alike."
        )
    settings = next(iter(settings_seen))[1] if settings_seen else ""
    ordered = [rows[name][0] for name in sorted(rows)]
    return Merged(ordered, settings, per_shard)


def write_journal(merged: Merged, out: Path) -> Path:
    """OUT/journal.jsonl holding every merged row, so OUT reads like one batch's folder."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / JOURNAL_NAME
    lines = [
        json.dumps(
            {**json.loads(row.model_dump_json()), SETTINGS_KEY: merged.settings},
            separators=(",", ":"),
        )
        for row in merged.rows
    ]
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(line + "\n" for line in lines))
    temporary.replace(path)
    return path
