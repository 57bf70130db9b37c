"""Outputs are written whole (grader.files): old or new, never half, never a stray temporary."""

import os
import stat

import pytest

from grader.files import READABLE, replaced_whole, write_whole


def test_a_file_is_replaced_whole_and_readable_by_others(tmp_path):
    path = tmp_path / "deep" / "grades.csv"
    write_whole(path, "first\n")
    write_whole(path, b"second\n", durable=True)
    assert path.read_text() == "second\n"
    assert stat.S_IMODE(path.stat().st_mode) == READABLE
    assert os.listdir(path.parent) == ["grades.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "report.html"
    write_whole(path, "old")
    with pytest.raises(RuntimeError), replaced_whole(path) as temporary:
        temporary.write_text("half of the new")
        raise RuntimeError("the disk is full")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["report.html"]


def test_a_mode_is_kept(tmp_path):
    path = tmp_path / "store.npz"
    write_whole(path, b"x", mode=0o640)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
