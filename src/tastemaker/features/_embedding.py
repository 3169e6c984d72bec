"""Precomputed vectors stored as numeric columns of a table (``img_0 .. img_k``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tastemaker.errors import DataError
from tastemaker.features._base import COLUMNS, TableEncoder, column_list, unit_dense

__all__ = ["EmbeddingEncoder", "expand_columns"]


def expand_columns(names: list[str], available: Sequence[str]) -> list[str]:
    """``names`` with each ``"prefix*"`` replaced by the available columns it matches,
    in their numeric suffix order (``img_2`` before ``img_10``)."""

    def order(col: str, prefix: str) -> tuple:
        rest = col[len(prefix) :]
        return (0, int(rest), rest) if rest.isdigit() else (1, 0, rest)

    out: list[str] = []
    for name in names:
        if name.endswith("*"):
            prefix = name[:-1]
            out += sorted(
                (str(c) for c in available if str(c).startswith(prefix)),
                key=lambda c, p=prefix: order(c, p),
            )
        else:
            out.append(name)
    return out


class EmbeddingEncoder(TableEncoder):
    """Numeric columns taken as one vector per row, as they are (no standardising),
    scaled to unit length: a block for embeddings computed elsewhere, such as a poster
    table ``item, img_0 .. img_k`` (``benchmarks/poster_embeddings.py``).

    A missing value is 0; a row with no value, or an id without a table row, is zeros.

    Parameters
    ----------
    columns : str or sequence of str
        The vector's columns in order; ``"img_*"`` stands for every column starting
        with ``img_`` (sorted by the number after it).
    key : str, default="item"

    Attributes
    ----------
    columns_ : list of str
    feature_names_ : list of str
        The columns.
    n_empty_ : int
        Rows of the last ``transform`` that are zeros.

    Examples
    --------
    >>> posters = pd.DataFrame({"item": [1, 2], "img_0": [3.0, 0.0], "img_1": [4.0, 1.0]})
    >>> EmbeddingEncoder("img_*").fit_transform(posters).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 1.0]]
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {"columns": COLUMNS, "key": str}
    _state = ("columns_", "feature_names_")

    def __init__(self, columns: str | Sequence[str], *, key: str = "item"):
        self.columns = columns
        self.key = key

    def fit(self, table: pd.DataFrame) -> EmbeddingEncoder:
        """Find the columns in ``table`` (nothing is learned)."""
        self._check_params()
        keyed, label = self._keyed(table)
        columns = expand_columns(column_list(self.columns), list(keyed.columns))
        if not columns:
            raise DataError(f"{label}: no columns match {self.columns!r}")
        self._missing_columns(keyed, label, columns)
        bad = [c for c in columns if not pd.api.types.is_numeric_dtype(keyed[c])]
        if bad:
            raise DataError(f"{label}: embedding column(s) {bad} are not numeric")
        self.columns_ = columns
        self.feature_names_ = list(columns)
        return self

    def transform(self, table: pd.DataFrame, ids: Any = None) -> np.ndarray:
        """Unit-length rows, one per table row or id, float32 of shape ``(n, k)``."""
        keyed, _, n_rows, row_of = self._rows(table, ids)
        keep = row_of >= 0
        values = keyed[self.columns_][keep].to_numpy(dtype=np.float64, na_value=np.nan)
        out = np.zeros((n_rows, len(self.columns_)), dtype=np.float32)
        out[row_of[keep]] = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        out = unit_dense(out)
        self.n_empty_ = int(n_rows - np.count_nonzero(out.any(axis=1)))
        return out
