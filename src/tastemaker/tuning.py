"""Hyper-parameter search with Optuna on a validation split carved from training data.

Each model declares ``search_space`` (name -> range); :func:`tune_model` splits the given
data into fit and validation parts (never touching any test data), evaluates the
model's defaults first, then ``n_trials - 1`` TPE-sampled configurations, and returns
the best. :func:`write_params` writes the TOML file that ``train --config`` reads.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tastemaker._progress import quiet, tracker
from tastemaker._validation import Interval, check
from tastemaker.data import Dataset
from tastemaker.errors import ParameterError

__all__ = ["TuningResult", "suggest", "tune_model", "write_params"]

logger = logging.getLogger(__name__)


@dataclass
class TuningResult:
    """The outcome of :func:`tune_model`.

    Attributes
    ----------
    model : str
    metric : str
    best_params : dict
        Every parameter of the model (tuned ones and fixed ones).
    best_value : float
        Validation value of ``metric`` for ``best_params``.
    default_value : float
        Validation value of the model's defaults (the first trial).
    trials : DataFrame
        One row per trial: number, value, seconds and the sampled parameters.
    protocol : str
        How the validation split was carved.
    random_state : int
        Seed of the split, the sampler and every seeded model.
    data_name : str
    cleaning : dict
        How the data was read and cleaned (recorded in the TOML file).
    """

    model: str
    metric: str
    best_params: dict[str, Any]
    best_value: float
    default_value: float
    trials: pd.DataFrame
    protocol: str
    random_state: int
    data_name: str
    cleaning: dict[str, Any] = field(default_factory=dict)


def suggest(trial: Any, name: str, spec: tuple) -> Any:
    """One value for parameter ``name`` from an Optuna ``trial`` and a search-space entry."""
    kind = spec[0]
    if kind == "int":
        return trial.suggest_int(
            name, int(spec[1]), int(spec[2]), log=len(spec) > 3 and spec[3] == "log"
        )
    if kind == "float":
        return trial.suggest_float(
            name, float(spec[1]), float(spec[2]), log=len(spec) > 3 and spec[3] == "log"
        )
    if kind == "categorical":
        return trial.suggest_categorical(name, list(spec[1]))
    raise ParameterError(f"search space of {name!r}: unknown kind {kind!r}")


def _in_space(value: Any, spec: tuple) -> bool:
    if spec[0] == "categorical":
        return value in spec[1]
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and spec[1] <= value <= spec[2]
    )


def tune_model(
    data: Dataset,
    model_name: str,
    *,
    n_trials: int = 20,
    metric: str = "ndcg@10",
    protocol: str = "random-80-20",
    random_state: int = 42,
    fixed: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    cleaning: Mapping[str, Any] | None = None,
) -> TuningResult:
    """Search ``model_name``'s ``search_space`` for the best validation ``metric``.

    Parameters
    ----------
    data : Dataset
        Training data only: the validation split is carved from it by ``protocol``.
    n_trials : int, default=20
        Configurations to try, the model's defaults first.
    metric : str, default="ndcg@10"
        Maximised, or minimised for ``rmse``/``mae``/``arp``/``gini``.
    fixed : mapping, optional
        Parameters held fixed (left out of the search).
    timeout : float, optional
        Stop starting new trials after this many seconds.
    cleaning : mapping, optional
        How ``data`` was read and cleaned, recorded with the result.
    """
    import optuna

    from tastemaker.evaluate import evaluate_model, make_splits, parse_metric
    from tastemaker.workflows import build_model, coerce_params

    check("tune_model", "n_trials", n_trials, Interval("int", 1), flag="--trials")
    check(
        "tune_model",
        "timeout",
        timeout,
        [Interval("real", 0, closed="neither"), None],
        flag="--timeout",
    )
    spec = parse_metric(metric)
    if spec.kind == "global":
        raise ParameterError(f"{metric} describes the whole catalog; tune on a per-user metric")
    fixed = coerce_params(model_name, dict(fixed or {}))
    base = build_model(model_name, fixed)
    if spec.kind == "rating" and not base.tags.predicts_ratings:
        raise ParameterError(f"{model_name} does not predict ratings; tune it on a ranking metric")
    space = {k: v for k, v in type(base).search_space.items() if k not in fixed}
    if not space:
        raise ParameterError(f"{model_name} has no parameters to tune (see `tastemaker models`)")
    split = make_splits(data, protocol, random_state)[0]
    direction = "maximize" if spec.metric.higher_is_better else "minimize"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction=direction, sampler=optuna.samplers.TPESampler(seed=random_state)
    )
    defaults = base.get_params()
    study.enqueue_trial({k: defaults[k] for k in space if _in_space(defaults[k], space[k])})

    def objective(trial: Any) -> float:
        params = {**fixed, **{name: suggest(trial, name, s) for name, s in space.items()}}
        model = build_model(model_name, params)
        if "random_state" not in fixed:
            model.seed_unless_set(random_state)
        model.fit(split.train)
        value = evaluate_model(
            model,
            split.train,
            split.test,
            [spec.label],
            candidates=split.candidates,  # cold-start protocols: see Split
            history=split.history,
        ).summary[spec.label]
        if value is None or math.isnan(value):
            raise optuna.TrialPruned(f"{spec.label} is undefined on the validation split")
        return float(value)

    with (
        tracker(n_trials, f"tuning {model_name}") as advance,
        quiet("tastemaker.models", "tastemaker.evaluate"),
    ):
        study.optimize(
            objective, n_trials=n_trials, timeout=timeout, callbacks=[lambda *_: advance()]
        )
    trials = study.trials_dataframe(attrs=("number", "value", "duration", "params", "state"))
    completed = [t for t in study.trials if t.value is not None]
    if not completed:
        raise ParameterError(f"no trial of {model_name} completed; see the log for why")
    best = study.best_trial
    best_model = build_model(model_name, {**fixed, **best.params})
    if "random_state" not in fixed:
        best_model.seed_unless_set(random_state)
    params = best_model.get_params()
    logger.info(
        "tuned %s: %s %.4f on validation (defaults %.4f) after %d trials",
        model_name,
        spec.label,
        best.value,
        completed[0].value,
        len(study.trials),
    )
    return TuningResult(
        model=model_name,
        metric=spec.label,
        best_params=params,
        best_value=float(best.value),
        default_value=float(completed[0].value),
        trials=trials,
        protocol=protocol,
        random_state=random_state,
        data_name=data.name,
        cleaning={k: v for k, v in (cleaning or {}).items() if v is not None},
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise ParameterError(f"cannot write {value!r} to TOML")


def _toml_key(key: Any) -> str:
    text = str(key)
    return text if text.replace("_", "").replace("-", "").isalnum() else _toml_value(text)


def write_params(result: TuningResult, path: str | Path) -> Path:
    """The TOML file ``train --config`` reads: ``model``, ``metric``, ``value``, ``seed``,
    a ``[params]`` table (parameters set to None are left out: they keep their default)
    and a ``[cleaning]`` table recording how the data was read and cleaned (``train``
    warns when its own options differ)."""
    path = Path(path)
    lines = [
        f"# written by tastemaker tune on {_dt.date.today().isoformat()}: data {result.data_name},",
        f"# validation split {result.protocol} (seed {result.random_state}) carved from it;",
        f"# defaults scored {result.default_value:.6g}.",
        f"model = {_toml_value(result.model)}",
        f"metric = {_toml_value(result.metric)}",
        f"value = {_toml_value(result.best_value)}",
        f"seed = {_toml_value(result.random_state)}",
        "",
        "[params]",
    ]
    lines += [f"{k} = {_toml_value(v)}" for k, v in result.best_params.items() if v is not None]
    lines += ["", "[cleaning]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in sorted(result.cleaning.items())]
    from tastemaker._files import write_text

    return write_text(path, "\n".join(lines) + "\n", suggest="params.toml")
