"""Leaderboards and files from evaluation results.

The input of the tables is a tidy frame with columns ``model, metric, value, ci_low,
ci_high, n_users`` (one row per model and metric), as made by
:meth:`EvaluationResult.with_ci` with ``model=`` and concatenated over models.
"""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from tastemaker._validation import Interval, Options, check
from tastemaker.errors import DataError, ParameterError
from tastemaker.evaluate._result import EvaluationResult
from tastemaker.evaluate.metrics import METRICS, parse_metric

if TYPE_CHECKING:
    from rich.table import Table

__all__ = [
    "LOWER_IS_BETTER",
    "format_leaderboard_text",
    "leaderboard_table",
    "to_csv",
    "to_html",
    "to_json",
]

LOWER_IS_BETTER = frozenset(name for name, m in METRICS.items() if not m.higher_is_better)
"""Metric families where smaller values win, from the registry: rating errors (``rmse``,
``mae``), popularity bias (``arp``) and concentration of recommendations (``gini``)."""


_DIGITS = Interval("int", 0, 15)


def _lower_is_better(metric: str) -> bool:
    try:
        return not parse_metric(metric).higher_is_better
    except ParameterError:
        return False  # not a registered metric: assume larger is better


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


def leaderboard_table(
    frame: pd.DataFrame,
    *,
    digits: int = 4,
    title: str | None = None,
    rows: Literal["model", "metric"] = "model",
) -> Table:
    """A rich table of ``value [low, high]`` cells; the best value per metric is bold.

    The best value is the smallest for :data:`LOWER_IS_BETTER` metrics, the largest
    otherwise (ties are all bold). Missing values show as ``-``.

    Parameters
    ----------
    frame : DataFrame
        Tidy results: ``model, metric, value`` and optionally ``ci_low, ci_high``.
    digits : int, default=4
        Decimals shown.
    title : str, optional
    rows : {"model", "metric"}, default="model"
        One row per model (a column per metric), or one row per metric (a column per
        model), which fits many metrics in a narrow terminal.
    """
    from rich.markup import escape
    from rich.table import Table

    check("leaderboard_table", "rows", rows, Options(["model", "metric"]))
    check("leaderboard_table", "digits", digits, _DIGITS)
    models, metrics, cells, best = _grid(frame)
    table = Table(title=title)

    def arrow(metric: str) -> str:
        return "↓" if _lower_is_better(metric) else "↑"

    def cell(model: Any, metric: str) -> str:
        text = escape(_cell(cells.get((model, metric)), digits))
        return f"[bold]{text}[/bold]" if model in best[metric] else text

    if rows == "metric":
        table.add_column("metric", style="cyan", no_wrap=True)
        for model in models:
            table.add_column(escape(str(model)), justify="right")
        for metric in metrics:
            table.add_row(f"{escape(metric)} {arrow(metric)}", *[cell(m, metric) for m in models])
        return table
    table.add_column("model", style="cyan", no_wrap=True)
    for metric in metrics:
        table.add_column(f"{escape(metric)} {arrow(metric)}", justify="right")
    for model in models:
        table.add_row(escape(str(model)), *[cell(model, metric) for metric in metrics])
    return table


def format_leaderboard_text(frame: pd.DataFrame, *, digits: int = 4) -> str:
    """The leaderboard as plain text; the best value of each column is marked ``*``.

    Same layout as :func:`leaderboard_table`, without styling, for logs and terminals
    without colour. A last line explains the mark.
    """
    check("format_leaderboard_text", "digits", digits, _DIGITS)
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


def _write_atomic(path: str | os.PathLike, text: str, suggest: str) -> None:
    from tastemaker._files import write_text

    write_text(path, text, suggest=suggest)


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
        _write_atomic(path, text, "results.json")
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
        _write_atomic(path, text, "results.csv")
    return text


