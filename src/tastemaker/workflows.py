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
    "QueryFiles",
    "RecommendRun",
    "apply_seed",
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
) -> Dataset:
    """An interaction file (``data``) or a named dataset (``dataset``), with side tables,
    cleaned in this order: duplicates (on read), ``rating_threshold`` (keep ratings >=
    it as implicit interactions), ``event_weights`` (True for the defaults, or a
    mapping), ``half_life_days`` (recency decay of weights), ``min_interactions``
    (k-core on users and items). Every dropped row is counted in ``data.report``."""
    from tastemaker.data import load_dataset, read_interactions, read_table

    if (data is None) == (dataset is None):
        raise ParameterError("give exactly one of --data FILE or --dataset NAME")
    if dataset is not None and (sep is not None or columns):
        raise ParameterError("--sep and --columns describe a --data file; drop them with --dataset")
    # the load report is logged once below instead of a warning per step
    with status(f"loading {data or dataset}"), warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        if dataset is not None:
            loaded = load_dataset(dataset)
        else:
            loaded = read_interactions(data, columns=columns, sep=sep, duplicates=duplicates)
        if items is not None or users is not None:
            loaded = Dataset(
                loaded.interactions,
                items=read_table(items, "item") if items is not None else loaded.items,
                users=read_table(users, "user") if users is not None else loaded.users,
                name=loaded.name,
                report=loaded.report,
                extras=loaded.extras,
            )
        loaded = _clean(loaded, rating_threshold, event_weights, half_life_days, min_interactions)
    report = loaded.report
    if report.n_dropped or report.n_merged:
        logger.warning("%s", report.summary())
    for note in report.notes:
        logger.info("%s: %s", loaded.name, note)
    if data is not None:
        logger.info(
            "loaded %s: %d interactions, %d users, %d items",
            loaded.name,
            loaded.n_interactions,
            loaded.n_users,
            loaded.n_items,
        )
    return loaded


def _clean(data, rating_threshold, event_weights, half_life_days, min_interactions) -> Dataset:
    from tastemaker.data import _cleaning

    if rating_threshold is not None:
        data = _cleaning.binarize(data, threshold=rating_threshold)
    if event_weights:
        weights = None if event_weights is True else dict(event_weights)
        data = _cleaning.event_weights(data, weights=weights)
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
    from tastemaker.models.base import unknown_param_message

    cls = get_model_class(model_name)
    defaults = cls.param_defaults()
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in defaults:
            raise ParameterError(unknown_param_message(model_name, key, list(defaults)))
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


_CONFIG_KEYS = ("model", "metric", "value", "seed")
"""Top-level keys of a tune TOML file that are not parameters."""


def read_config_cleaning(path: str | Path) -> dict[str, Any] | None:
    """The ``[cleaning]`` table of a tune TOML file (how its data was read), or None."""
    doc = tomllib.loads(Path(path).read_text())
    table = doc.get("cleaning")
    return dict(table) if isinstance(table, dict) else None


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
        "params",
        {k: v for k, v in doc.items() if k not in _CONFIG_KEYS and not isinstance(v, dict)},
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
    seed: int | None = None,
):
    """Fit ``model_name`` on ``data``; save it to ``out`` when given.

    ``seed`` sets ``random_state`` of a seeded model (see :func:`apply_seed`).
    """
    model = build_model(model_name, params, config)
    apply_seed(model, seed, explicit="random_state" in (params or {}))
    with status(f"fitting {model.name}"):
        model.fit(data)
    if out is not None:
        model.save(out)
    return model


def apply_seed(model: Any, seed: int | None, *, explicit: bool = False) -> str | None:
    """Give a seeded model ``random_state=seed``; return a note when the seed has no
    effect (a deterministic model) or was overridden.

    ``explicit``: ``random_state`` was also given as a parameter; a different value is
    an error (two seeds for one run).
    """
    from tastemaker._validation import SEED, check

    if seed is None:
        return None
    check(None, "seed", seed, SEED, flag="--seed")
    if "random_state" not in model.get_params():
        return f"{model.name} is deterministic: the seed has no effect on it"
    if explicit and model.random_state != seed:
        raise ParameterError(
            f"two seeds for {model.name}: random_state={model.random_state} and seed {seed}; "
            "give one"
        )
    model.set_params(random_state=int(seed))
    return None


@dataclass
class QueryFiles:
    """Files read for ``recommend``/``predict``, with ``--columns`` applied to each.

    A mapping ``standard=file_column`` applies to every file that has ``file_column``;
    a mapping that matches no file is an error (a typo, most likely).
    """

    columns: Mapping[str, str] | None = None
    sep: str | None = None
    used: set[str] = field(default_factory=set)

    def read(self, path: str | Path, required: Sequence[str]) -> pd.DataFrame:
        from tastemaker.data import read_frame

        mapping = None
        if self.columns:
            found = set(read_frame(path, sep=self.sep).columns)
            mapping = {k: v for k, v in self.columns.items() if k in found}
            self.used |= set(mapping)
        return read_frame(path, sep=self.sep, columns=mapping or None, required=required)

    def read_events(self, path: str | Path) -> pd.DataFrame:
        """An event file (user, item[, timestamp, rating, weight, event]) as a frame,
        checked and typed like training data; repeated events are kept."""
        from tastemaker.data import read_frame, read_interactions

        mapping = None
        if self.columns:
            found = set(read_frame(path, sep=self.sep).columns)
            mapping = {k: v for k, v in self.columns.items() if k in found}
            self.used |= set(mapping)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)  # repeats are events, not errors
            data = read_interactions(path, columns=mapping or None, sep=self.sep)
        return data.interactions

    def check_used(self) -> None:
        unused = [k for k in (self.columns or {}) if k not in self.used]
        if unused:
            mapped = ", ".join(f"{self.columns[k]}={k}" for k in unused)  # type: ignore[index]
            raise DataError(
                f"--columns {mapped}: no file given to this command has a column "
                f"{', '.join(repr(k) for k in unused)}"
            )


