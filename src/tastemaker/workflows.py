"""End-to-end steps shared by the command line, the service and the examples.

Each function takes plain values (paths, names, parameters), does one job and returns
its result; the CLI only parses arguments and prints.
"""

from __future__ import annotations

import logging
import os
import sys
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tastemaker._progress import status
from tastemaker.data import Dataset
from tastemaker.errors import DataError, DataWarning, ParameterError, hint

__all__ = [
    "RecommendRun",
    "apply_seed",
    "build_model",
    "build_models",
    "coerce_params",
    "evaluate_recs_file",
    "fit_and_save",
    "load_data",
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
    items: str | Path | Sequence[str | Path] | None = None,
    users: str | Path | Sequence[str | Path] | None = None,
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
    counted in ``data.report``; the report's notes and warnings are logged once.

    ``items`` and ``users`` are side tables: a file each, or several files joined on the
    id (see :func:`tastemaker.data.join_tables`); what was joined, which ids each file
    lacks and which ids have no interactions or no row go into the report's notes."""
    from tastemaker.data import _ratings, load_dataset, read_interactions

    if (data is None) == (dataset is None):
        raise ParameterError(
            hint(
                python="give exactly one of data (a file) or dataset (a name)",
                cli="give exactly one of --data FILE or --dataset NAME",
            )
        )
    tables = {
        "items": _paths(items, "items", "--items"),
        "users": _paths(users, "users", "--user-table"),
    }
    files = {"data": data} if data is not None else {}
    files |= {f"{what}:{i}": path for what, paths in tables.items() for i, path in enumerate(paths)}
    if not files and (sep is not None or columns):
        raise ParameterError(
            hint(
                python="sep and columns describe files (data, items, users); drop them "
                "with dataset",
                cli="--sep and --columns describe the files read (--data, --items, "
                "--user-table); drop them with --dataset alone",
            )
        )
    mappings = _mappings_per_file(files, columns, sep)
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
                data,
                columns=mappings["data"],
                sep=sep,
                duplicates=duplicates,
                rating_range=rating_range,
            )
        if tables["items"] or tables["users"]:
            loaded = _with_tables(loaded, tables, mappings, sep)
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


def _paths(paths, name: str, flag: str) -> list[Path]:
    """Side-table files as a list (a path, several, or none); each at most once."""
    if paths is None:
        return []
    out = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths]
    repeated = sorted({str(p) for p in out if out.count(p) > 1})
    if repeated:
        raise ParameterError(
            f"{hint(python=name, cli=flag)} names {repeated[0]} twice; give each file once"
        )
    return out


def _with_tables(
    loaded: Dataset, tables: Mapping[str, list[Path]], mappings: Mapping, sep: str | None
) -> Dataset:
    """``loaded`` with its item and user tables read from ``tables`` (several files each
    joined on the id), the join reports added to its report's notes and warnings."""
    notes, found_warnings = list(loaded.report.notes), list(loaded.report.warnings)
    read = {"items": loaded.items, "users": loaded.users}
    for what, key in (("items", "item"), ("users", "user")):
        paths = tables[what]
        if not paths:
            continue
        id_map = loaded.item_map if key == "item" else loaded.user_map
        idx = loaded.item_idx if key == "item" else loaded.user_idx
        with_interactions = id_map.ids[np.bincount(idx, minlength=len(id_map)) > 0]
        read[what], report = _read_joined(paths, key, mappings, what, sep, with_interactions)
        notes += report.notes()
        found_warnings += report.warnings()
    return Dataset(
        loaded.interactions,
        items=read["items"],
        users=read["users"],
        name=loaded.name,
        report=replace(loaded.report, notes=notes, warnings=found_warnings),
        extras=loaded.extras,
    )


