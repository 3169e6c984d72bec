"""Numeric columns of an item or user table, standardised, with missing values marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.errors import DataError
from tastemaker.features._base import COLUMNS, TableEncoder

__all__ = ["NumericEncoder"]


class NumericEncoder(TableEncoder):
    """Numeric columns standardised with the fitting table's mean and standard deviation.

    A missing value (or one that is not a number) becomes the fitted mean, that is 0
    after standardising, and sets the column's indicator feature ``"<column>:missing"``
    to 1, so a model can tell "average" from "unknown". A column that is constant in
    the fitting data is centred only (scale 1).

    Parameters
    ----------
    columns : str, sequence of str or None, default=None
        Columns to encode. None: every numeric or boolean column except the key.
    key : str, default="item"
        The id column (or the index name) of the table.
    dtype : numpy dtype, default=np.float32

    Attributes
    ----------
    columns_ : list of str
    mean_, scale_ : dict of str -> float
        Per column, the fitted mean and standard deviation (1 where it is 0).
    feature_names_ : list of str
        The standardised columns, then one ``"<column>:missing"`` indicator per column.

    Examples
    --------
    >>> items = pd.DataFrame({"item": [1, 2, 3], "year": [1990, None, 2000]})
    >>> enc = NumericEncoder().fit(items)
    >>> enc.feature_names_
    ['year', 'year:missing']
    >>> enc.transform(items).toarray().tolist()
    [[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {"columns": [COLUMNS, None], "key": str}
    _state = ("columns_", "mean_", "scale_", "feature_names_")

    def __init__(
        self,
        columns: str | Sequence[str] | None = None,
        *,
        key: str = "item",
        dtype: Any = np.float32,
    ):
        self.columns = columns
        self.key = key
        self.dtype = dtype

    def _numbers(self, keyed: pd.DataFrame, col: str) -> np.ndarray:
        values = pd.to_numeric(keyed[col], errors="coerce")
        return values.to_numpy(dtype=np.float64, na_value=np.nan)

    def fit(self, table: pd.DataFrame) -> NumericEncoder:
        """Learn each column's mean and standard deviation from ``table`` (and only it)."""
        keyed, label, columns = self._fit_columns(table, numeric=True)
        mean, scale = {}, {}
        for col in columns:
            values = self._numbers(keyed, col)
            known = values[np.isfinite(values)]
            if not len(known):
                raise DataError(f"{label}: column {col!r} holds no numbers to learn a scale from")
            mean[col] = float(known.mean())
            std = float(known.std())
            scale[col] = std if std > 0 else 1.0
        self.columns_ = columns
        self.mean_ = mean
        self.scale_ = scale
        self.feature_names_ = columns + [f"{c}:missing" for c in columns]
        return self

    def transform(self, table: pd.DataFrame, ids: Any = None) -> sp.csr_array:
        """Standardised values then missing-value indicators, one row per table row or id
        (see :meth:`MultiHotEncoder.transform` for ``ids``)."""
        keyed, _, n_rows, row_of = self._rows(table, ids)
        keep = row_of >= 0
        k = len(self.columns_)
        out = np.zeros((n_rows, 2 * k), dtype=np.float64)
        for j, col in enumerate(self.columns_):
            values = self._numbers(keyed, col)[keep]
            missing = ~np.isfinite(values)
            z = (values - self.mean_[col]) / self.scale_[col]
            out[row_of[keep], j] = np.where(missing, 0.0, z)
            out[row_of[keep], k + j] = missing
        return sp.csr_array(out.astype(self.dtype))
