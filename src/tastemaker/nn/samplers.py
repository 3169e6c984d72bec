"""Negative samplers: which items a positive is contrasted with.

``uniform``
    every item equally likely.
``popularity``
    items in proportion to ``count ** alpha`` (``alpha=0.75``, as word2vec), so that
    the model learns to separate what a user chose from what is merely popular.
``in-batch``
    the other positives of the same batch (no sampling cost; popularity-distributed).

A sampler draws from the NumPy generator it is given, so a seeded fit draws the same
negatives. Negatives may coincide with a user's positives (as in most libraries at
this scale); ``reject_seen`` in :func:`sample_negatives` redraws those.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "SAMPLERS",
    "NegativeSampler",
    "contains",
    "in_batch_negatives",
    "sample_negatives",
    "seen_keys",
]

SAMPLERS = ("uniform", "popularity", "in-batch")


@dataclass(frozen=True)
class NegativeSampler:
    """Draws item positions with fixed probabilities.

    Parameters
    ----------
    n_items : int
    counts : ndarray of shape (n_items,), optional
        Interactions per item; given, items are drawn in proportion to
        ``counts ** alpha`` (the ``popularity`` sampler), else uniformly.
    alpha : float, default=0.75
    """

    n_items: int
    counts: np.ndarray | None = None
    alpha: float = 0.75

    @classmethod
    def named(cls, name: str, n_items: int, counts: np.ndarray) -> NegativeSampler:
        """The sampler called ``name`` (``uniform`` or ``popularity``)."""
        if name == "popularity":
            return cls(n_items, np.asarray(counts, dtype=np.float64))
        return cls(n_items)

    @property
    def probabilities(self) -> np.ndarray | None:
        """The probability of drawing each item, or None when uniform."""
        if self.counts is None:
            return None
        weights = np.power(np.maximum(self.counts, 0.0), self.alpha)
        total = weights.sum()
        return weights / total if total > 0 else None

    def log_q(self, items: np.ndarray) -> np.ndarray:
        """Log probability of drawing ``items`` (for the sampled-softmax correction)."""
        p = self.probabilities
        if p is None:
            return np.full(np.shape(items), -np.log(self.n_items), dtype=np.float32)
        return np.log(np.maximum(p[items], 1e-12)).astype(np.float32)

    def draw(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        p = self.probabilities
        if p is None:
            return rng.integers(0, self.n_items, size=shape, dtype=np.int64)
        cdf = np.cumsum(p)
        cdf[-1] = 1.0
        return np.searchsorted(cdf, rng.random(shape), side="right").astype(np.int64)


def seen_keys(X: sp.csr_array) -> np.ndarray:
    """The stored (row, column) pairs of ``X`` as sorted int64 keys, for
    :func:`sample_negatives`'s ``reject_seen`` (built once per fit)."""
    rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    keys = rows * X.shape[1] + X.indices
    return np.sort(keys)


def contains(keys: np.ndarray, n_cols: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Whether each (row, column) pair is among ``keys`` (from :func:`seen_keys`)."""
    wanted = np.asarray(rows, dtype=np.int64) * n_cols + np.asarray(cols, dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    return (keys[pos] == wanted) if len(keys) else np.zeros(len(wanted), dtype=bool)


def sample_negatives(
    sampler: NegativeSampler,
    users: np.ndarray,
    n_negatives: int,
    rng: np.random.Generator,
    reject_seen: np.ndarray | None = None,
    max_tries: int = 10,
) -> np.ndarray:
    """``n_negatives`` item positions per user (shape ``(len(users), n_negatives)``);
    with ``reject_seen`` (:func:`seen_keys` of the users x items matrix), draws that hit
    an item the user has are redrawn, up to ``max_tries`` times."""
    out = sampler.draw((len(users), n_negatives), rng)
    if reject_seen is None or len(users) == 0:
        return out
    rows = np.repeat(np.asarray(users, dtype=np.int64), n_negatives)
    for _ in range(max_tries):
        hit = contains(reject_seen, sampler.n_items, rows, out.ravel()).reshape(out.shape)
        if not hit.any():
            break
        out[hit] = sampler.draw((int(hit.sum()),), rng)
    return out


def in_batch_negatives(
    positives: np.ndarray, n: int | None = None, rng: np.random.Generator | None = None
) -> np.ndarray:
    """For a batch of ``len(positives)`` positive items: each row's negatives are other
    rows' positives — all of them, shape ``(len, len - 1)``, or ``n`` drawn from them
    (with ``rng``), shape ``(len, n)``."""
    positives = np.asarray(positives, dtype=np.int64)
    size = len(positives)
    if size < 2:  # no other row to draw from
        return np.zeros((size, 0), dtype=np.int64)
    if n is None:
        others = np.broadcast_to(np.arange(size), (size, size))[~np.eye(size, dtype=bool)]
        return positives[others.reshape(size, size - 1)]
    if rng is None:
        raise ValueError("in_batch_negatives: n negatives per row need an rng to draw them")
    offsets = rng.integers(1, size, size=(size, n))  # never the row itself
    return positives[(np.arange(size)[:, None] + offsets) % size]