def _read_joined(
    paths: Sequence[Path], key: str, mappings: Mapping, what: str, sep: str | None, ids=None
):
    """The side tables in ``paths`` (``--columns`` of each in ``mappings["<what>:<i>"]``)
    read and joined on ``key``, and the join report (see
    :func:`tastemaker.data.join_tables`); files are named by their name, or their path
    where two share a name."""
    from tastemaker.data import join_tables, read_table

    frames = [
        read_table(path, key, columns=mappings[f"{what}:{i}"], sep=sep)
        for i, path in enumerate(paths)
    ]
    names = [p.name for p in paths]
    if len(set(names)) < len(names):  # the same name in two folders
        names = [str(p) for p in paths]
    return join_tables(frames, key, names, ids=ids)


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


def build_models(
    names: Sequence[str] | None,
    configs: Sequence[str | Path] = (),
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    """Unfitted models for ``evaluate``: names, TOML configs and ``--set`` overrides.

    Parameters
    ----------
    names : sequence of str or None
        Model names (``--models``). None or empty: the models named by the configs.
    configs : sequence of paths
        TOML files written by ``tune`` (``--config``), each applied to the model it names
        (``model = "als"``); a file naming no model applies to the only model.
    overrides : sequence of str
        ``key=value`` (one model) or ``model.key=value`` (``--set``), typed by the
        model's defaults.

    Returns
    -------
    dict of str -> Recommender
        Name -> model, in ``names`` order. Everything is checked before any data is
        read: unknown models and parameters, values of the wrong type, a config or an
        override for a model that is not evaluated, or one that is ambiguous.
    """
    read = [(Path(path), *read_config(path)) for path in configs]
    names = [n.strip() for n in (names or []) if n.strip()]
    if not names:
        names = [model for _, model, _ in read if model is not None]
        if not names:
            raise ParameterError(
                "no model to evaluate: give --models a,b,c (see `tastemaker models`), a "
                "--config FILE naming its model, or --recs FILE"
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ParameterError(f"--models lists {', '.join(repeated)} more than once")
    config_of: dict[str, Path] = {}
    for path, model, _ in read:
        if model is None:
            if len(names) > 1:
                raise ParameterError(
                    f'--config {path} names no model (model = "...") and there are several '
                    f"--models ({', '.join(names)}); add the model's name to the file"
                )
            model = names[0]
        if model not in names:
            raise ParameterError(
                f"--config {path} is for {model}, which is not in --models {','.join(names)}"
            )
        if model in config_of:
            raise ParameterError(f"--config {config_of[model]} and {path} are both for {model}")
        config_of[model] = path
    params: dict[str, dict[str, str]] = {name: {} for name in names}
    for key, value in parse_overrides(overrides).items():
        model, dot, param = key.partition(".")
        if not dot:
            if len(names) > 1:
                raise ParameterError(
                    f"--set {key}={value} is ambiguous with several models; write "
                    f"--set MODEL.{key}={value}, e.g. --set {names[0]}.{key}={value}"
                )
            model, param = names[0], key
        if model not in params:
            raise ParameterError(
                f"--set {key}={value} is for {model}, which is not in --models {','.join(names)}"
            )
        params[model][param] = value
    # a config naming no model was assigned above; tell build_model which model it is for
    return {name: build_model(name, params[name], config_of.get(name)) for name in names}


def train_model(
    model_name: str | None,
    data: Dataset,
    out: str | Path | None = None,
    *,
    params: Mapping[str, Any] | None = None,
    config: str | Path | None = None,
    seed: int | None = None,
    nproc: int = 1,
):
    """Fit ``model_name`` on ``data``; save it to ``out`` when given.

    ``seed`` sets ``random_state`` of a seeded model (see :func:`apply_seed`); ``nproc``
    trains a neural model in that many processes (see :func:`fit_and_save`).
    """
    model = build_model(model_name, params, config)
    apply_seed(model, seed, explicit="random_state" in (params or {}))
    return fit_and_save(model, data, out, nproc=nproc)


def fit_and_save(model: Any, data: Dataset, out: str | Path | None = None, *, nproc: int = 1):
    """Fit ``model`` on ``data`` and save it to ``out`` when given.

    ``nproc > 1``, or a process started by ``torchrun``: data-parallel training of a
    neural model (see :func:`tastemaker.models.fit_distributed`), saved by rank
    0 only. Returns the fitted model, or None in a torchrun process other than rank 0.
    """
    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ
    if nproc == 1 and not launched:
        with status(f"fitting {model.name}"):
            model.fit(data)
        if out is not None:
            model.save(out)
        return model
    from tastemaker.models._distributed import fit_distributed
    from tastemaker.nn.distributed import is_leader

    with status(f"fitting {model.name} in {nproc} processes" if nproc > 1 else "fitting"):
        fitted = fit_distributed(model, data, nproc, out=out)
    return fitted if is_leader() else None


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


def _read_events(path: str | Path, columns: Mapping[str, str] | None, sep: str | None):
    """An event file (user, item[, timestamp, rating, weight, event]) as a frame, checked
    and typed like training data; repeated events are kept (they are events)."""
    from tastemaker.data import read_interactions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return read_interactions(path, columns=columns, sep=sep).interactions


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
    from tastemaker.data import read_frame

    model = load(model_dir)
    inputs = {"users": users_file, "history": history_file, "candidates": candidates_file}
    inputs = {key: path for key, path in inputs.items() if path is not None}
    mapping = _mappings_per_file(inputs, columns, sep)
    notes: list[str] = []
    features = None
    if users_file is not None:
        table = read_frame(users_file, sep=sep, columns=mapping["users"], required=("user",))
        table = _unique_ids(table, "user", users_file, notes)
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
    history = None
    if history_file is not None:
        history = _read_events(history_file, mapping["history"], sep)
    candidates = None
    if candidates_file is not None:
        table = read_frame(
            candidates_file, sep=sep, columns=mapping["candidates"], required=("item",)
        )
        candidates = table["item"].tolist()
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
            + model.items_.lookalike_note(recs.unknown_items)
        )
    line = recs.describe_fallback()
    if line:
        unknown = [u for u, why in recs.fallback.items() if why == "unknown user"]
        notes.append(line + model.users_.lookalike_note(unknown))
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
    from tastemaker.data import read_frame
    from tastemaker.models import load

    model = load(model_dir)
    mapping = _mappings_per_file({"pairs": pairs_file}, columns, sep)["pairs"]
    pairs = read_frame(pairs_file, sep=sep, columns=mapping, required=("user", "item"))
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
def _columns_in(path: str | Path, sep: str | None) -> list[str] | None:
    """The column names of a file from its first line (or Parquet schema), or None when
    they cannot be peeked (the full read then reports whatever is wrong)."""
    import gzip
    import json
    import re

    path = Path(path)
    try:
        if path.name.lower().removesuffix(".gz").endswith(".parquet"):
            import pyarrow.parquet as pq

            return list(pq.ParquetFile(path).schema_arrow.names)
        with path.open("rb") as raw:
            gz = raw.read(2) == b"\x1f\x8b"
        with (gzip.open if gz else open)(path, "rt", encoding="utf-8", errors="replace") as fh:
            line = fh.readline().strip().lstrip("\ufeff")
        if line.startswith("{"):  # JSON lines: the first record's keys
            return list(json.loads(line))
        pattern = re.escape(sep) if sep else r",|\t|;|\||::"
        return [token.strip().strip('"') for token in re.split(pattern, line)]
    except (OSError, ValueError, ImportError):  # only a peek: the full read reports it
        return None


def _mappings_per_file(
    files: Mapping[str, str | Path], columns: Mapping[str, str] | None, sep: str | None
) -> dict[str, dict[str, str] | None]:
    """``--columns`` for each file: the entries whose file column the file has. An entry
    that no file has is an error (a typo would otherwise be ignored)."""
    if not columns:
        return {key: None for key in files}
    out: dict[str, dict[str, str] | None] = {}
    used: set[str] = set()
    found_in: dict[str, list[str]] = {}
    for key, path in files.items():
        found = _columns_in(path, sep)
        if found is None:  # cannot tell: apply it all, read_frame names what is missing
            out[key] = dict(columns)
            used.update(columns)
            continue
        found_in[key] = found
        out[key] = {c: std for c, std in columns.items() if c in found} or None
        used.update(out[key] or {})
    from tastemaker.data import INTERACTION_COLUMNS

    for col, std in columns.items():
        # written the wrong way round (--columns userId=user: a standard name where the
        # file column goes, and a file's column where the standard name goes): that
        # file's reader says how to turn it around
        if col in used or col not in INTERACTION_COLUMNS or std in INTERACTION_COLUMNS:
            continue
        inverted = [key for key, found in found_in.items() if std in found]
        if inverted:
            out[inverted[0]] = {**(out[inverted[0]] or {}), col: std}
            used.add(col)
    unused = [f"{std}={col}" for col, std in columns.items() if col not in used]
    if unused:
        names = ", ".join(str(p) for p in files.values())
        raise ParameterError(
            f"--columns {','.join(unused)}: no column of that name in {names}; map the "
            "columns the files have (standard=file_column)"
        )
    return out


def evaluate_recs_file(
    recs_file: str | Path,
    test_file: str | Path,
    metrics: Sequence[str],
    *,
    train_file: str | Path | None = None,
    items_file: str | Path | Sequence[str | Path] | None = None,
    sep: str | None = None,
    columns: Mapping[str, str] | None = None,
):
    """Score a recommendation file from any system with our metric code.

    ``sep`` and ``columns`` (``{file_column: standard_name}``) apply to the
    recommendations, test and training files; each file takes the ``columns`` entries
    whose file column it has. ``items_file`` is an item table for ``ild@k`` (a file, or
    several joined on ``item``). Returns an :class:`~tastemaker.evaluate.EvaluationResult`.
    """
    from tastemaker.data import read_frame
    from tastemaker.evaluate import evaluate_recommendations

    files = {"recs": recs_file, "test": test_file}
    if train_file is not None:
        files["train"] = train_file
    item_files = _paths(items_file, "items_file", "--items")
    files |= {f"items:{i}": path for i, path in enumerate(item_files)}
    mapping = _mappings_per_file(files, columns, sep)
    required = {
        "recs": ("user", "item", "rank"),
        "test": ("user", "item"),
        "train": ("user", "item"),
    }
    frames = {
        key: read_frame(path, sep=sep, columns=mapping[key], required=required[key])
        for key, path in files.items()
        if not key.startswith("items:")
    }
    for key, frame in frames.items():
        frame.attrs["source"] = str(files[key])  # errors name the file
    if item_files:
        frames["items"], report = _read_joined(item_files, "item", mapping, "items", sep)
        frames["items"].attrs["source"] = ", ".join(str(p) for p in item_files)
        for note in report.notes():
            logger.info("%s", note)
        for message in report.warnings():
            logger.warning("%s", message)
    return evaluate_recommendations(
        frames["recs"],
        frames["test"],
        list(metrics),
        train=frames.get("train"),
        item_features=frames.get("items"),
    )


def write_frame(frame: pd.DataFrame, out: str | Path | None) -> None:
    """CSV to ``out`` (atomically; a directory is refused) or, without one, to stdout."""
    from tastemaker._files import write_atomic

    if out is None or str(out) == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    write_atomic(out, lambda handle: frame.to_csv(handle, index=False), suggest="results.csv")


_RUNNER_NAMES = (
    "DEFAULT_METRICS",
    "OFFICIAL_FOLDS",
    "EvaluationRun",
    "check_protocol",
    "evaluate_models",
    "make_splits",
)


def __getattr__(name: str) -> Any:
    """The experiment runner lives in :mod:`tastemaker.evaluate.runner`; its names stay
    importable from here, loaded on first use (not at every command's start-up)."""
    if name in _RUNNER_NAMES:
        from tastemaker.evaluate import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'tastemaker.workflows' has no attribute {name!r}")
