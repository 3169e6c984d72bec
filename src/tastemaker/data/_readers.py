"""Readers: CSV/TSV/Parquet/JSON-lines files into frames, interaction datasets and side tables.

Every problem with a file raises one :class:`~tastemaker.errors.DataError` naming the file,
the line (data row ``i`` of a file with a header is line ``i + 2``) and the column, what was
expected and found, and how to fix it.
"""

from __future__ import annotations

import difflib
import gzip
import io
import json
import logging
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from tastemaker._validation import Options, check, param_error
from tastemaker.data import _ratings
from tastemaker.data._cleaning import DUPLICATES, DuplicatePolicy, _resolve_duplicates
from tastemaker.data._dataset import (
    INTERACTION_COLUMNS,
    Dataset,
    LoadReport,
    check_ids_present,
    columns_hint,
)
from tastemaker.data._idmap import INT_TEXT, IdMap
from tastemaker.errors import DataError, DataWarning, ParameterError, hint

__all__ = ["check_events", "read_frame", "read_interactions", "read_table"]

logger = logging.getLogger(__name__)

FileFormat = Literal["csv", "tsv", "parquet", "jsonl"]
TimestampUnit = Literal["s", "ms", "us", "ns"]
PathLike = str | os.PathLike

FORMATS = ("csv", "tsv", "parquet", "jsonl")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".dat": "csv",
    ".data": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
}
_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe", "::": "'::'"}
_UNIT_FACTORS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_UNIT_WORDS = {"ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
_TIME_EXPECTED = "expected unix seconds or ISO 8601 (2024-01-13T08:00:00Z)"
# pandas' default missing-value markers: the fast reader treats the same texts as missing
_NA_TEXT = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip


# -- the frame as read, with where each row came from ------------------------------------
class _Lines:
    """Line (or row) number of each row read: ``first + i`` for row ``i``, except where
    rows were dropped (blank lines): then the kept rows' original positions say."""

    def __init__(self, first: int, kept: np.ndarray | None = None) -> None:
        self.first = first
        self.kept = kept

    def __getitem__(self, position: int) -> int:
        return self.first + int(position if self.kept is None else self.kept[position])

    def without(self, dropped: np.ndarray) -> _Lines:
        """The numbers of the rows left after dropping rows where ``dropped`` is True."""
        kept = np.flatnonzero(~dropped)
        return _Lines(self.first, kept if self.kept is None else self.kept[kept])


@dataclass
class _Encoded:
    """An id column encoded while reading: the map of its distinct ids (canonical, see
    :func:`_canonical_ids`) and each row's position in it."""

    id_map: IdMap
    positions: np.ndarray  # int32


@dataclass
class _Read:
    frame: pd.DataFrame  # RangeIndex 0..n-1
    lines: _Lines  # line (or row) number of each row in the file
    unit: str  # "line" or "row"
    label: str  # file name used in messages
    source: dict[str, str] = field(default_factory=dict)  # column -> file column
    notes: list[str] = field(default_factory=list)
    encoded: dict[str, _Encoded] = field(default_factory=dict)  # id columns encoded on read

    def column(self, col: str) -> str:
        original = self.source.get(col, col)
        return f'column "{original}"' if original == col else f'column "{original}" ({col})'

    def where(self, position: int, col: str | None = None) -> str:
        at = f"{self.label}, {self.unit} {int(self.lines[position])}"
        return f"{at}, {self.column(col)}" if col is not None else at

    def place(self, positions: Sequence[int]) -> str:
        numbers = " and ".join(str(int(self.lines[p])) for p in positions)
        return f"{self.label}, {self.unit}{'s' if len(positions) > 1 else ''} {numbers}"


# -- files ------------------------------------------------------------------------------
def _check_path(path: Path) -> None:
    if path.is_dir():
        inside = sorted(p.name for p in path.iterdir() if p.is_file())[:5]
        listing = f" (it holds {', '.join(inside)}{', ...' if len(inside) == 5 else ''})"
        raise DataError(
            f"{path} is a directory, not a file; pass the path of a data file inside it"
            + (listing if inside else "")
        )
    if not path.exists():
        suggestion = ""
        if path.parent.is_dir():
            siblings = [p.name for p in path.parent.iterdir()]
            close = difflib.get_close_matches(path.name, siblings, n=1, cutoff=0.6)
            if close:
                suggestion = f"; did you mean {path.parent / close[0]}?"
        elif str(path.parent) not in ("", "."):
            suggestion = f"; the folder {path.parent} does not exist either"
        raise DataError(f"{path}: the file does not exist{suggestion}")


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _open_binary(path: Path, gz: bool):
    return gzip.open(path, "rb") if gz else path.open("rb")


def _format_of(path: Path, format: str | None) -> str:
    if format is not None:
        if format not in FORMATS:
            raise DataError(
                f"{path.name}: unknown format {format!r}; use one of {', '.join(FORMATS)}"
            )
        return format
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".gzip"):
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    known = " ".join(sorted(_EXTENSIONS))
    raise DataError(
        f"{path.name}: unknown format (extension {ext or 'none'!r}); tastemaker reads "
        f"{known} (optionally gzipped). "
        + hint(
            python="Rename the file or pass format='csv', 'tsv', 'parquet' or 'jsonl'.",
            cli="Rename the file to end in .csv, .tsv, .parquet or .jsonl.",
        )
    )


