"""Top-k selection with a fixed tie rule: higher score first, then lower item index."""

from __future__ import annotations

import numpy as np

__all__ = ["topk"]


def topk(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``k`` largest entries of each row.

    Ties are broken by column index (lower first), so results never depend on the
    partition algorithm. Entries equal to ``-inf`` are excluded: rows may return fewer
    than ``k`` valid entries, padded with index -1 and value ``-inf``.

    Parameters
    ----------
    scores : ndarray of shape (n_rows, n_cols)
    k : int

    Returns
    -------
    idx : ndarray of int64, shape (n_rows, min(k, n_cols))
    values : ndarray, same shape
    """
    n_rows, n_cols = scores.shape
    k = min(int(k), n_cols)
    if k <= 0 or n_rows == 0:
        return np.zeros((n_rows, 0), dtype=np.int64), np.zeros((n_rows, 0), scores.dtype)
    if k == n_cols:
        part = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols)).copy()
    else:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(scores, part, axis=1)
    if k < n_cols:
        kth = values.min(axis=1)
        n_at_least = (scores >= kth[:, None]).sum(axis=1)
        for row in np.flatnonzero(n_at_least > k):  # ties at the cut: lowest indices win
            row_scores = scores[row]
            above = np.flatnonzero(row_scores > kth[row])
            equal = np.flatnonzero(row_scores == kth[row])[: k - len(above)]
            part[row] = np.concatenate([above, equal])
        values = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -values), axis=-1)
    part = np.take_along_axis(part, order, axis=1).astype(np.int64)
    values = np.take_along_axis(values, order, axis=1)
    invalid = np.isneginf(values)
    if invalid.any():
        part[invalid] = -1
    return part, values
