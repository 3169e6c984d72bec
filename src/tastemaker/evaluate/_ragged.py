"""Per-user arrays (ranked lists, relevant sets, ratings) stored CSR-style."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.errors import ParameterError

__all__ = ["Ragged"]


@dataclass(frozen=True)
class Ragged:
    """Per-user arrays stored CSR-style: user ``u`` owns ``values[indptr[u]:indptr[u+1]]``.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_users + 1,)
        Non-decreasing offsets, starting at 0 and ending at ``len(values)``.
    values : ndarray, shape (n_values,)
        Concatenated per-user values (item positions in rank order, or ratings).
    """

    indptr: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        indptr = np.asarray(self.indptr, dtype=np.int64).reshape(-1)
        values = np.asarray(self.values).reshape(-1)
        if (
            len(indptr) == 0
            or indptr[0] != 0
            or indptr[-1] != len(values)
            or np.any(np.diff(indptr) < 0)
        ):
            raise ParameterError(
                "Ragged: indptr must start at 0, never decrease and end at len(values)"
            )
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "values", values)

    @classmethod
    def from_lists(cls, lists: Sequence[Any], dtype: Any = np.int64) -> Ragged:
        """Concatenate one array per user."""
        arrays = [np.asarray(x, dtype=dtype).reshape(-1) for x in lists]
        lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        values = np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)
        return cls(indptr, values.astype(dtype, copy=False))

    @classmethod
    def from_padded(cls, matrix: Any) -> Ragged:
        """Rows of a 2-D array of item positions, padded at the end with negative values."""
        arr = np.asarray(matrix)
        if arr.ndim != 2:
            raise ParameterError(f"a padded matrix must be 2-D, got shape {arr.shape}")
        valid = arr >= 0
        if np.any(valid[:, 1:] & ~valid[:, :-1]):
            row = int(np.flatnonzero(np.any(valid[:, 1:] & ~valid[:, :-1], axis=1))[0])
            raise ParameterError(
                f"row {row} of the padded matrix has an item after a padding value; "
                "pad (with -1) only at the end of each row"
            )
        lengths = valid.sum(axis=1).astype(np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return cls(indptr, arr[valid].astype(np.int64))

    @classmethod
    def from_sparse(cls, matrix: Any) -> Ragged:
        """Column positions of the stored non-zeros of each row (a set per user)."""
        csr = sp.csr_array(matrix)
        csr.eliminate_zeros()
        csr.sort_indices()
        return cls(csr.indptr.astype(np.int64), csr.indices.astype(np.int64))

    @property
    def n(self) -> int:
        """Number of users."""
        return len(self.indptr) - 1

    @property
    def lengths(self) -> np.ndarray:
        """Number of values of each user."""
        return np.diff(self.indptr)

    @property
    def rows(self) -> np.ndarray:
        """The user (row) of each value."""
        return np.repeat(np.arange(self.n, dtype=np.int64), self.lengths)

    def __getitem__(self, u: int) -> np.ndarray:
        return self.values[self.indptr[u] : self.indptr[u + 1]]

    def __len__(self) -> int:
        return self.n


def _to_ragged(obj: Any, what: str, keys: list[Any] | None, dtype: Any) -> Ragged:
    """Per-user input (Ragged, mapping, sequence of arrays, padded 2-D array, sparse)."""
    if isinstance(obj, Ragged):
        out = obj
    elif isinstance(obj, Mapping):
        if keys is None:
            raise ParameterError(
                f"{what} is a mapping by user; pass relevant as a mapping by user too"
            )
        out = Ragged.from_lists([obj.get(u, ()) for u in keys], dtype=dtype)
    elif sp.issparse(obj):
        if dtype is not np.int64:
            raise ParameterError(f"{what} cannot be a sparse matrix")
        out = Ragged.from_sparse(obj)
    elif isinstance(obj, np.ndarray) and obj.ndim == 2:
        if dtype is not np.int64:
            raise ParameterError(f"{what} must hold one array per user, not a 2-D array")
        out = Ragged.from_padded(obj)
    elif isinstance(obj, (Sequence, np.ndarray, pd.Series)) and not isinstance(obj, str):
        out = Ragged.from_lists(list(obj), dtype=dtype)
    else:
        raise ParameterError(
            f"{what} must be a mapping user -> array, a sequence of arrays, a padded 2-D "
            f"array or a Ragged, got {type(obj).__name__}"
        )
    if dtype is np.int64 and out.values.dtype.kind not in "iu":
        values = out.values
        if values.size and not (values.dtype.kind == "f" and np.all(values == np.round(values))):
            raise ParameterError(f"{what} must hold integer item positions, got {values.dtype}")
        out = Ragged(out.indptr, values.astype(np.int64))
    if keys is not None and out.n != len(keys):
        raise ParameterError(f"{what} has {out.n} users but relevant has {len(keys)}")
    return out
