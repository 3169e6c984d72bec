"""Shared helpers of the named-dataset loaders (``_movielens.py``, ``_lastfm.py``, ...).

Finding a dataset's files, a tolerant delimited-file reader that counts the lines it had
to skip, numeric conversion that counts unparseable rows, per-item tag lists, the notes
and the warning a loader leaves in its :class:`~tastemaker.data.LoadReport`, and the
:class:`~tastemaker.data.RemoteFile` list of a spec.

Not to be confused with the public readers of ``_readers.py`` (``read_table`` there reads
a user's side table and raises on the first bad line; ``read_raw_table`` here reads a file
as distributed and counts what it drops).
"""

from __future__ import annotations

import csv
import io
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tastemaker.data._dataset import LoadReport
from tastemaker.errors import DataError, DataWarning

logger = logging.getLogger(__name__)


def require_file(folder: Path, relative: str, dataset: str) -> Path:
    """``folder / relative``, or a DataError saying what is missing and where to put it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            f"{dataset}: dataset folder {folder} does not exist. Put the files of the "
            f"dataset there as distributed, or point $TASTEMAKER_DATA_DIR at the folder "
            f"that holds it."
        )
    path = folder / relative
    if not path.is_file():
        raise DataError(
            f"{dataset}: file {relative!r} is missing in {folder}. The folder must hold the "
            f"dataset's files as distributed (see `tastemaker datasets info {dataset}`)."
        )
    return path


def read_raw_table(
    path: Path,
    names: list[str],
    report: LoadReport,
    *,
    sep: str,
    numeric: dict[str, str] | None = None,
    encoding: str = "utf-8",
    header: bool = False,
    quoting: int = csv.QUOTE_NONE,
) -> tuple[pd.DataFrame, int]:
    """Read a delimited text file, skipping (and counting) malformed lines.

    Line endings may be LF, CRLF or CR. Lines with too many fields are skipped, and rows
    whose ``numeric`` columns are missing or do not parse are dropped; both are counted in
    ``report`` (reasons ``"<file>: malformed line"`` / ``"<file>: malformed value"``).

    Parameters
    ----------
    path : Path
    names : list of str
        Column names to give the fields (a header row, when present, is skipped).
    report : LoadReport
    sep : str
    numeric : dict of str -> str, optional
        Columns to convert to numbers, with their numpy dtype (``"int64"``, ...); the
        other columns stay strings (missing trailing fields become missing values).
    encoding : str, default="utf-8"
    header : bool, default=False
        Whether the first line is a header.
    quoting : int, default=csv.QUOTE_NONE
        ``csv`` quoting mode; quotes are ordinary characters by default.

    Returns
    -------
    frame : DataFrame
    n_lines : int
        Non-blank data lines in the file (the header excluded).
    """
    numeric = dict(numeric or {})
    raw = path.read_bytes()
    n_lines = max(0, sum(1 for line in raw.splitlines() if line.strip()) - (1 if header else 0))

    def parse(dtype: dict[str, Any]) -> pd.DataFrame:
        return pd.read_csv(
            io.BytesIO(raw),
            sep=sep,
            header=0 if header else None,
            names=names,
            dtype=dtype,
            keep_default_na=False,
            quoting=quoting,
            on_bad_lines="skip",
            encoding=encoding,
            engine="c",
        )

    try:
        try:  # fast path: the C parser converts clean numeric columns itself
            frame = parse({c: numeric.get(c, str) for c in names})
            fast = all(np.isfinite(frame[c].to_numpy(np.float64)).all() for c in numeric)
        except (ValueError, OverflowError, TypeError):
            fast = False
        if not fast:
            frame = parse(dict.fromkeys(names, str))
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path}: not valid {encoding} at byte {err.start}; the file may be damaged "
            "or not the distributed version"
        ) from err
    except pd.errors.ParserError as err:
        raise DataError(f"{path}: cannot be parsed as {sep!r}-separated text: {err}") from err
    bad = max(0, n_lines - len(frame))
    if bad:
        report.drop(f"{path.name}: malformed line", bad)
        report.notes.append(f"{path.name}: skipped {bad} line(s) with too many fields")
    if not fast and numeric:
        frame = to_numbers(frame, numeric, report, path.name)
    return frame, n_lines


def to_numbers(
    frame: pd.DataFrame,
    columns: dict[str, str],
    report: LoadReport,
    source: str,
) -> pd.DataFrame:
    """Convert string columns to numbers, dropping (and counting) rows that do not parse.

    Parameters
    ----------
    frame : DataFrame
    columns : dict of str -> str
        Column name -> numpy dtype (``"int64"``, ``"float32"``, ...).
    report : LoadReport
    source : str
        File name used in the drop reason.
    """
    ok = np.ones(len(frame), dtype=bool)
    values = {}
    for col, dtype in columns.items():
        num = pd.to_numeric(frame[col], errors="coerce")
        good = num.notna().to_numpy()
        if np.dtype(dtype).kind in "iu":
            as_float = num.to_numpy(np.float64, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                good = good & np.isfinite(as_float) & (np.nan_to_num(as_float) % 1 == 0)
        ok &= good
        values[col] = num
    bad = int((~ok).sum())
    out = frame.loc[ok].copy()
    for col, dtype in columns.items():
        out[col] = values[col][ok].astype(dtype)
    if bad:
        report.drop(f"{source}: malformed value", bad)
        report.notes.append(f"{source}: dropped {bad} row(s) with a missing or non-numeric value")
    return out.reset_index(drop=True)


def drop_duplicate_keys(
    frame: pd.DataFrame, key: str, report: LoadReport, source: str
) -> pd.DataFrame:
    """Keep the first row of each ``key`` in a side table, counting the others."""
    dup = frame[key].duplicated()
    n = int(dup.sum())
    if n:
        report.drop(f"{source}: repeated {key}", n)
        report.notes.append(f"{source}: {n} row(s) repeat an earlier {key}; kept the first")
        frame = frame.loc[~dup].reset_index(drop=True)
    return frame


def blank_to_na(column: pd.Series) -> pd.Series:
    """Strip strings and turn empty ones into missing values."""
    stripped = column.str.strip()
    return stripped.mask(stripped == "")


def ranked_tags(
    frame: pd.DataFrame, key: str, tag: str, max_tags: int | None = None
) -> dict[object, list[str]]:
    """Each key's distinct tags, most frequent first (ties by tag text).

    Parameters
    ----------
    frame : DataFrame
        One row per tag application.
    key, tag : str
        Columns holding the tagged id and the tag text (missing tags are ignored).
    max_tags : int, optional
        Keep at most this many tags per key.
    """
    rows = frame.loc[frame[tag].notna(), [key, tag]]
    if rows.empty:
        return {}
    counts = rows.groupby([key, tag], sort=False).size().rename("n").reset_index()
    counts = counts.sort_values([key, "n", tag], ascending=[True, False, True], kind="stable")
    if max_tags is not None:
        counts = counts.groupby(key, sort=False).head(max_tags)
    keys = counts[key].to_numpy()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    chunks = np.split(counts[tag].to_numpy(dtype=object), starts[1:])
    return {k: chunk.tolist() for k, chunk in zip(keys[starts].tolist(), chunks)}


def list_column(keys: pd.Series, lists: dict[object, list[str]]) -> list[list[str]]:
    """A list per key (a fresh empty list where ``lists`` has none)."""
    return [list(lists.get(k, ())) for k in keys.tolist()]


def warn_dropped(report: LoadReport) -> None:
    """One DataWarning summarising the rows a reader dropped (none when nothing was)."""
    if report.n_dropped:
        warnings.warn(f"{report.summary()}; details in Dataset.report", DataWarning, stacklevel=3)


def note_missing(report: LoadReport, path: Path, what: str) -> None:
    """Record that an optional file is absent and what the dataset lacks because of it."""
    report.notes.append(f"{path.name} not found in {path.parent}; {what}")
    logger.info("%s not found; %s", path, what)


def note_unmatched(report: LoadReport, n: int, message: str) -> None:
    if n:
        report.notes.append(message.format(n=n))
