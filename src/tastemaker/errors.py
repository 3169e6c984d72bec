"""Exceptions and warnings raised by tastemaker.

Every error a user can fix derives from :class:`UserError`; the command line turns it
into one red line and exit status 2. Anything else is a bug (exit status 1).
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "DataWarning",
    "ModelFileError",
    "NotFittedError",
    "ParameterError",
    "TastemakerError",
    "UnknownIdError",
    "UserError",
]


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


class NotFittedError(TastemakerError, AttributeError):
    """A model was used before ``fit``."""


class DataWarning(UserWarning):
    """Suspicious input that was handled (rows dropped, duplicates merged, ...)."""