def _first_line(path: Path, gz: bool) -> str:
    with _open_binary(path, gz) as handle:
        raw = handle.readline(1 << 20)
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def _sniff(line: str, default: str) -> str:
    """The delimiter of a header line: the most frequent of , tab ; | (ties: ``default``)."""
    candidates = [default] + [d for d in (",", "\t", ";", "|") if d != default]
    counts = {d: _count_outside_quotes(line, d) for d in candidates}
    best = max(candidates, key=lambda d: counts[d])  # max keeps the first of ties
    if counts[best] == 0:
        return "::" if "::" in line else default
    return best


def _sep_hint(sep: str | None = None) -> str:
    """How to give the delimiter: ``pass sep=';'`` or ``pass --sep ';'`` (``...`` when
    unknown)."""
    shown = "..." if sep is None else repr(sep)
    return hint(python=f"pass sep={shown}", cli=f"pass --sep {shown}")


def _decoded(reader: Callable[[str], pd.DataFrame], label: str, encoding: str | None, notes):
    """Run ``reader`` with UTF-8, falling back to latin-1 (noted) unless ``encoding`` is given."""
    try:
        return reader(encoding or "utf-8")
    except UnicodeDecodeError as err:
        if encoding is not None:
            raise DataError(
                f"{label}: cannot be decoded as {encoding} ({err}); pass the file's encoding, "
                "e.g. encoding='latin-1', or convert the file to UTF-8"
            ) from err
    notes.append(f"{label} is not valid UTF-8; decoded as latin-1")
    logger.info("%s is not valid UTF-8; decoding as latin-1", label)
    return reader("latin-1")


def _arrow_canonical_ints(column: Any) -> Any | None:
    """``column`` as int64 when every id is a canonical integer (:data:`INT_TEXT`), else
    None. Arrow's cast refuses signs ``+``, spaces, underscores and other digits; what it
    accepts beyond the canonical form starts with ``0`` or ``-0`` (``007``, ``0x1``, ``-0``),
    so those are looked for on the text (cheaper than casting back and comparing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.null_count or not len(column):
        return None
    try:
        ints = pc.cast(column, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if pc.max(pc.abs_checked(ints)).as_py() >= 10**18:
        return None  # longer than INT_TEXT allows: such ids stay text
    zero_led = pc.and_(pc.starts_with(column, "0"), pc.greater(pc.binary_length(column), 1))
    if pc.any(pc.or_(zero_led, pc.starts_with(column, "-0"))).as_py():
        return None
    return ints


def _encode_ints(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct ``ids`` and each one's position among them (int32).

    Ids in a range not much wider than their count (the usual 1..n) are ranked through a
    table over the range, with no hashing or sorting; others go through
    :func:`pandas.factorize`.
    """
    low, high = int(ids.min()), int(ids.max())
    if high - low <= 2 * len(ids) + 1024:
        present = np.zeros(high - low + 1, dtype=bool)
        present[ids - low] = True
        rank = np.cumsum(present, dtype=np.int32) - 1
        return np.flatnonzero(present) + low, rank[ids - low]
    codes, distinct = pd.factorize(ids)
    order = np.argsort(distinct)
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return distinct[order], rank[codes]


def _arrow_ids(column: Any) -> tuple[np.ndarray, _Encoded, int]:
    """A complete id column read by pyarrow, made canonical as :func:`_canonical_ids` does
    (surrounding whitespace stripped; all canonical integers become int64), and encoded on
    the way into the map of its distinct ids and each row's position.

    Integer ids are cast in one pass; text ids are hashed once (dictionary encoding), and
    the rest works on the distinct ids only. Returns the ids (int64, or an object array
    of str), their encoding and how many ids were stripped.
    """
    import pyarrow.compute as pc

    ints = _arrow_canonical_ints(column)
    if ints is not None:
        values = ints.to_numpy()
        distinct, positions = _encode_ints(values)
        return values, _Encoded(IdMap._from_sorted(distinct), positions), 0
    encoded = pc.dictionary_encode(column).unify_dictionaries()
    dictionary = encoded.chunk(0).dictionary
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks])
    stripped = pc.utf8_trim_whitespace(dictionary)
    changed = pc.not_equal(dictionary, stripped).to_numpy(zero_copy_only=False)
    n_stripped = int(np.count_nonzero(changed[codes])) if changed.any() else 0
    ints = _arrow_canonical_ints(stripped) if n_stripped else None
    distinct = ints.to_numpy() if ints is not None else np.asarray(stripped.to_pylist(), object)
    ids, inverse = np.unique(distinct, return_inverse=True)  # sorted, as IdMap keeps them
    positions = inverse.astype(np.int32)[codes]
    id_map = IdMap._from_sorted(ids)
    return id_map.ids[positions], _Encoded(id_map, positions), n_stripped


