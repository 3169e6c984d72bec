"""Leaderboards and files from evaluation results.

The input of the tables is a tidy frame with columns ``model, metric, value, ci_low,
ci_high, n_users`` (one row per model and metric), as made by
:meth:`EvaluationResult.with_ci` with ``model=`` and concatenated over models.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tastemaker.errors import DataError, ParameterError
from tastemaker.evaluate._ranked import EvaluationResult
from tastemaker.evaluate.metrics import parse_metric

if TYPE_CHECKING:
    from rich.table import Table

__all__ = [
    "LOWER_IS_BETTER",
    "format_leaderboard_text",
    "leaderboard_table",
    "to_csv",
    "to_json",
]

LOWER_IS_BETTER = frozenset({"rmse", "mae", "arp", "gini"})
"""Metric families where smaller values win: rating errors, popularity bias (``arp``) and
concentration of recommendations (``gini``). Every other metric is better when larger."""


def _lower_is_better(metric: str) -> bool:
    try:
        return parse_metric(metric).name in LOWER_IS_BETTER
    except ParameterError:
        return False  # a custom metric: assume larger is better


def _grid(frame: pd.DataFrame) -> tuple[list[Any], list[str], dict, dict[str, set]]:
    """Models and metrics in first-seen order, cells and the best models per metric."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a tidy DataFrame, got {type(frame).__name__}")
    missing = [c for c in ("metric", "value") if c not in frame.columns]
    if missing:
        raise DataError(
            f"a leaderboard needs columns model, metric, value (ci_low, ci_high optional); "
            f"missing {missing}, found {list(frame.columns)}"
        )
    data = frame.copy()
    if "model" not in data.columns:
        data["model"] = "result"
    for col in ("ci_low", "ci_high"):
        if col not in data.columns:
            data[col] = np.nan
    dup = data.duplicated(["model", "metric"])
    if dup.any():
        row = data[dup].iloc[0]
        raise DataError(
            f"the results frame has model {row['model']!r}, metric {row['metric']!r} more "
            "than once; one row per model and metric"
        )
    models = list(dict.fromkeys(data["model"].tolist()))
    metrics = list(dict.fromkeys(str(m) for m in data["metric"].tolist()))
    cells = {
        (r.model, str(r.metric)): (float(r.value), float(r.ci_low), float(r.ci_high))
        for r in data[["model", "metric", "value", "ci_low", "ci_high"]].itertuples()
    }
    best: dict[str, set] = {}
    for metric in metrics:
        values = {
            m: cells[(m, metric)][0]
            for m in models
            if (m, metric) in cells and not math.isnan(cells[(m, metric)][0])
        }
        if not values:
            best[metric] = set()
            continue
        target = min(values.values()) if _lower_is_better(metric) else max(values.values())
        best[metric] = {m for m, v in values.items() if np.isclose(v, target, rtol=0, atol=1e-12)}
    return models, metrics, cells, best


def _cell(cell: tuple[float, float, float] | None, digits: int) -> str:
    if cell is None or math.isnan(cell[0]):
        return "-"
    value, low, high = cell
    text = f"{value:.{digits}f}"
    if not (math.isnan(low) or math.isnan(high)):
        text += f" [{low:.{digits}f}, {high:.{digits}f}]"
    return text


def leaderboard_table(frame: pd.DataFrame, *, digits: int = 4, title: str | None = None) -> Table:
    """A rich table: one row per model, one column per metric, cells ``value [low, high]``.

    The best value of each column is bold (smallest for :data:`LOWER_IS_BETTER` metrics,
    largest otherwise; ties are all bold). Missing values show as ``-``.

    Parameters
    ----------
    frame : DataFrame
        Tidy results: ``model, metric, value`` and optionally ``ci_low, ci_high``.
    digits : int, default=4
        Decimals shown.
    title : str, optional
    """
    from rich.table import Table

    models, metrics, cells, best = _grid(frame)
    table = Table(title=title)
    table.add_column("model", style="cyan", no_wrap=True)
    for metric in metrics:
        arrow = "↓" if _lower_is_better(metric) else "↑"
        table.add_column(f"{metric} {arrow}", justify="right")
    for model in models:
        row = [str(model)]
        for metric in metrics:
            text = _cell(cells.get((model, metric)), digits)
            row.append(f"[bold]{text}[/bold]" if model in best[metric] else text)
        table.add_row(*row)
    return table


def format_leaderboard_text(frame: pd.DataFrame, *, digits: int = 4) -> str:
    """The leaderboard as plain text; the best value of each column is marked ``*``.

    Same layout as :func:`leaderboard_table`, without styling, for logs and terminals
    without colour. A last line explains the mark.
    """
    models, metrics, cells, best = _grid(frame)
    header = ["model", *metrics]
    body = []
    for model in models:
        row = [str(model)]
        for metric in metrics:
            text = _cell(cells.get((model, metric)), digits)
            row.append(text + (" *" if model in best[metric] else "  "))
        body.append(row)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells_: list[str]) -> str:
        first = cells_[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells_[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    lines = [line(header), "  ".join("-" * w for w in widths)]
    lines.extend(line(r) for r in body)
    lower = [m for m in metrics if _lower_is_better(m)]
    note = "* best per metric"
    if lower:
        note += f" (lower is better for {', '.join(lower)})"
    lines.append(note)
    return "\n".join(lines) + "\n"


def _write_atomic(path: str | os.PathLike, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    """JSON-safe Python value (NaN and infinities become null)."""
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    return value


def to_json(result_or_frame: EvaluationResult | pd.DataFrame, path: Any = None) -> str:
    """JSON text of a result, written to ``path`` when given.

    An :class:`EvaluationResult` becomes ``{"ndcg@10": value, ...}`` (the summary, the
    ``evaluate --recs`` contract); a frame becomes a list of row objects. NaN becomes
    ``null``. The file is written to a temporary sibling first, then renamed.
    """
    if isinstance(result_or_frame, EvaluationResult):
        payload: Any = {k: _plain(v) for k, v in result_or_frame.summary.items()}
    elif isinstance(result_or_frame, pd.DataFrame):
        payload = [
            {str(k): _plain(v) for k, v in row.items()}
            for row in result_or_frame.to_dict(orient="records")
        ]
    else:
        raise ParameterError(
            "to_json takes an EvaluationResult or a DataFrame, "
            f"got {type(result_or_frame).__name__}"
        )
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if path is not None:
        _write_atomic(path, text)
    return text


def to_csv(
    result_or_frame: EvaluationResult | pd.DataFrame,
    path: Any = None,
    *,
    per_user: bool = False,
) -> str:
    """CSV text of a result, written to ``path`` when given.

    Parameters
    ----------
    result_or_frame : EvaluationResult or DataFrame
        A result gives its tidy summary (``metric, value, ci_low, ci_high, n_users``,
        intervals empty; use ``with_ci`` for them) or, with ``per_user=True``, its
        per-user values (``--per-user FILE``). A frame is written as it is.
    path : path-like, optional
    per_user : bool, default=False
    """
    if isinstance(result_or_frame, EvaluationResult):
        frame = result_or_frame.per_user if per_user else result_or_frame.to_frame()
    elif isinstance(result_or_frame, pd.DataFrame):
        if per_user:
            raise ParameterError("per_user=True needs an EvaluationResult, not a frame")
        frame = result_or_frame
    else:
        raise ParameterError(
            f"to_csv takes an EvaluationResult or a DataFrame, got {type(result_or_frame).__name__}"
        )
    text = frame.to_csv(index=False)
    if path is not None:
        _write_atomic(path, text)
    return text
