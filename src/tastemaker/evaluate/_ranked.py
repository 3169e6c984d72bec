"""Evaluate per-user ranked lists: the one scoring path for every system.

:func:`evaluate_ranked` takes per-user item positions in rank order (from a model, a
protocol or a file), checks them, and computes each asked metric for all users at once
with the batch function its registry entry names (:mod:`tastemaker.evaluate._batch`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from tastemaker._validation import Interval, check
from tastemaker.errors import ParameterError
from tastemaker.evaluate._batch import Batch, Pooled
from tastemaker.evaluate._ragged import _to_ragged
from tastemaker.evaluate._result import EvaluationResult
from tastemaker.evaluate.metrics import MetricSpec, parse_metrics

__all__ = ["evaluate_ranked"]

logger = logging.getLogger(__name__)

_POSITIVE = Interval("int", 1)

# what a metric needs that evaluate_ranked may lack -> (what, the argument that gives it)
_GIVEN_BY = {
    "popularity": ("the training data", "item_popularity"),
    "train_users": ("the training data", "n_train_users"),
    "item_vectors": ("item vectors", "item_vectors"),
    "ratings": ("predicted and true ratings", "ratings=(predicted, actual)"),
}


def _check_positions(values: np.ndarray, n_items: int, what: str) -> None:
    if len(values) and (values.min() < 0 or values.max() >= n_items):
        bad = values[(values < 0) | (values >= n_items)][0]
        raise ParameterError(
            f"{what} holds item position {int(bad)}, outside 0..{n_items - 1} (n_items={n_items})"
        )


def _mean(values: np.ndarray) -> float:
    ok = ~np.isnan(values)
    return float(values[ok].mean()) if ok.any() else float("nan")


def _check_sampled(specs: list[MetricSpec], sampled: int | None) -> None:
    for spec in specs:
        if spec.metric.sampled:
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


def _check_needs(specs: list[MetricSpec], given: set[str]) -> None:
    """Every input a metric's registry entry needs is given, or say which argument gives it."""
    for spec in specs:
        missing = [n for n in _GIVEN_BY if n in spec.metric.needs]
        if not missing or all(n in given for n in missing):
            continue
        what = _GIVEN_BY[next(n for n in missing if n not in given)][0]
        args = [_GIVEN_BY[n][1] for n in missing if _GIVEN_BY[n][0] == what]
        raise ParameterError(f"{spec.label} needs {what}: pass {' and '.join(args)}")


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
    n_items = int(check("evaluate_ranked", "n_items", n_items, _POSITIVE))
    check("evaluate_ranked", "sampled", sampled, [_POSITIVE, None])
    _check_sampled(specs, sampled)

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

    given = {"relevant", "catalog", "scores"}
    popularity = None
    if item_popularity is not None:
        popularity = np.asarray(item_popularity, dtype=np.float64).reshape(-1)
        if len(popularity) != n_items:
            raise ParameterError(
                f"item_popularity has {len(popularity)} entries but n_items is {n_items}"
            )
        given.add("popularity")
    if n_train_users is not None:
        check("evaluate_ranked", "n_train_users", n_train_users, _POSITIVE)
        given.add("train_users")
    if item_vectors is not None:
        given.add("item_vectors")
    if ratings is not None:
        given.add("ratings")
    _check_needs(specs, given)
    rated = None
    if any("ratings" in s.metric.needs for s in specs):
        pred = _to_ragged(ratings[0], "predicted ratings", keys, np.float64)
        true = _to_ragged(ratings[1], "true ratings", keys, np.float64)
        if pred.n != n or true.n != n or not np.array_equal(pred.indptr, true.indptr):
            raise ParameterError(
                "predicted and true ratings must have one array per user, of the same lengths"
            )
        rated = (pred, true)

    K = max([s.k for s in specs if s.k is not None], default=0)
    batch = Batch(
        ranked,
        rel,
        n_items,
        K,
        user_ids=user_ids,
        item_popularity=popularity,
        n_train_users=n_train_users,
        item_vectors=item_vectors,
        n_candidates=n_candidates,
        ratings=rated,
        sampled=sampled,
    )
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
    for spec in specs:
        label = spec.label
        value = spec.metric.batch(batch, spec)
        if isinstance(value, Pooled):
            per_user[label] = value.per_user()
            summary[label] = value.summary()
            pooled[label] = (value.num, value.den, value.transform)
        elif isinstance(value, np.ndarray):
            per_user[label] = value
            summary[label] = _mean(value)
        else:  # a global metric: one value for all lists
            summary[label] = float(value)

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
