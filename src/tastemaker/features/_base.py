"""What every table encoder shares: the keyed table, the rows of ``ids``, JSON state."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tastemaker._validation import Check, validate
from tastemaker.data._idmap import IdMap
from tastemaker.errors import DataError, NotFittedError

__all__ = ["TableEncoder", "encoder_from_dict"]

LIST_TYPES = (list, tuple, set, frozenset, np.ndarray)
"""Cell types that hold several values (genres as a list)."""


def is_numeric(series: pd.Series) -> bool:
    """Numbers or booleans: a column read as values, not as text or categories."""
    return pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series)


def is_blank(cell: Any) -> bool:
    """A missing cell (None, NaN, NA); a list cell is never blank."""
    return cell is None or (not isinstance(cell, (str, *LIST_TYPES)) and bool(pd.isna(cell)))


def list_items(cell: Any) -> list[str]:
    """The items of a list cell as text, missing ones left out."""
    return [str(v) for v in cell if isinstance(v, str) or pd.notna(v)]


COLUMNS = Check(
    lambda c: isinstance(c, str) or (len(c) > 0 and all(isinstance(x, str) for x in c)),
    "column names",
)
"""The ``columns`` parameter: a name or a non-empty sequence of names."""


def column_list(columns: str | Any | None) -> list[str] | None:
    """``columns`` (checked with :data:`COLUMNS`) as a list; None stays None."""
    if columns is None:
        return None
    return [columns] if isinstance(columns, str) else list(columns)


def unit_dense(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` as float32 with every non-zero row scaled to unit length."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix.astype(np.float64), axis=1, keepdims=True)
    return (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def table_label(table: pd.DataFrame, key: str) -> str:
    return str(table.attrs.get("source") or f"the {key} table")


class TableEncoder:
    """Base of the encoders: fitted on a table keyed by ``key``, one output row per id.

    A subclass declares its parameters' constraints in ``_parameter_constraints`` (checked
    by :meth:`_check_params` at ``fit``) and names its fitted attributes in ``_state``
    (JSON values only), so that :meth:`to_dict` and :func:`encoder_from_dict` round-trip
    it without pickle. Its parameters are its ``__init__`` arguments.
    """

    _state: ClassVar[tuple[str, ...]] = ()
    _parameter_constraints: ClassVar[dict[str, Any]] = {}
    columns: Any
    columns_: list[str]
    key: str

    @classmethod
    def _param_names(cls) -> list[str]:
        """The parameters: ``__init__``'s arguments, each stored under its name."""
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def _check_params(self) -> None:
        """Refuse a parameter outside ``_parameter_constraints`` (ParameterError)."""
        params = {p: getattr(self, p) for p in self._param_names()}
        validate(type(self).__name__, params, self._parameter_constraints)

    def _keyed(self, table: Any) -> tuple[pd.DataFrame, str]:
        """The table indexed by its key, checked, and its label for messages."""
        if not isinstance(table, pd.DataFrame):
            raise DataError(
                f"{type(self).__name__}: expected a DataFrame keyed by {self.key!r}, "
                f"got {type(table).__name__}"
            )
        label = table_label(table, self.key)
        if self.key in table.columns:
            keyed = table.set_index(self.key)
        elif table.index.name == self.key:
            keyed = table
        else:
            raise DataError(
                f"{label}: needs a column (or index) named {self.key!r}; found columns "
                f"{list(table.columns)}"
            )
        if keyed.index.has_duplicates:
            dup = keyed.index[keyed.index.duplicated()][0]
            raise DataError(
                f"{label}: {self.key} {dup!r} appears more than once; one row per {self.key}"
            )
        return keyed, label

    def _check_fitted(self) -> None:
        if not hasattr(self, "feature_names_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(table) first.")

    def _missing_columns(self, keyed: pd.DataFrame, label: str, columns: list[str]) -> None:
        missing = [c for c in columns if c not in keyed.columns]
        if missing:
            raise DataError(
                f"{label}: no column(s) {missing}, which the encoder was fitted on; found "
                f"columns {list(keyed.columns)}"
            )

    def _fit_columns(self, table: Any, numeric: bool) -> tuple[pd.DataFrame, str, list[str]]:
        """What ``fit`` starts from: the parameters checked, the keyed table, its label
        and the columns to encode: ``columns``, or (None) every numeric (``numeric``) or
        every other column; none, or one the table lacks, is a DataError."""
        self._check_params()
        keyed, label = self._keyed(table)
        columns = column_list(self.columns)
        if columns is None:
            columns = [c for c in keyed.columns if is_numeric(keyed[c]) == numeric]
        if not columns:
            raise DataError(f"{label}: no {'numeric' if numeric else 'text'} columns to encode")
        self._missing_columns(keyed, label, columns)
        return keyed, label, columns

    def _read_columns(self) -> list[str]:
        """The table columns ``transform`` reads (fitted)."""
        return self.columns_

    def _rows(self, table: Any, ids: Any) -> tuple[pd.DataFrame, str, int, np.ndarray]:
        """What ``transform`` starts from: the keyed table (checked: the encoder is
        fitted, the table has :meth:`_read_columns`), its label, the number of output
        rows and each table row's output row (-1: left out; see :meth:`_row_positions`)."""
        self._check_fitted()
        keyed, label = self._keyed(table)
        self._missing_columns(keyed, label, self._read_columns())
        n_rows, row_of = self._row_positions(keyed, ids)
        return keyed, label, n_rows, row_of

    def fit_transform(self, table: pd.DataFrame, ids: Any = None) -> Any:
        """:meth:`fit` then :meth:`transform` on the same table."""
        return self.fit(table).transform(table, ids)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(columns={self.columns!r}, key={self.key!r})"

    def _row_positions(self, keyed: pd.DataFrame, ids: Any) -> tuple[int, np.ndarray]:
        """Number of output rows and, per table row, its output row (-1: left out).

        ``ids`` None: one row per table row, in table order. Otherwise one row per id
        (an IdMap: its position order); ids without a table row get a zero row (counted
        in ``n_missing_rows_``).
        """
        if ids is None:
            self.n_missing_rows_ = 0
            return len(keyed), np.arange(len(keyed), dtype=np.int64)
        id_map = ids if isinstance(ids, IdMap) else None
        given = None
        if id_map is None:
            given = pd.Index(
                np.asarray(ids, dtype=object) if not isinstance(ids, np.ndarray) else ids
            )
            if given.has_duplicates:
                dup = given[given.duplicated()][0]
                raise DataError(f"{type(self).__name__}.transform: ids repeat {dup!r}")
            id_map = IdMap(given)
        n_rows = len(id_map)
        pos = id_map.index_of(keyed.index, missing="mask").astype(np.int64)
        if given is not None:  # sorted map positions -> positions in the given order
            order = np.empty(n_rows, dtype=np.int64)
            order[id_map.index_of(given).astype(np.int64)] = np.arange(n_rows)
            pos = np.where(pos >= 0, order[np.maximum(pos, 0)], -1)
        self.n_missing_rows_ = int(n_rows - np.count_nonzero(pos >= 0))
        return n_rows, pos

    # -- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Parameters and fitted state as JSON values (``encoder_from_dict`` reads it)."""
        self._check_fitted()
        params = {p: getattr(self, p) for p in self._param_names()}
        if "dtype" in params:
            params["dtype"] = np.dtype(params["dtype"]).name
        return {
            "class": type(self).__name__,
            "params": params,
            "state": {a: getattr(self, a) for a in self._state},
        }


def encoder_from_dict(spec: dict[str, Any]) -> TableEncoder:
    """The fitted encoder ``to_dict`` described (only this package's encoders)."""
    from tastemaker.features import _embedding, _image, _multihot, _numeric, _sentence, _tfidf

    classes = {
        c.__name__: c
        for c in (
            _embedding.EmbeddingEncoder,
            _image.ImageFeatures,
            _multihot.MultiHotEncoder,
            _numeric.NumericEncoder,
            _sentence.SentenceEncoder,
            _tfidf.TfidfEncoder,
        )
    }
    name = spec.get("class")
    if name not in classes:
        raise DataError(f"unknown encoder {name!r}; known: {sorted(classes)}")
    params = dict(spec["params"])
    if "dtype" in params:
        params["dtype"] = np.dtype(params["dtype"])
    encoder = classes[name](**params)
    for attr, value in spec["state"].items():
        setattr(encoder, attr, value)
    return encoder
