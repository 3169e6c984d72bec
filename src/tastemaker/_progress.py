"""Progress bars: silent in library use, enabled by the command line.

Long loops call :func:`progress`; nothing is shown unless an application called
:func:`enable` (the CLI does, writing to stderr).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_enabled = False
_console = None


def _stderr_console():
    """The one console every status and bar draws on: nested displays (a bar inside a
    status) render together, which rich supports from 14.1 on."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True)
    return _console


def enable(on: bool = True) -> None:
    """Turn progress bars on (``True``) or off for this process."""
    global _enabled
    _enabled = on


def is_enabled() -> bool:
    return _enabled


def _make_progress():
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=_stderr_console(),
        transient=True,
    )


def progress(it: Iterable[T], total: int | None = None, desc: str = "") -> Iterator[T]:
    """Iterate over ``it``, showing a bar on stderr when progress is enabled."""
    if not _enabled:
        yield from it
        return
    if total is None and hasattr(it, "__len__"):
        total = len(it)  # type: ignore[arg-type]
    with _make_progress() as bar:
        task = bar.add_task(desc, total=total)
        for item in it:
            yield item
            bar.advance(task)


@contextmanager
def status(desc: str):
    """A spinner for one step of unknown length (loading a file, fitting a model)."""
    if not _enabled:
        yield
        return
    with _stderr_console().status(desc):
        yield


@contextmanager
def tracker(total: int | None, desc: str = ""):
    """A bar advanced by hand: ``with tracker(n, "trials") as advance: ... advance()``;
    ``advance(1, "epoch 3: ndcg@10 0.081")`` also replaces the bar's description."""
    if not _enabled:
        yield lambda n=1, description=None: None
        return
    with _make_progress() as bar:
        task = bar.add_task(desc, total=total)
        # rich leaves the description as it is when given None
        yield lambda n=1, description=None: bar.update(task, advance=n, description=description)


@contextmanager
def quiet(*loggers: str, level: int = 30):
    """Raise the level of ``loggers`` (default WARNING) for the duration of a block:
    inner steps repeated many times (fits inside a search) would flood the log."""
    import logging

    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in loggers]
    for logger, _ in saved:
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, old in saved:
            logger.setLevel(old)
