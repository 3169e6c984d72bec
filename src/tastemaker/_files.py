"""Writing result files: atomically, with ordinary permissions, never onto a directory.

Every output file (JSON results, CSV frames, HTML reports) goes through
:func:`write_atomic`: the content is written to a temporary file in the target's folder,
then renamed over the target, so an interrupted run leaves either the old file or the
new one, and no temporary file behind. The new file gets the permissions a plain
``open(path, "w")`` would give it: the existing file's mode, else ``0o666`` minus the
umask (``0o644`` typically).
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tastemaker.errors import ParameterError

__all__ = ["check_output", "write_atomic", "write_directory", "write_text"]


def _refuse(target: Path, reason: str) -> ParameterError:
    return ParameterError(f"cannot write {target}: {reason}")


def check_output(path: str | os.PathLike[str], suggest: str = "results.txt") -> Path:
    """Refuse an output path that cannot be a file (a directory, or under a file), before
    any work is done; :func:`write_atomic` checks again when it writes.

    Raises
    ------
    ParameterError
    """
    target = Path(path)
    _check_target(target, suggest)
    return target


def _check_target(target: Path, suggest: str) -> None:
    if target.is_dir():
        raise _refuse(
            target, f"it is a directory; give a file path instead, e.g. {target / suggest}"
        )
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise _refuse(target, f"{parent} is a file, not a directory")
            break


def _open_temporary(target: Path) -> tuple[Path, int]:
    """A new file next to ``target``, created with mode 0o666 (the umask applies)."""
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - a 32-bit random name collided
            continue


def write_atomic(
    path: str | os.PathLike[str],
    write: Callable[[IO[str]], object],
    *,
    encoding: str = "utf-8",
    suggest: str = "results.txt",
) -> Path:
    """Write a text file by calling ``write(handle)``, atomically.

    Parameters
    ----------
    path : path-like
        The file to (re)write; missing parent folders are created.
    write : callable
        Writes the content to the open text handle it is given.
    encoding : str, default="utf-8"
    suggest : str, default="results.txt"
        A file name suggested inside ``path`` when ``path`` is a directory.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ParameterError
        ``path`` is a directory, lies under a file, or cannot be created (permissions).
        Nothing is written and no temporary file is left.
    """
    target = Path(path)
    _check_target(target, suggest)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp, fd = _open_temporary(target)
    except OSError as err:
        raise _refuse(target, err.strerror or str(err)) from err
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            write(handle)
        if target.exists():  # keep the mode of the file being replaced, as open() would
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        os.replace(tmp, target)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, (IsADirectoryError, PermissionError)):
            raise _refuse(target, err.strerror or str(err)) from err
        raise
    return target


def write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    encoding: str = "utf-8",
    suggest: str = "results.txt",
) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`write_atomic`)."""
    return write_atomic(path, lambda handle: handle.write(text), encoding=encoding, suggest=suggest)


@contextmanager
def write_directory(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Write a directory atomically: yields a fresh temporary sibling of ``path`` to
    fill; when the block ends, it replaces ``path`` (an old directory there is removed);
    if the block raises, it is removed and ``path`` is left as it was. Model artifacts
    and encoders are saved this way, so an interrupted save leaves nothing half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        yield tmp
        if path.exists():
            trash = path.parent / f".{path.name}.old-{secrets.token_hex(4)}"
            os.replace(path, trash)
            os.replace(tmp, path)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
