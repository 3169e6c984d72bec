"""Neighbourhood models: item-based and user-based k-nearest neighbours.

Four models share one similarity machinery: ``item-knn`` and ``user-knn`` rank from
implicit feedback (interaction weights); ``item-knn-explicit`` and ``user-knn-explicit``
predict explicit ratings (Surprise's ``KNNBaseline``) and rank by them.

Similarity (``similarity``; ``"auto"``: ``"cosine"`` for implicit feedback,
``"pearson-baseline"`` for explicit) between two vectors ``a``, ``b`` with ``n`` shared
nonzero entries:

- ``"cosine"``: ``a . b / (|a| |b|)``, norms over all of each vector's entries;
- ``"dot"``: ``a . b``;
- ``"jaccard"``: ``n / (|a| + |b| - n)`` on the binary pattern;
- ``"pearson"``: cosine of the vectors centred by their own mean;
- ``"adjusted-cosine"``: cosine of the values centred by the mean of the other side
  (Sarwar et al. 2001);
- ``"pearson-baseline"``: cosine of the residuals ``r - b`` of the bias baseline
  ``b = mu + b_u + b_i`` (explicit models only).

Then ``sim *= n / (n + shrinkage)``; pairs with ``sim <= min_similarity`` are dropped.
``weighting`` (``"cosine"``/``"dot"`` only) rescales the values first, as implicit's
``BM25Recommender`` / ``TFIDFRecommender`` do, treating each compared vector as a
document and its entries as terms: ``idf = log(n_vectors) - log1p(df)``; TF-IDF is
``sqrt(v) idf``, BM25 ``v (K1 + 1) / (K1 L + v) idf`` with ``K1 = bm25_k1`` (default
1.2), ``B = bm25_b`` (default 0.75) and ``L = 1 - B + B length / mean length``.
``"auto"`` means ``"bm25"`` for implicit feedback with cosine or dot similarity, else
``"none"``. Scores always use the unweighted values.

The similarity is computed sparse, row by row (co-occurrences through the interaction
matrix in a parallel numba kernel), keeping only each row's best neighbours: memory is
``O(nnz + rows x neighbours)``; results do not depend on ``n_threads``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, ClassVar, Literal

import numba
import numpy as np
import scipy.sparse as sp

from tastemaker._typing import Index, Scores
from tastemaker._validation import Check, Interval, Options, param_error
from tastemaker.data import Dataset
from tastemaker.errors import DataError, hint
from tastemaker.models import _knn_kernels as kernels
from tastemaker.models._common import numba_threads
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.base import Recommender, pad_rows
from tastemaker.models.registry import register

__all__ = [
    "ItemKNN",
    "ItemKNNExplicit",
    "Similarity",
    "UserKNN",
    "UserKNNExplicit",
    "Weighting",
]

logger = logging.getLogger(__name__)

Similarity = Literal[
    "auto", "cosine", "dot", "jaccard", "pearson", "adjusted-cosine", "pearson-baseline"
]
Weighting = Literal["auto", "none", "bm25", "tfidf"]

SIMILARITIES: tuple[str, ...] = (
    "auto",
    "cosine",
    "dot",
    "jaccard",
    "pearson",
    "adjusted-cosine",
    "pearson-baseline",
)
WEIGHTINGS: tuple[str, ...] = ("auto", "none", "bm25", "tfidf")
_CENTRED = ("pearson", "adjusted-cosine", "pearson-baseline")
_WEIGHTABLE = ("cosine", "dot")

BM25_K1 = 1.2
"""Default BM25 term-frequency saturation ``bm25_k1`` (implicit's ``BM25Recommender``)."""
BM25_B = 0.75
"""Default BM25 length normalisation ``bm25_b`` (implicit's ``BM25Recommender``)."""
BASELINE_ITEM_REGULARIZATION = 10.0
BASELINE_USER_REGULARIZATION = 15.0
BASELINE_EPOCHS = 10
"""The bias baseline of explicit mode: the ``bias`` model with its defaults (Surprise's
``BaselineOnly`` ALS settings)."""
_PARALLEL_WORK = 1_000_000
"""Kernels with fewer inner-loop steps than this run on one thread."""
_MAX_PAIRS = 1 << 21
"""Explicit scoring forms (user, item) pairs in blocks of at most this many."""
EXPLICIT_SAVED = 10
"""In explicit mode each row keeps ``EXPLICIT_SAVED * n_neighbors`` neighbours, from which
each prediction picks the ``n_neighbors`` most similar that rated the target."""


@contextmanager
def _numba_threads(n_threads: int, work: float) -> Iterator[bool]:
    """Run numba parallel kernels on ``n_threads`` threads (0: all), then restore.

    Yields whether to use the parallel kernel: not for one thread, nor below
    ``_PARALLEL_WORK`` inner-loop steps, where waking the thread pool costs more than
    the job (a served user, a unit test). Results never depend on the choice.
    """
    available = numba.config.NUMBA_NUM_THREADS
    wanted = available if n_threads == 0 else min(n_threads, available)
    if wanted <= 1 or work < _PARALLEL_WORK:
        yield False
        return
    with numba_threads(wanted):
        yield True


def _csr(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape) -> sp.csr_array:
    """A CSR array from its parts, stored zeros kept, nothing re-sorted."""
    return sp.csr_array((data, indices, indptr), shape=shape)


def _parts(X: sp.csr_array, dtype=np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays as the kernels take them (one compiled signature): int64 ``indptr``,
    int32 ``indices``, ``dtype`` data."""
    return (
        X.indptr.astype(np.int64, copy=False),
        X.indices.astype(np.int32, copy=False),
        X.data.astype(dtype, copy=False),
    )


def _row_stats(X: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Sum and norm of each row (fixed summation order, see ``kernels.row_stats``)."""
    indptr, _, data = _parts(X)
    return kernels.row_stats(indptr, data)


def _transpose(X: sp.csr_array) -> sp.csr_array:
    """``X.T`` as CSR with sorted indices (stored zeros kept)."""
    out = sp.csr_array(X.T)
    out.sort_indices()
    return out


def _row_of_entries(X: sp.csr_array) -> np.ndarray:
    return np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))