def _arrow_numbers(column: Any) -> Any:
    """A text column as int64 or float64 when every value is a number (surrounding
    whitespace allowed), else as it is."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for candidate in (column, None):
        if candidate is None:
            candidate = pc.utf8_trim_whitespace(column)
        for kind in (pa.int64(), pa.float64()):
            try:
                return pc.cast(candidate, kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
    return column


def _read_delimited_fast(
    path: Path,
    gz: bool,
    delimiter: str,
    encoding: str | None,
    names: Sequence[str] | None,
    text_columns: Sequence[str],
    number_columns: Sequence[str],
    notes: list[str],
) -> tuple[pd.DataFrame, dict[str, _Encoded]] | None:
    """Read a well-formed UTF-8 file with pyarrow (no Python object per row).

    The common case only: one-character delimiter, unique header names, no dates or
    other types pandas would not infer outside ``number_columns``. Returns None when the
    file needs the careful reader (:func:`_read_delimited`), which also names the line
    at fault for every problem. Blank lines come back as all-missing rows, so row ``i``
    is still line ``i + 2``. Id columns without missing values come back encoded.
    """
    if len(delimiter) != 1 or delimiter in ('"', "\n", "\r"):
        return None
    if encoding is not None and encoding.lower().replace("-", "").replace("_", "") != "utf8":
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    forced = set(text_columns) | set(number_columns)
    try:
        with pa.input_stream(str(path), compression="gzip" if gz else None) as stream:
            table = pacsv.read_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    column_names=list(names) if names else None,
                    # one thread: a little slower, but the threads' buffers would stay
                    # with the process (about 40 MB more at 1M rows)
                    use_threads=False,
                ),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in forced},
                    null_values=list(_NA_TEXT),
                    strings_can_be_null=True,
                ),
            )
    except (pa.ArrowException, OSError, ValueError, UnicodeDecodeError):
        return None
    header = [str(c).strip() for c in table.column_names]
    if len(set(header)) != len(header) or any(not c for c in header):
        return None  # pandas renames repeated and empty names
    simple = (pa.types.is_integer, pa.types.is_floating, pa.types.is_string, pa.types.is_boolean)
    for name, clean, kind in zip(table.column_names, header, table.schema.types):
        if clean in forced and name not in forced:
            return None  # a padded header name: the column was not read as text
        if name not in forced and not any(test(kind) for test in simple):
            return None  # dates, times, all-missing columns: leave them to pandas
    table = table.rename_columns(header)
    order = list(table.column_names)
    ids: dict[str, np.ndarray] = {}
    encoded: dict[str, _Encoded] = {}
    for name in order:
        column = table.column(name)
        if name in text_columns and column.null_count == 0 and len(column):
            ids[name], encoded[name], n_stripped = _arrow_ids(column)
            if n_stripped:
                notes.append(_stripped_note(n_stripped, name))
            table = table.drop_columns([name])
        elif name in number_columns:
            table = table.set_column(order.index(name) - len(ids), name, _arrow_numbers(column))
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table, column
    for name in order:  # the encoded id columns, back in their places
        if name in ids:
            frame.insert(order.index(name), name, ids.pop(name))
    pa.default_memory_pool().release_unused()  # the text read is gone: give it back
    return frame, encoded


def _read_delimited(
    path: Path,
    gz: bool,
    fmt: str,
    sep: str | None,
    encoding: str | None,
    names: Sequence[str] | None,
    text_columns: Sequence[str],
    number_columns: Sequence[str],
    label: str,
    notes: list[str],
) -> tuple[pd.DataFrame, _Lines, str, dict[str, _Encoded]]:
    first = _first_line(path, gz)
    if not first.strip() and not names:
        with _open_binary(path, gz) as handle:
            if not handle.read(1 << 16).strip():
                raise DataError(f"{path}: the file is empty; expected a header line and data rows")
    delimiter = sep if sep is not None else _sniff(first, "\t" if fmt == "tsv" else ",")
    if delimiter == "":
        raise param_error("read_interactions", "sep", "a non-empty string", sep, flag="--sep")
    if delimiter == "\\t":  # typed on a command line
        delimiter = "\t"
    options: dict[str, Any] = {
        "sep": delimiter,
        "compression": "gzip" if gz else None,
        "skip_blank_lines": False,
        "dtype": {c: str for c in text_columns},
        "engine": "c" if len(delimiter) == 1 else "python",
        "header": None if names else 0,
        "names": list(names) if names else None,
    }
    if len(delimiter) == 1:
        options["skipinitialspace"] = True

    def reader(enc: str) -> pd.DataFrame:
        return pd.read_csv(path, encoding=enc, **options)

    fast = _read_delimited_fast(
        path, gz, delimiter, encoding, names, text_columns, number_columns, notes
    )
    encoded: dict[str, _Encoded] = {}
    try:
        if fast is not None:
            frame, encoded = fast
        else:
            frame = _decoded(reader, label, encoding, notes)
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{path}: the file is empty; expected a header line and data rows") from err
    except pd.errors.ParserError as err:
        kind = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
        raise DataError(
            f"{label}: cannot be read as {kind}-separated text: {err}. A row has more fields "
            f"than the header: check the delimiter ({_sep_hint()}) and quoting of values that "
            "contain it."
        ) from err
    lines = _Lines(1 if names else 2)
    blank = frame.isna().all(axis=1).to_numpy() if len(frame.columns) else np.zeros(0, bool)
    if blank.any():
        notes.append(f"{int(blank.sum())} blank lines skipped")
        frame = frame.loc[~blank].reset_index(drop=True)
        lines = lines.without(blank)
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) == 1:
        only = frame.columns[0]
        for other in (",", "\t", ";", "|"):
            if other != delimiter and other in only:
                kind = _DELIMITER_NAMES[other]
                raise DataError(
                    f"{label}: found a single column named {only!r} when reading with the "
                    f"delimiter {delimiter!r}; the file looks {kind}-separated: "
                    f"{_sep_hint(other)}."
                )
    return frame, lines, "line", encoded


def _read_json(
    path: Path, gz: bool, encoding: str | None, label: str, notes: list[str]
) -> tuple[pd.DataFrame, _Lines, str]:
    with _open_binary(path, gz) as handle:
        head = handle.read(1 << 12)
    if not head.strip():
        raise DataError(f"{path}: the file is empty; expected one JSON object per line")
    is_array = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")

    def reader(enc: str) -> pd.DataFrame:
        return pd.read_json(
            path,
            lines=not is_array,
            dtype=False,
            compression="gzip" if gz else None,
            encoding=enc,
        )

    try:
        frame = _decoded(reader, label, encoding, notes)
    except (ValueError, TypeError) as err:
        raise DataError(_json_problem(path, gz, encoding, label, is_array, err)) from err
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, _Lines(1), "record" if is_array else "line"


def _json_problem(
    path: Path, gz: bool, encoding: str | None, label: str, is_array: bool, err: Exception
) -> str:
    if not is_array:
        with _open_binary(path, gz) as handle:
            text = handle.read().decode(encoding or "utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as bad:
                return (
                    f"{label}, line {number}: not valid JSON ({bad.msg} at character "
                    f"{bad.colno}); expected one JSON object per line"
                )
            if not isinstance(record, dict):
                return (
                    f"{label}, line {number}: found {type(record).__name__} "
                    f"{line.strip()[:40]!r}; expected one JSON object per line"
                )
    return f"{label}: cannot be read as JSON ({err}); expected one JSON object per line"


def _read_parquet(path: Path, gz: bool, label: str) -> tuple[pd.DataFrame, _Lines, str]:
    import pyarrow as pa

    try:
        if gz:
            with gzip.open(path, "rb") as handle:
                frame = pd.read_parquet(io.BytesIO(handle.read()))
        else:
            frame = pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as err:
        raise DataError(
            f"{label}: cannot be read as Parquet ({err}); check that the file is a complete "
            "Parquet file, or pass the right format"
        ) from err
    if any(n is not None for n in frame.index.names):
        frame = frame.reset_index()
    else:
        frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, _Lines(1), "row"


# -- columns ----------------------------------------------------------------------------
def _closest(name: str, found: Sequence[str]) -> str | None:
    lowered = {f.lower(): f for f in found}
    for f in found:
        if f.lower() == name.lower():
            return f
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    if close:
        return lowered[close[0]]
    starts = [f for f in found if f.lower().startswith(name.lower())]
    return starts[0] if starts else None


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _COLUMNS() -> str:
    """The name of the column mapping in the interface in use."""
    return hint(python="columns", cli="--columns")


def _rename(read: _Read, columns: Mapping[str, str] | None) -> None:
    if not columns:
        return
    frame = read.frame
    found = list(frame.columns)
    for file_column, standard in columns.items():
        if file_column in found:
            continue
        if standard in found:  # written the other way round
            raise DataError(
                f"{read.label}: {_COLUMNS()} maps a file column to a standard name; the file "
                f'has "{standard}" but no "{file_column}". Did you mean '
                f"{columns_hint(standard, file_column)}?"
            )
        close = _closest(file_column, found)
        closest = f' The closest is "{close}".' if close else ""
        raise DataError(
            f'{read.label}: {_COLUMNS()} names "{file_column}" (to read as "{standard}"), but '
            f"the file has no such column; found columns {_quoted(found)}.{closest}"
        )
    targets = list(columns.values())
    for target in set(targets):
        sources = [k for k, v in columns.items() if v == target]
        if len(sources) > 1:
            raise DataError(
                f'{read.label}: {_COLUMNS()} maps {_quoted(sources)} all to "{target}"; map '
                "one column to each name"
            )
        if target in found and target not in columns:
            raise DataError(
                f'{read.label}: {_COLUMNS()} maps "{sources[0]}" to "{target}", but the file '
                f'already has a column "{target}"; rename or drop one of them'
            )
    read.frame = frame.rename(columns=dict(columns))
    read.source = {v: k for k, v in columns.items()}
    if any(k != v for k, v in columns.items()):
        renamed = ", ".join(f"{k} -> {v}" for k, v in columns.items() if k != v)
        read.notes.append(f"columns renamed: {renamed}")


def _require(read: _Read, required: Sequence[str], purpose: Mapping[str, str]) -> None:
    found = list(read.frame.columns)
    for name in required:
        if name in found:
            continue
        close = _closest(name, [f for f in found if f not in required])
        what = f" ({purpose[name]})" if name in purpose else ""
        if close is not None:
            fix = f'The closest is "{close}"; map it with {columns_hint(close, name)}.'
        else:
            fix = f"Map the right column with {columns_hint('<file column>', name)}."
        raise DataError(
            f'{read.label}: no column "{name}"{what}; found columns {_quoted(found)}. {fix}'
        )


def _read(
    path: PathLike,
    *,
    sep: str | None,
    format: str | None,
    encoding: str | None,
    columns: Mapping[str, str] | None,
    required: Sequence[str],
    name: str | None,
    names: Sequence[str] | None,
    text_columns: Sequence[str] = (),
    number_columns: Sequence[str] = (),
) -> _Read:
    """Read a file; ``text_columns`` (standard names) hold ids, read as text and made
    canonical; ``number_columns`` may hold numbers or text (timestamps)."""
    path = Path(path)
    _check_path(path)
    label = name or path.name
    fmt = _format_of(path, format)
    if path.stat().st_size == 0:
        raise DataError(
            f"{path}: the file is empty (0 bytes); expected a header line and data rows"
        )
    if names and fmt not in ("csv", "tsv"):
        raise ParameterError(f"names applies to CSV and TSV files without a header, not {fmt}")
    gz = _is_gzip(path)
    notes: list[str] = []
    encoded: dict[str, _Encoded] = {}
    if fmt in ("csv", "tsv"):

        def in_file(standard: Sequence[str]) -> list[str]:
            return list(standard) + [k for k, v in (columns or {}).items() if v in standard]

        frame, lines, unit, encoded = _read_delimited(
            path,
            gz,
            fmt,
            sep,
            encoding,
            names,
            in_file(text_columns),
            in_file(number_columns),
            label,
            notes,
        )
    elif fmt == "jsonl":
        frame, lines, unit = _read_json(path, gz, encoding, label, notes)
    else:
        frame, lines, unit = _read_parquet(path, gz, label)
    if len(frame) == 0:
        header = f" (only a header: {_quoted(list(frame.columns))})" if len(frame.columns) else ""
        raise DataError(f"{path}: the file has no data rows{header}")
    read = _Read(frame=frame, lines=lines, unit=unit, label=label, notes=notes)
    _rename(read, columns)
    read.encoded = {(columns or {}).get(c, c): e for c, e in encoded.items()}
    _require(read, required, {})
    return read


def _read_keyed(
    path: PathLike,
    keys: Mapping[str, str],
    *,
    sep: str | None,
    format: str | None,
    encoding: str | None,
    columns: Mapping[str, str] | None,
    names: Sequence[str] | None,
    number_columns: Sequence[str] = (),
) -> _Read:
    """Read a file whose id columns ``keys`` (name -> what it holds) must be there and full.

    The ids are read as text, then made canonical (see :func:`_canonical_ids`).
    """
    read = _read(
        path,
        sep=sep,
        format=format,
        encoding=encoding,
        columns=columns,
        required=(),
        name=None,
        names=names,
        text_columns=tuple(keys),
        number_columns=number_columns,
    )
    _require(read, tuple(keys), keys)
    for key in keys:
        _ids(read, key)
    return read


def read_frame(
    path: PathLike,
    *,
    sep: str | None = None,
    format: FileFormat | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str] | None = None,
    required: Sequence[str] = (),
    name: str | None = None,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or JSON-lines file (optionally gzipped) into a frame.

    Parameters
    ----------
    path : str or path
    sep : str, optional
        Delimiter of a text file; by default sniffed from the first line among
        ``,`` tab ``;`` ``|`` (and ``::``).
    format : {"csv", "tsv", "parquet", "jsonl"}, optional
        By default from the extension (.csv .tsv .txt .dat .parquet .jsonl .json, each
        optionally with .gz); gzip is detected from the content.
    encoding : str, optional
        Text encoding; by default UTF-8, falling back to latin-1.
    columns : mapping of str -> str, optional
        ``{file_column: name}`` renames, applied after reading.
    required : sequence of str
        Names (after renaming) that must be present.
    name : str, optional
        Label used in messages; default the file name.
    names : sequence of str, optional
        Column names for a CSV/TSV file without a header line.

    Returns
    -------
    DataFrame
        Columns as read (after renaming). Columns ``user`` and ``item`` hold ids as in
        :func:`read_interactions`: integers when every id is a plain integer, else text.

    Raises
    ------
    DataError
        When the file is missing, empty, unreadable or lacks a required column.
    """
    read = _read(
        path,
        sep=sep,
        format=format,
        encoding=encoding,
        columns=columns,
        required=required,
        name=name,
        names=names,
        text_columns=("user", "item"),
    )
    for col in ("user", "item"):
        if col in read.frame.columns and col not in read.encoded:
            read.frame[col], n_stripped = _canonical_ids(read.frame[col])
            if n_stripped:
                read.notes.append(_stripped_note(n_stripped, col))
    for note in read.notes:
        logger.info("%s: %s", read.label, note)
    return read.frame


