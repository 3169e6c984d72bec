"""Dataset: interactions plus optional item and user tables, with id maps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._validation import Options, check
from tastemaker.data._idmap import IdMap
from tastemaker.errors import DataError, hint

__all__ = [
    "INTERACTION_COLUMNS",
    "Dataset",
    "LoadReport",
    "aligned_rows",
    "check_ids_present",
    "columns_hint",
    "interaction_matrix",
]

INTERACTION_COLUMNS = ("user", "item", "rating", "timestamp", "event", "weight")
"""Standard interaction columns; ``user`` and ``item`` are required."""

MatrixValues = Literal["binary", "weight", "rating", "count"]
_MATRIX_VALUES = Options(("weight", "binary", "rating", "count"))


@dataclass
class LoadReport:
    """What happened to the rows of a file on the way into a :class:`Dataset`.

    Attributes
    ----------
    source : str
        File or dataset name.
    n_read : int
        Data rows read.
    dropped : dict of str -> int
        Rows removed, by reason (``"duplicate"``, ``"k-core"``, ``"below threshold"``, ...).
    merged : dict of str -> int
        Rows folded into another row, by reason (``"duplicate"``).
    notes : list of str
        Other remarks (quirks handled, columns renamed).
    warnings : list of str
        Suspicious input that was kept (ratings off their scale, fallback weights): the
        command line shows these as warnings.
    """

    source: str = ""
    n_read: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    merged: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def drop(self, reason: str, n: int) -> None:
        if n:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(n)

    def merge(self, reason: str, n: int) -> None:
        if n:
            self.merged[reason] = self.merged.get(reason, 0) + int(n)

    @property
    def n_dropped(self) -> int:
        return sum(self.dropped.values())

    @property
    def n_merged(self) -> int:
        return sum(self.merged.values())

    def summary(self) -> str:
        parts = [f"{self.source or 'data'}: {self.n_read} rows read"]
        for reason, n in self.dropped.items():
            parts.append(f"{n} dropped ({reason})")
        for reason, n in self.merged.items():
            parts.append(f"{n} merged ({reason})")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "n_read": self.n_read,
            "dropped": dict(self.dropped),
            "merged": dict(self.merged),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


def columns_hint(file_column: str, standard: str) -> str:
    """How to read ``file_column`` as ``standard``, in the words of the interface in use:
    ``columns={'userId': 'user'}`` in Python, ``--columns user=userId`` on the command line
    (``standard=file_column``)."""
    return hint(
        python=f"columns={{{file_column!r}: {standard!r}}}",
        cli=f"--columns {standard}={file_column}",
    )


def _check_interactions(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("user", "item") if c not in frame.columns]
    if missing:
        raise DataError(
            f"interactions need columns 'user' and 'item'; missing {missing}, "
            f"found {list(frame.columns)}. Map your column names when loading "
            f"(e.g. {columns_hint('userId', 'user')})."
        )
    out = frame.reset_index(drop=True)
    if "rating" in out.columns:
        out["rating"] = pd.to_numeric(out["rating"], errors="raise").astype(np.float32)
    if "weight" in out.columns:
        out["weight"] = pd.to_numeric(out["weight"], errors="raise").astype(np.float32)
    if "timestamp" in out.columns and out["timestamp"].dtype.kind not in "iu":
        raise DataError(
            "column 'timestamp' must hold integer unix seconds inside a Dataset; "
            "load files with tastemaker.data.read_interactions, which parses dates"
        )
    check_ids_present(out, "interactions")
    return out


def check_ids_present(frame: pd.DataFrame, what: str) -> None:
    """Every row of ``frame`` (a fresh index) names its user and item; ``what`` names
    the frame in the error."""
    for col in ("user", "item"):
        missing = frame[col].isna().to_numpy()
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise DataError(f"{what}, row {row}, column {col!r}: the id is missing")


class Dataset:
    """Interactions plus optional item and user tables.

    Parameters
    ----------
    interactions : DataFrame
        Columns ``user`` and ``item`` (external ids, int or str) and optionally
        ``rating`` (float), ``timestamp`` (int unix seconds), ``event`` (str) and
        ``weight`` (float). Other columns are kept.
    items, users : DataFrame, optional
        Side tables indexed (or with a column) named ``item`` / ``user``.
    user_map, item_map : IdMap, optional
        Id maps to use; by default built from the interactions and side tables. Splits
        pass the parent's maps so that positions agree across train and test.
    name : str, optional
    report : LoadReport, optional
        What loading and cleaning did to the rows.

    Attributes
    ----------
    user_idx, item_idx : ndarray of int32
        Positions of each interaction's user and item in the maps.
    """

    def __init__(
        self,
        interactions: pd.DataFrame,
        *,
        items: pd.DataFrame | None = None,
        users: pd.DataFrame | None = None,
        user_map: IdMap | None = None,
        item_map: IdMap | None = None,
        name: str | None = None,
        report: LoadReport | None = None,
        extras: dict[str, Any] | None = None,
    ):
        self.interactions = _check_interactions(interactions)
        self.items = _keyed(items, "item")
        self.users = _keyed(users, "user")
        if user_map is None:
            user_map, self.user_idx = _encode(self.interactions["user"], self.users, "user")
        else:
            self.user_idx = user_map.index_of(self.interactions["user"], what="user")
        if item_map is None:
            item_map, self.item_idx = _encode(self.interactions["item"], self.items, "item")
        else:
            self.item_idx = item_map.index_of(self.interactions["item"], what="item")
        self.user_map = user_map
        self.item_map = item_map
        # ids take the maps' types (e.g. "12" -> 12) so they compare equal everywhere
        for col, id_map, idx in (
            ("user", user_map, self.user_idx),
            ("item", item_map, self.item_idx),
        ):
            if not (id_map.is_int and self.interactions[col].dtype == np.int64):
                self.interactions[col] = id_map.ids_of(idx)
        self.name = name or "data"
        self.report = report or LoadReport(source=self.name, n_read=len(self.interactions))
        self.extras = dict(extras or {})
        self._matrices: dict[str, sp.csr_array] = {}

    @classmethod
    def _from_positions(
        cls,
        interactions: pd.DataFrame,
        user_map: IdMap,
        user_idx: np.ndarray,
        item_map: IdMap,
        item_idx: np.ndarray,
        name: str | None = None,
        report: LoadReport | None = None,
    ) -> Dataset:
        """A dataset whose ids were encoded while reading: ``user``/``item`` hold the maps'
        ids at ``user_idx``/``item_idx`` (int32), taken as given instead of looked up."""
        out = cls.__new__(cls)
        out.interactions = _check_interactions(interactions)
        out.items = out.users = None
        out.user_map, out.item_map = user_map, item_map
        out.user_idx, out.item_idx = user_idx, item_idx
        out.name = name or "data"
        out.report = report or LoadReport(source=out.name, n_read=len(out.interactions))
        out.extras = {}
        out._matrices = {}
        return out

    # -- sizes ----------------------------------------------------------------------
    @property
    def n_users(self) -> int:
        return len(self.user_map)

    @property
    def n_items(self) -> int:
        return len(self.item_map)

    @property
    def n_interactions(self) -> int:
        return len(self.interactions)

    @property
    def has_ratings(self) -> bool:
        return "rating" in self.interactions.columns

    @property
    def has_timestamps(self) -> bool:
        return "timestamp" in self.interactions.columns

    def __len__(self) -> int:
        return self.n_interactions

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}: {self.n_interactions} interactions, "
            f"{self.n_users} users, {self.n_items} items)"
        )

    # -- matrices -------------------------------------------------------------------
    def user_item_matrix(self, values: MatrixValues = "weight") -> sp.csr_array:
        """Users x items CSR matrix (float32, int32 sorted indices), built once per kind.

        Parameters
        ----------
        values : {"weight", "binary", "rating", "count"}, default="weight"
            ``"weight"`` sums the ``weight`` column (1 per row without one);
            ``"binary"`` is 1 where any interaction exists; ``"rating"`` averages
            the ratings of repeated pairs; ``"count"`` counts rows.
        """
        if values in self._matrices:
            return self._matrices[values]
        check("Dataset.user_item_matrix", "values", values, _MATRIX_VALUES)
        rows, cols = self.user_idx, self.item_idx
        shape = (self.n_users, self.n_items)
        if values == "rating":
            if not self.has_ratings:
                raise DataError(f"{self.name} has no 'rating' column")
            ratings = self.interactions["rating"].to_numpy(np.float32)
            matrix = interaction_matrix(rows, cols, shape, "rating", ratings)
        elif values == "weight" and "weight" in self.interactions.columns:
            weights = self.interactions["weight"].to_numpy(np.float32)
            matrix = interaction_matrix(rows, cols, shape, "weight", weights)
        elif values in ("weight", "count"):
            # without a weight column the two are the same matrix: build and keep it once
            matrix = interaction_matrix(rows, cols, shape, "count")
            if "weight" not in self.interactions.columns:
                self._matrices["weight"] = self._matrices["count"] = matrix
        elif values == "binary":
            matrix = self.user_item_matrix("count").copy()
            matrix.data[:] = 1.0
        self._matrices[values] = matrix
        return matrix

    # -- derived datasets -----------------------------------------------------------
    def subset(self, rows: np.ndarray | pd.Series, name: str | None = None) -> Dataset:
        """A dataset with the selected interaction rows (bool mask or positions).

        The id maps, side tables and report are shared, so positions agree with the
        parent: this is what splits use.
        """
        rows = np.asarray(rows)
        frame = self.interactions.loc[rows] if rows.dtype == bool else self.interactions.iloc[rows]
        return self._derive(frame, rows, name=name)

    def replace(
        self,
        interactions: pd.DataFrame,
        name: str | None = None,
        report: LoadReport | None = None,
    ) -> Dataset:
        """This dataset with other interactions but the same maps and tables.

        The load report is shared unless ``report`` is given (cleaning steps pass a copy
        with their drops recorded).
        """
        return Dataset(
            interactions,
            items=self.items,
            users=self.users,
            user_map=self.user_map,
            item_map=self.item_map,
            name=name or self.name,
            report=report or self.report,
            extras=self.extras,
        )

    def _derive(
        self,
        interactions: pd.DataFrame,
        rows: np.ndarray | None = None,
        *,
        name: str | None = None,
        report: LoadReport | None = None,
    ) -> Dataset:
        """:meth:`replace` for a frame made of this dataset's rows ``rows`` (a mask or
        positions; None: all rows in order), its columns already checked: each row's user
        and item positions are taken from here instead of being looked up again."""
        out = Dataset.__new__(Dataset)
        out.interactions = interactions.reset_index(drop=True)
        selected = slice(None) if rows is None else rows
        out.user_idx = self.user_idx[selected]
        out.item_idx = self.item_idx[selected]
        if len(out.user_idx) != len(out.interactions):  # pragma: no cover - a caller's bug
            raise ValueError("_derive: rows do not match the frame")
        out.items, out.users = self.items, self.users
        out.user_map, out.item_map = self.user_map, self.item_map
        out.name = name or self.name
        out.report = report or self.report
        out.extras = self.extras
        # the same rows and columns (a new report only): the matrices are the same too
        same = rows is None and interactions is self.interactions
        out._matrices = dict(self._matrices) if same else {}
        return out

    def describe(self) -> dict[str, Any]:
        """Summary statistics (sizes, density, columns, side tables)."""
        inter = self.interactions
        n_pairs = self.user_item_matrix("count").nnz
        out: dict[str, Any] = {
            "name": self.name,
            "n_interactions": self.n_interactions,
            "n_users": self.n_users,
            "n_items": self.n_items,
            "n_users_with_interactions": int(np.unique(self.user_idx).size),
            "n_items_with_interactions": int(np.unique(self.item_idx).size),
            "n_distinct_pairs": int(n_pairs),
            "density": n_pairs / max(1, self.n_users * self.n_items),
            "columns": list(inter.columns),
        }
        if self.has_ratings:
            r = inter["rating"]
            out["rating"] = {"min": float(r.min()), "max": float(r.max()), "mean": float(r.mean())}
        if self.has_timestamps:
            ts = inter["timestamp"]
            out["timestamp"] = {
                "first": pd.to_datetime(int(ts.min()), unit="s").isoformat(),
                "last": pd.to_datetime(int(ts.max()), unit="s").isoformat(),
            }
        if "event" in inter.columns:
            out["events"] = {str(k): int(v) for k, v in inter["event"].value_counts().items()}
        if self.items is not None:
            out["item_columns"] = list(self.items.columns)
        if self.users is not None:
            out["user_columns"] = list(self.users.columns)
        for key, value in self.extras.items():
            if isinstance(value, pd.DataFrame):
                out[f"{key}_rows"] = len(value)
        out["load_report"] = self.report.to_dict()
        return out


def _encode(ids: pd.Series, table: pd.DataFrame | None, what: str) -> tuple[IdMap, np.ndarray]:
    """The id map of ``ids`` and a side table's keys, and each row's position in it.

    The column is hashed once (:func:`pandas.factorize`); only its distinct ids go through
    :class:`IdMap`, so the positions are those ``IdMap.index_of`` gives, at a fraction of
    the cost on large logs.
    """
    codes, distinct = pd.factorize(ids)
    parts = [np.asarray(distinct)]
    if table is not None:
        parts.append(table.index.to_numpy())
    if not all(part.dtype.kind in "iu" for part in parts):
        parts = [part.astype(object) for part in parts]
    keys = np.concatenate(parts)
    id_map = IdMap(keys)
    positions = id_map.index_of(parts[0], what=what)
    return id_map, positions[codes]


def interaction_matrix(
    rows: np.ndarray,
    cols: np.ndarray,
    shape: tuple[int, int],
    how: MatrixValues,
    values: np.ndarray | None = None,
) -> sp.csr_array:
    """Interactions (row and column positions) as a CSR array (float32, int32 sorted
    indices) with repeated pairs aggregated as training data is: ``"weight"`` sums
    ``values`` (1 per row without them), ``"count"`` counts rows, ``"binary"`` is 1,
    ``"rating"`` averages ``values``. What :meth:`Dataset.user_item_matrix` builds, for
    interactions that are not a dataset (a history, new events)."""
    check("interaction_matrix", "how", how, _MATRIX_VALUES)
    ones = np.ones(len(rows), dtype=np.float32)
    if how == "rating":
        total = _csr(np.asarray(values, dtype=np.float32), rows, cols, shape)
        total.data /= _csr(ones, rows, cols, shape).data
        return total
    if how == "weight" and values is not None:
        return _csr(np.asarray(values, dtype=np.float32), rows, cols, shape)
    matrix = _csr(ones, rows, cols, shape)
    if how == "binary":
        matrix.data[:] = 1.0
    return matrix


def _csr(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape) -> sp.csr_array:
    matrix = sp.csr_array((values, (rows, cols)), shape=shape, dtype=np.float32)
    matrix.sum_duplicates()
    matrix.sort_indices()
    matrix.indices = matrix.indices.astype(np.int32, copy=False)
    matrix.indptr = matrix.indptr.astype(np.int32, copy=False)
    return matrix


def aligned_rows(table: Any, ids: Any, key: str = "user", what: str | None = None) -> pd.DataFrame:
    """The rows of ``table`` (keyed by a ``key`` column or index) for each of ``ids``, in
    that order: ids matched exactly (as :class:`IdMap` does), all-missing rows for ids
    the table does not hold.

    ``what`` names the table in messages (default: "the <key> table").
    """
    if not isinstance(table, pd.DataFrame):
        raise DataError(
            f"{what or f'the {key} table'} must be a DataFrame with a {key!r} column, "
            f"got {type(table).__name__}"
        )
    table = _keyed(table, key, what)
    id_map = IdMap(table.index)
    row_of = np.empty(len(id_map), dtype=np.int64)  # the table's row of each mapped id
    row_of[id_map.index_of(table.index, what=key)] = np.arange(len(table))
    positions = id_map.index_of(ids, missing="mask", what=key)
    rows = np.full(len(positions), -1, dtype=np.int64)
    rows[positions >= 0] = row_of[positions[positions >= 0]]
    # row -1 is no row: reindex gives it missing values, widening a column's dtype where
    # it must (int -> float, bool -> object) rather than refusing NaN as setitem does
    return table.reset_index(drop=True).reindex(rows).reset_index(drop=True)


def _keyed(table: pd.DataFrame | None, key: str, what: str | None = None) -> pd.DataFrame | None:
    if table is None:
        return None
    what = what or f"the {key} table"
    if key in table.columns:
        table = table.set_index(key)
    elif table.index.name != key:
        raise DataError(
            f"{what} needs a column (or index) named {key!r}; found columns {list(table.columns)}"
        )
    if table.index.has_duplicates:
        dup = table.index[table.index.duplicated()][0]
        dup = dup.item() if isinstance(dup, np.generic) else dup
        raise DataError(f"{what} repeats {key} {dup!r}; each {key} must appear once")
    return table