def _user_bias(X: sp.csr_array, mu: float, item_bias: np.ndarray) -> np.ndarray:
    """Regularised mean residual of each row of ratings ``X`` given ``mu`` and the item
    biases: the user step of the baseline's ALS, also used to fold in new users."""
    resid = X.data.astype(np.float64) - mu - item_bias[X.indices]
    counts = np.diff(X.indptr)
    return np.bincount(_row_of_entries(X), resid, X.shape[0]) / (
        BASELINE_USER_REGULARIZATION + counts
    )


def _baseline(X: sp.csr_array) -> tuple[float, np.ndarray, np.ndarray]:
    """Global mean, user and item biases of the ratings ``X`` (Koren 2010, eq. 2-3)."""
    r = X.data.astype(np.float64)
    rows = _row_of_entries(X)
    mu = float(r.mean())
    n_items = X.shape[1]
    item_counts = np.bincount(X.indices, minlength=n_items)
    user_bias = np.zeros(X.shape[0])
    item_bias = np.zeros(n_items)
    for _ in range(BASELINE_EPOCHS):
        item_bias = np.bincount(X.indices, r - mu - user_bias[rows], n_items) / (
            BASELINE_ITEM_REGULARIZATION + item_counts
        )
        user_bias = _user_bias(X, mu, item_bias)
    return mu, user_bias, item_bias


