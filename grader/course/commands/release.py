"""`grader release --out DIR`: the folder students download (grader/course/release.py)."""

from pathlib import Path

from rich.console import Console

from grader.config import load_config
from grader.course.release import build_release


def main(*, out: Path, force: bool, console: Console) -> int:
    console.print("Recording the public checks' plan against the reference solution...")
    files = build_release(out, load_config(), force=force)
    console.print(f"Wrote the student release to {out} ({len(files)} files):")
    for name in ("README.md", "student_template.py", "INSTRUCTIONS.md", "requirements.txt"):
        console.print(f"  {name}")
    checks = sorted(path.name for path in files if path.parts[0] == "tests")
    console.print(f"  tests/ (public checks only: {', '.join(checks)})")
    console.print("  grader/, assignment/ (the student edition of the checker, no hidden settings)")
    return 0
