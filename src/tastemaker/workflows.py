"""End-to-end steps shared by the command line, the service and the examples.

Each function takes plain values (paths, names, parameters), does one job and returns
its result; the CLI only parses arguments and prints.
"""

from __future__ import annotations

import logging
import sys
import time
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tastemaker._progress import progress, status
from tastemaker.data import Dataset
from tastemaker.errors import DataError, DataWarning, ParameterError, hint

__all__ = [
    "EvaluationRun",
    "build_model",
    "coerce_params",
    "evaluate_models",
    "evaluate_recs_file",
    "load_data",
    "make_splits",
    "predict_file",
    "read_config",
    "recommend_users",
    "train_model",
]

logger = logging.getLogger(__name__)


# -- data ---------------------------------------------------------------------------
def load_data(
    data: str | Path | None = None,
    dataset: str | None = None,
    *,
    items: str | Path | None = None,
    users: str | Path | None = None,
    sep: str | None = None,
    columns: Mapping[str, str] | None = None,
    duplicates: str = "keep",
    rating_threshold: float | None = None,
    event_weights: Mapping[str, float] | bool | None = None,
    half_life_days: float | None = None,
    min_interactions: int | None = None,
    rating_range: tuple[float, float] | str | None = None,
) -> Dataset:
    """An interaction file (``data``) or a named dataset (``dataset``), with side tables,
    cleaned in this order: duplicates (on read), ``rating_range`` (ratings outside it are
    an error; a pair ``(low, high)``, or the command line's text ``"low,high"``),
    ``rating_threshold`` (keep ratings >= it as implicit interactions), ``event_weights``
    (True for the defaults, or a mapping giving every event type of the data a weight;
    see :func:`tastemaker.data.event_weights`), ``half_life_days`` (recency decay of
    weights), ``min_interactions`` (k-core on users and items). Every dropped row is
    counted in ``data.report``; the report's notes and warnings are logged once."""
    from tastemaker.data import _ratings, load_dataset, read_interactions, read_table

    if (data is None) == (dataset is None):
        raise ParameterError(
            hint(
                python="give exactly one of data (a file) or dataset (a name)",
                cli="give exactly one of --data FILE or --dataset NAME",
            )
        )
    if dataset is not None and (sep is not None or columns):
        raise ParameterError(
            hint(
                python="sep and columns describe a data file; drop them with dataset",
                cli="--sep and --columns describe a --data file; drop them with --dataset",
            )
        )
    if isinstance(rating_range, str):
        rating_range = _parsed_range(rating_range)
    if rating_range is not None:
        rating_range = _ratings.check_rating_range(rating_range, owner="load_data")
    # warnings become one log line each below (the report holds them)
    with status(f"loading {data or dataset}"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        if dataset is not None:
            loaded = load_dataset(dataset)
            if rating_range is not None:
                _check_rating_range(loaded, rating_range)
        else:
            loaded = read_interactions(
                data, columns=columns, sep=sep, duplicates=duplicates, rating_range=rating_range
            )
        if items is not None or users is not None:
            loaded = Dataset(
                loaded.interactions,
                items=read_table(items, "item") if items is not None else loaded.items,
                users=read_table(users, "user") if users is not None else loaded.users,
                name=loaded.name,
                report=loaded.report,
                extras=loaded.extras,
            )
        for note in loaded.report.notes:  # what reading did; cleaning steps log their own
            logger.info("%s: %s", loaded.name, note)
        loaded = _clean(loaded, rating_threshold, event_weights, half_life_days, min_interactions)
    report = loaded.report
    for message in report.warnings:
        logger.warning("%s", message)
    if report.n_dropped or report.n_merged:
        logger.warning("%s", report.summary())
    if data is not None:
        logger.info(
            "loaded %s: %d interactions, %d users, %d items",
            loaded.name,
            loaded.n_interactions,
            loaded.n_users,
            loaded.n_items,
        )
    return loaded


def _parsed_range(text: str) -> tuple[float, float] | str:
    """``"1,5"`` -> ``(1.0, 5.0)``; text that is not two numbers is returned as it is, for
    the range check to refuse in its one wording."""
    parts = text.split(",")
    try:
        low, high = (float(part) for part in parts)
    except ValueError:
        return text
    return low, high


def _check_rating_range(data: Dataset, rating_range: tuple[float, float]) -> None:
    from tastemaker.data import _ratings

    if not data.has_ratings:
        return
    ratings = data.interactions["rating"].to_numpy()
    outside = _ratings.out_of_range(ratings, rating_range)
    if outside.any():
        raise _ratings.range_error(
            ratings, outside, rating_range, lambda p: f"row {p}", f'{data.name}, column "rating"'
        )


def _clean(data, rating_threshold, event_weights, half_life_days, min_interactions) -> Dataset:
    from tastemaker.data import _cleaning

    if rating_threshold is not None:
        data = _cleaning.binarize(data, threshold=rating_threshold)
    if event_weights is not None and event_weights is not False:
        weights = None if event_weights is True else dict(event_weights)
        data = _cleaning.event_weights(data, weights=weights)
    elif (message := _cleaning.unweighted_events_message(data)) is not None:
        logger.info("%s", message)
    if half_life_days is not None:
        data = _cleaning.recency_decay(data, half_life_days=half_life_days)
    if min_interactions is not None:
        data = _cleaning.k_core(
            data, min_user_interactions=min_interactions, min_item_interactions=min_interactions
        )
    return data


# -- parameters ---------------------------------------------------------------------
def coerce_params(model_name: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters for ``model_name`` with string values (from ``--set``) typed by the
    defaults in the model's signature; unknown names raise ParameterError."""
    from tastemaker.models import get_model_class
    from tastemaker.models.base import _unknown_param_message

    cls = get_model_class(model_name)
    defaults = cls.param_defaults()
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in defaults:
            raise ParameterError(_unknown_param_message(model_name, key, list(defaults)))
        out[key] = (
            _coerce(model_name, key, value, defaults[key]) if isinstance(value, str) else value
        )
    return out


def _coerce(model: str, key: str, text: str, default: Any) -> Any:
    if isinstance(default, str):  # string options ("none" included) stay strings
        return text
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    try:
        if isinstance(default, bool):
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
            raise ValueError(text)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if default is None:  # untyped default: best effort
            for cast in (int, float):
                try:
                    return cast(text)
                except ValueError:
                    pass
    except ValueError as err:
        kind = type(default).__name__
        raise ParameterError(f"{model}: parameter {key!r} expects {kind}, got {text!r}") from err
    return text


def parse_overrides(pairs: Sequence[str] | None) -> dict[str, str]:
    """``["n_factors=64", ...]`` -> ``{"n_factors": "64"}``."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def read_config(path: str | Path) -> tuple[str | None, dict[str, Any]]:
    """``(model name or None, params)`` from a TOML file written by ``tune``.

    The file holds ``model = "name"`` and a ``[params]`` table (or params at top level).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"config file {path} does not exist")
    try:
        doc = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise DataError(f"{path} is not valid TOML: {err}") from err
    model = doc.get("model")
    params = doc.get(
        "params", {k: v for k, v in doc.items() if k not in ("model", "metric", "value")}
    )
    if not isinstance(params, dict):
        raise DataError(f"{path}: [params] must be a table of parameter = value")
    return model, params


# -- train / recommend / predict ------------------------------------------------------
def build_model(
    model_name: str | None,
    params: Mapping[str, Any] | None = None,
    config: str | Path | None = None,
):
    """An unfitted model from a name, ``--set`` overrides and/or a TOML config.

    Everything is checked here, before any data is read: unknown model, unknown
    parameter, a value of the wrong type, a config naming another model.
    """
    from tastemaker.models import create_model

    merged: dict[str, Any] = {}
    if config is not None:
        config_model, config_params = read_config(config)
        if model_name is None:
            model_name = config_model
        elif config_model is not None and config_model != model_name:
            raise ParameterError(
                f"--model {model_name} disagrees with model = {config_model!r} in {config}"
            )
        merged.update(config_params)
    if model_name is None:
        raise ParameterError("no model given: pass --model NAME (see `tastemaker models`)")
    merged.update(params or {})
    return create_model(model_name, **coerce_params(model_name, merged))


def train_model(
    model_name: str | None,
    data: Dataset,
    out: str | Path | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    config: str | Path | None = None,
):
    """Fit ``model_name`` on ``data``; save it to ``out`` when given."""
    model = build_model(model_name, params, config)
    with status(f"fitting {model.name}"):
        model.fit(data)
    if out is not None:
        model.save(out)
    return model


def _read_id_column(path: str | Path, column: str) -> list[Any]:
    from tastemaker.data import read_frame

    frame = read_frame(path, required=(column,))
    values = frame[column]
    if values.isna().any():
        line = int(np.flatnonzero(values.isna().to_numpy())[0]) + 2
        raise DataError(f"{path}, line {line}, column {column!r}: the id is empty")
    return values.tolist()


def recommend_users(
    model_dir: str | Path,
    *,
    users_file: str | Path | None = None,
    all_users: bool = False,
    users: Sequence[Any] | None = None,
    k: int = 10,
    candidates_file: str | Path | None = None,
    exclude_seen: bool = True,
    explain: bool = False,
) -> pd.DataFrame:
    """Recommendations from a saved model for the users in a file, all users, or a list."""
    import tastemaker

    model = tastemaker.load(model_dir)
    sources = sum(x is not None and x is not False for x in (users_file, users, all_users or None))
    if sources != 1:
        raise ParameterError("give exactly one of --users FILE or --all")
    if users_file is not None:
        users = _read_id_column(users_file, "user")
    elif all_users:
        lengths = np.diff(model.seen_.indptr)
        users = model.users_.ids[lengths > 0].tolist()
    candidates = _read_id_column(candidates_file, "item") if candidates_file else None
    recs = model.recommend(users, k=k, exclude_seen=exclude_seen, items=candidates)
    if explain:
        from tastemaker.explain import CoOccurrenceExplainer

        attrs = dict(recs.attrs)
        recs = CoOccurrenceExplainer(model)(recs)
        recs.attrs.update(attrs)
    return recs


def predict_file(model_dir: str | Path, pairs_file: str | Path) -> pd.DataFrame:
    """``user,item,prediction`` for the pairs in a file."""
    import tastemaker
    from tastemaker.data import read_frame

    model = tastemaker.load(model_dir)
    pairs = read_frame(pairs_file, required=("user", "item"))
    out = pairs[["user", "item"]].copy()
    out["prediction"] = model.predict(out)
    return out


# -- evaluation -----------------------------------------------------------------------
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
        from tastemaker.evaluate import paired_test

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
        from tastemaker.evaluate.report import LOWER_IS_BETTER

        lower = metric.split("@")[0] in LOWER_IS_BETTER
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

OFFICIAL_FOLDS = {"ml100k-u": "u", "ml100k-ua": "ua", "ml100k-ub": "ub"}
"""Protocols that use MovieLens-100K's official split files (u1-u5, ua, ub)."""


def check_protocol(protocol: str) -> None:
    """Raise ParameterError for an unknown protocol name, before any data is read."""
    if protocol.startswith("ml100k-"):
        valid = {*OFFICIAL_FOLDS, *(f"ml100k-u{k}" for k in range(1, 6))}
        if protocol not in valid:
            raise ParameterError(
                f"unknown protocol {protocol!r}; official MovieLens-100K protocols: "
                "ml100k-u (u1-u5), ml100k-u1 ... ml100k-u5, ml100k-ua, ml100k-ub"
            )
        return
    from tastemaker.data import make_splitter

    make_splitter(protocol)


def make_splits(data: Dataset, protocol: str, random_state: int = 42) -> list[Any]:
    """The splits of ``protocol``: one for hold-out protocols, k for k-fold ones.

    ``ml100k-u`` (the official five folds u1-u5), ``ml100k-u1`` ... ``ml100k-u5``,
    ``ml100k-ua`` and ``ml100k-ub`` read MovieLens-100K's split files; everything else
    is :func:`tastemaker.data.make_splitter`.
    """
    from tastemaker.data import ml100k_folds

    if protocol.startswith("ml100k-"):
        if data.name != "ml-100k":
            raise ParameterError(f"protocol {protocol!r} needs --dataset ml-100k, not {data.name}")
        fold = protocol.removeprefix("ml100k-")
        if protocol in OFFICIAL_FOLDS:
            return ml100k_folds(which=OFFICIAL_FOLDS[protocol])
        if fold in {f"u{k}" for k in range(1, 6)}:
            return [ml100k_folds(which="u")[int(fold[1]) - 1]]
        raise ParameterError(
            f"unknown protocol {protocol!r}; official MovieLens-100K protocols: "
            "ml100k-u (u1-u5), ml100k-u1 ... ml100k-u5, ml100k-ua, ml100k-ub"
        )
    from tastemaker.data import make_splitter

    splitter = make_splitter(protocol, random_state=random_state)
    if hasattr(splitter, "split"):
        return list(splitter.split(data))
    return [splitter(data)]


def evaluate_models(
    data: Dataset,
    models: Sequence[str],
    *,
    protocol: str = "random-80-20",
    metrics: Sequence[str] | None = None,
    random_state: int = 42,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    n_boot: int = 1000,
) -> EvaluationRun:
    """Split ``data`` by ``protocol``, fit each model on train and evaluate on test.

    Rating metrics (rmse, mae) are added for rating models when the data has ratings;
    ``ild@k`` needs item genres/categories and is dropped without them.
    """
    from tastemaker.evaluate import evaluate_model, parse_metrics

    metrics = [spec.label for spec in parse_metrics(list(metrics or DEFAULT_METRICS))]
    check_protocol(protocol)
    for name in models:  # fail on a typo before any work
        coerce_params(name, (params or {}).get(name, {}))
    with status(f"splitting {data.name} ({protocol})"):
        splits = make_splits(data, protocol, random_state)
    item_vectors = _genre_vectors(data)
    if item_vectors is None:
        metrics = [m for m in metrics if not m.startswith("ild")]
    tables, folds, per_user, timings, fitted = [], [], {}, [], {}
    jobs = [(f, name) for f in range(len(splits)) for name in models]
    for fold, name in progress(jobs, desc="fitting and evaluating"):
        split = splits[fold]
        model = build_model(name, (params or {}).get(name, {}))
        if "random_state" in model.get_params() and model.random_state is None:
            model.set_params(random_state=random_state)  # the run's seed makes it reproducible
        start = time.perf_counter()
        model.fit(split.train)
        fit_seconds = time.perf_counter() - start
        wanted = list(metrics)
        if model.predicts_ratings and split.train.has_ratings:
            wanted += [m for m in ("rmse", "mae") if m not in wanted]
        start = time.perf_counter()
        result = evaluate_model(model, split.train, split.test, wanted, item_vectors=item_vectors)
        eval_seconds = time.perf_counter() - start
        if len(splits) == 1:
            tables.append(result.with_ci(n_boot=n_boot, random_state=random_state, model=name))
        for metric, value in result.summary.items():
            folds.append({"model": name, "fold": fold + 1, "metric": metric, "value": value})
        per_user.setdefault(name, []).append(result.per_user.assign(fold=fold + 1))
        timings.append(
            {
                "model": name,
                "fold": fold + 1,
                "fit_seconds": fit_seconds,
                "eval_seconds": eval_seconds,
            }
        )
        fitted[name] = model
        logger.info(
            "%s (fold %d): fit %.1fs, evaluation %.1fs", name, fold + 1, fit_seconds, eval_seconds
        )
    fold_frame = pd.DataFrame(folds)
    if len(splits) == 1:
        leaderboard = pd.concat(tables, ignore_index=True)
    else:
        leaderboard = _across_folds(fold_frame, {n: pd.concat(v) for n, v in per_user.items()})
    return EvaluationRun(
        leaderboard=leaderboard,
        folds=fold_frame,
        per_user={name: pd.concat(frames, ignore_index=True) for name, frames in per_user.items()},
        timings=pd.DataFrame(timings),
        models=fitted,
        splits=splits,
        protocol=protocol,
        metrics=metrics,
    )


def _across_folds(folds: pd.DataFrame, per_user: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Mean over folds with a 95% t-interval across folds."""
    from scipy import stats as sps

    rows = []
    for (model, metric), group in folds.groupby(["model", "metric"], sort=False):
        values = group["value"].to_numpy(np.float64)
        n = len(values)
        mean = float(np.mean(values))
        half = (
            float(sps.t.ppf(0.975, n - 1) * np.std(values, ddof=1) / np.sqrt(n))
            if n > 1
            else np.nan
        )
        users = per_user[model]
        n_users = int(users[metric].notna().sum()) if metric in users.columns else len(users)
        rows.append(
            {
                "model": model,
                "metric": metric,
                "value": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "n_users": n_users,
            }
        )
    return pd.DataFrame(rows)


def _genre_vectors(data: Dataset):
    """Multi-hot genre/category vectors of the catalog for intra-list diversity."""
    if data.items is None:
        return None
    for col in ("genres", "category", "categories", "tags"):
        if col in data.items.columns:
            values = data.items[col].reindex(data.item_map.ids)
            lists = [
                list(v) if isinstance(v, (list, tuple, np.ndarray)) else ([] if pd.isna(v) else [v])
                for v in values
            ]
            vocab = sorted({g for lst in lists for g in lst}, key=str)
            if not vocab:
                continue
            col_of = {g: j for j, g in enumerate(vocab)}
            import scipy.sparse as sp

            rows = [i for i, lst in enumerate(lists) for _ in lst]
            cols = [col_of[g] for lst in lists for g in lst]
            return sp.csr_array(
                (np.ones(len(rows), dtype=np.float32), (rows, cols)),
                shape=(len(lists), len(vocab)),
            )
    return None


def evaluate_recs_file(
    recs_file: str | Path,
    test_file: str | Path,
    metrics: Sequence[str],
    *,
    train_file: str | Path | None = None,
):
    """Score a recommendation file from any system with our metric code."""
    from tastemaker.data import read_frame
    from tastemaker.evaluate import evaluate_recommendations

    recs = read_frame(recs_file, required=("user", "item", "rank"))
    test = read_frame(test_file, required=("user", "item"))
    train = read_frame(train_file, required=("user", "item")) if train_file else None
    for frame, path in ((recs, recs_file), (test, test_file), (train, train_file)):
        if frame is not None:
            frame.attrs["source"] = str(path)  # errors name the file
    return evaluate_recommendations(recs, test, list(metrics), train=train)


def write_frame(frame: pd.DataFrame, out: str | Path | None) -> None:
    """CSV to ``out`` (written to a temp file, then renamed) or to stdout."""
    if out is None or str(out) == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(out)