class _Neighbourhood(Recommender):
    """What the neighbourhood models share; subclasses set ``_user_based`` (user-knn)
    and ``_explicit`` (rating prediction from explicit ratings)."""

    _user_based: ClassVar[bool] = False
    _explicit: ClassVar[bool] = False
    search_space: ClassVar[dict[str, tuple]] = {
        "n_neighbors": ("int", 10, 500, "log"),
        "shrinkage": ("float", 0.0, 100.0),
        "weighting": ("categorical", ["none", "bm25", "tfidf"]),
        "bm25_b": ("float", 0.0, 1.0),
        "bm25_k1": ("float", 0.1, 100.0, "log"),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "n_neighbors": Interval("int", 1),
        "similarity": Options(SIMILARITIES),
        "weighting": Options(WEIGHTINGS),
        "shrinkage": Interval("real", 0),
        "min_similarity": Check(
            lambda v: (
                isinstance(v, (int, float, np.integer, np.floating))
                and not isinstance(v, (bool, np.bool_))
                and not np.isnan(v)
            ),
            "a number (-inf allowed)",
        ),
        "n_threads": Interval("int", 0),
        "bm25_k1": Interval("real", 0, closed="neither"),
        "bm25_b": Interval("real", 0, 1),
    }

    n_neighbors: int
    similarity: str
    weighting: str
    shrinkage: float
    min_similarity: float
    n_threads: int
    bm25_k1: float
    bm25_b: float

    def __tastemaker_tags__(self) -> Tags:
        return replace(
            super().__tastemaker_tags__(),
            predicts_ratings=self._explicit,
            folds_in=True,
            updates=True,
        )

    # -- parameters -------------------------------------------------------------------
    def _check_params(self) -> None:
        super()._check_params()
        label = self._label()
        similarity = self._similarity()
        if similarity == "pearson-baseline" and not self._explicit:
            raise param_error(
                label,
                "similarity",
                'a similarity of implicit feedback ("pearson-baseline" centres ratings by '
                f"the bias baseline: use {self._explicit_twin()})",
                self.similarity,
            )
        if self.weighting not in ("auto", "none") and similarity not in _WEIGHTABLE:
            raise param_error(
                label,
                "weighting",
                f'"none" or "auto" with similarity "{similarity}" (a weighting applies to '
                'similarity "cosine" or "dot")',
                self.weighting,
            )

    def _explicit_twin(self) -> str:
        """The explicit-rating model of the same family, as the user would name it."""
        base = type(self).__name__.removesuffix("Explicit")
        return hint(python=f"{base}Explicit", cli=f"{self.name.removesuffix('-explicit')}-explicit")

    def _similarity(self) -> str:
        if self.similarity != "auto":
            return self.similarity
        return "pearson-baseline" if self._explicit else "cosine"

    def _weighting(self) -> str:
        if self.weighting != "auto":
            return self.weighting
        weightable = not self._explicit and self._similarity() in _WEIGHTABLE
        return "bm25" if weightable else "none"

    def _n_saved(self) -> int:
        k = self.n_neighbors * (EXPLICIT_SAVED if self._explicit else 1)
        return k + 1 if self._user_based else k

    # -- fitting ----------------------------------------------------------------------
    def _fit(self, data: Dataset) -> None:
        X = self.seen_
        if self._explicit:
            mu, user_bias, item_bias = _baseline(X)
            self.global_mean_ = mu
            self.user_bias_ = user_bias
            self.item_bias_ = item_bias
            self.rating_range_ = np.array([X.data.min(), X.data.max()], dtype=np.float64)
        raw = _transpose(X) if not self._user_based else X
        raw = _csr(raw.data.astype(np.float64), raw.indices, raw.indptr, raw.shape)
        if self._weighting() != "none" and raw.nnz and raw.data.min() < 0:
            raise DataError(
                f'{self._label()}: weighting "{self._weighting()}" needs non-negative '
                f'interaction values; found {raw.data.min():g}. Set weighting="none".'
            )
        self._fit_vector_stats(raw)
        vectors = self._vectors(raw, np.arange(raw.shape[0]))
        similarity = self._similarity()
        if similarity in _CENTRED and vectors.nnz and not np.any(vectors.data):
            raise DataError(
                f'{self._label()}: similarity "{similarity}" centres the values, but every '
                "training value equals its mean (e.g. implicit feedback with weight 1), so "
                'every similarity would be 0; use similarity "cosine", or ratings with '
                f"{self._explicit_twin()}."
            )
        targets = self._targets(vectors)
        self.similarity_ = self._neighbours(vectors, *targets, skip_self=not self._user_based)
        logger.info(
            "%s: %d neighbour pairs (%s similarity, %s weighting)",
            self._label(),
            self.similarity_.nnz,
            self._similarity(),
            self._weighting(),
        )

    def _fit_vector_stats(self, raw: sp.csr_array) -> None:
        """Statistics the vector transform needs, kept for folding in new rows.

        ``raw``: one row per compared vector (items for item-knn, users for user-knn),
        one column per dimension (users / items), training values in float64.
        """
        similarity, weighting = self._similarity(), self._weighting()
        if weighting != "none":
            df = np.bincount(raw.indices, minlength=raw.shape[1])
            self.dim_weights_ = np.log(raw.shape[0]) - np.log1p(df)
            sums, _ = _row_stats(raw)
            self.mean_length_ = float(sums.mean()) if len(sums) else 0.0
        if similarity == "adjusted-cosine":
            counts = np.bincount(raw.indices, minlength=raw.shape[1])
            sums = np.bincount(raw.indices, raw.data, raw.shape[1])
            self.dim_means_ = np.divide(sums, counts, out=np.zeros(raw.shape[1]), where=counts > 0)

    def _vectors(self, raw: sp.csr_array, rows: np.ndarray, row_bias=None) -> sp.csr_array:
        """The values the similarity compares: ``raw`` (vectors x dims, float64)
        weighted or centred as ``similarity``/``weighting`` say.

        ``rows`` are the positions of ``raw``'s rows among the training vectors (for the
        item-knn baseline); ``row_bias`` overrides the user biases of user-knn rows
        (folded-in users).
        """
        similarity, weighting = self._similarity(), self._weighting()
        data = raw.data
        lengths = np.diff(raw.indptr)
        if similarity == "jaccard":
            data = np.ones_like(data)
        elif weighting != "none":
            idf = self.dim_weights_[raw.indices]
            if weighting == "tfidf":
                data = np.sqrt(data) * idf
            else:
                sums, _ = _row_stats(raw)
                mean = self.mean_length_ if self.mean_length_ > 0 else 1.0
                k1, b = float(self.bm25_k1), float(self.bm25_b)
                norm = np.repeat((1.0 - b) + b * sums / mean, lengths)
                data = data * (k1 + 1.0) / (k1 * norm + data) * idf
        elif similarity == "pearson":
            sums, _ = _row_stats(raw)
            means = sums / np.maximum(lengths, 1)
            data = data - np.repeat(means, lengths)
        elif similarity == "adjusted-cosine":
            data = data - self.dim_means_[raw.indices]
        elif similarity == "pearson-baseline":
            if self._user_based:
                bias = self.user_bias_[rows] if row_bias is None else row_bias
                data = data - np.repeat(self.global_mean_ + bias, lengths)
                data = data - self.item_bias_[raw.indices]
            else:
                data = data - np.repeat(self.global_mean_ + self.item_bias_[rows], lengths)
                data = data - self.user_bias_[raw.indices]
        return _csr(
            np.ascontiguousarray(data, dtype=np.float64), raw.indices, raw.indptr, raw.shape
        )

    @staticmethod
    def _targets(vectors: sp.csr_array) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
        """Target side of the similarity kernel: transposed vectors, norms, counts."""
        _, norms = _row_stats(vectors)
        counts = np.diff(vectors.indptr).astype(np.float64)
        return _transpose(vectors), norms, counts

    def _neighbours(
        self,
        queries: sp.csr_array,
        targets_t: sp.csr_array,
        t_norms: np.ndarray,
        t_counts: np.ndarray,
        skip_self: bool,
        n_saved: int | None = None,
    ) -> sp.csr_array:
        """Each query row's most similar targets (``n_saved``, default ``_n_saved()``)
        as a CSR array (float32), each row ordered from the most similar."""
        measure = {"dot": kernels.DOT, "jaccard": kernels.JACCARD}.get(
            self._similarity(), kernels.COSINE
        )
        _, q_norms = _row_stats(queries)
        q_counts = np.diff(queries.indptr).astype(np.float64)
        n_targets = targets_t.shape[1]
        k = max(1, min(self._n_saved() if n_saved is None else n_saved, n_targets))
        per_dim = np.bincount(queries.indices, minlength=targets_t.shape[0])
        work = float(per_dim @ np.diff(targets_t.indptr))
        # blocks of rows go to whichever thread is free (results do not depend on it):
        # a thread held up by other work on the machine does not hold up the rest
        with _numba_threads(self.n_threads, work) as parallel, numba.parallel_chunksize(1):
            kernel = kernels.similarities if parallel else kernels.similarities_serial
            indptr, idx, sims = kernel(
                *_parts(queries),
                q_norms,
                q_counts,
                *_parts(targets_t),
                t_norms,
                t_counts,
                n_targets,
                k,
                measure,
                float(self.shrinkage),
                float(self.min_similarity),
                skip_self,
            )
        return _csr(sims, idx, indptr, (queries.shape[0], n_targets))

    def _residuals(self) -> sp.csr_array:
        """Training ratings minus the baseline, users x items (float64)."""

        def make():
            X = self.seen_
            return self._residuals_of(X, self.user_bias_)

        return self._cached("residuals", make)

    def _residuals_of(self, X: sp.csr_array, user_bias: np.ndarray) -> sp.csr_array:
        base = np.repeat(self.global_mean_ + user_bias, np.diff(X.indptr))
        data = X.data.astype(np.float64) - base - self.item_bias_[X.indices]
        return _csr(data, X.indices, X.indptr, X.shape)

    def _baseline_block(self, user_bias: np.ndarray, item_idx: Index | None) -> np.ndarray:
        item_bias = self.item_bias_ if item_idx is None else self.item_bias_[item_idx]
        return self.global_mean_ + user_bias[:, None] + item_bias[None, :]

    def _clip(self, values: np.ndarray) -> np.ndarray:
        return np.clip(values, self.rating_range_[0], self.rating_range_[1])

    # -- rating prediction ----------------------------------------------------------------
    def _predict(self, user_idx: np.ndarray, item_idx: np.ndarray) -> np.ndarray:
        user_idx = np.asarray(user_idx, dtype=np.int64)
        item_idx = np.asarray(item_idx, dtype=np.int64)
        known_u, known_i = user_idx >= 0, item_idx >= 0
        b_u = np.where(known_u, self.user_bias_[np.maximum(user_idx, 0)], 0.0)
        b_i = np.where(known_i, self.item_bias_[np.maximum(item_idx, 0)], 0.0)
        out = self.global_mean_ + b_u + b_i
        both = np.flatnonzero(known_u & known_i)
        if len(both):
            out[both] += self._pair_average(user_idx[both], item_idx[both])
        return self._clip(out)

    def _pair_average(self, user_idx: np.ndarray, item_idx: np.ndarray) -> np.ndarray:
        """Neighbourhood average of the residuals for (known user, known item) pairs."""
        S, M = self._explicit_matrices()
        if self._user_based:
            return _grouped_average(S, M, item_idx, user_idx, self.n_neighbors, self.n_threads)
        return _grouped_average(S, M, user_idx, item_idx, self.n_neighbors, self.n_threads)

    def _explicit_matrices(self) -> tuple[sp.csr_array, sp.csr_array]:
        """The neighbour lists and the residuals the predictions average over."""
        if self._user_based:
            return self.similarity_, self._cached(
                "residuals_t", lambda: _transpose(self._residuals())
            )
        return self.similarity_, self._residuals()

    def _explicit_block(
        self,
        S: sp.csr_array,
        M: sp.csr_array,
        user_rows: np.ndarray,
        user_bias: np.ndarray,
        item_idx: Index | None,
    ) -> Scores:
        """Predicted ratings (clipped) of users for every item or ``item_idx``.

        ``user_rows`` index the users' rows of ``M`` (item-knn: residuals, users x
        items) or of ``S`` (user-knn: neighbour lists); ``user_bias`` are their biases.
        Pairs are formed in blocks of at most ``_MAX_PAIRS``.
        """
        cols = np.arange(self.n_items) if item_idx is None else np.asarray(item_idx)
        cols = cols.astype(np.int64)
        rows = np.asarray(user_rows, dtype=np.int64)
        out = np.empty((len(rows), len(cols)))
        step = max(1, _MAX_PAIRS // max(len(cols), 1))
        for start in range(0, len(rows), step):
            block = rows[start : start + step]
            users = np.repeat(block, len(cols))
            items = np.tile(cols, len(block))
            if self._user_based:
                average = _grouped_average(S, M, items, users, self.n_neighbors, self.n_threads)
            else:
                average = _grouped_average(S, M, users, items, self.n_neighbors, self.n_threads)
            out[start : start + len(block)] = average.reshape(len(block), len(cols))
        out += self._baseline_block(user_bias, item_idx)
        return self._clip(out).astype(np.float32)

    # -- scoring ------------------------------------------------------------------------
    def _score(self, query: Query) -> Scores:
        raise NotImplementedError


def _grouped_average(
    S: sp.csr_array,
    M: sp.csr_array,
    groups: np.ndarray,
    targets: np.ndarray,
    k: int,
    n_threads: int,
) -> np.ndarray:
    """:func:`kernels.neighbour_average` for pairs (row ``groups[p]`` of ``M``, row
    ``targets[p]`` of ``S``) in any order."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    group_ptr = np.r_[starts, len(order)].astype(np.int64)
    work = len(targets) * max(1.0, S.nnz / max(S.shape[0], 1))
    with _numba_threads(n_threads, work) as parallel:
        kernel = kernels.neighbour_average if parallel else kernels.neighbour_average_serial
        average, _ = kernel(
            *_parts(S, np.float32),
            *_parts(M),
            group_ptr,
            sorted_groups[starts].astype(np.int64),
            targets[order].astype(np.int64),
            int(k),
            int(M.shape[1]),
        )
    out = np.empty(len(order))
    out[order] = average
    return out


def _stack_rows(n_rows: int, parts: list[tuple[np.ndarray, sp.csr_array]], n_cols: int):
    """A CSR array whose rows ``rows`` come from each ``(rows, matrix)`` part."""
    if len(parts) == 1 and len(parts[0][0]) == n_rows:
        rows, matrix = parts[0]
        if np.array_equal(rows, np.arange(n_rows)):
            return sp.csr_array(matrix)
    order = np.concatenate([rows for rows, _ in parts])
    stacked = sp.csr_array(sp.vstack([m for _, m in parts], format="csr"))
    inverse = np.empty(n_rows, dtype=np.int64)
    inverse[order] = np.arange(n_rows)
    out = stacked[inverse]
    return sp.csr_array(out, shape=(n_rows, n_cols))


class _ItemBased(_Neighbourhood):
    """Item-item neighbourhoods: a static item-item matrix scores any history."""

    _user_based = False
    neighbors_of: str

    def _implicit_scores(self, query: Query) -> Scores:
        if self.neighbors_of == "history":  # item-knn only (the explicit models average)
            weights = self.similarity_  # row j: the items j votes for
        else:
            weights = self._cached("weights", lambda: _transpose(self.similarity_))
        if query.item_idx is not None:
            weights = weights[:, query.item_idx]
        return (query.X @ weights).toarray().astype(np.float32, copy=False)

    def _explicit_scores(self, query: Query) -> Scores:
        bias = self._query_user_bias(query)
        resid = self._residuals_of(query.X, bias)
        rows = np.arange(len(query))
        return self._explicit_block(self.similarity_, resid, rows, bias, query.item_idx)


class _UserBased(_Neighbourhood):
    """User-user neighbourhoods: a history is compared with the training users."""

    _user_based = True

    def _query_neighbours(self, query: Query, bias: np.ndarray | None) -> sp.csr_array:
        """Each row's neighbour list over the training users: kept from training for
        trained rows, computed from the row's history for the others."""
        trained = query.trained
        parts = []
        if trained.any():
            idx = query.user_idx[trained]
            parts.append((np.flatnonzero(trained), self.similarity_[idx]))
        train_t, norms, counts = None, None, None
        # a user the model knows is among the targets (and is their own most similar
        # neighbour); anyone else gets one more neighbour in its place
        for known in (True, False):
            fresh = np.flatnonzero(~trained & ((query.user_idx >= 0) == known))
            if not len(fresh):
                continue
            if train_t is None:
                train_t, norms, counts = self._cached(
                    "targets",
                    lambda: self._targets(
                        self._vectors(self._raw_training(), np.arange(self.n_users))
                    ),
                )
            X = query.X[fresh]
            raw = _csr(X.data.astype(np.float64), X.indices, X.indptr, X.shape)
            row_bias = None if bias is None else bias[fresh]
            vectors = self._vectors(raw, np.zeros(0, dtype=np.int64), row_bias=row_bias)
            n_saved = self._n_saved() - (0 if known else 1)
            sims = self._neighbours(vectors, train_t, norms, counts, False, n_saved)
            parts.append((fresh, sims))
        return _stack_rows(len(query), parts, self.n_users)

    def _raw_training(self) -> sp.csr_array:
        X = self.seen_
        return _csr(X.data.astype(np.float64), X.indices, X.indptr, X.shape)

    def _implicit_scores(self, query: Query) -> Scores:
        sims = self._query_neighbours(query, None)
        seen = self.seen_ if query.item_idx is None else self.seen_[:, query.item_idx]
        return (sims @ seen).toarray().astype(np.float32, copy=False)

    def _explicit_scores(self, query: Query) -> Scores:
        bias = self._query_user_bias(query)
        sims = self._query_neighbours(query, bias)
        _, resid_t = self._explicit_matrices()
        rows = np.arange(len(query))
        return self._explicit_block(sims, resid_t, rows, bias, query.item_idx)

    def _update_neighbours(self, users: np.ndarray) -> None:
        """Recompute the neighbour lists of ``users`` from their histories now; the
        matrix grows to the new number of users (new users are nobody's neighbour
        until the next fit)."""
        n = self.n_users
        S = sp.csr_array(self.similarity_)
        if S.shape != (n, n):
            indptr = np.r_[S.indptr, np.full(n - S.shape[0], S.indptr[-1])]
            S = sp.csr_array((S.data, S.indices, indptr), shape=(n, n))
        bias = self.user_bias_[users] if self._explicit else None
        query = Query(
            user_idx=users,
            user_ids=self.users_.ids_of(users).astype(object),
            trained=np.zeros(len(users), dtype=bool),
            X=self.seen_[users],
            n_items=self.n_items,
        )
        fresh = self._query_neighbours(query, bias)
        keep = np.ones(n, dtype=bool)
        keep[users] = False
        rows = np.flatnonzero(keep)
        self.similarity_ = _stack_rows(n, [(rows, S[rows]), (users, fresh)], n)


class _Implicit(_Neighbourhood):
    """Implicit feedback: rank by summed similarity of interaction weights."""

    _explicit = False
    matrix_values = "weight"

    def _score(self, query: Query) -> Scores:
        return self._implicit_scores(query)

    def _update(self, users: np.ndarray) -> None:
        if self._user_based:
            self._update_neighbours(users)


class _ExplicitFeedback(_Neighbourhood):
    """Explicit ratings: predict them from the neighbours' residuals of a baseline."""

    _explicit = True
    matrix_values = "rating"
    search_space: ClassVar[dict[str, tuple]] = {
        "n_neighbors": ("int", 5, 300, "log"),
        "shrinkage": ("float", 0.0, 300.0),
    }

    def __init__(
        self,
        n_neighbors: int = 40,
        similarity: Similarity = "auto",
        weighting: Weighting = "auto",
        shrinkage: float = 100.0,
        min_similarity: float = 0.0,
        n_threads: int = 0,
        bm25_k1: float = BM25_K1,
        bm25_b: float = BM25_B,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.similarity = similarity
        self.weighting = weighting
        self.shrinkage = shrinkage
        self.min_similarity = min_similarity
        self.n_threads = n_threads
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b

    def _query_user_bias(self, query: Query) -> np.ndarray:
        bias = np.empty(len(query), dtype=np.float64)
        trained = query.trained
        bias[trained] = self.user_bias_[query.user_idx[trained]]
        if (~trained).any():
            bias[~trained] = _user_bias(query.X[~trained], self.global_mean_, self.item_bias_)
        return bias

    def _score(self, query: Query) -> Scores:
        return self._explicit_scores(query)

    def _update(self, users: np.ndarray) -> None:
        self.user_bias_ = pad_rows(self.user_bias_, self.n_users)
        self.user_bias_[users] = _user_bias(self.seen_[users], self.global_mean_, self.item_bias_)
        if self._user_based:
            self._update_neighbours(users)


@register("item-knn")
class ItemKNN(_ItemBased, _Implicit):
    """Item-based k-nearest neighbours on implicit feedback: items similar to the
    user's items score high.

    Scores, with ``neighbors_of="candidate"`` (the default; Sarwar et al. 2001,
    LensKit)::

        score(u, i) = sum_{j in N(i)} sim(i, j) x_uj

    where ``N(i)`` holds the ``n_neighbors`` items most similar to ``i`` and ``x_uj`` is
    the user's interaction weight (0 if none); with ``neighbors_of="history"``
    (Deshpande & Karypis 2004, implicit's item-item models) each of the user's items
    votes for its own neighbours::

        score(u, i) = sum_{j : i in N(j)} sim(j, i) x_uj

    Either way a static, sparse item-item matrix: scoring a user is one sparse product.
    Similarities and weightings are described in :mod:`tastemaker.models.knn`. Items
    without training interactions have no neighbours: they rank after every scored item.
    Fold-in and ``update`` are exact: a history row times the same matrix.

    Parameters
    ----------
    n_neighbors : int, default=226
        Neighbours kept per item.
    similarity : {"auto", "cosine", "dot", "jaccard", "pearson", "adjusted-cosine"}, \
default="auto"
        Similarity measure; ``"auto"`` is ``"cosine"``.
    weighting : {"auto", "none", "bm25", "tfidf"}, default="auto"
        Value weighting before a cosine or dot similarity; ``"auto"`` is ``"bm25"``.
    shrinkage : float, default=7.13
        Shrinks similarities supported by few shared users: ``sim * n / (n + shrinkage)``.
    min_similarity : float, default=0.0
        Neighbours with similarity ``<= min_similarity`` are dropped.
    n_threads : int, default=0
        Threads for the numba kernels (0: all cores); results do not depend on it.
    bm25_k1 : float, default=1.2
        BM25 term-frequency saturation ``K1 > 0`` (``weighting="bm25"``): near 0 every
        value counts about the same; large values make the weight grow with the value.
    bm25_b : float, default=0.75
        BM25 length normalisation ``B`` in [0, 1] (``weighting="bm25"``): 0 ignores how
        long a vector is, 1 divides fully by its length relative to the mean.
    neighbors_of : {"candidate", "history"}, default="candidate"
        Whose neighbour lists are summed (see above).

    Attributes
    ----------
    similarity_ : csr_array of shape (n_items, n_items), float32
        Row ``i`` holds item ``i``'s kept neighbours and their similarities, most
        similar first (indices are not sorted).
    dim_weights_ : ndarray of shape (n_users,)
        With a weighting: the idf of each user (a "term").
    mean_length_ : float
        With BM25 weighting: the mean item length (sum of values).
    dim_means_ : ndarray of shape (n_users,)
        With ``similarity="adjusted-cosine"``: each user's mean value.

    References
    ----------
    M. Deshpande, G. Karypis. Item-based top-N recommendation algorithms. ACM TOIS 2004.
    B. Sarwar, G. Karypis, J. Konstan, J. Riedl. Item-based collaborative filtering
    recommendation algorithms. WWW 2001.
    """

    def __init__(
        self,
        n_neighbors: int = 226,
        similarity: Similarity = "auto",
        weighting: Weighting = "auto",
        shrinkage: float = 7.13,
        min_similarity: float = 0.0,
        n_threads: int = 0,
        bm25_k1: float = BM25_K1,
        bm25_b: float = BM25_B,
        neighbors_of: Literal["candidate", "history"] = "candidate",
    ) -> None:
        self.n_neighbors = n_neighbors
        self.similarity = similarity
        self.weighting = weighting
        self.shrinkage = shrinkage
        self.min_similarity = min_similarity
        self.n_threads = n_threads
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.neighbors_of = neighbors_of

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **_Neighbourhood._parameter_constraints,
        "neighbors_of": Options(("candidate", "history")),
    }
    search_space: ClassVar[dict[str, tuple]] = {
        **_Neighbourhood.search_space,
        "neighbors_of": ("categorical", ["candidate", "history"]),
    }


@register("user-knn")
class UserKNN(_UserBased, _Implicit):
    """User-based k-nearest neighbours on implicit feedback: items liked by similar
    users score high.

    Scores::

        score(u, i) = sum_{v in N(u)} sim(u, v) x_vi

    where ``N(u)`` holds the users most similar to ``u`` and ``x_vi`` is ``v``'s
    interaction weight (0 if none). ``N(u)`` includes ``u`` itself (its similarity is the
    largest for cosine, Jaccard and Pearson) plus ``n_neighbors`` others: the user's own
    row only adds to items they have already seen, which ``recommend`` excludes, and it
    makes fold-in reproduce a training user's scores exactly. Fold-in computes a
    history's similarities to the training users (with the training statistics for
    weighting and centring), keeps the best (a user the model does not know gets one
    more neighbour in place of itself), and scores the same way; ``update``
    recomputes the neighbour lists of the users it changes (other users' lists stay as
    fitted). Similarities and weightings: :mod:`tastemaker.models.knn`.

    Parameters
    ----------
    n_neighbors : int, default=100
        Neighbours kept per user (besides the user).
    similarity : {"auto", "cosine", "dot", "jaccard", "pearson", "adjusted-cosine"}, \
default="auto"
        Similarity measure; ``"auto"`` is ``"cosine"``.
    weighting : {"auto", "none", "bm25", "tfidf"}, default="auto"
        Value weighting before a cosine or dot similarity; ``"auto"`` is ``"bm25"``.
    shrinkage : float, default=0.0
        Shrinks similarities supported by few shared items: ``sim * n / (n + shrinkage)``.
    min_similarity : float, default=0.0
        Neighbours with similarity ``<= min_similarity`` are dropped.
    n_threads : int, default=0
        Threads for the numba kernels (0: all cores); results do not depend on it.
    bm25_k1 : float, default=1.2
        BM25 term-frequency saturation ``K1 > 0`` (``weighting="bm25"``): near 0 every
        value counts about the same; large values make the weight grow with the value.
    bm25_b : float, default=0.75
        BM25 length normalisation ``B`` in [0, 1] (``weighting="bm25"``): 0 ignores how
        long a vector is, 1 divides fully by its length relative to the mean.

    Attributes
    ----------
    similarity_ : csr_array of shape (n_users, n_users), float32
        Row ``u`` holds user ``u``'s kept neighbours (``u`` included) and their
        similarities, most similar first (indices are not sorted).
    dim_weights_ : ndarray of shape (n_items,)
        With a weighting: the idf of each item (a "term").
    mean_length_ : float
        With BM25 weighting: the mean user length (sum of values).
    dim_means_ : ndarray of shape (n_items,)
        With ``similarity="adjusted-cosine"``: each item's mean value.

    References
    ----------
    J. Herlocker, J. Konstan, A. Borchers, J. Riedl. An algorithmic framework for
    performing collaborative filtering. SIGIR 1999.
    """

    def __init__(
        self,
        n_neighbors: int = 100,
        similarity: Similarity = "auto",
        weighting: Weighting = "auto",
        shrinkage: float = 0.0,
        min_similarity: float = 0.0,
        n_threads: int = 0,
        bm25_k1: float = BM25_K1,
        bm25_b: float = BM25_B,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.similarity = similarity
        self.weighting = weighting
        self.shrinkage = shrinkage
        self.min_similarity = min_similarity
        self.n_threads = n_threads
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b


@register("item-knn-explicit")
class ItemKNNExplicit(_ItemBased, _ExplicitFeedback):
    """Item-based k-nearest neighbours on explicit ratings (Surprise's ``KNNBaseline``
    with ``user_based=False``, LensKit's explicit ``ItemKNNScorer``).

    Predicts::

        r_ui = b_ui + sum_{j in N} sim(i, j) (r_uj - b_uj) / sum_{j in N} |sim(i, j)|

    with the bias baseline ``b_ui = mu + b_u + b_i`` (the ``bias`` model with its
    defaults: ALS, item/user regularisation 10/15, 10 sweeps) and ``N`` the
    ``n_neighbors`` items most similar to ``i`` among those the user rated (each item
    keeps its ``10 * n_neighbors`` most similar); with no such neighbour the prediction
    is the baseline. Predictions are clipped to the training ratings' range and
    ``recommend`` ranks by them (for top-N lists ``item-knn`` is much better). Unknown
    users predict ``mu + b_i``, unknown items ``mu + b_u``, both ``mu``. Fold-in and
    ``update`` derive a user's bias from their ratings with the item biases fixed, then
    predict the same way (exact for a training user's own history).

    Parameters
    ----------
    n_neighbors : int, default=40
        Neighbours averaged per prediction.
    similarity : {"auto", "cosine", "dot", "jaccard", "pearson", "adjusted-cosine", \
"pearson-baseline"}, default="auto"
        Similarity measure (:mod:`tastemaker.models.knn`); ``"auto"`` is
        ``"pearson-baseline"``.
    weighting : {"auto", "none", "bm25", "tfidf"}, default="auto"
        Value weighting before a cosine or dot similarity; ``"auto"`` is ``"none"``.
    shrinkage : float, default=100.0
        Shrinks similarities supported by few shared users: ``sim * n / (n + shrinkage)``.
    min_similarity : float, default=0.0
        Neighbours with similarity ``<= min_similarity`` are dropped (set e.g. -1.0 to
        keep negative Pearson ones).
    n_threads : int, default=0
        Threads for the numba kernels (0: all cores); results do not depend on it.
    bm25_k1 : float, default=1.2
        BM25 term-frequency saturation ``K1 > 0`` (``weighting="bm25"``): near 0 every
        value counts about the same; large values make the weight grow with the value.
    bm25_b : float, default=0.75
        BM25 length normalisation ``B`` in [0, 1] (``weighting="bm25"``): 0 ignores how
        long a vector is, 1 divides fully by its length relative to the mean.

    Attributes
    ----------
    similarity_ : csr_array of shape (n_items, n_items), float32
        Row ``i``: item ``i``'s kept neighbours, most similar first.
    global_mean_ : float
        The baseline's global mean ``mu``.
    user_bias_, item_bias_ : ndarray of float64
        The baseline's biases ``b_u``, ``b_i``.
    rating_range_ : ndarray of shape (2,)
        Smallest and largest training rating (predictions are clipped to it).

    References
    ----------
    Y. Koren. Factor in the neighbors: scalable and accurate collaborative filtering.
    ACM TKDD 2010.
    """


@register("user-knn-explicit")
class UserKNNExplicit(_UserBased, _ExplicitFeedback):
    """User-based k-nearest neighbours on explicit ratings (Surprise's ``KNNBaseline``
    with ``user_based=True``).

    Predicts::

        r_ui = b_ui + sum_{v in N} sim(u, v) (r_vi - b_vi) / sum_{v in N} |sim(u, v)|

    with the bias baseline ``b_ui = mu + b_u + b_i`` (as :class:`ItemKNNExplicit`) and
    ``N`` the ``n_neighbors`` users most similar to ``u`` among those who rated ``i``
    (each user keeps its ``10 * n_neighbors`` most similar). Predictions are clipped to
    the training ratings' range and ``recommend`` ranks by them. Unknown users predict
    ``mu + b_i``, unknown items ``mu + b_u``, both ``mu``. Fold-in derives the user's
    bias from their ratings, then their neighbours; ``update`` recomputes both for the
    users it changes (other users' lists stay as fitted).

    Parameters
    ----------
    n_neighbors : int, default=40
        Neighbours averaged per prediction.
    similarity : {"auto", "cosine", "dot", "jaccard", "pearson", "adjusted-cosine", \
"pearson-baseline"}, default="auto"
        Similarity measure (:mod:`tastemaker.models.knn`); ``"auto"`` is
        ``"pearson-baseline"``.
    weighting : {"auto", "none", "bm25", "tfidf"}, default="auto"
        Value weighting before a cosine or dot similarity; ``"auto"`` is ``"none"``.
    shrinkage : float, default=100.0
        Shrinks similarities supported by few shared items: ``sim * n / (n + shrinkage)``.
    min_similarity : float, default=0.0
        Neighbours with similarity ``<= min_similarity`` are dropped.
    n_threads : int, default=0
        Threads for the numba kernels (0: all cores); results do not depend on it.
    bm25_k1 : float, default=1.2
        BM25 term-frequency saturation ``K1 > 0`` (``weighting="bm25"``): near 0 every
        value counts about the same; large values make the weight grow with the value.
    bm25_b : float, default=0.75
        BM25 length normalisation ``B`` in [0, 1] (``weighting="bm25"``): 0 ignores how
        long a vector is, 1 divides fully by its length relative to the mean.

    Attributes
    ----------
    similarity_ : csr_array of shape (n_users, n_users), float32
        Row ``u``: user ``u``'s kept neighbours (``u`` included), most similar first.
    global_mean_ : float
        The baseline's global mean ``mu``.
    user_bias_, item_bias_ : ndarray of float64
        The baseline's biases ``b_u``, ``b_i``.
    rating_range_ : ndarray of shape (2,)
        Smallest and largest training rating (predictions are clipped to it).

    References
    ----------
    Y. Koren. Factor in the neighbors: scalable and accurate collaborative filtering.
    ACM TKDD 2010.
    """
