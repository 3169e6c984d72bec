"""Multi-hot encoding of categorical (possibly multi-valued) columns of an item or user table."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._validation import Check, Options
from tastemaker.errors import DataError, DataWarning
from tastemaker.features._base import COLUMNS, LIST_TYPES, TableEncoder, column_list, is_numeric

__all__ = ["MultiHotEncoder"]

logger = logging.getLogger(__name__)


def _is_missing(cell: Any) -> bool:
    if cell is None or cell is pd.NA or cell is pd.NaT:
        return True
    return isinstance(cell, (float, np.floating)) and bool(np.isnan(cell))


class MultiHotEncoder(TableEncoder):
    """Categorical columns of an item (or user) table as a sparse 0/1 matrix.

    Each encoded column contributes one feature per value seen in :meth:`fit` (its
    vocabulary, sorted); a row has a 1 for each value its cell holds. A cell may hold
    several values, as a list (``["Action", "Comedy"]``) or as a delimited string
    (``"Action|Comedy"``); missing cells and empty strings hold none. Values are compared
    as text with surrounding spaces removed, so ``7`` and ``"7"`` are the same value.

    Parameters
    ----------
    columns : str, sequence of str or None, default=None
        Columns to encode. None: every column except the key that is not numeric or
        boolean.
    key : str, default="item"
        The id column (or the index name) of the table: ``"item"`` or ``"user"``.
    sep : str or None, default="|"
        Delimiter that splits string cells into several values; None keeps each string
        whole.
    remainder : {"drop", "passthrough"}, default="drop"
        What happens to the columns that are not encoded: left out, or appended after
        the indicators as they are, one feature each (numbers and booleans only; a
        missing value becomes 0).
    dtype : numpy dtype, default=np.float32
        dtype of the matrix.

    Attributes
    ----------
    columns_ : list of str
        The encoded columns.
    vocabulary_ : dict of str -> list of str
        Each encoded column's values, sorted; their features are in this order.
    passthrough_ : list of str
        The columns appended as they are (``remainder="passthrough"``).
    feature_names_ : list of str
        One name per feature: ``"genres=Action"`` for an indicator, the column name for a
        passed-through column.
    n_unknown_ : dict of str -> int
        Set by :meth:`transform`: per encoded column, how many values were not in the
        vocabulary and so were ignored (a :class:`~tastemaker.errors.DataWarning` says so).
    n_missing_rows_ : int
        Set by :meth:`transform` with ``ids``: ids without a row in the table (their rows
        are all zeros).

    Examples
    --------
    >>> items = pd.DataFrame({"item": [1, 2], "genres": ["Action|Comedy", "Drama"]})
    >>> enc = MultiHotEncoder().fit(items)
    >>> enc.feature_names_
    ['genres=Action', 'genres=Comedy', 'genres=Drama']
    >>> enc.transform(items).toarray().tolist()
    [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "columns": [COLUMNS, None],
        "key": str,
        "sep": [Check(lambda s: isinstance(s, str) and s, "a non-empty string"), None],
        "remainder": Options(["drop", "passthrough"]),
    }
    _state = ("columns_", "vocabulary_", "passthrough_", "feature_names_")

    def __init__(
        self,
        columns: str | Sequence[str] | None = None,
        *,
        key: str = "item",
        sep: str | None = "|",
        remainder: Literal["drop", "passthrough"] = "drop",
        dtype: Any = np.float32,
    ):
        self.columns = columns
        self.key = key
        self.sep = sep
        self.remainder = remainder
        self.dtype = dtype

    # -- helpers ------------------------------------------------------------------------
    def _read_columns(self) -> list[str]:
        return self.columns_ + self.passthrough_

    def _values(self, cell: Any) -> list[str]:
        """The distinct values of one cell, as stripped text, in cell order."""
        if isinstance(cell, LIST_TYPES):
            raw = [str(v) for v in cell if not _is_missing(v)]
        elif _is_missing(cell):
            raw = []
        elif isinstance(cell, str) and self.sep is not None:
            raw = cell.split(self.sep)
        else:
            raw = [str(cell)]
        return list(dict.fromkeys(v.strip() for v in raw if v.strip()))

    # -- API ------------------------------------------------------------------------------
    def fit(self, table: pd.DataFrame) -> MultiHotEncoder:
        """Learn each encoded column's values from ``table`` (and only from it).

        Raises
        ------
        DataError
            No key column, a repeated key, a named column the table lacks, a passed-through
            column that is not numeric, or nothing to encode.
        """
        self._check_params()
        keyed, label = self._keyed(table)
        if self.columns is None:
            columns = [c for c in keyed.columns if not is_numeric(keyed[c])]
        else:
            columns = column_list(self.columns)
            missing = [c for c in columns if c not in keyed.columns]
            if missing:
                raise DataError(
                    f"{label}: no column(s) {missing} to encode; found columns "
                    f"{list(keyed.columns)}"
                )
        rest = [c for c in keyed.columns if c not in columns]
        passthrough = rest if self.remainder == "passthrough" else []
        text = [c for c in passthrough if not is_numeric(keyed[c])]
        if text:
            raise DataError(
                f"{label}: column(s) {text} are neither encoded nor numeric; name them in "
                "columns to encode them, or use remainder='drop'"
            )
        if not columns and not passthrough:
            raise DataError(f"{label}: the table has no feature columns to encode")
        vocabulary = {}
        for col in columns:
            seen = {v for cell in keyed[col].tolist() for v in self._values(cell)}
            vocabulary[col] = sorted(seen)
        self.columns_ = columns
        self.vocabulary_ = vocabulary
        self.passthrough_ = passthrough
        self.feature_names_ = [f"{c}={v}" for c in columns for v in vocabulary[c]] + passthrough
        logger.debug(
            "%s: %d features from %d columns", label, len(self.feature_names_), len(columns)
        )
        return self

    def transform(self, table: pd.DataFrame, ids: Any = None) -> sp.csr_array:
        """Encode ``table`` with the fitted vocabulary.

        Parameters
        ----------
        table : DataFrame
            Keyed by ``key`` (column or index), with the fitted columns.
        ids : IdMap or array-like of ids, optional
            Rows of the result: one per id, in this order (an IdMap: its position order).
            Ids are matched as :class:`~tastemaker.data.IdMap` matches them; an id
            without a table row gets a zero row, table rows of other ids are left out.
            By default one row per table row, in table order.

        Returns
        -------
        csr_array of shape (n_rows, len(feature_names_))
            Values not in the vocabulary are ignored and counted in ``n_unknown_``.
        """
        keyed, label, n_rows, row_of = self._rows(table, ids)
        keep = row_of >= 0
        blocks: list[sp.csr_array] = []
        unknown: dict[str, int] = {}
        examples: dict[str, str] = {}
        for col in self.columns_:
            index = {v: j for j, v in enumerate(self.vocabulary_[col])}
            rows: list[int] = []
            cols: list[int] = []
            n_unknown = 0
            for r, cell in zip(row_of[keep].tolist(), keyed[col][keep].tolist(), strict=True):
                for value in self._values(cell):
                    j = index.get(value)
                    if j is None:
                        n_unknown += 1
                        examples.setdefault(col, value)
                        continue
                    rows.append(r)
                    cols.append(j)
            unknown[col] = n_unknown
            blocks.append(
                sp.csr_array(
                    (np.ones(len(rows), dtype=self.dtype), (rows, cols)),
                    shape=(n_rows, len(index)),
                )
            )
        for col in self.passthrough_:
            values = pd.to_numeric(keyed[col][keep], errors="coerce").fillna(0)
            r = row_of[keep]
            blocks.append(
                sp.csr_array(
                    (values.to_numpy(self.dtype), (r, np.zeros(len(r), dtype=np.int64))),
                    shape=(n_rows, 1),
                )
            )
        self.n_unknown_ = unknown
        if any(unknown.values()):
            shown = ", ".join(
                f"{n} in {col!r} (e.g. {examples[col]!r})" for col, n in unknown.items() if n
            )
            warnings.warn(
                f"{label}: values not seen in fit were ignored: {shown}; refit the encoder "
                "on a table that has them to encode them",
                DataWarning,
                stacklevel=2,
            )
        matrix = sp.hstack(blocks, format="csr") if blocks else sp.csr_array((n_rows, 0))
        out = sp.csr_array(matrix, dtype=self.dtype)
        out.sum_duplicates()
        out.sort_indices()
        return out

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(columns={self.columns!r}, key={self.key!r}, "
            f"sep={self.sep!r}, remainder={self.remainder!r})"
        )