def _svg_bars(metric: str, rows: pd.DataFrame, width: int = 360) -> str:
    """A horizontal bar chart of one metric with its interval as a whisker (inline SVG)."""
    import html as _html

    bar_h, gap, label_w = 18, 6, 110
    values = rows["value"].to_numpy(np.float64)
    highs = rows["ci_high"].to_numpy(np.float64)
    top = np.nanmax(np.r_[values, highs, 0.0])
    top = top if top > 0 else 1.0
    scale = (width - label_w - 70) / top
    height = len(rows) * (bar_h + gap) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_html.escape(metric)}">',
        f'<text x="0" y="14" font-weight="bold">{_html.escape(metric)}</text>',
    ]
    for i, r in enumerate(rows.itertuples()):
        y = 24 + i * (bar_h + gap)
        value = 0.0 if math.isnan(r.value) else float(r.value)
        w = max(value * scale, 0.0)
        parts.append(f'<text x="0" y="{y + 13}">{_html.escape(str(r.model))[:16]}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#4c78a8"/>'
        )
        if not (math.isnan(r.ci_low) or math.isnan(r.ci_high)):
            x0, x1 = label_w + r.ci_low * scale, label_w + r.ci_high * scale
            mid = y + bar_h / 2
            parts.append(
                f'<line x1="{x0:.1f}" y1="{mid}" x2="{x1:.1f}" y2="{mid}" stroke="black"/>'
            )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{value:.4g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(
    frame: pd.DataFrame,
    path: Any = None,
    *,
    title: str = "tastemaker evaluation",
    context: dict[str, Any] | None = None,
    extra_tables: dict[str, pd.DataFrame] | None = None,
    digits: int = 4,
) -> str:
    """A self-contained HTML report: the leaderboard, one bar chart per metric (95%
    intervals as whiskers) and any extra tables (timings, folds).

    Parameters
    ----------
    frame : DataFrame
        Tidy results (``model, metric, value, ci_low, ci_high``).
    path : path, optional
        Where to write it (atomically); the HTML is returned either way.
    context : dict, optional
        Key/value lines shown under the title (dataset, protocol, seed, ...).
    extra_tables : dict of str -> DataFrame, optional
    """
    import html as _html

    check("to_html", "digits", digits, _DIGITS)
    models, metrics, cells, best = _grid(frame)
    data = frame.copy()
    for col in ("ci_low", "ci_high"):
        if col not in data.columns:
            data[col] = np.nan
    if "model" not in data.columns:
        data["model"] = "result"
    head = "".join(f"<th>{_html.escape(str(m))}</th>" for m in models)
    body = []
    for metric in metrics:
        arrow = "↓" if _lower_is_better(metric) else "↑"
        tds = []
        for model in models:
            text = _html.escape(_cell(cells.get((model, metric)), digits))
            tds.append(f"<td><b>{text}</b></td>" if model in best[metric] else f"<td>{text}</td>")
        body.append(f"<tr><th>{_html.escape(metric)} {arrow}</th>{''.join(tds)}</tr>")
    charts = "".join(_svg_bars(metric, data[data["metric"] == metric]) for metric in metrics)
    info = "".join(
        f"<li><b>{_html.escape(str(k))}</b>: {_html.escape(str(v))}</li>"
        for k, v in (context or {}).items()
    )
    extras = "".join(
        f"<h2>{_html.escape(name)}</h2>"
        + table.to_html(index=False, float_format=lambda x: f"{x:.4g}")
        for name, table in (extra_tables or {}).items()
    )
    text = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{_html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "svg{margin:0 1em 1em 0;font-size:12px}</style></head><body>"
        f"<h1>{_html.escape(title)}</h1><ul>{info}</ul>"
        "<h2>Leaderboard</h2><p>Cells: value [95% interval]; best per metric in bold; "
        "↑ higher is better, ↓ lower is better.</p>"
        f"<table><tr><th>metric</th>{head}</tr>{''.join(body)}</table>"
        f"<h2>Charts</h2><div>{charts}</div>{extras}</body></html>\n"
    )
    if path is not None:
        _write_atomic(path, text, "report.html")
    return text
