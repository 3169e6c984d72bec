"""Helpers shared by the model families: CSR parts for kernels, numba thread control,
the value weighting of the linear item-item models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import numpy as np
import scipy.sparse as sp

__all__ = [
    "SERIAL_BELOW",
    "WEIGHTINGS",
    "Weighting",
    "apply_weighting",
    "csr_parts",
    "numba_threads",
    "serial_below",
]


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