# -- interaction columns ----------------------------------------------------------------
def _n_rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _show(value: Any) -> str:
    """repr of a cell as the user wrote it (``1``, ``'five'``), not ``np.int64(1)``."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values)


def _stripped_note(n: int, column: str) -> str:
    return f'{n} ids in column "{column}" had surrounding spaces, removed'


def _canonical_ids(values: pd.Series) -> tuple[pd.Series, int]:
    """Ids read from a file, the same way for every file (training data and query files
    alike, so an id written the same way in both always matches): surrounding whitespace
    is stripped (it is layout, not part of the id); a column of canonical integers
    (``"12"``, ``"-3"``; see :data:`~tastemaker.data._idmap.INT_TEXT`) becomes int64,
    while ``"007"`` keeps the column text. Returns the ids and how many were stripped."""
    if not _is_text(values) or values.isna().any():
        return values, 0
    if values.dtype == object and not values.map(lambda v: isinstance(v, str)).all():
        return values, 0
    stripped = values.str.strip()
    n_stripped = int((stripped != values).sum())
    if stripped.str.fullmatch(INT_TEXT).all():
        return pd.to_numeric(stripped).astype(np.int64), n_stripped
    return stripped, n_stripped


def _ids(read: _Read, col: str) -> None:
    values = read.frame[col]
    missing = values.isna().to_numpy()
    if _is_text(values):
        missing = missing | (values.astype("str").str.strip() == "").to_numpy()
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"{read.where(position, col)}: the {col} id is missing (empty or NA; "
            f"{_n_rows(int(missing.sum()))} without one); every row needs "
            f"{'an' if col[0] in 'aeio' else 'a'} {col} id. Fill them in or remove those rows."
        )
    if values.dtype.kind == "f":
        fractional = (values != np.round(values)).to_numpy()
        if fractional.any():
            position = int(np.flatnonzero(fractional)[0])
            raise DataError(
                f"{read.where(position, col)}: {_show(values.iloc[position])} is not an id; "
                "expected an integer or a string"
            )
    if col not in read.encoded:
        read.frame[col], n_stripped = _canonical_ids(values)
        if n_stripped:
            read.notes.append(_stripped_note(n_stripped, read.source.get(col, col)))


def _numbers(read: _Read, col: str, example: str) -> None:
    values = read.frame[col]
    if values.dtype.kind in "iufb":
        parsed = values.astype(np.float64)
    else:
        parsed = pd.to_numeric(values, errors="coerce")
    empty = values.isna().to_numpy()
    bad = (parsed.isna().to_numpy() & ~empty) | ~np.isfinite(parsed.fillna(0.0).to_numpy())
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{read.where(position, col)}: {_show(values.iloc[position])} is not a number; "
            f"expected a number such as {example} ({_n_rows(int(bad.sum()))} affected). Fix those "
            "values or map another column."
        )
    if empty.any():
        position = int(np.flatnonzero(empty)[0])
        raise DataError(
            f"{read.where(position, col)}: the {col} is empty ({_n_rows(int(empty.sum()))}); "
            f"expected a number such as {example}. Fill them in or remove those rows."
        )
    read.frame[col] = parsed.astype(np.float32)


def _rating_scale(read: _Read, rating_range: tuple[float, float] | None) -> str | None:
    """Refuse ratings outside ``rating_range``; without one, the warning for ratings that
    do not fit the scale of the others (None when they all fit)."""
    ratings = read.frame["rating"].to_numpy()

    def where(position: int) -> str:
        return f"{read.unit} {read.lines[position]}"

    source = f"{read.label}, {read.column('rating')}"
    if rating_range is not None:
        outside = _ratings.out_of_range(ratings, rating_range)
        if outside.any():
            raise _ratings.range_error(ratings, outside, rating_range, where, source)
        return None
    suspicious, scale = _ratings.suspicious_ratings(ratings)
    if scale is None or not suspicious.any():
        return None
    return _ratings.suspicious_message(ratings, suspicious, scale, where, source)


def _epoch_unit(values: np.ndarray) -> str:
    if not len(values):
        return "s"
    largest = max(abs(float(np.nanmax(values))), abs(float(np.nanmin(values))))
    if largest < 1e11:
        return "s"
    if largest < 1e14:
        return "ms"
    if largest < 1e17:
        return "us"
    return "ns"


def _timestamps(read: _Read, col: str, unit: TimestampUnit | None) -> None:
    values = read.frame[col]
    empty = values.isna().to_numpy()
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        empty = empty | (values.astype("str").str.strip() == "").to_numpy()
    if empty.any():
        position = int(np.flatnonzero(empty)[0])
        raise DataError(
            f"{read.where(position, col)}: the timestamp is empty ({_n_rows(int(empty.sum()))}); "
            f"{_TIME_EXPECTED}. Fill them in or remove those rows."
        )
    if pd.api.types.is_datetime64_any_dtype(values):
        read.frame[col] = _seconds(values)
        return
    numbers = values if values.dtype.kind in "iuf" else pd.to_numeric(values, errors="coerce")
    if values.dtype.kind in "iuf" or numbers.notna().all():
        finite = True if numbers.dtype.kind in "iu" else np.isfinite(numbers.to_numpy(np.float64))
        if not np.all(finite):
            position = int(np.flatnonzero(~finite)[0])
            raise DataError(
                f"{read.where(position, col)}: {_show(values.iloc[position])} is not a time; "
                f"{_TIME_EXPECTED}"
            )
        if unit is None:
            unit = _epoch_unit(numbers.to_numpy())
            if unit != "s":
                read.notes.append(
                    f"timestamps read as {_UNIT_WORDS[unit]} since 1970 (by magnitude: as "
                    "seconds they would be after the year 5000)"
                    + hint(python="; pass timestamp_unit='s' if they are seconds", cli="")
                )
        factor = _UNIT_FACTORS[unit]
        if values.dtype == np.int64 and factor == 1:
            return  # already int64 unix seconds
        if numbers.dtype.kind in "iu":
            seconds = numbers.to_numpy(np.int64) // factor
        else:
            seconds = np.floor(numbers.to_numpy(np.float64) / factor).astype(np.int64)
        read.frame[col] = seconds
        return
    try:
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    except (TypeError, ValueError):
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    bad = parsed.isna().to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{read.where(position, col)}: {_show(values.iloc[position])} is not a time "
            f"({_n_rows(int(bad.sum()))} affected); {_TIME_EXPECTED}"
        )
    read.frame[col] = _seconds(parsed)


def _seconds(stamps: pd.Series) -> np.ndarray:
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize("UTC")
    delta = stamps - pd.Timestamp(0, tz="UTC")
    return (delta // pd.Timedelta(seconds=1)).to_numpy(np.int64)


def check_events(frame: Any, what: str = "events") -> pd.DataFrame:
    """Events given in memory (a history, new events for ``update``) checked and typed as
    the readers type a file: ``user`` and ``item`` present and complete, ``rating`` and
    ``weight`` finite numbers (float32), ``timestamp`` as int64 unix seconds (datetimes,
    ISO 8601 text, or numbers whose unit is read off their magnitude, as for files).

    ``what`` names the frame in messages. Returns a new frame with a fresh index.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a DataFrame with 'user' and 'item' columns")
    missing = [c for c in ("user", "item") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} needs columns 'user' and 'item'; missing {missing}, "
            f"found {list(frame.columns)}"
        )
    out = frame.reset_index(drop=True)
    check_ids_present(out, what)
    for col in ("rating", "weight"):
        if col in out.columns:
            values = pd.to_numeric(out[col], errors="coerce")
            bad = (values.isna() | ~np.isfinite(values.fillna(0.0))).to_numpy()
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"{what}, row {row}, column {col!r}: {_show(out[col].iloc[row])} is not "
                    "a number"
                )
            out[col] = values.astype(np.float32)
    if "timestamp" in out.columns:
        out["timestamp"] = _event_seconds(out["timestamp"], what)
    return out