@dataclass
class RecommendRun:
    """What :func:`recommend_users` produced: the lists and what to tell the user."""

    recommendations: Any
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _unique_ids(frame: pd.DataFrame, column: str, path: Any, notes: list[str]) -> pd.DataFrame:
    repeated = frame.duplicated(column).to_numpy()
    if repeated.any():
        notes.append(f"{path}: {int(repeated.sum())} repeated {column} ids used once")
        frame = frame.loc[~repeated]
    return frame.reset_index(drop=True)


def recommend_users(
    model_dir: str | Path,
    *,
    users_file: str | Path | None = None,
    all_users: bool = False,
    users: Sequence[Any] | None = None,
    history_file: str | Path | None = None,
    k: int = 10,
    candidates_file: str | Path | None = None,
    exclude_seen: bool = True,
    explain: bool = False,
    columns: Mapping[str, str] | None = None,
    sep: str | None = None,
) -> RecommendRun:
    """Recommendations from a saved model for the users in a file, all users, a list,
    or users given by their events (``history_file``: fold-in or the model's sequence).

    Extra columns of ``users_file`` are features of users the model has not seen, used
    by models that take features (and reported as unused otherwise).
    """
    from tastemaker.models import load

    given = [users_file is not None, bool(all_users), users is not None, history_file is not None]
    if sum(given) != 1:
        raise ParameterError(
            hint(
                python="give exactly one of users_file, all_users, users or history_file",
                cli="give exactly one of --users FILE, --all or --history FILE",
            )
        )
    model = load(model_dir)
    files = QueryFiles(columns, sep)
    notes: list[str] = []
    features = None
    if users_file is not None:
        table = _unique_ids(files.read(users_file, ("user",)), "user", users_file, notes)
        users = table["user"].tolist()
        extra = [c for c in table.columns if c != "user"]
        if extra and model.tags.uses_features:
            features = table
        elif extra:
            notes.append(
                f"{users_file}: columns {', '.join(extra)} are not used: {model.name} "
                "does not use user features"
            )
    elif all_users:
        users = model.users_.ids[np.diff(model.seen_.indptr) > 0].tolist()
    history = files.read_events(history_file) if history_file is not None else None
    candidates = None
    if candidates_file is not None:
        candidates = files.read(candidates_file, ("item",))["item"].tolist()
    files.check_used()
    if history is not None:
        unknown = int((model.items_.index_of(history["item"], missing="mask") < 0).sum())
        if unknown:
            notes.append(
                f"{history_file}: {unknown} of {len(history)} events name items "
                f"{model.name} does not know; they cannot be used"
            )
        recs = model.recommend_history(history, k=k, exclude_seen=exclude_seen, items=candidates)
    else:
        recs = model.recommend(
            users, k=k, exclude_seen=exclude_seen, items=candidates, features=features
        )
    if candidates is not None:
        repeats = len(candidates) - len(pd.Series(candidates, dtype=object).unique())
        if repeats:
            notes.append(f"{candidates_file}: {repeats} repeated candidate items ranked once")
    if recs.unknown_items:
        shown = ", ".join(map(str, recs.unknown_items[:5]))
        notes.append(
            f"{len(recs.unknown_items)} candidate items are unknown to {model.name} and rank "
            f"last (source unknown-item): {shown}{' ...' if len(recs.unknown_items) > 5 else ''}"
        )
    line = recs.describe_fallback()
    if line:
        notes.append(line)
    frame = recs.to_frame()
    if explain:
        from tastemaker.explain import CoOccurrenceExplainer

        frame = CoOccurrenceExplainer(model, features=features)(frame)
    return RecommendRun(recs, frame, notes)


def predict_file(
    model_dir: str | Path,
    pairs_file: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    sep: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """``user,item,prediction,source`` for the pairs in a file, and notes for the user
    (how many pairs got a fallback prediction, and why)."""
    from tastemaker.models import load

    model = load(model_dir)
    files = QueryFiles(columns, sep)
    pairs = files.read(pairs_file, ("user", "item"))
    files.check_used()
    out = pairs[["user", "item"]].copy()
    values, sources = model.predict(out, return_source=True)
    out["prediction"] = values
    out["source"] = sources
    notes = [
        f"{n} of {len(out)} pairs got a fallback prediction ({source.removeprefix('fallback:')})"
        for source, n in pd.Series(sources).value_counts(sort=False).items()
        if source != "model"
    ]
    return out, notes


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
        model_params = (params or {}).get(name, {})
        model = build_model(name, model_params)
        if "random_state" not in model_params:
            apply_seed(model, random_state)  # the run's seed seeds every seeded model
        start = time.perf_counter()
        model.fit(split.train)
        fit_seconds = time.perf_counter() - start
        wanted = list(metrics)
        if model.tags.predicts_ratings and split.train.has_ratings:
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
