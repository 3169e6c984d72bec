"""One evaluation path for every system: ranked lists in, per-user and mean metrics out.

:func:`evaluate_ranked` takes per-user item positions in rank order (from a model, a
protocol or a file) and computes every metric for all users at once with array
operations; :func:`evaluate_recommendations` reads a recommendations frame from any system
(``tastemaker evaluate --recs``) and hands it to the same function. The per-user
functions of :mod:`tastemaker.evaluate.metrics` define what is computed; the tests check
that both agree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.data._idmap import IdMap
from tastemaker.errors import DataError, ParameterError
from tastemaker.evaluate.metrics import MetricSpec, parse_metric, parse_metrics
from tastemaker.evaluate.stats import _bootstrap_ratio_ci, bootstrap_ci

__all__ = ["EvaluationResult", "Ragged", "evaluate_ranked", "evaluate_recommendations"]

logger = logging.getLogger(__name__)


# -- per-user arrays -------------------------------------------------------------------


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


# -- the result ------------------------------------------------------------------------


@dataclass
class EvaluationResult:
    """Metrics of one system on a set of users.

    Attributes
    ----------
    per_user : DataFrame
        Column ``user`` (external ids) and one column per per-user metric (accuracy,
        rating and ``ild``/``novelty``/``arp``), one row per evaluated user. Global
        metrics (``coverage``, ``gini``) have no per-user value and no column.
    summary : dict of str -> float
        Metric label -> value, in the order asked: the mean over users of per-user
        metrics (NaN values, i.e. users for whom a metric is undefined, excluded),
        ``rmse``/``mae`` pooled over all rated pairs, global metrics computed once over
        all lists.
    n_users : int
        Number of evaluated users.
    metrics : list of str
        Metric labels in the order asked.
    info : dict of str -> int
        Counts worth reporting: ``n_users_without_list`` (users scored as empty lists) and,
        from :func:`evaluate_recommendations`, ``n_ignored_users`` (users with a list but
        no test items) and ``n_ignored_rows``.
    """

    per_user: pd.DataFrame
    summary: dict[str, float]
    n_users: int
    metrics: list[str]
    info: dict[str, int] = field(default_factory=dict)
    _pooled: dict[str, tuple[np.ndarray, np.ndarray, Callable | None]] = field(
        default_factory=dict, repr=False
    )

    def user_values(self, metric: str) -> pd.Series:
        """Per-user values of one metric, indexed by user (input for ``paired_test``)."""
        label = parse_metric(metric).label
        if label not in self.per_user.columns:
            raise ParameterError(
                f"no per-user values for {metric!r}; per-user metrics here: "
                f"{[c for c in self.per_user.columns if c != 'user']}"
            )
        return self.per_user.set_index("user")[label]

    def to_frame(self, model: str | None = None) -> pd.DataFrame:
        """Tidy summary without intervals: ``(model,) metric, value, ci_low, ci_high, n_users``."""
        rows = [
            {
                "metric": label,
                "value": self.summary[label],
                "ci_low": np.nan,
                "ci_high": np.nan,
                "n_users": self._n_users_of(label),
            }
            for label in self.metrics
        ]
        return _tidy(rows, model)

    def with_ci(
        self,
        n_boot: int = 1000,
        confidence: float = 0.95,
        random_state: int | np.random.Generator | None = 0,
        model: str | None = None,
    ) -> pd.DataFrame:
        """Tidy summary with percentile bootstrap intervals over users.

        Per-user metrics resample their per-user values (NaN values dropped); ``rmse`` and
        ``mae`` resample users and pool their rated pairs. Global metrics (``coverage``,
        ``gini``) get NaN bounds: a distinct-item count over a resample with repeated
        users is biased low, so its percentile interval would be misleading.

        Parameters
        ----------
        n_boot : int, default=1000
        confidence : float, default=0.95
        random_state : int, Generator or None, default=0
            Each metric uses a generator seeded the same way, so users are resampled
            alike across metrics.
        model : str, optional
            When given, a leading ``model`` column holding it.

        Returns
        -------
        DataFrame
            Columns ``(model,) metric, value, ci_low, ci_high, n_users``; ``n_users``
            counts the users behind each value.
        """
        rows = []
        for label in self.metrics:
            spec = parse_metric(label)
            seed = random_state
            if isinstance(random_state, np.random.Generator):
                seed = random_state.integers(2**32)
            if label in self._pooled:
                num, den, transform = self._pooled[label]
                low, high = _bootstrap_ratio_ci(num, den, transform, n_boot, confidence, seed)
            elif spec.kind == "global":
                low, high = np.nan, np.nan
            else:
                low, high = bootstrap_ci(
                    self.per_user[label].to_numpy(np.float64), n_boot, confidence, seed
                )
            rows.append(
                {
                    "metric": label,
                    "value": self.summary[label],
                    "ci_low": low,
                    "ci_high": high,
                    "n_users": self._n_users_of(label),
                }
            )
        return _tidy(rows, model)

    def to_dict(self) -> dict[str, float]:
        """The summary, ``{"ndcg@10": value, ...}``."""
        return dict(self.summary)

    def _n_users_of(self, label: str) -> int:
        if label in self._pooled:
            return int(np.sum(self._pooled[label][1] > 0))
        if label in self.per_user.columns:
            return int(self.per_user[label].notna().sum())
        return self.n_users


def _tidy(rows: list[dict[str, Any]], model: str | None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "n_users"])
    frame["n_users"] = frame["n_users"].astype(np.int64)
    if model is not None:
        frame.insert(0, "model", model)
    return frame


# -- the vectorised core ---------------------------------------------------------------


def _check_positions(values: np.ndarray, n_items: int, what: str) -> None:
    if len(values) and (values.min() < 0 or values.max() >= n_items):
        bad = values[(values < 0) | (values >= n_items)][0]
        raise ParameterError(
            f"{what} holds item position {int(bad)}, outside 0..{n_items - 1} (n_items={n_items})"
        )


def _nan_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _mean(values: np.ndarray) -> float:
    ok = ~np.isnan(values)
    return float(values[ok].mean()) if ok.any() else float("nan")


def _normalised_rows(vectors: Any, n_items: int) -> tuple[Any, np.ndarray]:
    """Rows scaled to unit length, and which rows are non-zero."""
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


class _Batch:
    """Everything shared by the metrics of one evaluation (built once)."""

    def __init__(self, lists: Ragged, relevant: Ragged, n_items: int, K: int):
        n = lists.n
        self.n = n
        self.n_items = n_items
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
        self._cache: dict[str, np.ndarray] = {}

    def cached(self, key: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # ranking
    def ranking(self, family: str, k: int) -> np.ndarray:
        H = self.H[:, :k]
        cum = self.cached("cum", lambda: np.cumsum(self.H, axis=1))
        n_hit = cum[:, k - 1].astype(np.float64) if k else np.zeros(self.n)
        n_rel = self.n_rel
        capped = np.minimum(k, n_rel)
        if family == "precision":
            return n_hit / k
        if family == "recall":
            return _nan_div(n_hit, n_rel)
        if family == "recall_capped":
            return _nan_div(n_hit, capped)
        if family == "hit":
            return (n_hit > 0).astype(np.float64)
        if family == "mrr":
            first = self.cached("first", lambda: np.argmax(self.H, axis=1))
            found = n_hit > 0
            return np.where(found, 1.0 / (first + 1.0), 0.0)
        if family == "ndcg":
            disc = 1.0 / np.log2(np.arange(2, self.K + 2, dtype=np.float64))
            dcg = self.cached("dcg", lambda: np.cumsum(self.H * disc, axis=1))[:, k - 1]
            ideal = np.concatenate([[0.0], np.cumsum(disc)])
            return _nan_div(dcg, ideal[capped])
        if family == "map":
            ranks = np.arange(1, k + 1, dtype=np.float64)
            summed = np.sum(np.where(H, cum[:, :k] / ranks, 0.0), axis=1)
            return _nan_div(summed, capped)
        raise AssertionError(family)  # pragma: no cover - parse_metric guards the names

    def auc(self, n_candidates: np.ndarray, user_ids: np.ndarray) -> np.ndarray:
        if np.any(n_candidates < self.lengths):
            u = int(np.flatnonzero(n_candidates < self.lengths)[0])
            raise ParameterError(
                f"auc: user {user_ids[u]!r} has {int(n_candidates[u])} candidate items but "
                f"a list of {int(self.lengths[u])}; n_candidates must count every item a "
                "list may hold"
            )
        # relevant items a list lacks beyond the candidates count as unranked candidates
        n_union = self.lengths + self.n_rel - self.n_hit_list
        n_neg = np.maximum(n_candidates, n_union) - self.n_rel
        hit = self.is_hit
        cs = np.cumsum(hit)
        start = np.concatenate([[0], cs])[np.concatenate([[0], np.cumsum(self.lengths)])[:-1]]
        hits_before = cs - hit - start[self.rows]
        neg_before = self.pos - hits_before
        above = np.bincount(
            self.rows[hit], weights=(n_neg[self.rows] - neg_before)[hit], minlength=self.n
        )
        neg_listed = self.lengths - self.n_hit_list
        missing = self.n_rel - self.n_hit_list
        correct = above + missing * 0.5 * (n_neg - neg_listed)
        out = _nan_div(correct, self.n_rel * n_neg)
        out[(self.n_rel == 0) | (n_neg <= 0)] = np.nan
        return out

    # beyond accuracy
    def top_items(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        P = self.P[:, :k]
        valid = P >= 0
        return np.where(valid, P, 0), valid

    def mean_of(self, per_item: np.ndarray, k: int) -> np.ndarray:
        items, valid = self.top_items(k)
        return _nan_div(np.sum(np.where(valid, per_item[items], 0.0), axis=1), valid.sum(1))

    def ild(self, normed: Any, nonzero: np.ndarray, k: int) -> np.ndarray:
        items, valid = self.top_items(k)
        use = valid & nonzero[items]
        m = use.sum(axis=1).astype(np.float64)
        r, c = np.nonzero(use)
        M = sp.csr_array((np.ones(len(r)), (r, items[r, c])), shape=(self.n, self.n_items))
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

    def counts(self, k: int) -> np.ndarray:
        items, valid = self.top_items(k)
        return np.bincount(items[valid], minlength=self.n_items)

    def rating_parts(self, pred: Ragged, true: Ragged) -> dict[str, np.ndarray]:
        rows = pred.rows
        err = pred.values.astype(np.float64) - true.values.astype(np.float64)
        return {
            "sse": np.bincount(rows, weights=err**2, minlength=self.n),
            "sae": np.bincount(rows, weights=np.abs(err), minlength=self.n),
            "count": np.bincount(rows, minlength=self.n).astype(np.float64),
        }


def _gini(counts: np.ndarray) -> float:
    n = len(counts)
    total = counts.sum()
    if total == 0:
        return float("nan")
    c = np.sort(counts.astype(np.float64))
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * c) / (n * total))


def _check_sampled(specs: list[MetricSpec], sampled: int | None) -> None:
    for spec in specs:
        if spec.kind == "ranking":
            if spec.sampled != sampled:
                if sampled is None:
                    raise ParameterError(
                        f"{spec.label!r} is a sampled metric but these lists rank every "
                        "candidate; ask for "
                        + repr(MetricSpec(spec.name, spec.k, spec.kind).label)
                        + " or evaluate lists ranked among sampled negatives (sampled=N)"
                    )
                raise ParameterError(
                    f"these lists rank the relevant items among {sampled} sampled negatives; "
                    f"label the metric so: "
                    f"{MetricSpec(spec.name, spec.k, spec.kind, sampled).label!r}, "
                    f"not {spec.label!r}"
                )
        elif sampled is not None and spec.kind in ("beyond", "global"):
            raise ParameterError(
                f"{spec.label!r} describes full recommendation lists; it cannot be computed "
                "from lists ranked among sampled negatives"
            )


def evaluate_ranked(
    lists: Any,
    relevant: Any,
    metrics: str | Sequence[str | MetricSpec],
    *,
    n_items: int,
    users: Any = None,
    item_popularity: Any = None,
    n_train_users: int | None = None,
    item_vectors: Any = None,
    n_candidates: int | Any = None,
    ratings: tuple[Any, Any] | None = None,
    sampled: int | None = None,
) -> EvaluationResult:
    """Evaluate per-user ranked lists against per-user relevant items.

    Parameters
    ----------
    lists : Ragged, mapping user -> array, sequence of arrays, or 2-D int array
        Each user's item positions (``0..n_items-1``) in rank order, seen items already
        excluded, as long as the longest ``k`` asked for or longer (the full ranking
        for an exact ``auc``). A 2-D array is padded at the end with -1. With a mapping,
        users without an entry score as empty lists; entries for users not in
        ``relevant`` are ignored.
    relevant : Ragged, mapping user -> array, sequence of arrays, or sparse matrix
        Each user's relevant item positions (a set; binary relevance). Every user here
        is evaluated; a sparse matrix has one row per user.
    metrics : str or sequence of str
        Metric names (``"ndcg@10"``, ``"auc"``, ...), or one comma-separated string.
    n_items : int
        Catalog size: item positions run over ``0..n_items-1``.
    users : array-like, optional
        External user ids, one per user (default ``0..n-1``); not with mappings, whose
        keys are the users.
    item_popularity : array of shape (n_items,), optional
        Training users per item; needed by ``novelty`` and ``arp``.
    n_train_users : int, optional
        Number of training users; needed by ``novelty``.
    item_vectors : array or sparse matrix of shape (n_items, n_features), optional
        Needed by ``ild``; all-zero rows are left out of the pairs.
    n_candidates : int or array of shape (n_users,), optional
        Candidate items of each user for ``auc`` (the catalog minus the user's seen
        items), at least the list's length. Default: ``n_items``, or
        ``sampled + |relevant|`` with ``sampled``. Relevant items outside the candidates
        (seen before, unknown to the catalog) are added as unranked candidates when the
        count is too small to hold them with the list.
    ratings : (predicted, actual), optional
        Per-user arrays of predicted and true ratings (same structure as ``relevant``,
        same lengths); needed by ``rmse`` and ``mae``.
    sampled : int, optional
        The lists rank the relevant items among this many sampled negatives; accuracy
        metric names must then say so (``"ndcg@10[sampled-100]"``).

    Returns
    -------
    EvaluationResult

    Raises
    ------
    ParameterError
        Bad metric names, missing inputs a metric needs, item positions out of range, a
        list repeating an item, or a user without relevant items when accuracy metrics
        are asked for.
    """
    specs = parse_metrics(metrics)
    _check_sampled(specs, sampled)
    if isinstance(n_items, bool) or not isinstance(n_items, (int, np.integer)) or n_items < 1:
        raise ParameterError(f"n_items must be an int ≥ 1, got {n_items!r}")
    n_items = int(n_items)

    keys: list[Any] | None = None
    if isinstance(relevant, Mapping):
        if users is not None:
            raise ParameterError("users= cannot be given with mappings: their keys are the users")
        keys = list(relevant.keys())
    elif isinstance(lists, Mapping):
        raise ParameterError("lists is a mapping by user; pass relevant as a mapping by user too")
    rel = _to_ragged(relevant, "relevant", keys, np.int64)
    n = rel.n
    ranked = _to_ragged(lists, "lists", keys, np.int64)
    if ranked.n != n:
        raise ParameterError(f"lists has {ranked.n} users but relevant has {n}")
    if keys is not None:
        user_ids = pd.Index(keys).to_numpy()
    elif users is None:
        user_ids = np.arange(n)
    else:
        user_ids = pd.Index(users).to_numpy() if not isinstance(users, np.ndarray) else users
        if len(user_ids) != n:
            raise ParameterError(f"users has {len(user_ids)} ids but there are {n} users")
    _check_positions(ranked.values, n_items, "lists")
    _check_positions(rel.values, n_items, "relevant")

    K = max([s.k for s in specs if s.k is not None], default=0)
    batch = _Batch(ranked, rel, n_items, K)
    if len(batch.codes) and len(np.unique(batch.codes)) != len(batch.codes):
        order = np.argsort(batch.codes, kind="stable")
        dup = order[1:][np.diff(batch.codes[order]) == 0][0]
        raise ParameterError(
            f"the list of user {user_ids[batch.rows[dup]]!r} repeats item position "
            f"{int(batch.items[dup])}; each item may appear once per list"
        )
    if any(s.kind == "ranking" for s in specs) and np.any(batch.n_rel == 0):
        empty = np.flatnonzero(batch.n_rel == 0)
        shown = ", ".join(repr(x) for x in user_ids[empty[:3]].tolist())
        raise ParameterError(
            f"{len(empty)} user(s) have no relevant items (e.g. {shown}); accuracy metrics "
            "are undefined for them: leave out users without test items"
        )

    per_user: dict[str, np.ndarray] = {}
    summary: dict[str, float] = {}
    pooled: dict[str, tuple[np.ndarray, np.ndarray, Callable | None]] = {}
    normed = nonzero = None
    parts = None
    for spec in specs:
        label = spec.label
        family, k = spec.name, spec.k
        if spec.kind == "ranking" and family != "auc":
            values = batch.ranking(family, k)
        elif family == "auc":
            if n_candidates is None:
                cand = (
                    batch.n_rel + sampled
                    if sampled is not None
                    else np.full(n, n_items, dtype=np.int64)
                )
            else:
                cand = np.broadcast_to(np.asarray(n_candidates, dtype=np.int64), (n,))
            values = batch.auc(cand, user_ids)
        elif spec.kind == "rating":
            if ratings is None:
                raise ParameterError(
                    f"{label} needs predicted and true ratings: pass ratings=(predicted, actual)"
                )
            if parts is None:
                pred = _to_ragged(ratings[0], "predicted ratings", keys, np.float64)
                true = _to_ragged(ratings[1], "true ratings", keys, np.float64)
                if pred.n != n or true.n != n or not np.array_equal(pred.indptr, true.indptr):
                    raise ParameterError(
                        "predicted and true ratings must have one array per user, "
                        "of the same lengths"
                    )
                parts = batch.rating_parts(pred, true)
            if family == "rmse":
                values = np.sqrt(_nan_div(parts["sse"], parts["count"]))
                pooled[label] = (parts["sse"], parts["count"], np.sqrt)
                total = parts["count"].sum()
                summary[label] = float(np.sqrt(parts["sse"].sum() / total)) if total else np.nan
            else:
                values = _nan_div(parts["sae"], parts["count"])
                pooled[label] = (parts["sae"], parts["count"], None)
                total = parts["count"].sum()
                summary[label] = float(parts["sae"].sum() / total) if total else np.nan
            per_user[label] = values
            continue
        elif family in ("novelty", "arp"):
            if item_popularity is None or (family == "novelty" and n_train_users is None):
                need = (
                    "item_popularity and n_train_users"
                    if family == "novelty"
                    else ("item_popularity")
                )
                raise ParameterError(f"{label} needs the training data: pass {need}")
            pop = np.asarray(item_popularity, dtype=np.float64).reshape(-1)
            if len(pop) != n_items:
                raise ParameterError(
                    f"item_popularity has {len(pop)} entries but n_items is {n_items}"
                )
            if family == "novelty":
                if n_train_users < 1:
                    raise ParameterError(f"n_train_users must be ≥ 1, got {n_train_users}")
                per_item = -np.log2(np.maximum(pop, 1.0) / n_train_users)
            else:
                per_item = pop
            values = batch.mean_of(per_item, k)
        elif family == "ild":
            if item_vectors is None:
                raise ParameterError(f"{label} needs item vectors: pass item_vectors")
            if normed is None:
                normed, nonzero = _normalised_rows(item_vectors, n_items)
            values = batch.ild(normed, nonzero, k)
        elif family == "coverage":
            summary[label] = float(np.count_nonzero(batch.counts(k)) / n_items)
            continue
        elif family == "gini":
            summary[label] = _gini(batch.counts(k))
            continue
        else:  # pragma: no cover - parse_metric guards the names
            raise AssertionError(family)
        per_user[label] = values
        summary[label] = _mean(values)

    frame = pd.DataFrame({"user": user_ids, **per_user})
    labels = [s.label for s in specs]
    result = EvaluationResult(
        per_user=frame,
        summary={label: summary[label] for label in labels},
        n_users=n,
        metrics=labels,
        info={"n_users_without_list": int(np.sum(batch.lengths == 0))},
        _pooled=pooled,
    )
    if keys is not None and isinstance(lists, Mapping):
        result.info["n_ignored_users"] = len(set(lists) - set(keys))
    logger.info("evaluated %d users on %d metrics", n, len(labels))
    return result


# -- recommendation frames -------------------------------------------------------------


def _source(frame: pd.DataFrame, default: str) -> str:
    return str(frame.attrs.get("source") or default)


def _require(frame: Any, default: str, columns: Sequence[str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{default} must be a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{_source(frame, default)}: missing column(s) {missing}; expected "
            f"{list(columns)}, found {list(frame.columns)}"
        )
    for col in columns:
        if frame[col].isna().any():
            row = int(np.flatnonzero(frame[col].isna().to_numpy())[0])
            raise DataError(f"{_source(frame, default)}, row {row}, column {col!r}: value missing")
    return frame


def _feature_matrix(features: pd.DataFrame, item_map: IdMap) -> sp.csr_array:
    """Item feature table -> one row per catalog item (zero rows for items without one).

    Numeric and boolean columns are used as they are (NaN -> 0); text and categorical
    columns become multi-hot indicators, splitting strings on ``|`` (``"Action|Comedy"``)
    and expanding list-valued cells.
    """
    src = _source(features, "item_features")
    if "item" in features.columns:
        table = features.set_index("item")
    elif features.index.name == "item":
        table = features
    else:
        raise DataError(
            f"{src}: item features need a column (or index) named 'item'; found columns "
            f"{list(features.columns)}"
        )
    if table.index.has_duplicates:
        dup = table.index[table.index.duplicated()][0]
        raise DataError(f"{src}: item {dup!r} appears more than once; one row per item")
    pos = item_map.index_of(table.index, missing="mask")
    keep = pos >= 0
    table, pos = table[keep], pos[keep]
    blocks: list[sp.csr_array] = []
    n_rows = len(item_map)
    for col in table.columns:
        series = table[col]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            values = pd.to_numeric(series, errors="coerce").fillna(0).to_numpy(np.float64)
            blocks.append(
                sp.csr_array((values, (pos, np.zeros(len(pos), dtype=np.int64))), shape=(n_rows, 1))
            )
            continue
        vocab: dict[str, int] = {}
        r: list[int] = []
        c: list[int] = []
        for p, cell in zip(pos.tolist(), series.tolist(), strict=True):
            if isinstance(cell, (list, tuple, set, np.ndarray)):
                tokens = [str(t) for t in cell]
            elif cell is None or (isinstance(cell, float) and np.isnan(cell)):
                tokens = []
            else:
                tokens = [t.strip() for t in str(cell).split("|") if t.strip()]
            for tok in dict.fromkeys(tokens):
                r.append(p)
                c.append(vocab.setdefault(tok, len(vocab)))
        blocks.append(sp.csr_array((np.ones(len(r)), (r, c)), shape=(n_rows, max(len(vocab), 1))))
    if not blocks:
        raise DataError(f"{src}: the item feature table has no feature columns")
    return sp.csr_array(sp.hstack(blocks, format="csr"))


def evaluate_recommendations(
    recs: pd.DataFrame,
    test: pd.DataFrame,
    metrics: str | Sequence[str | MetricSpec],
    *,
    train: pd.DataFrame | None = None,
    item_features: pd.DataFrame | None = None,
) -> EvaluationResult:
    """Evaluate a recommendations frame from any system against test interactions.

    Lists are scored as given, ordered by ``rank`` (seen items are not removed). Every
    user in ``test`` is evaluated: a user without a list scores 0 on accuracy metrics
    (and NaN, excluded from the mean, on ``ild``/``novelty``/``arp``); users with a list
    but no test rows are ignored and counted in ``info["n_ignored_users"]``. Items
    unknown to train and test are valid items that cannot be hits. Every test row is a
    relevant item (binary relevance; filter ``test`` first to use a rating threshold).

    Parameters
    ----------
    recs : DataFrame
        Columns ``user``, ``item``, ``rank`` (any increasing numbers; order is what
        counts) and, for ``rmse``/``mae``, ``prediction`` or ``score``.
    test : DataFrame
        Columns ``user``, ``item`` and, for ``rmse``/``mae``, ``rating``.
    metrics : str or sequence of str
        Metric names, e.g. ``["ndcg@10", "recall@20"]`` or ``"ndcg@10,recall@20"``.
        Sampled variants are refused: a file cannot say how its lists were made.
    train : DataFrame, optional
        Columns ``user``, ``item``. Supplies item popularity (distinct training users
        per item) for ``novelty``/``arp``, the catalog (items in train ∪ test ∪ recs)
        for ``coverage``/``gini``, and each user's seen items for ``auc``, whose
        candidates are the catalog minus the seen items the list left out. Without it,
        ``auc`` takes the items of test ∪ recs as candidates.
    item_features : DataFrame, optional
        Item table keyed by an ``item`` column or index, for ``ild``: numeric columns as
        they are, text columns as multi-hot (``"Action|Comedy"`` splits on ``|``).

    Returns
    -------
    EvaluationResult

    Raises
    ------
    DataError
        A missing column (naming the frame: ``frame.attrs["source"]`` when set, e.g. by
        the CLI to the file path), a missing id or rank, a user whose list repeats an
        item or a rank, or rating metrics without a prediction for every test rating.
    ParameterError
        Unknown metric names, sampled metrics, or a metric that needs ``train`` or
        ``item_features`` when they are not given.
    """
    specs = parse_metrics(metrics)
    if any(s.sampled is not None for s in specs):
        bad = next(s.label for s in specs if s.sampled is not None)
        raise ParameterError(
            f"{bad!r}: a recommendations file is scored as given; sampled metrics need "
            "lists ranked among sampled candidates, which a file cannot vouch for"
        )
    families = {s.name for s in specs}
    rec_src, test_src = _source(recs, "recs"), _source(test, "test")
    need_train = sorted(families & {"novelty", "arp", "coverage", "gini"})
    if need_train and train is None:
        names = ", ".join(s.label for s in specs if s.name in need_train)
        raise ParameterError(
            f"{names} need(s) the training data for item popularity and the catalog: "
            "pass train (--train FILE)"
        )
    if "ild" in families and item_features is None:
        raise ParameterError(
            "ild needs item features to compare items: pass item_features (--items FILE)"
        )
    rating = families & {"rmse", "mae"}
    pred_col = None
    recs = _require(recs, "recs", ["user", "item", "rank"])
    test = _require(test, "test", ["user", "item", *(["rating"] if rating else [])])
    if rating:
        pred_col = next((c for c in ("prediction", "score") if c in recs.columns), None)
        if pred_col is None:
            raise DataError(
                f"{rec_src}: rmse/mae need predicted ratings in a 'prediction' or 'score' "
                f"column; found {list(recs.columns)}"
            )
    if train is not None:
        train = _require(train, "train", ["user", "item"])

    parts = [test["user"], recs["user"]] + ([train["user"]] if train is not None else [])
    user_map = IdMap(pd.concat(parts, ignore_index=True))
    parts = ([train["item"]] if train is not None else []) + [test["item"], recs["item"]]
    item_map = IdMap(pd.concat(parts, ignore_index=True))
    n_items = len(item_map)

    # evaluated users: those in test, in id order
    t_user = user_map.index_of(test["user"]).astype(np.int64)
    t_item = item_map.index_of(test["item"]).astype(np.int64)
    eval_users = np.unique(t_user)
    n = len(eval_users)
    row_of = np.full(len(user_map), -1, dtype=np.int64)
    row_of[eval_users] = np.arange(n)
    t_row = row_of[t_user]
    rel_codes = np.unique(t_row * n_items + t_item)
    rel = Ragged(
        np.concatenate([[0], np.cumsum(np.bincount(rel_codes // n_items, minlength=n))]),
        rel_codes % n_items,
    )

    # recommendation lists, checked over every row
    r_user = user_map.index_of(recs["user"]).astype(np.int64)
    r_item = item_map.index_of(recs["item"]).astype(np.int64)
    rank = pd.to_numeric(recs["rank"], errors="coerce").to_numpy(np.float64)
    if not np.all(np.isfinite(rank)):
        row = int(np.flatnonzero(~np.isfinite(rank))[0])
        raise DataError(
            f"{rec_src}, row {row}, column 'rank': {recs['rank'].iloc[row]!r} is not a number"
        )
    order = np.lexsort((rank, r_user))
    su, sr, si = r_user[order], rank[order], r_item[order]
    same_user = su[1:] == su[:-1]
    dup_rank = same_user & (sr[1:] == sr[:-1])
    if dup_rank.any():
        j = int(np.flatnonzero(dup_rank)[0])
        raise DataError(
            f"{rec_src}: user {user_map.ids_of([su[j]])[0]!r} has rank {sr[j]:g} twice "
            f"(items {item_map.ids_of([si[j]])[0]!r} and {item_map.ids_of([si[j + 1]])[0]!r});"
            " ranks must be distinct within a list"
        )
    pair = r_user * n_items + r_item
    pair_order = np.argsort(pair, kind="stable")
    dup_item = pair[pair_order][1:] == pair[pair_order][:-1]
    if dup_item.any():
        j = pair_order[int(np.flatnonzero(dup_item)[0])]
        raise DataError(
            f"{rec_src}: user {user_map.ids_of([r_user[j]])[0]!r} lists item "
            f"{item_map.ids_of([r_item[j]])[0]!r} more than once; each item may appear once "
            "per list"
        )
    s_row = row_of[su]
    listed = s_row >= 0
    n_ignored_users = len(np.unique(su[~listed]))
    lists = Ragged(
        np.concatenate([[0], np.cumsum(np.bincount(s_row[listed], minlength=n))]),
        si[listed],
    )

    kwargs: dict[str, Any] = {}
    seen_codes = np.zeros(0, dtype=np.int64)
    if train is not None:
        tr_user = user_map.index_of(train["user"]).astype(np.int64)
        tr_item = item_map.index_of(train["item"]).astype(np.int64)
        tr_pairs = np.unique(tr_user * n_items + tr_item)
        kwargs["item_popularity"] = np.bincount(tr_pairs % n_items, minlength=n_items)
        kwargs["n_train_users"] = max(1, len(np.unique(tr_user)))
        tr_row = row_of[tr_pairs // n_items]
        seen_codes = np.unique(tr_row[tr_row >= 0] * n_items + tr_pairs[tr_row >= 0] % n_items)
    if "auc" in families:
        list_codes = lists.rows * n_items + lists.values
        hidden = seen_codes[~np.isin(seen_codes, np.concatenate([list_codes, rel_codes]))]
        kwargs["n_candidates"] = n_items - np.bincount(hidden // n_items, minlength=n)
    if "ild" in families:
        kwargs["item_vectors"] = _feature_matrix(item_features, item_map)
    if rating:
        p_row = row_of[r_user]
        p_codes = p_row * n_items + r_item
        ok = p_row >= 0
        p_codes, p_values = p_codes[ok], recs[pred_col].to_numpy(np.float64)[ok]
        p_sort = np.argsort(p_codes)
        p_codes, p_values = p_codes[p_sort], p_values[p_sort]
        t_codes = t_row * n_items + t_item
        t_order = np.argsort(t_codes, kind="stable")
        t_codes = t_codes[t_order]
        at = np.searchsorted(p_codes, t_codes)
        at_ok = np.minimum(at, max(len(p_codes) - 1, 0))
        found = (
            (at < len(p_codes)) & (p_codes[at_ok] == t_codes)
            if len(p_codes)
            else (np.zeros(len(t_codes), dtype=bool))
        )
        if not found.all():
            j = t_order[int(np.flatnonzero(~found)[0])]
            raise DataError(
                f"rmse/mae need a prediction for every test rating: {rec_src} has none for "
                f"{int((~found).sum())} of {len(found)} test pairs in {test_src} (e.g. user "
                f"{test['user'].iloc[j]!r}, item {test['item'].iloc[j]!r}); write predictions "
                "for the test pairs (tastemaker predict) and pass that file"
            )
        pred_values = p_values[at_ok]
        if np.isnan(pred_values).any():
            raise DataError(f"{rec_src}, column {pred_col!r}: a prediction is missing (NaN)")
        true_values = test["rating"].to_numpy(np.float64)[t_order]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(t_codes // n_items, minlength=n))])
        kwargs["ratings"] = (Ragged(indptr, pred_values), Ragged(indptr, true_values))

    result = evaluate_ranked(
        lists,
        rel,
        specs,
        n_items=n_items,
        users=user_map.ids_of(eval_users),
        **kwargs,
    )
    result.info["n_ignored_users"] = n_ignored_users
    result.info["n_ignored_rows"] = int((~listed).sum())
    logger.info(
        "evaluated %s: %d test users (%d without a list), %d list users without test items ignored",
        rec_src,
        n,
        result.info["n_users_without_list"],
        n_ignored_users,
    )
    return result
