"""Recommendation and test frames from any system, scored by the same metric code.

:func:`evaluate_recommendations` reads a recommendations frame (``tastemaker evaluate
--recs``), checks it row by row, turns it and the test (and training) frames into
per-user item positions and hands them to :func:`~tastemaker.evaluate.evaluate_ranked`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tastemaker.data._idmap import IdMap
from tastemaker.errors import DataError, ParameterError
from tastemaker.evaluate._ragged import Ragged
from tastemaker.evaluate._ranked import evaluate_ranked
from tastemaker.evaluate._result import EvaluationResult
from tastemaker.evaluate.metrics import MetricSpec, parse_metrics
from tastemaker.features import MultiHotEncoder

__all__ = ["evaluate_recommendations"]

logger = logging.getLogger(__name__)


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
        Item table keyed by an ``item`` column or index, for ``ild``, encoded by
        :class:`~tastemaker.features.MultiHotEncoder`: text and list columns as
        multi-hot indicators (``"Action|Comedy"`` splits on ``|``), numeric columns as
        they are.

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
    rec_src, test_src = _source(recs, "recs"), _source(test, "test")

    def needing(*needs: str) -> list[str]:
        return [s.label for s in specs if s.metric.needs & set(needs)]

    need_train = needing("popularity", "train_users", "catalog")
    if need_train and train is None:
        raise ParameterError(
            f"{', '.join(need_train)} need(s) the training data for item popularity and the "
            "catalog: pass train (--train FILE)"
        )
    need_vectors = needing("item_vectors")
    if need_vectors and item_features is None:
        raise ParameterError(
            f"{', '.join(need_vectors)} need(s) item features to compare items: pass "
            "item_features (--items FILE)"
        )
    rating = bool(needing("ratings"))
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
    if needing("scores"):
        list_codes = lists.rows * n_items + lists.values
        hidden = seen_codes[~np.isin(seen_codes, np.concatenate([list_codes, rel_codes]))]
        kwargs["n_candidates"] = n_items - np.bincount(hidden // n_items, minlength=n)
    if need_vectors:
        encoder = MultiHotEncoder(remainder="passthrough", dtype=np.float64)
        kwargs["item_vectors"] = encoder.fit_transform(item_features, ids=item_map)
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
