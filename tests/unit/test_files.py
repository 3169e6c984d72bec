"""Every output writer: atomic, ordinary permissions, a directory refused, no temp file left."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from tastemaker._files import write_atomic, write_text
from tastemaker.cli._common import write_json
from tastemaker.errors import ParameterError
from tastemaker.evaluate.report import to_csv, to_html, to_json
from tastemaker.workflows import write_frame

BOARD = pd.DataFrame(
    {"model": ["a"], "metric": ["hit@1"], "value": [0.5], "ci_low": [0.4], "ci_high": [0.6]}
)
WRITERS = {
    "write_json": lambda path: write_json({"hit@1": 0.5}, path),
    "write_frame": lambda path: write_frame(BOARD, path),
    "to_json": lambda path: to_json(BOARD, path),
    "to_csv": lambda path: to_csv(BOARD, path),
    "to_html": lambda path: to_html(BOARD, path),
}


@pytest.fixture
def umask():
    def set_umask(value: int) -> None:
        os.umask(value)

    old = os.umask(0o022)
    yield set_umask
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("writer", WRITERS)
def test_a_directory_is_refused_and_nothing_is_left(tmp_path, writer):
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises(ParameterError, match=f"cannot write {target}: it is a directory"):
        WRITERS[writer](target)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["keep.txt", "out"]


@pytest.mark.parametrize("writer", WRITERS)
def test_outputs_honour_the_umask(tmp_path, writer, umask):
    WRITERS[writer](tmp_path / "a")
    assert _mode(tmp_path / "a") == 0o644
    umask(0o077)
    WRITERS[writer](tmp_path / "b")
    assert _mode(tmp_path / "b") == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_rewriting_keeps_the_mode_of_the_existing_file(tmp_path, umask):
    path = tmp_path / "r.json"
    path.write_text("{}")
    path.chmod(0o640)
    write_json({"x": 1}, path)
    assert _mode(path) == 0o640 and json.loads(path.read_text()) == {"x": 1}


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("old\n")

    def broken(handle):
        handle.write("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        write_atomic(path, broken)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_parents_are_created_but_not_through_a_file(tmp_path):
    write_text(tmp_path / "new" / "dir" / "r.txt", "x")
    assert (tmp_path / "new" / "dir" / "r.txt").read_text() == "x"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="is a file, not a directory"):
        write_text(tmp_path / "file" / "r.txt", "y")


def test_an_unwritable_folder_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ParameterError, match="cannot write .*: Permission denied"):
            write_text(locked / "r.txt", "x")
    finally:
        locked.chmod(0o700)


def test_write_directory_replaces_on_success_and_keeps_the_old_on_error(tmp_path):
    from tastemaker._files import write_directory

    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), write_directory(target) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary left
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    with write_directory(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
