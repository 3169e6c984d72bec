"""Helpers shared by the command modules: output, option parsing."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from tastemaker.errors import ParameterError


def _console(stderr: bool) -> Console:
    """A console as wide as the terminal, or 160 columns when writing to a file/pipe
    (tables of metrics with intervals do not fit 80)."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 160
    return Console(stderr=stderr, width=width)


stderr = _console(stderr=True)
stdout = _console(stderr=False)


def parse_columns(text: str | None) -> dict[str, str] | None:
    """``"user=userId,item=movieId"`` -> ``{"userId": "user", "movieId": "item"}``.

    Each standard name and each file column once: a repeat would silently lose a mapping.
    """
    if not text:
        return None
    mapping: dict[str, str] = {}
    for part in text.split(","):
        standard, sep, file_column = (p.strip() for p in part.partition("="))
        if not sep or not standard or not file_column:
            raise ParameterError(
                f"--columns expects standard=file_column pairs like user=userId,item=movieId; "
                f"got {part!r}"
            )
        if standard in mapping.values():
            raise ParameterError(
                f"--columns maps {standard!r} twice; give each standard name one file column"
            )
        if file_column in mapping:
            raise ParameterError(
                f"--columns reads file column {file_column!r} as both "
                f"{mapping[file_column]!r} and {standard!r}; map it once"
            )
        mapping[file_column] = standard
    return mapping


def parse_sep(sep: str | None) -> str | None:
    if sep is None:
        return None
    return {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(sep, sep)


def write_json(obj: Any, out: Path | None) -> None:
    """JSON to ``out`` (atomically; a directory is refused) or, without one, to stdout."""
    from tastemaker._files import write_text

    text = json.dumps(_finite(obj), indent=2, default=_default, allow_nan=False)
    if out is None or str(out) == "-":
        sys.stdout.write(text + "\n")
        return
    write_text(out, text + "\n", suggest="results.json")


def _finite(value: Any) -> Any:
    """NaN and infinities become null (JSON has no NaN; ``NaN`` breaks strict parsers)."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def parse_weights(text: str | None) -> dict[str, float] | bool | None:
    """``"default"`` -> True; ``"view=1,cart=4"`` -> ``{"view": 1.0, "cart": 4.0}``.

    Each event type once, each weight a finite number; which types must be weighted is
    checked against the data (:func:`tastemaker.data.event_weights`).
    """
    if not text:
        return None
    if text.strip().lower() == "default":
        return True
    weights: dict[str, float] = {}
    for part in text.split(","):
        event, sep, value = part.partition("=")
        event = event.strip()
        try:
            if not sep or not event:
                raise ValueError(part)
            number = float(value)
        except ValueError as err:
            raise ParameterError(
                f"--event-weights expects event=number pairs like view=1,purchase=8 "
                f"(or 'default'); got {part!r}"
            ) from err
        if not math.isfinite(number):
            raise ParameterError(
                f"--event-weights: the weight of {event!r} must be a finite "
                f"number, got {value.strip()!r}"
            )
        if event in weights:
            raise ParameterError(
                f"--event-weights gives {event!r} twice; give each event type one weight"
            )
        weights[event] = number
    return weights
