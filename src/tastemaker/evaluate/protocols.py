"""Evaluate a fitted model on held-out data: the one code path for every model.

The model is used only through the Recommender protocol (``recommend``, ``score``,
``seen``, ``predict``, ``tags``, ``items_``): lists come from ``recommend`` with seen items
excluded, exactly as served, and are scored by :func:`evaluate_ranked`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tastemaker._validation import Interval, check
from tastemaker.data import Dataset
from tastemaker.errors import DataError, ParameterError
from tastemaker.evaluate._ragged import Ragged
from tastemaker.evaluate._ranked import evaluate_ranked
from tastemaker.evaluate._result import EvaluationResult
from tastemaker.evaluate.metrics import MetricSpec, parse_metrics

__all__ = ["evaluate_model", "relevant_items"]

logger = logging.getLogger(__name__)

_SCORE_BLOCK = 1024
"""Users scored at once for score-based metrics (memory: this many x n_items float32)."""


def relevant_items(
    test: Dataset, item_ids: np.ndarray, relevance_threshold: float | None = None
) -> tuple[np.ndarray, Ragged, pd.DataFrame]:
    """Test users (sorted), their relevant item positions in ``item_ids`` order, and the
    relevant rows. Items outside the catalog get positions after it: they count in
    recall's denominator but can never be hit.
    """
    frame = test.interactions
    if relevance_threshold is not None:
        if not test.has_ratings:
            raise DataError("a relevance threshold needs a 'rating' column in the test data")
        frame = frame[frame["rating"] >= relevance_threshold]
    if frame.empty:
        raise DataError(f"{test.name} has no relevant test interactions to evaluate")
    catalog = pd.Index(item_ids)
    pos = catalog.get_indexer(frame["item"])
    unknown = pos < 0
    if unknown.any():
        extra = pd.Index(pd.unique(frame["item"][unknown]))
        pos[unknown] = len(catalog) + extra.get_indexer(frame["item"][unknown])
    pairs = pd.DataFrame({"user": frame["user"].to_numpy(), "pos": pos}).drop_duplicates()
    codes, users = pd.factorize(pairs["user"], sort=True)
    order = np.lexsort((pairs["pos"].to_numpy(), codes))
    lengths = np.bincount(codes, minlength=len(users))
    relevant = Ragged(np.r_[0, np.cumsum(lengths)], pairs["pos"].to_numpy()[order])
    return np.asarray(users, dtype=object), relevant, frame


def _from_scores(
    model: Any, users: np.ndarray, relevant: Ragged, specs: list[MetricSpec]
) -> dict[str, np.ndarray]:
    """Per-user values of the metrics computed from the model's scores over the catalog
    (registry entries with ``from_scores``, e.g. AUC): the candidates are the catalog
    minus the user's training items, and tied scores count 1/2 whatever order
    ``recommend`` gives them."""
    n_catalog = model.n_items
    out = {spec.label: np.full(len(users), np.nan) for spec in specs}
    for start in range(0, len(users), _SCORE_BLOCK):
        block_users = users[start : start + _SCORE_BLOCK].tolist()
        block = model.score(block_users)
        seen = model.seen(block_users)
        for row, scores in enumerate(block):
            u = start + row
            mask = np.ones(n_catalog, dtype=bool)
            mask[seen.indices[seen.indptr[row] : seen.indptr[row + 1]]] = False
            rel = relevant[u]
            for spec in specs:
                out[spec.label][u] = spec.metric.from_scores(scores, rel[rel < n_catalog], mask)
    return out


def _recommend(
    model: Any, users: np.ndarray, k: int, candidates: Any, history: Dataset | None
) -> tuple[Any, pd.DataFrame]:
    """The top-``k`` lists of ``users`` as served: the Recommendations and their frame.

    With a revealed ``history``, fold-in models rank each user from those events alone;
    other models rank them as ``recommend`` does, asked for more items so that the
    revealed ones can be dropped and ``k`` still remain.
    """
    items = None if candidates is None else list(candidates)
    if history is None:
        recommendations = model.recommend(users.tolist(), k=k, items=items)
        return recommendations, recommendations.to_frame()
    revealed = history.interactions[["user", "item"]]
    revealed = revealed[revealed["user"].isin(set(users.tolist()))]
    if model.tags.folds_in:
        recommendations = model.recommend_history(revealed, k=k, items=items, combine=False)
        return recommendations, recommendations.to_frame()
    extra = int(revealed.groupby("user").size().max()) if len(revealed) else 0
    recommendations = model.recommend(users.tolist(), k=k + extra, items=items)
    recs = recommendations.to_frame()
    drop = pd.MultiIndex.from_frame(revealed.astype({"user": object, "item": object}))
    shown = pd.MultiIndex.from_frame(recs[["user", "item"]].astype(object))
    recs = recs[~shown.isin(drop)]
    recs = recs[recs.groupby("user", sort=False).cumcount() < k]
    return recommendations, recs.reset_index(drop=True)


def evaluate_model(
    model: Any,
    train: Dataset,
    test: Dataset,
    metrics: Sequence[str],
    *,
    item_vectors: Any = None,
    relevance_threshold: float | None = None,
    candidates: Any = None,
    history: Dataset | None = None,
) -> EvaluationResult:
    """Score ``model`` (fitted on ``train``) on ``test`` with full ranking.

    Every test user with at least one relevant item is evaluated; users unknown to the
    model get its fallback, as in serving. Each list ranks every catalog item
    (``model.items_``) except the user's training items. ``auc`` compares the scores
    (``model.score``) of relevant and other candidates, ties counting 1/2; relevant
    items outside the candidates (seen in training, not in the catalog) are left out of
    it. ``rmse``/``mae`` need a rating model and test ratings.

    Parameters
    ----------
    model : Recommender
        Fitted on ``train``.
    train, test : Dataset
        Training data (for popularity-based metrics) and held-out interactions.
    metrics : sequence of str
        Metric names, e.g. ``["ndcg@10", "recall@20", "coverage@10", "rmse"]``.
    item_vectors : array or sparse matrix of shape (n_items, d), optional
        Item features in catalog order, for ``ild@k``.
    relevance_threshold : float, optional
        Only test rows with ``rating >= threshold`` are relevant.
    candidates : iterable of item ids, optional
        Rank only these items (``recommend(..., items=candidates)``): the cold-item
        protocol's held-out items (``Split.candidates``).
    history : Dataset, optional
        Events revealed at recommendation time (``Split.history``, the new-user
        protocol): the test users are ranked from these events alone through
        ``recommend_history(..., combine=False)`` when the model folds in; otherwise
        they get what ``recommend`` gives them (for users with no training history, the
        popularity fallback). Either way the revealed items are never recommended.
        Metrics of the scores (``auc``) are not available with ``candidates`` or
        ``history``.
    """
    specs = parse_metrics(metrics)
    check("evaluate_model", "relevance_threshold", relevance_threshold, [Interval("real"), None])
    item_ids = model.items_.ids
    users, relevant, rel_frame = relevant_items(test, item_ids, relevance_threshold)
    n_items = max(len(item_ids), int(relevant.values.max()) + 1)
    by_scores = [s for s in specs if s.metric.from_scores is not None]
    by_lists = [s for s in specs if s.metric.from_scores is None]
    k = max([s.k for s in specs if s.k is not None], default=1)
    if by_scores and (candidates is not None or history is not None):
        raise ParameterError(
            f"{', '.join(s.label for s in by_scores)} cannot be computed on a cold-start "
            "split (candidates or revealed history); use ranking metrics such as ndcg@10"
        )
    recommendations, recs = _recommend(model, users, k, candidates, history)
    rec_codes = pd.Index(users).get_indexer(recs["user"].tolist())
    by_user = np.argsort(rec_codes, kind="stable")  # recommend_history: first-seen order
    rec_codes = rec_codes[by_user]
    rec_pos = pd.Index(item_ids).get_indexer(recs["item"])[by_user]
    lengths = np.bincount(rec_codes, minlength=len(users))
    lists = Ragged(np.r_[0, np.cumsum(lengths)], rec_pos)

    binary = train.user_item_matrix("binary")
    popularity = np.zeros(n_items)
    train_pop = np.asarray(binary.sum(axis=0)).ravel()
    train_pos = pd.Index(item_ids).get_indexer(train.item_map.ids)
    popularity[train_pos[train_pos >= 0]] = train_pop[train_pos >= 0]
    n_train_users = int(np.count_nonzero(np.diff(binary.indptr)))

    ratings = None
    if any("ratings" in s.metric.needs for s in specs):
        if not model.tags.predicts_ratings:
            raise DataError(f"{model.name} does not predict ratings; drop rmse/mae")
        if "rating" not in rel_frame.columns:
            raise DataError(f"{test.name} has no ratings for rmse/mae")
        frame = test.interactions if relevance_threshold is None else rel_frame
        frame = frame[frame["user"].isin(set(users.tolist()))]
        codes = pd.Index(users).get_indexer(frame["user"])
        order = np.argsort(codes, kind="stable")
        pred = model.predict(frame[["user", "item"]])[order]
        true = frame["rating"].to_numpy(np.float64)[order]
        counts = np.bincount(codes, minlength=len(users))
        indptr = np.r_[0, np.cumsum(counts)]
        ratings = (Ragged(indptr, pred.astype(np.float64)), Ragged(indptr, true))

    vectors = item_vectors
    if vectors is not None and vectors.shape[0] < n_items:
        import scipy.sparse as sp

        pad = n_items - vectors.shape[0]
        vectors = sp.vstack([sp.csr_array(vectors), sp.csr_array((pad, vectors.shape[1]))])
    labels = [s.label for s in specs]
    if by_lists:
        result = evaluate_ranked(
            lists,
            relevant,
            by_lists,
            n_items=n_items,
            users=users,
            item_popularity=popularity,
            n_train_users=max(n_train_users, 1),
            item_vectors=vectors,
            ratings=ratings,
        )
    else:  # only metrics of the scores
        result = EvaluationResult(
            per_user=pd.DataFrame({"user": users}),
            summary={},
            n_users=len(users),
            metrics=[],
            info={"n_users_without_list": int(np.sum(lists.lengths == 0))},
        )
    if by_scores:
        for label, values in _from_scores(model, users, relevant, by_scores).items():
            result.per_user[label] = values
            result.summary[label] = (
                float(np.nanmean(values)) if np.any(~np.isnan(values)) else np.nan
            )
        result.summary = {label: result.summary[label] for label in labels}
        result.metrics = labels
    result.info["n_fallback_users"] = len(recommendations.fallback)
    result.info["catalog_size"] = len(item_ids)
    return result