def _event_seconds(values: pd.Series, what: str) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        return _seconds(values)
    numbers = values if values.dtype.kind in "iuf" else pd.to_numeric(values, errors="coerce")
    if numbers.notna().all() and np.isfinite(numbers.to_numpy(np.float64)).all():
        factor = _UNIT_FACTORS[_epoch_unit(numbers.to_numpy(np.float64))]
        if numbers.dtype.kind in "iu":
            return numbers.to_numpy(np.int64) // factor
        return np.floor(numbers.to_numpy(np.float64) / factor).astype(np.int64)
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise DataError(
            f"{what}, row {row}, column 'timestamp': {_show(values.iloc[row])} is not a "
            f"time; {_TIME_EXPECTED}"
        )
    return _seconds(parsed)


def _events(read: _Read, col: str) -> None:
    values = read.frame[col]
    text = values.astype("str").str.strip()
    empty = values.isna().to_numpy() | (text == "").to_numpy()
    if empty.any():
        position = int(np.flatnonzero(empty)[0])
        raise DataError(
            f"{read.where(position, col)}: the event type is empty ({_n_rows(int(empty.sum()))}); "
            "expected a name such as view, click, cart or purchase"
        )
    read.frame[col] = text


def _standard_name(path: Path) -> str:
    name = path.name
    for suffix in reversed(path.suffixes):
        if suffix.lower() in (".gz", ".gzip") or suffix.lower() in _EXTENSIONS:
            name = name[: -len(suffix)]
        else:
            break
    return name or path.name


