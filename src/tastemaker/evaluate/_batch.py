"""The batch computation: every user's metric values at once, with array operations.

:class:`Batch` builds, once per evaluation, the arrays the metrics share (which listed
items are hits, top-k hit and item matrices, relevant counts) and holds the optional
inputs (popularity, item vectors, ratings, candidate counts). Each metric's batch
function below takes it and a parsed metric name; the registry
(:mod:`tastemaker.evaluate.metrics`) ties each one to its per-user reference function,
which the tests check it against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tastemaker.errors import ParameterError
from tastemaker.evaluate._ragged import Ragged

if TYPE_CHECKING:
    from tastemaker.evaluate._registry import MetricSpec

__all__ = ["Batch", "Pooled"]


def _nan_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


@dataclass(frozen=True)
class Pooled:
    """A metric pooled over pairs rather than averaged over users (RMSE, MAE).

    Per-user values are ``transform(num / den)``; the summary is
    ``transform(sum(num) / sum(den))``; intervals resample users and pool their pairs.
    """

    num: np.ndarray
    den: np.ndarray
    transform: Callable[[np.ndarray], np.ndarray] | None = None

    def per_user(self) -> np.ndarray:
        ratio = _nan_div(self.num, self.den)
        return ratio if self.transform is None else self.transform(ratio)

    def summary(self) -> float:
        total = self.den.sum()
        if not total:
            return float("nan")
        ratio = self.num.sum() / total
        return float(ratio if self.transform is None else self.transform(ratio))


def _normalised_rows(vectors: Any, n_items: int) -> tuple[Any, np.ndarray]:
    """Rows scaled to unit length, and which rows are non-zero."""
    import scipy.sparse as sp

    if sp.issparse(vectors):
        mat = sp.csr_array(vectors, dtype=np.float64)
        norms = np.sqrt(np.asarray(mat.multiply(mat).sum(axis=1)).reshape(-1))
    else:
        mat = np.asarray(vectors, dtype=np.float64)
        if mat.ndim == 1:
            mat = mat[:, None]
        norms = np.linalg.norm(mat, axis=1)
    if mat.shape[0] != n_items:
        raise ParameterError(
            f"item_vectors has {mat.shape[0]} rows but there are {n_items} items; give one "
            "row per item position"
        )
    nonzero = norms > 0
    scale = np.zeros(n_items)
    scale[nonzero] = 1.0 / norms[nonzero]
    if sp.issparse(mat):
        normed = sp.csr_array(sp.diags_array(scale) @ mat)
    else:
        normed = mat * scale[:, None]
    return normed, nonzero


class Batch:
    """Everything the metrics of one evaluation share (built once).

    Parameters
    ----------
    lists, relevant : Ragged
        Each user's ranked item positions and relevant item positions.
    n_items : int
        Catalog size.
    K : int
        The longest list length asked for.
    user_ids : ndarray
        External ids, for messages.
    item_popularity, n_train_users, item_vectors, n_candidates, ratings, sampled
        The optional inputs of :func:`tastemaker.evaluate.evaluate_ranked` (ratings
        already as a pair of Ragged arrays).
    """

    def __init__(
        self,
        lists: Ragged,
        relevant: Ragged,
        n_items: int,
        K: int,
        *,
        user_ids: np.ndarray,
        item_popularity: np.ndarray | None = None,
        n_train_users: int | None = None,
        item_vectors: Any = None,
        n_candidates: Any = None,
        ratings: tuple[Ragged, Ragged] | None = None,
        sampled: int | None = None,
    ):
        n = lists.n
        self.n = n
        self.n_items = n_items
        self.user_ids = user_ids
        self.item_popularity = item_popularity
        self.n_train_users = n_train_users
        self.item_vectors = item_vectors
        self.n_candidates = n_candidates
        self.ratings = ratings
        self.sampled = sampled

        self.lengths = lists.lengths
        rows = lists.rows
        items = lists.values
        self.rows, self.items = rows, items
        self.pos = np.arange(len(items), dtype=np.int64) - lists.indptr[:-1][rows]
        self.codes = rows * n_items + items

        rel_codes = np.unique(relevant.rows * n_items + relevant.values)
        self.n_rel = np.bincount(rel_codes // n_items, minlength=n).astype(np.int64)
        at = np.searchsorted(rel_codes, self.codes)
        at_ok = np.minimum(at, max(len(rel_codes) - 1, 0))
        self.is_hit = (
            (at < len(rel_codes)) & (rel_codes[at_ok] == self.codes)
            if len(rel_codes)
            else np.zeros(len(items), dtype=bool)
        )
        self.n_hit_list = np.bincount(rows, weights=self.is_hit, minlength=n).astype(np.int64)

        # top-K as padded matrices
        self.K = K
        top = self.pos < K
        self.H = np.zeros((n, K), dtype=bool)
        self.P = np.full((n, K), -1, dtype=np.int64)
        self.H[rows[top], self.pos[top]] = self.is_hit[top]
        self.P[rows[top], self.pos[top]] = items[top]
        self._cache: dict[str, Any] = {}

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # -- shared pieces -------------------------------------------------------------------
    def n_hit(self, k: int) -> np.ndarray:
        """Hits in each user's top k."""
        cum = self.cached("cum", lambda: np.cumsum(self.H, axis=1))
        return cum[:, k - 1].astype(np.float64) if k else np.zeros(self.n)

    def capped(self, k: int) -> np.ndarray:
        """``min(k, |relevant|)``: the most hits a list of length k can have."""
        return np.minimum(k, self.n_rel)

    def top_items(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        P = self.P[:, :k]
        valid = P >= 0
        return np.where(valid, P, 0), valid

    def mean_of(self, per_item: np.ndarray, k: int) -> np.ndarray:
        """Mean of a per-item value over each user's top k (NaN for an empty list)."""
        items, valid = self.top_items(k)
        return _nan_div(np.sum(np.where(valid, per_item[items], 0.0), axis=1), valid.sum(1))

    def counts(self, k: int) -> np.ndarray:
        """How often each item is in a top-k list."""
        items, valid = self.top_items(k)
        return np.bincount(items[valid], minlength=self.n_items)

    def rating_parts(self) -> dict[str, np.ndarray]:
        """Per-user sums of squared and absolute errors, and pair counts."""

        def make() -> dict[str, np.ndarray]:
            pred, true = self.ratings  # checked by evaluate_ranked
            rows = pred.rows
            err = pred.values.astype(np.float64) - true.values.astype(np.float64)
            return {
                "sse": np.bincount(rows, weights=err**2, minlength=self.n),
                "sae": np.bincount(rows, weights=np.abs(err), minlength=self.n),
                "count": np.bincount(rows, minlength=self.n).astype(np.float64),
            }

        return self.cached("rating_parts", make)


# -- accuracy -----------------------------------------------------------------------------


def precision(b: Batch, spec: MetricSpec) -> np.ndarray:
    return b.n_hit(spec.k) / spec.k


def recall(b: Batch, spec: MetricSpec) -> np.ndarray:
    return _nan_div(b.n_hit(spec.k), b.n_rel)


def recall_capped(b: Batch, spec: MetricSpec) -> np.ndarray:
    return _nan_div(b.n_hit(spec.k), b.capped(spec.k))


def hit(b: Batch, spec: MetricSpec) -> np.ndarray:
    return (b.n_hit(spec.k) > 0).astype(np.float64)


def reciprocal_rank(b: Batch, spec: MetricSpec) -> np.ndarray:
    first = b.cached("first", lambda: np.argmax(b.H, axis=1))
    return np.where(b.n_hit(spec.k) > 0, 1.0 / (first + 1.0), 0.0)


def ndcg(b: Batch, spec: MetricSpec) -> np.ndarray:
    k = spec.k
    disc = 1.0 / np.log2(np.arange(2, b.K + 2, dtype=np.float64))
    dcg = b.cached("dcg", lambda: np.cumsum(b.H * disc, axis=1))[:, k - 1]
    ideal = np.concatenate([[0.0], np.cumsum(disc)])
    return _nan_div(dcg, ideal[b.capped(k)])


def average_precision(b: Batch, spec: MetricSpec) -> np.ndarray:
    k = spec.k
    cum = b.cached("cum", lambda: np.cumsum(b.H, axis=1))
    ranks = np.arange(1, k + 1, dtype=np.float64)
    summed = np.sum(np.where(b.H[:, :k], cum[:, :k] / ranks, 0.0), axis=1)
    return _nan_div(summed, b.capped(k))


def auc(b: Batch, spec: MetricSpec) -> np.ndarray:
    if b.n_candidates is None:
        n_candidates = (
            b.n_rel + b.sampled if b.sampled is not None else np.full(b.n, b.n_items, np.int64)
        )
    else:
        n_candidates = np.broadcast_to(np.asarray(b.n_candidates, dtype=np.int64), (b.n,))
    if np.any(n_candidates < b.lengths):
        u = int(np.flatnonzero(n_candidates < b.lengths)[0])
        raise ParameterError(
            f"auc: user {b.user_ids[u]!r} has {int(n_candidates[u])} candidate items but "
            f"a list of {int(b.lengths[u])}; n_candidates must count every item a "
            "list may hold"
        )
    # relevant items a list lacks beyond the candidates count as unranked candidates
    n_union = b.lengths + b.n_rel - b.n_hit_list
    n_neg = np.maximum(n_candidates, n_union) - b.n_rel
    is_hit = b.is_hit
    cs = np.cumsum(is_hit)
    start = np.concatenate([[0], cs])[np.concatenate([[0], np.cumsum(b.lengths)])[:-1]]
    hits_before = cs - is_hit - start[b.rows]
    neg_before = b.pos - hits_before
    above = np.bincount(b.rows[is_hit], weights=(n_neg[b.rows] - neg_before)[is_hit], minlength=b.n)
    neg_listed = b.lengths - b.n_hit_list
    missing = b.n_rel - b.n_hit_list
    correct = above + missing * 0.5 * (n_neg - neg_listed)
    out = _nan_div(correct, b.n_rel * n_neg)
    out[(b.n_rel == 0) | (n_neg <= 0)] = np.nan
    return out


# -- rating prediction --------------------------------------------------------------------


def rmse(b: Batch, spec: MetricSpec) -> Pooled:
    parts = b.rating_parts()
    return Pooled(parts["sse"], parts["count"], np.sqrt)


def mae(b: Batch, spec: MetricSpec) -> Pooled:
    parts = b.rating_parts()
    return Pooled(parts["sae"], parts["count"])


# -- beyond accuracy ----------------------------------------------------------------------


def ild(b: Batch, spec: MetricSpec) -> np.ndarray:
    import scipy.sparse as sp

    normed, nonzero = b.cached("normed", lambda: _normalised_rows(b.item_vectors, b.n_items))
    items, valid = b.top_items(spec.k)
    use = valid & nonzero[items]
    m = use.sum(axis=1).astype(np.float64)
    r, c = np.nonzero(use)
    M = sp.csr_array((np.ones(len(r)), (r, items[r, c])), shape=(b.n, b.n_items))
    S = M @ normed  # row u: the sum of its items' unit vectors
    if sp.issparse(S):
        sq = np.asarray(S.multiply(S).sum(axis=1)).reshape(-1)
    else:
        sq = np.einsum("ij,ij->i", S, S)
    # sum_{i != j} cos(v_i, v_j) = |sum_i v_i|^2 - m  (unit vectors)
    mean_sim = _nan_div(sq - m, m * (m - 1))
    out = np.clip(1.0 - mean_sim, 0.0, 2.0)
    out[m < 2] = np.nan
    return out


def novelty(b: Batch, spec: MetricSpec) -> np.ndarray:
    per_item = -np.log2(np.maximum(b.item_popularity, 1.0) / b.n_train_users)
    return b.mean_of(per_item, spec.k)


def arp(b: Batch, spec: MetricSpec) -> np.ndarray:
    return b.mean_of(b.item_popularity, spec.k)


def coverage(b: Batch, spec: MetricSpec) -> float:
    return float(np.count_nonzero(b.counts(spec.k)) / b.n_items)


def gini(b: Batch, spec: MetricSpec) -> float:
    counts = b.counts(spec.k)
    n = len(counts)
    total = counts.sum()
    if total == 0:
        return float("nan")
    c = np.sort(counts.astype(np.float64))
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * c) / (n * total))
