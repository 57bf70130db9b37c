"""`grader data [--from DIR] [--mirror URL]... [--dataset NAME]...`: install the datasets.

Each dataset is verified against its published checksums before anything is written; a problem
is a GraderError, which the command line prints as one line.
"""

from pathlib import Path

from grader.datasets import TITLES, InstallResult, install


def describe(result: InstallResult) -> str:
    """One line for a dataset: what happened and where it now is."""
    title = TITLES[result.dataset]
    if result.already_installed:
        return f"{title}: already installed at {result.location}"
    return f"{title}: installed from {result.source} into {result.location}"


def main(*, source: Path | None, mirrors: list[str], datasets: list[str]) -> None:
    """Install each requested dataset in turn (from `source`, else the mirrors) and report it."""
    for dataset in datasets:
        print(describe(install(dataset, source=source, mirrors=mirrors or None)), flush=True)