def read_interactions(
    path: PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    sep: str | None = None,
    format: FileFormat | None = None,
    encoding: str | None = None,
    duplicates: DuplicatePolicy = "keep",
    timestamp_unit: TimestampUnit | None = None,
    name: str | None = None,
    names: Sequence[str] | None = None,
    rating_range: tuple[float, float] | None = None,
) -> Dataset:
    """Read an interaction log into a :class:`Dataset`.

    Parameters
    ----------
    path : str or path
        CSV, TSV, Parquet or JSON-lines file, optionally gzipped (see :func:`read_frame`).
    columns : mapping of str -> str, optional
        ``{file_column: standard_name}``, e.g. ``{"userId": "user", "movieId": "item"}``.
        Standard names: ``user`` and ``item`` (required), ``rating``, ``timestamp``,
        ``event``, ``weight``; other columns are kept as read.
    sep, format, encoding, names
        As in :func:`read_frame`.
    duplicates : {"keep", "first", "last", "merge", "error"}, default="keep"
        What to do with repeated (user, item) pairs — (user, item, event) with an event
        column; see :func:`~tastemaker.data.resolve_duplicates`.
    timestamp_unit : {"s", "ms", "us", "ns"}, optional
        Unit of numeric timestamps; by default seconds, unless the magnitude says
        milliseconds, microseconds or nanoseconds (noted in the report).
    name : str, optional
        Dataset name; default the file name without extensions.
    rating_range : (float, float), optional
        The rating scale, both ends included, e.g. ``(1, 5)``: a rating outside it is an
        error naming the lines. Without it, ratings that do not fit the scale the others
        keep (300 or -2 among 1-5 stars, 3.7 among whole stars) are kept and reported
        once (see :mod:`tastemaker.data._ratings` for the rule).

    Returns
    -------
    Dataset
        ``rating`` and ``weight`` as float32, ``timestamp`` as int64 unix seconds (ISO 8601
        strings and dates are converted; naive times are UTC), ``event`` as text. Ids
        given as text become integers when every id is a plain integer
        (``"007"`` keeps them strings). ``report`` counts rows read, dropped and merged.

    Raises
    ------
    DataError
        Naming the file, line and column: missing or empty file, wrong delimiter, missing
        column, empty id, non-numeric rating or weight, unparsable timestamp, a rating
        outside ``rating_range``, and repeated pairs with ``duplicates="error"``.

    Warns
    -----
    DataWarning
        Once, when duplicates were kept, dropped or merged; once, when ratings do not fit
        the scale of the others (also in ``report.warnings``).
    """
    path = Path(path)
    check("read_interactions", "duplicates", duplicates, DUPLICATES, flag="--duplicates")
    check("read_interactions", "timestamp_unit", timestamp_unit, [Options(_UNIT_FACTORS), None])
    if rating_range is not None:
        rating_range = _ratings.check_rating_range(rating_range)
    read = _read_keyed(
        path,
        {"user": "the user id", "item": "the item id"},
        sep=sep,
        format=format,
        encoding=encoding,
        columns=columns,
        names=names,
        number_columns=("timestamp",),
    )
    suspicious = None
    if "rating" in read.frame.columns:
        _numbers(read, "rating", "4.5")
        suspicious = _rating_scale(read, rating_range)
    if "weight" in read.frame.columns:
        _numbers(read, "weight", "1.0")
    if "timestamp" in read.frame.columns:
        _timestamps(read, "timestamp", timestamp_unit)
    if "event" in read.frame.columns:
        _events(read, "event")
    frame = read.frame
    order = [c for c in INTERACTION_COLUMNS if c in frame.columns]
    frame = frame[order + [c for c in frame.columns if c not in order]]

    report = LoadReport(source=read.label, n_read=len(frame), notes=list(read.notes))
    if suspicious:
        report.warnings.append(suspicious)
        warnings.warn(suspicious, DataWarning, stacklevel=2)
    name = name or _standard_name(path)
    if "user" in read.encoded and "item" in read.encoded:  # ids encoded while reading
        users, items = read.encoded["user"], read.encoded["item"]
        data = Dataset._from_positions(
            frame, users.id_map, users.positions, items.id_map, items.positions, name, report
        )
    else:
        data = Dataset(frame, name=name, report=report)
    data, message = _resolve_duplicates(data, duplicates, read.place)
    if message:
        warnings.warn(message, DataWarning, stacklevel=2)
    logger.info(
        "read %s: %d rows, %d users x %d items",
        read.label,
        data.n_interactions,
        data.n_users,
        data.n_items,
    )
    return data


