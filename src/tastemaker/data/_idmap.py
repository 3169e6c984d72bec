"""IdMap: external ids (int or str, as given) <-> dense int32 positions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from tastemaker.errors import DataError, UnknownIdError

__all__ = ["INT_TEXT", "IdMap", "int_written"]


INT_TEXT = r"(?:0|-?[1-9][0-9]{0,17})"
"""The canonical decimal form of an integer id, ``str(int)``: no sign ``+``, no leading
zeros (``-0`` neither), no spaces or underscores, at most 18 digits (so it fits int64).
Text matches an integer id only in this form; readers turn a column of such texts into
integers."""

_INT64_MAX = np.iinfo(np.int64).max


def _as_id_array(ids: Any) -> np.ndarray:
    if isinstance(ids, (pd.Series, pd.Index)):
        arr = ids.to_numpy()
    elif isinstance(ids, np.ndarray):
        arr = ids
    elif isinstance(ids, (str, bytes, int, np.integer, float, np.floating)):
        arr = np.asarray([ids], dtype=object)
    else:
        arr = np.asarray(list(ids), dtype=object)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if arr.dtype.kind in "US":  # numpy text arrays hold the same ids as object arrays
        arr = arr.astype(object)
    return arr


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _integral(x: Any) -> bool:
    """A float that names an integer id (``1.0``): finite, whole and within int64."""
    return (
        isinstance(x, (float, np.floating))
        and np.isfinite(x)
        and float(x).is_integer()
        and abs(x) <= _INT64_MAX
    )


def _int_keys(query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Query ids as int64 keys and which of them can name an integer id.

    Integers match as they are; floats only when integral (``1.0`` is 1, ``1.5`` matches
    nothing); text only in canonical decimal form (:data:`INT_TEXT`: ``"7"`` is 7, while
    ``"07"``, ``"+7"``, ``" 7"``, ``"7.0"`` and ``"7_0"`` match nothing); anything else
    (booleans, None, NaN) matches nothing.
    """
    n = len(query)
    kind = query.dtype.kind
    if kind == "i":
        return query.astype(np.int64, copy=False), np.ones(n, dtype=bool)
    if kind == "u":
        ok = query <= _INT64_MAX
        return np.where(ok, query, 0).astype(np.int64), ok
    if kind == "f":
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(query) & (query == np.round(query)) & (np.abs(query) <= _INT64_MAX)
        return np.where(ok, query, 0).astype(np.int64), ok
    if kind != "O":  # booleans, dates, ...
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    inferred = pd.api.types.infer_dtype(query, skipna=False)
    if inferred == "string":
        text = pd.Series(query, dtype=object)
        ok = text.str.fullmatch(INT_TEXT).to_numpy(dtype=bool)
        keys = np.zeros(n, dtype=np.int64)
        if ok.any():
            keys[ok] = text[ok].astype(np.int64).to_numpy()
        return keys, ok
    keys = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    pattern = re.compile(INT_TEXT)
    for i, x in enumerate(query.tolist()):
        if _is_int(x):
            if -_INT64_MAX - 1 <= x <= _INT64_MAX:
                keys[i], ok[i] = x, True
        elif _integral(x):
            keys[i], ok[i] = int(x), True
        elif isinstance(x, str) and pattern.fullmatch(x):
            keys[i], ok[i] = int(x), True
    return keys, ok


