"""The experiment runner: split a dataset by a protocol, fit each model, evaluate, compare.

:func:`evaluate_models` is the one loop behind ``tastemaker evaluate --models`` and the
demo; it uses models only through the Recommender protocol (``clone``, ``fit``,
``get_params``/``set_params`` and what :func:`~tastemaker.evaluate.evaluate_model` calls).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tastemaker._progress import progress, status
from tastemaker._validation import SEED, Interval, check
from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.evaluate.metrics import parse_metric, parse_metrics
from tastemaker.evaluate.protocols import evaluate_model
from tastemaker.evaluate.stats import paired_test

__all__ = [
    "DEFAULT_METRICS",
    "ITEM_CATEGORY_COLUMNS",
    "OFFICIAL_FOLDS",
    "EvaluationRun",
    "check_protocol",
    "evaluate_models",
    "item_category_vectors",
    "make_splits",
]

logger = logging.getLogger(__name__)

DEFAULT_METRICS = (
    "ndcg@10",
    "recall@10",
    "precision@10",
    "map@10",
    "mrr@10",
    "hit@10",
    "coverage@10",
    "novelty@10",
    "arp@10",
    "gini@10",
)
"""Metrics of a run when none are asked for."""

OFFICIAL_FOLDS = {"ml100k-u": "u", "ml100k-ua": "ua", "ml100k-ub": "ub"}
"""Protocols that use MovieLens-100K's official split files (u1-u5, ua, ub)."""

ITEM_CATEGORY_COLUMNS = ("genres", "category", "categories", "tags")
"""Item-table columns tried, in this order, for the item vectors of ``ild@k``."""


@dataclass
class EvaluationRun:
    """The result of :func:`evaluate_models`.

    Attributes
    ----------
    leaderboard : DataFrame
        Tidy rows: model, metric, value, ci_low, ci_high, n_users. One split: 95%
        bootstrap intervals over users. Several folds: the mean over folds with a 95%
        t-interval across folds.
    folds : DataFrame
        model, fold, metric, value: each fold's result.
    per_user : dict of str -> DataFrame
        Per-user metric values of each model, with a ``fold`` column.
    timings : DataFrame
        model, fold, fit_seconds, eval_seconds.
    models : dict of str -> Recommender
        The fitted models (of the last fold).
    splits : list of Split
    protocol : str
    metrics : list of str
        The metric labels asked for (after dropping those the data cannot support).
    """

    leaderboard: pd.DataFrame
    folds: pd.DataFrame
    per_user: dict[str, pd.DataFrame]
    timings: pd.DataFrame
    models: dict[str, Any]
    splits: list[Any]
    protocol: str
    metrics: list[str] = field(default_factory=list)

    @property
    def split(self):
        """The (last) split."""
        return self.splits[-1]

    def compare(self, a: str, b: str, metric: str = "ndcg@10", method: str = "t"):
        """Paired test of models ``a`` and ``b`` on ``metric`` over the same users (and
        folds): :class:`tastemaker.evaluate.stats.PairedTestResult`."""

        def values(name: str) -> pd.Series:
            if name not in self.per_user:
                raise ParameterError(f"no model {name!r} in this run: {list(self.per_user)}")
            frame = self.per_user[name]
            if metric not in frame.columns:
                raise ParameterError(f"no per-user values of {metric!r} for {name}")
            key = frame["fold"].astype(str) + ":" + frame["user"].astype(str)
            return pd.Series(frame[metric].to_numpy(), index=key)

        return paired_test(values(a), values(b), method=method)

    def comparisons(self, metric: str = "ndcg@10", method: str = "t") -> pd.DataFrame:
        """Each model against the best on ``metric``: paired differences (best - other),
        95% interval and p-value over the same users."""
        board = self.leaderboard[self.leaderboard["metric"] == metric]
        if board.empty or len(board) < 2:
            return pd.DataFrame(
                columns=["best", "model", "metric", "mean_diff", "ci_low", "ci_high", "p_value"]
            )
        lower = not parse_metric(metric).higher_is_better
        best = board.sort_values("value", ascending=lower)["model"].iloc[0]
        rows = []
        for other in board["model"]:
            if other == best:
                continue
            res = self.compare(best, other, metric, method)
            rows.append(
                {
                    "best": best,
                    "model": other,
                    "metric": metric,
                    "mean_diff": res.mean_diff,
                    "ci_low": res.ci_low,
                    "ci_high": res.ci_high,
                    "p_value": res.p_value,
                    "n": res.n,
                }
            )
        return pd.DataFrame(rows)