# -- side tables ------------------------------------------------------------------------
def _split_values(value: Any, delimiter: str) -> list[Any]:
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if not isinstance(value, str):
        return [value]
    return [part.strip() for part in value.split(delimiter) if part.strip()]


def read_table(
    path: PathLike,
    key: str,
    *,
    columns: Mapping[str, str] | None = None,
    sep: str | None = None,
    format: FileFormat | None = None,
    encoding: str | None = None,
    multi_valued: Mapping[str, str] | None = None,
    duplicates: Literal["error", "first", "last"] = "error",
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Read an item or user table keyed by ``key`` (``"item"`` or ``"user"``).

    Parameters
    ----------
    path : str or path
    key : str
        Name (after ``columns`` renaming) of the id column, usually ``"item"`` or ``"user"``.
    columns, sep, format, encoding, names
        As in :func:`read_frame`.
    multi_valued : mapping of str -> str, optional
        ``{column: delimiter}``: split those text columns into lists, e.g.
        ``{"genres": "|"}``; an empty cell becomes an empty list.
    duplicates : {"error", "first", "last"}, default="error"
        What to do when a key repeats; ``"first"``/``"last"`` keep one row and warn.

    Returns
    -------
    DataFrame
        Indexed by ``key``, in file order.
    """
    check("read_table", "duplicates", duplicates, Options(("error", "first", "last")))
    read = _read_keyed(
        path,
        {key: f"the {key} id"},
        sep=sep,
        format=format,
        encoding=encoding,
        columns=columns,
        names=names,
    )
    frame = read.frame
    for col, delimiter in (multi_valued or {}).items():
        if col not in frame.columns:
            close = _closest(col, list(frame.columns))
            closest = f' The closest is "{close}".' if close else ""
            raise DataError(
                f'{read.label}: multi_valued names column "{col}", which the file does not '
                f"have; found columns {_quoted(list(frame.columns))}.{closest}"
            )
        frame[col] = pd.Series(
            [_split_values(v, delimiter) for v in frame[col]], index=frame.index, dtype=object
        )
    repeated = frame.duplicated(key, keep="first").to_numpy()
    if repeated.any():
        second = int(np.flatnonzero(repeated)[0])
        value = frame[key].iloc[second]
        if duplicates == "error":
            first = int(np.flatnonzero((frame[key] == value).to_numpy())[0])
            raise DataError(
                f"{read.place([first, second])}: {key} {_show(value)} appears twice; each {key} "
                "must appear once. Remove the repeat"
                + hint(python=", or pass duplicates='first' or 'last' to keep one row.", cli=".")
            )
        n_repeated = int(repeated.sum())
        frame = frame.loc[~frame.duplicated(key, keep=duplicates).to_numpy()]
        warnings.warn(
            f"{read.label}: dropped {n_repeated} rows repeating a {key} id, keeping the "
            f"{duplicates} row of each",
            DataWarning,
            stacklevel=2,
        )
    for note in read.notes:
        logger.info("%s: %s", read.label, note)
    logger.info("read %s: %d %ss, %d columns", read.label, len(frame), key, frame.shape[1] - 1)
    return frame.set_index(key)
