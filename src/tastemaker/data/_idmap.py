"""IdMap: external ids (int or str, as given) <-> dense int32 positions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from tastemaker.errors import DataError, UnknownIdError

__all__ = ["IdMap"]


def _as_id_array(ids: Any) -> np.ndarray:
    if isinstance(ids, (pd.Series, pd.Index)):
        arr = ids.to_numpy()
    elif isinstance(ids, np.ndarray):
        arr = ids
    elif isinstance(ids, (str, bytes, int, np.integer)):
        arr = np.asarray([ids], dtype=object)
    else:
        arr = np.asarray(list(ids), dtype=object)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    return arr


def _normalise(arr: np.ndarray) -> np.ndarray:
    """Ids become int64 when every id is an integer, else str (object array)."""
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
    if all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in arr):
        return arr.astype(np.int64)
    if any(x is None or (isinstance(x, float) and np.isnan(x)) for x in arr):
        raise DataError("ids must not be missing (found an empty id); drop or fill those rows")
    return np.asarray([str(x) for x in arr], dtype=object)


class IdMap:
    """An immutable, sorted mapping between external ids and positions ``0..n-1``.

    Ids are kept as given: all integers (stored as int64) or strings. Sorting makes the
    numbering independent of row order, so seeded results do not depend on it.

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
    def _coerce(self, query: np.ndarray) -> np.ndarray:
        """Bring ids read from elsewhere (a CSV, JSON, a URL) to this map's type."""
        if self.is_int:
            if query.dtype.kind in "iu":
                return query.astype(np.int64, copy=False)
            out = np.full(len(query), -1, dtype=np.int64)
            ok = np.zeros(len(query), dtype=bool)
            for i, x in enumerate(query.tolist()):
                try:
                    value = int(x)
                except (TypeError, ValueError):
                    continue
                if isinstance(x, float) and value != x:
                    continue
                out[i] = value
                ok[i] = True
            if ok.all():
                return out
            # keep the originals where they are not integers so they stay unknown
            mixed = out.astype(object)
            mixed[~ok] = query[~ok]
            return mixed
        if query.dtype == object and all(isinstance(x, str) for x in query.tolist()):
            return query
        return np.asarray([str(x) for x in query.tolist()], dtype=object)

    def index_of(
        self, ids: Any, missing: Literal["raise", "mask"] = "raise", what: str = "id"
    ) -> np.ndarray:
        """Positions of ``ids`` as int32.

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
        query = self._coerce(query)
        if query.dtype == object and self.is_int:
            positions = np.asarray(
                [
                    self._index.get_loc(x)
                    if isinstance(x, (int, np.integer)) and x in self._index
                    else -1
                    for x in query.tolist()
                ],
                dtype=np.int64,
            )
        else:
            positions = self._index.get_indexer(query)
        positions = positions.astype(np.int32)
        if missing == "raise" and (positions < 0).any():
            unknown = pd.unique(query[positions < 0])
            shown = ", ".join(repr(x) for x in unknown[:5].tolist())
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise UnknownIdError(
                f"{len(unknown)} unknown {what} id(s): {shown}{more}; "
                f"known {what}s are ids like {', '.join(repr(x) for x in self._ids[:3].tolist())}"
            )
        return positions

    def ids_of(self, idx: Any) -> np.ndarray:
        """External ids at positions ``idx``."""
        idx = np.asarray(idx, dtype=np.int64)
        if len(idx) and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"position out of range 0..{len(self) - 1}")
        return self._ids[idx]

    def with_ids(self, new: Iterable[Any]) -> IdMap:
        """A map with ``new`` ids appended after the existing ones; old positions stay valid."""
        arr = _normalise(_as_id_array(new))
        if len(arr) == 0:
            return self
        if len(self) and (arr.dtype.kind in "iu") != self.is_int:
            arr = self._coerce(arr)
            if arr.dtype == object and self.is_int:
                raise DataError("cannot add string ids to a map of integer ids")
        fresh = pd.unique(arr[self._index.get_indexer(arr) < 0])
        if len(fresh) == 0:
            return self
        try:
            fresh = np.sort(fresh)
        except TypeError:  # pragma: no cover
            pass
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
