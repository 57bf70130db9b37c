#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu base images).
# It installs Python 3.11 and the pinned requirements into $ROOT/venv, installs the datasets the
# assignment's config names (checksums verified), then verifies that grading works.
# `setup.sh --verify-only` runs only that last step.
#
# GRADER_AUTOGRADER_ROOT   the /autograder folder (default /autograder)
# GRADER_AUTOGRADER_PYTHON the interpreter to grade with (default $ROOT/venv/bin/python)
# GRADER_DATA_FROM         a folder with the original dataset files (mnist/, fashion-mnist/),
#                          instead of downloading them
# GRADER_SETUP_SYSTEM=0    skip the apt-get step (python3.11 and bubblewrap already there)
set -euo pipefail

ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"
PYTHON="${GRADER_AUTOGRADER_PYTHON:-$VENV/bin/python}"
cd "$SOURCE"

if [ "${1:-}" != "--verify-only" ]; then
    if [ "${GRADER_SETUP_SYSTEM:-1}" != 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        # bubblewrap gives each student run its own namespaces and filesystem view.
        apt-get install -y -q bubblewrap util-linux ca-certificates curl
        apt-get install -y -q python3.11 python3.11-venv || true
    fi
    if command -v python3.11 >/dev/null && python3.11 -m venv "$VENV"; then
        :
    else  # no python3.11 package (e.g. Ubuntu 24.04): a standalone build through uv, kept
        # outside /root so that the sandbox's unprivileged uid can run it
        export UV_PYTHON_INSTALL_DIR=/opt/grader-python
        curl -LsSf https://astral.sh/uv/install.sh | env UV_INSTALL_DIR=/usr/local/bin sh
        uv python install 3.11
        uv venv --seed --python 3.11 "$VENV"
        chmod -R a+rX "$UV_PYTHON_INSTALL_DIR"
    fi
    "$VENV/bin/python" -m pip install --upgrade -q pip
    "$VENV/bin/python" -m pip install -q -r requirements.txt
    chmod -R a+rX "$VENV"  # the sandbox's uid imports from it
    # The datasets the assignment's config names ([assignment] datasets).
    if [ -n "${GRADER_DATA_FROM:-}" ]; then
        "$VENV/bin/grader" data --from "$GRADER_DATA_FROM" --assignment "$ROOT/source/assignment"
    else
        "$VENV/bin/grader" data --assignment "$ROOT/source/assignment"
    fi
fi

exec "$PYTHON" -m grader.course.autograder verify --root "$ROOT"