def _official_protocol_error(protocol: str) -> ParameterError:
    return ParameterError(
        f"unknown protocol {protocol!r}; official MovieLens-100K protocols: "
        "ml100k-u (u1-u5), ml100k-u1 ... ml100k-u5, ml100k-ua, ml100k-ub"
    )


def check_protocol(protocol: str) -> None:
    """Raise ParameterError for an unknown protocol name, before any data is read."""
    if protocol.startswith("ml100k-"):
        valid = {*OFFICIAL_FOLDS, *(f"ml100k-u{k}" for k in range(1, 6))}
        if protocol not in valid:
            raise _official_protocol_error(protocol)
        return
    from tastemaker.data import make_splitter

    make_splitter(protocol)


def make_splits(data: Dataset, protocol: str, random_state: int = 42) -> list[Any]:
    """The splits of ``protocol``: one for hold-out protocols, k for k-fold ones.

    ``ml100k-u`` (the official five folds u1-u5), ``ml100k-u1`` ... ``ml100k-u5``,
    ``ml100k-ua`` and ``ml100k-ub`` read MovieLens-100K's split files; everything else
    is :func:`tastemaker.data.make_splitter`.
    """
    from tastemaker.data import make_splitter, ml100k_folds

    if protocol.startswith("ml100k-"):
        if data.name != "ml-100k":
            raise ParameterError(f"protocol {protocol!r} needs --dataset ml-100k, not {data.name}")
        fold = protocol.removeprefix("ml100k-")
        if protocol in OFFICIAL_FOLDS:
            return ml100k_folds(which=OFFICIAL_FOLDS[protocol])
        if fold in {f"u{k}" for k in range(1, 6)}:
            return [ml100k_folds(which="u")[int(fold[1]) - 1]]
        raise _official_protocol_error(protocol)
    splitter = make_splitter(protocol, random_state=random_state)
    if hasattr(splitter, "split"):
        return list(splitter.split(data))
    return [splitter(data)]


def item_category_vectors(data: Dataset):
    """Multi-hot vectors of the catalog (``data.item_map`` order) from the first of
    :data:`ITEM_CATEGORY_COLUMNS` in the item table that has any value; None without one.
    """
    from tastemaker.features import MultiHotEncoder

    if data.items is None:
        return None
    for col in ITEM_CATEGORY_COLUMNS:
        if col in data.items.columns:
            encoder = MultiHotEncoder(columns=col).fit(data.items)
            if encoder.vocabulary_[col]:
                return encoder.transform(data.items, ids=data.item_map)
    return None


def _templates(
    models: Sequence[Any] | Mapping[str, Any], params: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, Any]:
    """Label -> unfitted model, every name and parameter checked before any work."""
    from tastemaker.models import create_model

    entries = list(models.items()) if isinstance(models, Mapping) else None
    if entries is None:
        if isinstance(models, str):
            models = [models]
        entries = [(m if isinstance(m, str) else m.name, m) for m in models]
    if not entries:
        raise ParameterError("no models to evaluate; give at least one model name")
    params = dict(params or {})
    templates: dict[str, Any] = {}
    for label, model in entries:
        if label in templates:
            raise ParameterError(
                f"model {label!r} appears twice; give each model once (or a mapping "
                "label -> model to compare two settings of one model)"
            )
        if isinstance(model, str):
            templates[label] = create_model(model, **params.pop(label, {}))
        else:
            if label in params:
                raise ParameterError(
                    f"params[{label!r}]: {label} is given as a model, not a name; set its "
                    "parameters on the model"
                )
            templates[label] = model.clone()
    if params:
        raise ParameterError(
            f"params name model(s) {sorted(params)} that are not in this run: {list(templates)}"
        )
    return templates


