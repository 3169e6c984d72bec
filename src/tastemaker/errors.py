"""Exceptions and warnings raised by tastemaker.

Every error a user can fix derives from :class:`UserError`; the command line turns it
into one red line and exit status 2. Anything else is a bug (exit status 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = [
    "DataError",
    "DataWarning",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",
    "ParameterError",
    "TastemakerError",
    "UnknownIdError",
    "UserError",
    "cli_interface",
    "hint",
    "in_cli",
]

_INTERFACE: ContextVar[str] = ContextVar("tastemaker_interface", default="python")


@contextmanager
def cli_interface() -> Iterator[None]:
    """Within this block, messages speak the command line's words (flags, not arguments).

    The ``tastemaker`` command runs every command inside it; library code asks
    :func:`in_cli` or :func:`hint` when a message names how to fix something.
    """
    token = _INTERFACE.set("cli")
    try:
        yield
    finally:
        _INTERFACE.reset(token)


def in_cli() -> bool:
    """True while the command line is running (see :func:`cli_interface`)."""
    return _INTERFACE.get() == "cli"


def hint(python: str, cli: str) -> str:
    """The fix in the words of the interface in use: a Python argument such as
    ``columns={'userId': 'user'}``, or a flag such as ``--columns user=userId``."""
    return cli if in_cli() else python


class TastemakerError(Exception):
    """Base class of every exception raised by tastemaker."""


class UserError(TastemakerError):
    """Input the user can fix: a file, a parameter, an id."""


class DataError(UserError, ValueError):
    """A data file or frame is missing, malformed or inconsistent."""


class ParameterError(UserError, ValueError):
    """A model, metric or command parameter is invalid."""


class UnknownIdError(UserError, KeyError):
    """A user or item id is not known where it must be."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ModelFileError(UserError):
    """A model directory is missing, truncated, tampered with or not a tastemaker model."""


class MissingDependencyError(UserError, ImportError):
    """An optional dependency (an extra) is not installed; the message names the fix."""


class NotFittedError(TastemakerError, AttributeError):
    """A model was used before ``fit``."""


class DataWarning(UserWarning):
    """Suspicious input that was handled (rows dropped, duplicates merged, ...)."""
