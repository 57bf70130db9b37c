"""`grader data [--from DIR] [--mirror URL]... [--dataset NAME]...`: install the datasets.

Each dataset is verified against its published checksums before anything is written; a problem
is a GraderError, which the command line prints as one line.
"""

from pathlib import Path

from grader.datasets import MNIST, TITLES, InstallResult, install
from grader.keras_offline import install_hook


def describe(result: InstallResult) -> str:
    """One line for a dataset: what happened and where it now is."""
    title = TITLES[result.dataset]
    if result.already_installed:
        return f"{title}: already installed at {result.location}"
    return f"{title}: installed from {result.source} into {result.location}"


def main(*, source: Path | None, mirrors: list[str], datasets: list[str]) -> None:
    """Install each requested dataset in turn (from `source`, else the mirrors) and report it;
    then let keras' MNIST loader read the verified copy, so the lesson's script runs offline."""
    for dataset in datasets:
        print(describe(install(dataset, source=source, mirrors=mirrors or None)), flush=True)
    if MNIST in datasets:
        try:
            hook = install_hook()
        except OSError as error:
            print(
                f"keras.datasets.mnist.load_data() will still download MNIST: could not write "
                f"to this Python's site-packages ({error.strerror}); use a venv.",
                flush=True,
            )
        else:
            print(f"keras.datasets.mnist.load_data() now reads the verified copy ({hook})")
