"""Helpers shared by the model families: CSR parts for kernels, numba thread control,
the value weighting of the linear item-item models, the feature rows of query users."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from tastemaker.features import ItemFeatures
    from tastemaker.models._query import Query

__all__ = [
    "SERIAL_BELOW",
    "WEIGHTINGS",
    "Weighting",
    "apply_weighting",
    "csr_parts",
    "described_rows",
    "numba_threads",
    "query_feature_rows",
    "serial_below",
]

logger = logging.getLogger(__name__)


def csr_parts(X: sp.csr_array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``indptr`` (int64), ``indices`` (int32) and ``data`` (float32) of a CSR matrix,
    contiguous: one dtype signature for the kernels."""
    return (
        np.ascontiguousarray(X.indptr, dtype=np.int64),
        np.ascontiguousarray(X.indices, dtype=np.int32),
        np.ascontiguousarray(X.data, dtype=np.float32),
    )


@contextmanager
def numba_threads(n_threads: int) -> Iterator[int]:
    """Run numba parallel kernels on ``n_threads`` threads (0: all), restoring the
    previous setting afterwards. Yields the number of threads used."""
    import numba

    available = numba.config.NUMBA_NUM_THREADS
    n = available if n_threads == 0 else min(n_threads, available)
    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(previous)


SERIAL_BELOW = 20_000
"""Interactions under which fits run on one thread: starting threads costs more than
it saves on such small problems (results do not depend on the thread count)."""


def serial_below(n_interactions: int, n_threads: int) -> int:
    """``n_threads``, or 1 for problems under ``SERIAL_BELOW`` interactions."""
    return 1 if n_interactions < SERIAL_BELOW else n_threads


Weighting = Literal["binary", "log", "weight"]
WEIGHTINGS: tuple[str, ...] = ("binary", "log", "weight")


def apply_weighting(X: sp.csr_array, weighting: str) -> sp.csr_array:
    """``X`` with its values transformed for a linear item-item model.

    ``"binary"``: 1 for every interaction; ``"log"``: ``sign(v) * log1p(|v|)`` of the
    summed weight ``v`` (play counts, clicks); ``"weight"``: the values as they are.
    ``X`` itself is never modified.
    """
    if weighting == "weight":
        return X
    out = X.copy()
    if weighting == "binary":
        out.data = np.ones_like(out.data)
    else:
        out.data = (np.sign(out.data) * np.log1p(np.abs(out.data))).astype(out.data.dtype)
    return out


def query_feature_rows(
    stored: sp.csr_array, union: ItemFeatures, query: Query, owner: str, warn: bool = False
) -> sp.csr_array:
    """Unit-length feature rows (float32 CSR) of the query's users: the stored row
    (``stored``: one per training user, unit length) of each user the model knows; the
    query's features encoded by ``union`` for the others (zero rows without features).
    User-table columns those features lack read as missing values, which ``warn`` says
    in a warning (``owner`` names the model)."""
    from tastemaker.features._table import unit_rows

    known = (query.user_idx >= 0) & (query.user_idx < stored.shape[0])
    rows = sp.diags_array(known.astype(np.float32)) @ stored[np.where(known, query.user_idx, 0)]
    unknown = np.flatnonzero(~known)
    if len(unknown) == 0 or query.features is None:
        return sp.csr_array(rows, dtype=np.float32)
    n = len(unknown)
    table = query.features.iloc[unknown].reset_index(drop=True)
    absent = [c for c in union.columns_ if c not in table.columns]
    if absent:  # a new user may give only some features: the rest are missing
        (logger.warning if warn else logger.debug)(
            "%s: the new users' features have no column(s) %s of the user table; read as "
            "missing values",
            owner,
            absent,
        )
        table = table.assign(**dict.fromkeys(absent, np.nan))
    encoded = union.transform(table.assign(user=np.arange(n)), ids=np.arange(n))
    scatter = sp.csr_array(
        (np.ones(n, dtype=np.float32), (unknown, np.arange(n))), shape=(len(query), n)
    )
    return sp.csr_array(rows + scatter @ unit_rows(sp.csr_array(encoded, dtype=np.float32)))


def described_rows(rows: sp.csr_array, union: ItemFeatures) -> np.ndarray:
    """Per row, whether it holds a feature value other than a missing-value indicator
    (a user whose features are all missing is described by nothing)."""
    informative = sp.diags_array((~union.indicators_).astype(np.float32))
    return np.diff(sp.csr_array(rows @ informative).indptr) > 0