def evaluate_models(
    data: Dataset,
    models: Sequence[Any] | Mapping[str, Any],
    *,
    protocol: str = "random-80-20",
    metrics: Sequence[str] | None = None,
    random_state: int = 42,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    n_boot: int = 1000,
) -> EvaluationRun:
    """Split ``data`` by ``protocol``, fit each model on train and evaluate on test.

    Parameters
    ----------
    data : Dataset
    models : sequence of names or models, or mapping label -> name or model
        Registry names (``"als"``) or unfitted models (each fold fits a clone); a mapping
        labels them, e.g. ``{"als": "als", "als-tuned": ALS(n_factors=128)}``.
    protocol : str, default="random-80-20"
        See :func:`make_splits`.
    metrics : sequence of str, optional
        Default :data:`DEFAULT_METRICS`. Rating metrics (rmse, mae) are added for rating
        models when the data has ratings; ``ild@k`` needs an item table with one of
        :data:`ITEM_CATEGORY_COLUMNS` and is dropped, with a warning, without one.
    random_state : int, default=42
        Seed of the split, of every seeded model whose ``random_state`` is its default
        (``Recommender.seed_unless_set``), and of the bootstrap
        intervals.
    params : mapping of label -> mapping, optional
        Parameters (typed values) of models given by name.
    n_boot : int, default=1000
        Bootstrap resamples of the intervals (one split).

    Raises
    ------
    ParameterError
        An unknown model, parameter, metric or protocol: before any data is split.
    """
    check("evaluate_models", "random_state", random_state, SEED)
    check("evaluate_models", "n_boot", n_boot, Interval("int", 1))
    metrics = [spec.label for spec in parse_metrics(list(metrics or DEFAULT_METRICS))]
    check_protocol(protocol)
    templates = _templates(models, params)  # fail on a typo before any work
    with status(f"splitting {data.name} ({protocol})"):
        splits = make_splits(data, protocol, random_state)
    item_vectors = item_category_vectors(data)
    if item_vectors is None:
        dropped = [m for m in metrics if parse_metric(m).metric.needs & {"item_vectors"}]
        if dropped:
            logger.warning(
                "%s left out: %s has no item table with a %s column to compare items by",
                ", ".join(dropped),
                data.name,
                "/".join(ITEM_CATEGORY_COLUMNS),
            )
        metrics = [m for m in metrics if m not in dropped]
    tables, folds, per_user, timings, fitted = [], [], {}, [], {}
    jobs = [(f, label) for f in range(len(splits)) for label in templates]
    for fold, label in progress(jobs, desc="fitting and evaluating"):
        split = splits[fold]
        model = templates[label].clone()
        model.seed_unless_set(random_state)  # the run's seed seeds its models
        start = time.perf_counter()
        model.fit(split.train)
        fit_seconds = time.perf_counter() - start
        wanted = list(metrics)
        cold_start = split.history is not None or split.candidates is not None
        if model.tags.predicts_ratings and split.train.has_ratings and not cold_start:
            wanted += [m for m in ("rmse", "mae") if m not in wanted]
        start = time.perf_counter()
        result = evaluate_model(
            model,
            split.train,
            split.test,
            wanted,
            item_vectors=item_vectors,
            candidates=split.candidates,
            history=split.history,
        )
        eval_seconds = time.perf_counter() - start
        if len(splits) == 1:
            tables.append(result.with_ci(n_boot=n_boot, random_state=random_state, model=label))
        for metric, value in result.summary.items():
            folds.append({"model": label, "fold": fold + 1, "metric": metric, "value": value})
        per_user.setdefault(label, []).append(result.per_user.assign(fold=fold + 1))
        timings.append(
            {
                "model": label,
                "fold": fold + 1,
                "fit_seconds": fit_seconds,
                "eval_seconds": eval_seconds,
            }
        )
        fitted[label] = model
        logger.info(
            "%s (fold %d): fit %.1fs, evaluation %.1fs", label, fold + 1, fit_seconds, eval_seconds
        )
    fold_frame = pd.DataFrame(folds)
    per_user_frames = {
        name: pd.concat(frames, ignore_index=True) for name, frames in per_user.items()
    }
    if len(splits) == 1:
        leaderboard = pd.concat(tables, ignore_index=True)
    else:
        leaderboard = _across_folds(fold_frame, per_user_frames)
    return EvaluationRun(
        leaderboard=leaderboard,
        folds=fold_frame,
        per_user=per_user_frames,
        timings=pd.DataFrame(timings),
        models=fitted,
        splits=splits,
        protocol=protocol,
        metrics=metrics,
    )


def _across_folds(folds: pd.DataFrame, per_user: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Mean over folds with a 95% t-interval across folds (``scipy.stats.t.interval``)."""
    from scipy import stats as sps

    rows = []
    for (model, metric), group in folds.groupby(["model", "metric"], sort=False):
        values = group["value"].to_numpy(np.float64)
        n = len(values)
        mean = float(np.mean(values))
        low = high = np.nan
        if n > 1:
            sem = float(np.std(values, ddof=1) / np.sqrt(n))
            low, high = mean, mean  # equal folds: no spread (t.interval needs a scale > 0)
            if sem > 0:
                low, high = (float(x) for x in sps.t.interval(0.95, n - 1, loc=mean, scale=sem))
        users = per_user[model]
        n_users = int(users[metric].notna().sum()) if metric in users.columns else len(users)
        rows.append(
            {
                "model": model,
                "metric": metric,
                "value": mean,
                "ci_low": low,
                "ci_high": high,
                "n_users": n_users,
            }
        )
    return pd.DataFrame(rows)