def _text_keys(query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Query ids as text keys and which of them can name a text id.

    Text matches exactly as given (no stripping, no case folding); an integer (or an
    integral float) matches its canonical decimal text (``7`` and ``7.0`` match ``"7"``,
    never ``"07"``); anything else (booleans, None, NaN, ``1.5``) matches nothing.
    """
    n = len(query)
    kind = query.dtype.kind
    if kind in "iu":
        return query.astype(str).astype(object), np.ones(n, dtype=bool)
    if kind == "O" and pd.api.types.infer_dtype(query, skipna=False) == "string":
        return query, np.ones(n, dtype=bool)
    keys = np.empty(n, dtype=object)
    ok = np.zeros(n, dtype=bool)
    for i, x in enumerate(query.tolist()):
        if isinstance(x, str):
            keys[i], ok[i] = x, True
        elif _is_int(x):
            keys[i], ok[i] = str(int(x)), True
        elif _integral(x):
            keys[i], ok[i] = str(int(x)), True
    keys[~ok] = ""
    return keys, ok


def _normalise(arr: np.ndarray) -> np.ndarray:
    """Ids become int64 when every id is an integer (or an integral float), else text:
    integers among text ids become their canonical decimal text."""
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "b":
        raise DataError("ids must be integers or strings, got booleans")
    if arr.dtype.kind == "f":
        if len(arr) and not np.all(np.isfinite(arr)):
            raise DataError("ids must not be missing (found NaN); drop or fill those rows first")
        if len(arr) and np.all(arr == np.round(arr)):
            return arr.astype(np.int64)
        raise DataError("ids must be integers or strings, got non-integral numbers")
    if len(arr) == 0:
        return np.asarray([], dtype=np.int64)
    if all(_is_int(x) or _integral(x) for x in arr):
        return np.asarray([int(x) for x in arr], dtype=np.int64)
    if any(x is None or (isinstance(x, float) and np.isnan(x)) for x in arr):
        raise DataError("ids must not be missing (found an empty id); drop or fill those rows")
    if pd.api.types.infer_dtype(arr, skipna=False) == "string":
        return arr
    keys, ok = _text_keys(arr)
    if not ok.all():
        bad = arr[~ok][0]
        raise DataError(f"ids must be integers or strings, got {bad!r}")
    return keys


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def int_written(text: str) -> int | None:
    """The integer ``text`` writes, also with leading zeros, a ``+``, spaces or
    underscores (``"007"``, ``" +7"``, ``"7_0"``), or None: what a text id that does not
    match an integer id most likely meant (for messages about ids that do not match)."""
    try:
        return int(text.strip().replace("_", "").lstrip("+"))
    except ValueError:
        return None


class IdMap:
    """An immutable, sorted mapping between external ids and positions ``0..n-1``.

    Ids are kept as given: all integers (stored as int64) or strings. Sorting makes the
    numbering independent of row order, so seeded results do not depend on it.

    Lookups match ids exactly (``007`` is not ``7``). Against integer ids, a text id
    matches only in canonical decimal form (:data:`INT_TEXT`): ``"7"`` is 7, but ``"07"``,
    ``"+7"``, ``" 7"``, ``"7.0"`` and ``"7_0"`` are unknown; a float matches only when it
    is integral (``7.0`` is 7: pandas gives floats for integer columns with gaps), and
    booleans never match. Against text ids, text matches as given (nothing is stripped)
    and an integer matches its canonical text (``7`` is ``"7"``). File readers strip
    whitespace around ids before building maps (see
    :func:`~tastemaker.data.read_interactions`); a map never does.

    Parameters
    ----------
    ids : iterable of int or str
        Ids to map; duplicates are allowed and collapsed.

    Examples
    --------
    >>> m = IdMap(["b", "a", "b"])
    >>> m.index_of(["a", "b"]).tolist()
    [0, 1]
    """

    __slots__ = ("_ids", "_index")

    def __init__(self, ids: Iterable[Any] = ()):
        arr = _normalise(_as_id_array(ids))
        unique = pd.unique(arr)
        try:
            unique = np.sort(unique)
        except TypeError as err:  # pragma: no cover - normalise makes this unreachable
            raise DataError("ids mix types that cannot be sorted") from err
        unique = unique.astype(arr.dtype, copy=False)
        unique.flags.writeable = False
        self._ids = unique
        self._index = pd.Index(unique)

    @classmethod
    def _from_sorted(cls, ids: np.ndarray) -> IdMap:
        obj = cls.__new__(cls)
        ids = ids.copy()
        ids.flags.writeable = False
        obj._ids = ids
        obj._index = pd.Index(ids)
        return obj

    # -- basic container protocol -------------------------------------------------
    @property
    def ids(self) -> np.ndarray:
        """The ids in position order (read-only)."""
        return self._ids

    @property
    def is_int(self) -> bool:
        """True when the ids are integers."""
        return self._ids.dtype.kind in "iu"

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, item: Any) -> bool:
        return bool(self.index_of([item], missing="mask")[0] >= 0)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, IdMap)
            and len(self) == len(other)
            and bool(np.all(self._ids == other._ids))
        )

    def __hash__(self) -> int:  # pragma: no cover - maps are not dict keys in practice
        return hash((len(self), tuple(self._ids[:3].tolist())))

    def __repr__(self) -> str:
        head = ", ".join(repr(x) for x in self._ids[:3].tolist())
        more = ", ..." if len(self) > 3 else ""
        return f"IdMap([{head}{more}], n={len(self)})"

    # -- lookups ------------------------------------------------------------------
    def _keys(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Query ids as keys of this map's type, and which of them can match at all."""
        return _int_keys(query) if self.is_int else _text_keys(query)

    def index_of(
        self, ids: Any, missing: Literal["raise", "mask"] = "raise", what: str = "id"
    ) -> np.ndarray:
        """Positions of ``ids`` as int32, matching ids exactly (see the class notes).

        Parameters
        ----------
        ids : id or iterable of ids
        missing : {"raise", "mask"}, default="raise"
            ``"raise"`` raises :class:`UnknownIdError` naming the unknown ids;
            ``"mask"`` returns -1 for them.
        what : str
            Noun used in the error message ("user", "item").
        """
        query = _as_id_array(ids)
        if len(query) == 0:
            return np.zeros(0, dtype=np.int32)
        keys, ok = self._keys(query)
        positions = self._index.get_indexer(keys).astype(np.int32)
        positions[~ok] = -1
        if missing == "raise" and (positions < 0).any():
            unknown = pd.unique(pd.Series(query[positions < 0], dtype=object))
            shown = ", ".join(repr(_plain(x)) for x in unknown[:5].tolist())
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise UnknownIdError(
                f"{len(unknown)} unknown {what} id(s): {shown}{more}; "
                f"known {what}s are ids like {', '.join(repr(x) for x in self._ids[:3].tolist())}"
                + self._match_note(unknown)
            )
        return positions

    def _match_note(self, unknown: np.ndarray) -> str:
        """Why text that looks like a known integer id does not match it."""
        if not self.is_int:
            return ""
        for x in unknown.tolist():
            if isinstance(x, str):
                value = int_written(x)
                if value is not None and value in self._index:
                    return (
                        f" ({x!r} is not {value}: ids match exactly, so write integer ids "
                        "without leading zeros, signs or spaces)"
                    )
        return ""

    def ids_of(self, idx: Any) -> np.ndarray:
        """External ids at positions ``idx``."""
        idx = np.asarray(idx, dtype=np.int64)
        if len(idx) and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"position out of range 0..{len(self) - 1}")
        return self._ids[idx]

    def with_ids(self, new: Iterable[Any]) -> IdMap:
        """A map with ``new`` ids appended after the existing ones; old positions stay valid.

        New ids match as in :meth:`index_of`; text that is not a canonical integer cannot
        join a map of integer ids.
        """
        arr = _normalise(_as_id_array(new))
        if len(arr) == 0:
            return self
        if len(self):
            keys, ok = self._keys(arr)
            if not ok.all():
                raise DataError(
                    f"cannot add text ids such as {arr[~ok][0]!r} to a map of integer ids"
                )
            arr = keys
        fresh = pd.unique(arr[self._index.get_indexer(arr) < 0])
        if len(fresh) == 0:
            return self
        fresh = np.sort(fresh)
        dtype = self._ids.dtype if len(self) else fresh.dtype
        combined = np.concatenate([self._ids, fresh.astype(dtype)])
        return IdMap._from_sorted(combined)

    def to_list(self) -> list[Any]:
        """Ids as plain Python values (for JSON)."""
        return self._ids.tolist()

    @classmethod
    def from_list(cls, ids: list[Any]) -> IdMap:
        """Rebuild a map saved with :meth:`to_list`, keeping positions exactly."""
        arr = _normalise(_as_id_array(ids))
        if len(pd.unique(arr)) != len(arr):
            raise DataError("saved id list has duplicates")
        return cls._from_sorted(arr)

    def lookalike_note(self, unknown: Iterable[Any]) -> str:
        """Why an unknown id that looks like a known integer id (``"06"``, ``" 6"``,
        ``"+6"``) does not match it, or "" (for messages about unknown ids)."""
        return self._match_note(np.asarray(list(unknown), dtype=object))
