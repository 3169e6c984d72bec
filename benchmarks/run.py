"""tastemaker against implicit, LensKit and Surprise: same splits, same metric code, side by side.

    python benchmarks/run.py                       # peer suite: three datasets, all protocols
    python benchmarks/run.py --quick --out /tmp    # smoke run: ML-100K, one config, one fold
    python benchmarks/run.py --only als,bpr --datasets ml-100k --seeds 3
    python benchmarks/run.py --suite matched       # fixed equal settings, textbook references
    python benchmarks/run.py --suite neural        # neural models against the best classic
    python benchmarks/run.py --suite pipeline      # reading and the whole train command
                                                   # (benchmarks/pipeline.py; its options follow)

Suites
------
peers (default)
    Every system tuned on validation data over a small grid (the same values within a
    pair, every system also trying its own library's defaults), then tested.
neural
    The neural models (NCF, Mult-VAE, DeepFM, GRU4Rec, LSTM, SASRec, Caser) against
    popular, EASE, ALS and markov, all tuned on validation data; hold-out and next item
    on ML-100K and ML-latest-small. The table adds epochs run (best epoch) and training
    throughput (examples per second) and a Targets section.
matched
    No tuning: ours and the peer at the same fixed settings (neighbourhood size,
    factors, rates, penalties, confidence definition), and EASE / SLIM against textbook
    implementations; the report adds how often the two top-10 lists agree (ranking) or
    the largest prediction difference (ratings). Default datasets: ML-100K and its folds.

Protocols
---------
holdout
    Per-user random 80/20 hold-out (``RandomHoldout(test_size=0.2, random_state=seed)``)
    of each dataset. Every system (ours and peers alike) is tuned on a validation split
    carved from the training part only (the same splitter applied to ``split.train``):
    each configuration of its small grid is fitted on the inner training part and scored
    by NDCG@10 on the validation part; the best is refitted on the whole training part
    and evaluated on the test part. Every system ranks the full catalog with the user's
    training items excluded; the lists are scored by
    ``tastemaker.evaluate.evaluate_recommendations`` (NDCG@10, Recall@20, coverage@10).
next
    Next item: each user's last interaction (by time) is the test item
    (``LeaveLastOut(n=1)``) and the validation split is each training user's last
    remaining one; tuned, refitted and scored as in hold-out (ML-100K by default: the
    other datasets lack usable times). The sequence baseline ``markov`` against
    ``popular`` and the best static models.
folds
    The official ML-100K folds u1-u5 (``ml100k_folds()``): rating systems predict each
    test rating; RMSE and MAE by ``tastemaker.evaluate.metrics``. Configurations are
    chosen by RMSE on a validation split carved from u1.base, then used on all folds.

Seeds: ``--seed`` fixes the splits and the model seed used for tuning; with
``--seeds N`` the chosen configuration of every seeded system (random initialisation or
sampling) is fitted with model seeds ``seed .. seed + N - 1`` and its test metrics are
the means (the spread is reported); pairs compare the means.

Fit time is the wall-clock time of the library's own training call (data conversion
excluded), the median of ``--repeats`` runs; recommend time covers the top-20 lists of all
test users. Thread counts are equal within each pair (``--threads``; Surprise is
single-threaded, so its pairs run ours with one thread too).

Writes ``<out>/<date>-<name>.md`` (tables) and ``<out>/<date>-<name>.json`` (everything).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peers
from _specs import (
    NEURAL_SEQUENCE,
    SUITES,
    Pair,
    Rel,
    SystemSpec,
    matched_suite,
    neural_suite,
    peer_suite,
)

from tastemaker.data import Dataset, LeaveLastOut, RandomHoldout, Split
from tastemaker.evaluate import evaluate_recommendations
from tastemaker.evaluate.metrics import mae, rmse

DATASETS = ("ml-100k", "ml-latest-small", "lastfm-2k")
NEXT_DATASETS = ("ml-100k", "ml-latest-small")
"""Datasets with timestamps for the next-item protocol (Last.fm-2k has none)."""
RANKING_METRICS = ("ndcg@10", "recall@20", "coverage@10")
VALIDATION_METRIC = "ndcg@10"
K = 20  # list length: enough for recall@20
FAST_TOTAL = 1.0  # fits this fast are repeated more often: their timings are noisier

# -- options and small helpers ------------------------------------------------------------


@dataclass
class Options:
    threads: int = 2
    seed: int = 42
    seeds: int = 1  # model seeds per tested configuration (seeded systems)
    quick: bool = False
    repeats: int = 3
    slow_fit: float = 10.0  # a fit slower than this is timed once
    tune: bool = True  # False (matched suite): one fixed configuration, no validation
    verbose: bool = True


def say(opts: Options, message: str) -> None:
    if opts.verbose:
        print(message, flush=True)


def grid_for(spec: SystemSpec, opts: Options) -> list[dict[str, Any]]:
    return list(spec.grid[:1] if opts.quick else spec.grid)


def fmt_value(value: Any) -> str:
    if isinstance(value, Rel):
        return f"default x {value.factor:g}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def fmt_params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={fmt_value(v)}" for k, v in params.items()) or "defaults"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):  # keys starting with "_" stay in memory (lists, predictions)
        return {str(k): _jsonable(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, Rel):
        return f"default x {value.factor:g}"
    return value


class Skip(Exception):
    """A system that cannot run here (not registered, library missing, ...)."""


def resolve(spec: SystemSpec, opts: Options) -> tuple[type, list[dict[str, Any]], list[str]]:
    """The adapter class and the full parameter sets of the grid; raises Skip."""
    cls = _peers.PEER_CLASSES[spec.adapter]
    notes: list[str] = []
    grid = grid_for(spec, opts)
    if not spec.is_ours:
        ok, why = _peers.available(cls.library)
        if not ok:
            raise Skip(why)
        try:
            defaults = cls.library_defaults()
        except Exception:  # introspection is best effort: no deduplication then
            defaults = {}
        return cls, _distinct([{**spec.fixed, **config} for config in grid], defaults), notes

    from tastemaker.models import get_model_class
    from tastemaker.models.registry import _all_names

    if spec.model not in _all_names():
        raise Skip(f"model {spec.model!r} is not registered in tastemaker.models")
    model_cls = get_model_class(spec.model)
    defaults = model_cls.param_defaults()
    missing = [name for name in spec.require if name not in defaults]
    if missing:
        raise Skip(f"{spec.model} has no parameter {', '.join(missing)}")
    configs = []
    for config in grid:
        params: dict[str, Any] = {"model": spec.model}
        for name, value in {**spec.fixed, **config}.items():
            if name not in defaults:
                notes.append(f"{spec.model} has no parameter {name!r}; not set")
                continue
            if isinstance(value, Rel):
                base = defaults[name]
                if not isinstance(base, (int, float)) or isinstance(base, bool):
                    notes.append(f"{name}: default {base!r} cannot be scaled; not set")
                    continue
                scaled = base * value.factor
                value = max(1, round(scaled)) if isinstance(base, int) else float(scaled)
            params[name] = value
        if "random_state" in defaults:
            params["random_state"] = opts.seed
        if "n_threads" in defaults:
            params["n_threads"] = spec.threads or opts.threads
        configs.append(params)
    configs = _distinct(configs, defaults)
    try:  # invalid values (e.g. an unknown similarity) skip the system with the reason
        from tastemaker.models import create_model

        for params in configs:
            create_model(spec.model, **{k: v for k, v in params.items() if k != "model"})
    except Exception as err:
        raise Skip(f"{spec.model}: {err}") from err
    return cls, configs, sorted(set(notes))


def _distinct(configs: list[dict[str, Any]], defaults: dict[str, Any]) -> list[dict[str, Any]]:
    """The configurations that differ once the defaults are spelled out (a grid value
    equal to a default is no new configuration), in order."""
    out, seen = [], []
    for params in configs:
        effective = {**defaults, **params}
        if effective not in seen:
            seen.append(effective)
            out.append(params)
    return out


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as shown: without the model name, seed and thread count."""
    return {k: v for k, v in params.items() if k not in ("model", "random_state", "n_threads")}


def _make(cls: type, params: dict[str, Any], spec: SystemSpec, opts: Options, seed=None):
    return cls(dict(params), spec.threads or opts.threads, opts.seed if seed is None else seed)


def _model_seeds(system: Any, opts: Options) -> list[int]:
    """The extra model seeds to test a system with (none if its results ignore seeds)."""
    return [opts.seed + i for i in range(1, opts.seeds)] if system.seeded else []


def _mean_sd(runs: list[dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """Per-metric mean and standard deviation over seeds (sd 0 for one run)."""
    names = list(runs[0])
    mean = {m: float(np.mean([r[m] for r in runs])) for m in names}
    sd = {m: float(np.std([r[m] for r in runs], ddof=1)) if len(runs) > 1 else 0.0 for m in names}
    return mean, sd


def timed_fits(
    cls: type, params: dict[str, Any], spec: SystemSpec, train: Dataset, opts: Options
) -> tuple[Any, list[float]]:
    """Fit ``repeats`` times on ``train`` (once when a fit is slow, up to three times as
    often while all fits together take under FAST_TOTAL seconds); the last system and
    every fit's seconds."""
    runs: list[float] = []
    system = None
    least = max(1, opts.repeats)
    while len(runs) < least or (sum(runs) < FAST_TOTAL and len(runs) < 3 * least):
        system = _make(cls, params, spec, opts)
        system.prepare(train)
        _, seconds = _peers.timed(system.fit)
        runs.append(seconds)
        if seconds > opts.slow_fit:
            break
    return system, runs


def _effective(system: Any) -> dict[str, Any] | None:
    """Every parameter of a fitted tastemaker model (defaults included); None for peers."""
    model = getattr(system, "model", None)
    if system.library != "tastemaker" or model is None:
        return None
    return {k: v for k, v in model.get_params().items() if _jsonable(v) is not None}


def _training(system: Any) -> dict[str, Any] | None:
    """A neural model's training record: epochs run, the best epoch, device and
    throughput (training examples per second); None for other systems."""
    history = getattr(getattr(system, "model", None), "history_", None)
    if not isinstance(history, dict):
        return None
    return {
        "epochs": len(history["epochs"]),
        "best_epoch": history["best_epoch"],
        "device": history["device"],
        "throughput": history["throughput"],
        "seconds": history["seconds"],
    }


def _users(data: Dataset) -> np.ndarray:
    return np.asarray(pd.unique(data.interactions["user"]), dtype=object)


def _ranking_scores(
    system, train: Dataset, test: Dataset, metrics, k: int
) -> tuple[dict, float, dict[Any, tuple]]:
    """Metrics of the system's top-``k`` lists for the test users, the seconds the lists
    took, and each user's top-10 (for the agreement of matched pairs)."""
    users = _users(test)
    recs, seconds = _peers.timed(lambda: system.recommend(users, k))
    result = evaluate_recommendations(
        recs,
        test.interactions[["user", "item"]],
        list(metrics),
        train=train.interactions[["user", "item"]],
    )
    top = recs[recs["rank"] <= 10].sort_values(["user", "rank"], kind="stable")
    lists = {u: tuple(g) for u, g in top.groupby("user", sort=False)["item"]}
    return dict(result.summary), seconds, lists


def _rating_scores(system, test: Dataset) -> tuple[dict, float, np.ndarray]:
    frame = test.interactions
    pred, seconds = _peers.timed(lambda: system.predict(frame[["user", "item"]]))
    true = frame["rating"].to_numpy(np.float64)
    return {"rmse": rmse(pred, true), "mae": mae(pred, true)}, seconds, np.asarray(pred)


def _record(spec: SystemSpec, protocol: str, dataset: str, **extra: Any) -> dict[str, Any]:
    return {
        "system": spec.key,
        "label": spec.label,
        "library": spec.library,
        "family": spec.family,
        "protocol": protocol,
        "dataset": dataset,
        **extra,
    }


def _check_applicable(
    spec: SystemSpec, cls: type, configs: list[dict], data: Dataset, protocol: str
) -> None:
    if protocol not in spec.protocols:
        raise Skip(f"not run on the {protocol} protocol")
    if spec.datasets is not None and data.name not in spec.datasets:
        raise Skip(f"run on {', '.join(spec.datasets)} only")
    if spec.max_items is not None and data.n_items > spec.max_items:
        raise Skip(f"catalog of {data.n_items} items > {spec.max_items} (too slow here)")
    probe = _make(cls, configs[0], spec, Options())
    if protocol in RANKING_PROTOCOLS and not probe.ranks:
        raise Skip(spec.note or "does not rank")
    if protocol == "folds" and not probe.rates:
        raise Skip("does not predict ratings")
    if probe.needs_ratings and not data.has_ratings:
        raise Skip(f"{data.name} has no ratings")


# -- the protocols ------------------------------------------------------------------------


RANKING_PROTOCOLS = {
    "holdout": "hold-out 80/20",
    "next": "next item (leave-last-1 by time)",
}
"""Ranking protocols: how the test split, and the validation split carved from its
training part, are made."""


def holdout_splits(data: Dataset, seed: int, protocol: str = "holdout") -> tuple[Split, Split]:
    """The test split and the validation split carved from its training part the same
    way: 20% of each user's items at random, or each user's last item (``"next"``)."""
    if protocol == "next":
        split = LeaveLastOut(n=1)(data)
        return split, LeaveLastOut(n=1)(split.train)
    split = RandomHoldout(test_size=0.2, random_state=seed)(data)
    inner = RandomHoldout(test_size=0.2, random_state=seed)(split.train)
    return split, inner


def run_holdout(
    dataset: str,
    data: Dataset,
    specs: list[SystemSpec],
    opts: Options,
    sink: list[dict[str, Any]] | None = None,
    protocol: str = "holdout",
) -> list[dict[str, Any]]:
    """Tune on validation, refit on train, evaluate on test: one record per system
    (also appended to ``sink`` as each finishes, so an interrupted run keeps them)."""
    split, inner = holdout_splits(data, opts.seed, protocol)
    say(
        opts,
        f"\n== {RANKING_PROTOCOLS[protocol]} on {dataset}: {split.train.n_interactions} "
        f"train / {split.test.n_interactions} test rows, {len(_users(split.test))} test "
        f"users, {data.n_items} items",
    )
    out = []
    for spec in specs:
        try:
            cls, configs, notes = resolve(spec, opts)
            _check_applicable(spec, cls, configs, data, protocol)
        except Skip as why:
            if protocol in spec.protocols:
                say(opts, f"  skip {spec.label}: {why}")
                skipped = _record(spec, protocol, dataset, status="skipped", note=str(why))
                out.append(skipped)
                if sink is not None:
                    sink.append(skipped)
            continue
        try:
            record = _holdout_one(spec, cls, configs, notes, split, inner, dataset, opts)
            record["protocol"] = protocol
        except Exception as err:  # one failing system must not stop the benchmark
            say(opts, f"  ERROR {spec.label}: {type(err).__name__}: {err}")
            record = _record(
                spec,
                protocol,
                dataset,
                status="error",
                note=f"{type(err).__name__}: {err}",
                traceback=traceback.format_exc(),
            )
        record["threads"] = spec.threads or opts.threads
        out.append(record)
        if sink is not None:
            sink.append(record)
    return out


def _holdout_one(spec, cls, configs, notes, split, inner, dataset, opts) -> dict[str, Any]:
    tried = []
    best, best_value = configs[0], None
    if opts.tune:
        best_value = -math.inf
        for params in configs:
            system = _make(cls, params, spec, opts)
            system.prepare(inner.train)
            _, fit_s = _peers.timed(system.fit)
            scores, _, _ = _ranking_scores(system, inner.train, inner.test, [VALIDATION_METRIC], 10)
            value = scores[VALIDATION_METRIC]
            tried.append({"params": _clean(params), "validation": value, "fit_s": fit_s})
            say(
                opts,
                f"    {spec.label}: validation ndcg@10 {value:.4f} [{fmt_params(_clean(params))}]",
            )
            if value > best_value:
                best, best_value = params, value
    system, runs = timed_fits(cls, best, spec, split.train, opts)
    scores, rec_s, lists = _ranking_scores(system, split.train, split.test, RANKING_METRICS, K)
    effective = _effective(system)
    per_seed = [{"seed": opts.seed, **scores}]
    for seed in _model_seeds(system, opts):
        again = _make(cls, best, spec, opts, seed)
        again.prepare(split.train)
        again.fit()
        more, _, _ = _ranking_scores(again, split.train, split.test, RANKING_METRICS, K)
        per_seed.append({"seed": seed, **more})
    metrics, spread = _mean_sd([{m: r[m] for m in RANKING_METRICS} for r in per_seed])
    fit_s = float(np.median(runs))
    seeds_note = f" (mean of {len(per_seed)} seeds)" if len(per_seed) > 1 else ""
    say(
        opts,
        f"  {spec.label:<32} ndcg@10 {metrics['ndcg@10']:.4f}{seeds_note}  recall@20 "
        f"{metrics['recall@20']:.4f}  cov@10 {metrics['coverage@10']:.3f}  "
        f"fit {fit_s:.2f}s  rec {rec_s:.2f}s  [{fmt_params(_clean(best))}]",
    )
    return _record(
        spec,
        "holdout",
        dataset,
        status="ok",
        params=_clean(best),
        validation=best_value,
        grid=tried,
        metrics=metrics,
        metrics_sd=spread,
        seeds=per_seed,
        fit_s=fit_s,
        fit_runs=runs,
        rec_s=rec_s,
        all_params=effective,
        training=_training(system),
        notes=notes,
        _lists=lists,
    )


def run_folds(
    folds: list[Split],
    specs: list[SystemSpec],
    opts: Options,
    sink: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Rating prediction on the given folds; configurations chosen on fold 1's training
    part. Records are also appended to ``sink`` as each system finishes."""
    say(opts, f"\n== ML-100K official folds ({len(folds)}): RMSE / MAE")
    inner = RandomHoldout(test_size=0.2, random_state=opts.seed)(folds[0].train)
    out = []
    for spec in specs:
        try:
            cls, configs, notes = resolve(spec, opts)
            _check_applicable(spec, cls, configs, folds[0].train, "folds")
        except Skip as why:
            if "folds" in spec.protocols:
                say(opts, f"  skip {spec.label}: {why}")
                skipped = _record(spec, "folds", "ml-100k", status="skipped", note=str(why))
                out.append(skipped)
                if sink is not None:
                    sink.append(skipped)
            continue
        try:
            record = _folds_one(spec, cls, configs, notes, folds, inner, opts)
        except Exception as err:
            say(opts, f"  ERROR {spec.label}: {type(err).__name__}: {err}")
            record = _record(
                spec,
                "folds",
                "ml-100k",
                status="error",
                note=f"{type(err).__name__}: {err}",
                traceback=traceback.format_exc(),
            )
        record["threads"] = spec.threads or opts.threads
        out.append(record)
        if sink is not None:
            sink.append(record)
    return out


def _folds_one(spec, cls, configs, notes, folds, inner, opts) -> dict[str, Any]:
    tried = []
    best, best_value = configs[0], math.inf
    if len(configs) > 1:
        for params in configs:
            system = _make(cls, params, spec, opts)
            system.prepare(inner.train)
            _, fit_s = _peers.timed(system.fit)
            value = _rating_scores(system, inner.test)[0]["rmse"]
            tried.append({"params": _clean(params), "validation": value, "fit_s": fit_s})
            say(
                opts,
                f"    {spec.label}: validation rmse {value:.4f} [{fmt_params(_clean(params))}]",
            )
            if value < best_value:
                best, best_value = params, value
    per_fold = []
    predictions = None
    for number, fold in enumerate(folds, start=1):
        system = _make(cls, best, spec, opts)
        system.prepare(fold.train)
        _, fit_s = _peers.timed(system.fit)
        scores, pred_s, pred = _rating_scores(system, fold.test)
        if predictions is None:
            predictions = pred
        runs = [scores]
        for seed in _model_seeds(system, opts):
            again = _make(cls, best, spec, opts, seed)
            again.prepare(fold.train)
            again.fit()
            runs.append(_rating_scores(again, fold.test)[0])
        mean, _ = _mean_sd(runs)
        per_fold.append(
            {"fold": number, **mean, "seeds": len(runs), "fit_s": fit_s, "predict_s": pred_s}
        )
    effective = _effective(system)
    frame = pd.DataFrame(per_fold)
    metrics = {
        "rmse": float(frame["rmse"].mean()),
        "rmse_sd": float(frame["rmse"].std(ddof=1)) if len(frame) > 1 else float("nan"),
        "mae": float(frame["mae"].mean()),
        "mae_sd": float(frame["mae"].std(ddof=1)) if len(frame) > 1 else float("nan"),
    }
    fit_s = float(frame["fit_s"].median())
    seeds_note = f" (mean of {per_fold[0]['seeds']} seeds)" if per_fold[0]["seeds"] > 1 else ""
    say(
        opts,
        f"  {spec.label:<32} rmse {metrics['rmse']:.4f}{seeds_note}  mae {metrics['mae']:.4f}  "
        f"fit {fit_s:.2f}s  [{fmt_params(_clean(best))}]",
    )
    return _record(
        spec,
        "folds",
        "ml-100k",
        status="ok",
        params=_clean(best),
        validation=best_value if tried else None,
        grid=tried,
        metrics=metrics,
        folds=per_fold,
        fit_s=fit_s,
        fit_runs=frame["fit_s"].tolist(),
        rec_s=float(frame["predict_s"].median()),
        all_params=effective,
        notes=notes,
        _predictions=predictions,
    )


# -- pairs --------------------------------------------------------------------------------


def compare_pairs(
    records: list[dict[str, Any]], specs: list[SystemSpec], pairs: tuple[Pair, ...]
) -> list[dict[str, Any]]:
    """One row per pair and dataset where both sides ran."""
    by = {(r["system"], r["protocol"], r["dataset"]): r for r in records}
    label = {s.key: s.label for s in specs}
    datasets = list(dict.fromkeys(r["dataset"] for r in records))
    rows = []
    for pair in pairs:
        for dataset in datasets:
            ours = by.get((pair.ours, pair.protocol, dataset))
            peer = by.get((pair.peer, pair.protocol, dataset))
            if ours is None and peer is None:
                continue
            row: dict[str, Any] = {
                "protocol": pair.protocol,
                "dataset": dataset,
                "label": pair.label,
                "ours": pair.ours,
                "ours_label": label.get(pair.ours, pair.ours),
                "peer": pair.peer,
                "peer_label": label.get(pair.peer, pair.peer),
                "metric": pair.metric,
            }
            missing = [
                f"{side}: {rec.get('note') or rec['status']}" if rec else f"{side}: not run"
                for side, rec in (("ours", ours), ("peer", peer))
                if rec is None or rec.get("status") != "ok"
            ]
            if missing:
                row.update(status="incomplete", note="; ".join(missing))
                rows.append(row)
                continue
            a, b = ours["metrics"][pair.metric], peer["metrics"][pair.metric]
            higher = pair.metric != "rmse"
            fit_ratio = ours["fit_s"] / peer["fit_s"] if peer["fit_s"] > 0 else float("inf")
            row.update(
                status="ok",
                ours_value=a,
                peer_value=b,
                ratio=a / b if b else float("nan"),
                accuracy="pass" if (a >= b if higher else a <= b) else "miss",
                ours_fit_s=ours["fit_s"],
                peer_fit_s=peer["fit_s"],
                fit_ratio=fit_ratio,
                speed="pass" if fit_ratio <= 1.0 else "miss",
                speed_aim=pair.speed_aim,
                speed_aim_met=None if pair.speed_aim is None else fit_ratio <= pair.speed_aim,
                ours_params=ours["params"],
                peer_params=peer["params"],
                agreement=agreement(ours, peer),
            )
            rows.append(row)
    return rows


def agreement(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, float] | None:
    """How close two systems' outputs are (seed-``--seed`` fits): the share of test users
    whose top-10 lists are identical, in order, or the largest difference between the
    predicted ratings of fold 1."""
    if "_lists" in ours and "_lists" in peer:
        a, b = ours["_lists"], peer["_lists"]
        users = set(a) | set(b)
        same = sum(a.get(u) == b.get(u) for u in users)
        return {"same_top10": same / len(users) if users else float("nan")}
    if ours.get("_predictions") is not None and peer.get("_predictions") is not None:
        diff = np.abs(ours["_predictions"] - peer["_predictions"])
        return {"max_abs_diff": float(diff.max()) if len(diff) else float("nan")}
    return None


# -- the environment and the report -------------------------------------------------------


def environment(argv: list[str], opts: Options) -> dict[str, Any]:
    versions = {
        name: _peers.library_version(name)
        for name in (
            "tastemaker",
            "implicit",
            "lenskit",
            "scikit-surprise",
            "scikit-learn",
            "numpy",
            "scipy",
            "numba",
            "pandas",
            "torch",
        )
    }
    versions["python"] = platform.python_version()
    cpu = "unknown"
    with _suppress():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    with _suppress():
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    commit = None
    with _suppress():
        root = Path(__file__).resolve().parent.parent
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += " (uncommitted changes)" if dirty else ""
    return {
        "command": "python benchmarks/run.py " + " ".join(shlex.quote(a) for a in argv),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": versions,
        "git_commit": commit,
        "machine": {
            "cpu": cpu,
            "nproc": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else None,
            "memory": memory,
            "platform": platform.platform(),
        },
        "load_average_start": _loadavg(),
        "threads": opts.threads,
        "seed": opts.seed,
        "seeds": opts.seeds,
        "quick": opts.quick,
        "repeats": opts.repeats,
        "env": {
            k: os.environ.get(k)
            for k in (
                "OMP_NUM_THREADS",
                "OPENBLAS_NUM_THREADS",
                "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS",
            )
        },
    }


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _suppress() -> contextlib.AbstractContextManager:
    return contextlib.suppress(Exception)


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{digits}f}"


def _sd(value: Any) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f" ± {value:.4f}"


def _secs(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _seeds_text(env: dict[str, Any]) -> str:
    n = env.get("seeds", 1)
    if n <= 1:
        return f"Seed: {env['seed']} (splits and models)."
    return (
        f"Seed: {env['seed']} (splits, tuning); test metrics of seeded systems are means over "
        f"model seeds {env['seed']}..{env['seed'] + n - 1} (± standard deviation)."
    )


def _header(report: dict[str, Any]) -> list[str]:
    env = report["environment"]
    matched = env.get("suite") == "matched"
    titles = {
        "matched": "tastemaker vs implicit, LensKit, Surprise and textbook references at "
        "matched settings",
        "neural": "tastemaker's neural models against the strongest classic ones",
    }
    title = titles.get(env.get("suite"), "tastemaker vs implicit, LensKit and Surprise")
    how = (
        "Both sides of a pair run one fixed configuration, the same settings in each "
        "library's terms (no tuning)."
        if matched
        else "Each is tuned on a validation split carved from its training data (NDCG@10 "
        "for the hold-out, RMSE for the folds), trying its own library's defaults and the "
        "grid below, then refitted."
    )
    lines = [
        f"# {title} ({env['date']})",
        "",
        f"Command: `{env['command']}`"
        + (" (quick smoke run: one configuration, one fold)" if env["quick"] else ""),
        "",
        f"Machine: {env['machine']['cpu']}, {env['machine']['nproc']} cores "
        f"({env['machine']['usable_cores']} usable), {env['machine']['memory']}; "
        f"{env['machine']['platform']}. Threads per system: {env['threads']} "
        "(Surprise and the systems paired with it: 1). "
        f"{_seeds_text(env)} Git: {env['git_commit']}. Load average (1, 5, 15 min) at start "
        f"{env.get('load_average_start')}, at end {env.get('load_average_end')}: timings "
        "from a busy machine are noisy.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v) + ".",
        "",
        "Every system gets the same splits, ranks the full catalog with the user's training "
        "items excluded, and is scored by the same code (`tastemaker.evaluate`). "
        + how
        + " Fit seconds: "
        f"median of {env['repeats']} timed fit(s) (up to {3 * env['repeats']} while they "
        f"take under {FAST_TOTAL:g} s in all, one when a fit takes over 10 s)"
        + " on the hold-out, median over folds on the folds; data conversion excluded; "
        "rec seconds: top-20 lists for every test user. Recall@20 divides by all of a user's "
        "test items.",
        "",
    ]
    notes = report.get("data_notes") or []
    if notes:
        lines += [f"- {n}" for n in notes] + [""]
    return lines


def _agreement_text(p: dict[str, Any]) -> str:
    a = p.get("agreement") or {}
    if "same_top10" in a:
        return f"{100 * a['same_top10']:.0f}% same top-10"
    if "max_abs_diff" in a:
        return f"max |Δ| {a['max_abs_diff']:.2g}"
    return "–"


def _pair_lines(pairs: list[dict[str, Any]], matched: bool) -> list[str]:
    if not pairs:
        return []
    if matched:
        lines = [
            "## Ours against the peer at matched settings",
            "",
            "Same settings on both sides; agreement: the share of test users whose top-10 "
            "lists are identical (ranking) or the largest difference of the predicted "
            "ratings on fold u1 (rating prediction).",
            "",
            "| settings | protocol | dataset | peer | metric | ours | peer | ours/peer "
            "| fit s ours | fit s peer | fit ours/peer | agreement |",
            "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
    else:
        lines = [
            "## Ours against the same algorithm elsewhere",
            "",
            "Targets: accuracy at least the peer's (NDCG@10 higher or equal, RMSE lower or "
            "equal) and fit time at most 1.0x the peer's with equal factors, iterations and "
            "threads.",
            "",
            "| protocol | dataset | ours | peer | metric | ours | peer | ours/peer | accuracy "
            "| fit s ours | fit s peer | fit ours/peer | speed |",
            "| --- | --- | --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |",
        ]
    for p in pairs:
        if matched:
            peer = p["peer_label"].split(" [")[0]  # without the match key
            head = f"| {p['label']} | {p['protocol']} | {p['dataset']} | {peer} | {p['metric']} "
        else:
            head = (
                f"| {p['protocol']} | {p['dataset']} | {p['ours_label']} "
                f"| {p['peer_label']} | {p['metric']} "
            )
        if p["status"] != "ok":
            cells = 7 if matched else 8
            lines.append(head + f"| – | – | – | n/a: {p['note']} " + "| – " * (cells - 4) + "|")
            continue
        values = f"| {_num(p['ours_value'])} | {_num(p['peer_value'])} | {_num(p['ratio'], 3)} "
        times = (
            f"| {_secs(p['ours_fit_s'])} | {_secs(p['peer_fit_s'])} | {_num(p['fit_ratio'], 2)} "
        )
        if matched:
            lines.append(head + values + times + f"| {_agreement_text(p)} |")
            continue
        speed = p["speed"]
        if p.get("speed_aim") is not None:
            mark = "met" if p["speed_aim_met"] else "not met"
            speed += f" (aim ≤ {p['speed_aim']:g}x: {mark})"
        lines.append(head + values + f"| {p['accuracy']} " + times + f"| {speed} |")
    return [*lines, ""]


def _holdout_lines(report: dict[str, Any], protocol: str = "holdout") -> list[str]:
    lines = []
    records = report["results"]
    neural = any(r.get("training") for r in records)
    for dataset in dict.fromkeys(r["dataset"] for r in records if r["protocol"] == protocol):
        info = report["datasets"].get(dataset, {})
        title = RANKING_PROTOCOLS[protocol]
        lines += [
            f"## {title[0].upper()}{title[1:]}: {dataset}",
            "",
            info.get("summary", "") if protocol == "holdout" else info.get("next_summary", ""),
            "",
            "| system | library | parameters chosen | val NDCG@10 | NDCG@10 | Recall@20 "
            "| Coverage@10 | fit s | rec s |" + (" epochs (best) | train ex/s |" if neural else ""),
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
            + (" ---: | ---: |" if neural else ""),
        ]
        for r in records:
            if r["protocol"] != protocol or r["dataset"] != dataset or r["status"] != "ok":
                continue
            m, sd = r["metrics"], r.get("metrics_sd") or {}
            spread = len(r.get("seeds") or []) > 1
            line = (
                f"| {r['label']} | {r['library']} | {fmt_params(r['params'])} "
                f"| {_num(r['validation'])} "
                f"| {_num(m['ndcg@10'])}{_sd(sd.get('ndcg@10')) if spread else ''} "
                f"| {_num(m['recall@20'])} "
                f"| {_num(m['coverage@10'], 3)} | {_secs(r['fit_s'])} | {_secs(r['rec_s'])} |"
            )
            if neural:
                t = r.get("training")
                line += (
                    f" {t['epochs']} ({t['best_epoch']}) | {t['throughput']:,.0f} |"
                    if t
                    else " | |"
                )
            lines.append(line)
        lines.append("")
    return lines


def _folds_lines(report: dict[str, Any]) -> list[str]:
    fold_records = [
        r for r in report["results"] if r["protocol"] == "folds" and r["status"] == "ok"
    ]
    if not fold_records:
        return []
    n = len(fold_records[0]["folds"])
    lines = [
        f"## ML-100K official folds ({'u1' if n == 1 else f'u1–u{n}'}): rating prediction",
        "",
        "Mean ± standard deviation over folds; fit and predict seconds are medians over folds.",
        "",
        "| system | library | parameters chosen | val RMSE | RMSE | MAE | fit s | predict s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in fold_records:
        m = r["metrics"]
        lines.append(
            f"| {r['label']} | {r['library']} | {fmt_params(r['params'])} "
            f"| {_num(r['validation'])} | {_num(m['rmse'])}{_sd(m['rmse_sd'])} "
            f"| {_num(m['mae'])}{_sd(m['mae_sd'])} | {_secs(r['fit_s'])} "
            f"| {_secs(r['rec_s'])} |"
        )
    return [*lines, ""]


def neural_targets(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, from the test NDCG@10 of the tuned systems: the best
    sequence model against the best classic next-item model (>= 1.2x), the better of
    Mult-VAE and RecVAE against EASE on hold-out (>= 0.97x), and NeuMF against the dot
    product (reported)."""
    ok = [r for r in records if r["status"] == "ok"]

    def best(protocol, dataset, keys):
        found = [
            r
            for r in ok
            if r["protocol"] == protocol and r["dataset"] == dataset and r["system"] in keys
        ]
        return max(found, key=lambda r: r["metrics"]["ndcg@10"], default=None)

    out = []
    classic_next = {"ours-popular", "ours-ease", "ours-als", "ours-markov"}
    sequence = {f"ours-{name}" for name in NEURAL_SEQUENCE}
    checks = [
        (
            "next",
            sequence,
            classic_next,
            1.2,
            "best sequence model / best of popular, EASE, ALS, markov",
        ),
        (
            "holdout",
            {"ours-mult-vae", "ours-recvae"},
            {"ours-ease"},
            0.97,
            "best of Mult-VAE, RecVAE / EASE",
        ),
        ("holdout", {"ours-neumf"}, {"ours-ncf-dot"}, None, "NeuMF / dot product (reported)"),
    ]
    for dataset in dict.fromkeys(r["dataset"] for r in ok):
        for protocol, ours, base, aim, what in checks:
            a, b = best(protocol, dataset, ours), best(protocol, dataset, base)
            if a is None or b is None:
                continue
            ratio = a["metrics"]["ndcg@10"] / b["metrics"]["ndcg@10"]
            out.append(
                {
                    "protocol": protocol,
                    "dataset": dataset,
                    "what": what,
                    "ours": a["label"],
                    "base": b["label"],
                    "ratio": ratio,
                    "aim": aim,
                    "verdict": "reported" if aim is None else ("pass" if ratio >= aim else "miss"),
                }
            )
    return out


def _target_lines(records: list[dict[str, Any]]) -> list[str]:
    targets = neural_targets(records)
    if not targets:
        return []
    lines = [
        "## Targets (test NDCG@10 of the tuned systems)",
        "",
        "| protocol | dataset | comparison | ours | against | ratio | aim | verdict |",
        "| --- | --- | --- | --- | --- | ---: | ---: | --- |",
    ]
    for t in targets:
        aim = "" if t["aim"] is None else f">= {t['aim']:g}"
        lines.append(
            f"| {t['protocol']} | {t['dataset']} | {t['what']} | {t['ours']} | {t['base']} "
            f"| {t['ratio']:.3f} | {aim} | {t['verdict']} |"
        )
    return [*lines, ""]


def render_markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    matched = env.get("suite") == "matched"
    records = report["results"]
    lines = _header(report)
    lines += _pair_lines(report["pairs"], matched)
    lines += _target_lines(records)
    lines += _holdout_lines(report)
    lines += _holdout_lines(report, "next")
    lines += _folds_lines(report)
    noted = sorted({(r["label"], n) for r in records for n in r.get("notes") or []})
    if noted:
        lines += ["## Notes", ""] + [f"- {label}: {note}" for label, note in noted] + [""]
    skipped = [r for r in records if r["status"] != "ok"]
    if skipped:
        lines += [
            "## Not run",
            "",
            "| protocol | dataset | system | status | why |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in skipped:
            lines.append(
                f"| {r['protocol']} | {r['dataset']} | {r['label']} | {r['status']} | {r['note']} |"
            )
        lines.append("")
    title = "Settings" if matched else "Grids"
    intro = (
        "Each system's one configuration (its defaults are not tried)."
        if matched
        else "Configurations tried on validation data (full mode; quick mode tries the "
        "first). Shared settings and grid values are equal within each pair; every system "
        "also tries its library's defaults first ({}). `default x f` scales one of our "
        "model's defaults."
    )
    lines += [
        f"## {title}",
        "",
        intro,
        "",
        "| system | shared settings | grid |",
        "| --- | --- | --- |",
    ]
    for spec in report["specs"]:
        lines.append(
            f"| {spec['label']} | {fmt_params(spec['fixed'])} | "
            + "; ".join(fmt_params(g) for g in spec["grid"])
            + " |"
        )
    lines.append("")
    return "\n".join(lines)


# -- main ---------------------------------------------------------------------------------


def load(name: str, weights: str) -> tuple[Dataset, list[str]]:
    """A named dataset; play counts (a ``weight`` column) transformed as asked."""
    from tastemaker.data import load_dataset

    data = load_dataset(name)
    notes = []
    if "weight" in data.interactions.columns and weights != "raw":
        frame = data.interactions.copy()
        if weights == "log1p":
            frame["weight"] = np.log1p(frame["weight"].to_numpy(np.float64)).astype(np.float32)
            notes.append(f"{name}: weight = log(1 + play count) for every system (--weights log1p)")
        else:
            frame = frame.drop(columns="weight")
            notes.append(
                f"{name}: play counts dropped, every interaction weighs 1 (--weights binary)"
            )
        data = data.replace(frame)
    return data, notes


def select(specs: list[SystemSpec], only: str | None) -> list[SystemSpec]:
    if not only:
        return specs
    wanted = {t.strip() for t in only.split(",") if t.strip()}
    chosen = [s for s in specs if s.family in wanted or s.key in wanted]
    unknown = wanted - {s.family for s in specs} - {s.key for s in specs}
    if unknown:
        names = sorted({s.family for s in specs} | {s.key for s in specs})
        raise SystemExit(f"--only: unknown {sorted(unknown)}; choose from {', '.join(names)}")
    return chosen


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark tastemaker against implicit, LensKit and Surprise.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument(
        "--suite",
        choices=SUITES,
        default="peers",
        help="peers: tuned comparison (default); matched: fixed equal settings, references; "
        "pipeline (first option): reading and the whole train command, see "
        "benchmarks/pipeline.py --help",
    )
    parser.add_argument(
        "--datasets",
        default=None,
        help=f"comma-separated (default: {','.join(DATASETS)}; "
        "ml-100k with --quick or --suite matched)",
    )
    parser.add_argument(
        "--protocols",
        default="holdout,next,folds",
        help="holdout, next and/or folds (default all three)",
    )
    parser.add_argument("--quick", action="store_true", help="one configuration, one fold")
    parser.add_argument("--threads", type=int, default=2, help="threads per system (default 2)")
    parser.add_argument("--seed", type=int, default=42, help="splits and models (default 42)")
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="model seeds per tested configuration; metrics are their means (default 1)",
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed fits (3; 1 with --quick)")
    parser.add_argument(
        "--only", default=None, help="algorithm families or system keys, e.g. als,bpr"
    )
    parser.add_argument(
        "--weights",
        choices=("log1p", "raw", "binary"),
        default="log1p",
        help="play counts (Last.fm) as log(1 + count) (default), raw, or dropped",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default benchmarks/results; with --quick the temp folder)",
    )
    parser.add_argument(
        "--name", default=None, help="file name stem (default: the suite, + -quick with --quick)"
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be an int >= 1, got {args.seeds}.")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["--suite", "pipeline"] or argv[:1] == ["--suite=pipeline"]:
        import pipeline  # reading and the whole train command; its own options follow

        return pipeline.main(argv[1 if "=" in argv[0] else 2 :])
    args = parse_args(argv)
    warnings.filterwarnings("ignore", module="implicit")
    matched = args.suite == "matched"
    opts = Options(
        threads=args.threads,
        seed=args.seed,
        seeds=args.seeds,
        quick=args.quick,
        repeats=args.repeats or (1 if args.quick else 3),
        tune=not matched,
    )
    neural = args.suite == "neural"
    default_datasets = (
        "ml-100k" if args.quick or matched else ",".join(NEXT_DATASETS if neural else DATASETS)
    )
    datasets = [d for d in (args.datasets or default_datasets).split(",") if d]
    protocols = {p.strip() for p in args.protocols.split(",") if p.strip()}
    if neural:
        protocols.discard("folds")  # no neural rating model
    suites = {"matched": matched_suite, "neural": neural_suite, "peers": peer_suite}
    all_specs, all_pairs = suites[args.suite]()
    specs = select(all_specs, args.only)
    env = environment(argv, opts)
    env["suite"] = args.suite
    print(f"tastemaker benchmark: {env['command']}", flush=True)
    print(f"versions: {env['versions']}", flush=True)

    from tastemaker.models import list_models

    registered = [m.name for m in list_models()]
    benchmarked = {s.model for s in all_specs if s.model}
    extra = sorted(set(registered) - benchmarked - {"random"})
    if extra:
        print(f"note: registered but not benchmarked here: {', '.join(extra)}", flush=True)

    start = time.perf_counter()
    records: list[dict[str, Any]] = []
    data_info: dict[str, Any] = {}
    data_notes: list[str] = []
    interrupted = False
    try:
        if "holdout" in protocols:
            for name in datasets:
                data, notes = load(name, args.weights)
                data_notes += notes
                split, _ = holdout_splits(data, opts.seed)
                data_info[name] = {
                    "n_users": data.n_users,
                    "n_items": data.n_items,
                    "n_interactions": data.n_interactions,
                    "n_train": split.train.n_interactions,
                    "n_test": split.test.n_interactions,
                    "n_test_users": len(_users(split.test)),
                    "summary": (
                        f"{data.n_interactions:,} interactions, {data.n_users:,} users, "
                        f"{data.n_items:,} items; {split.train.n_interactions:,} train / "
                        f"{split.test.n_interactions:,} test rows, "
                        f"{len(_users(split.test)):,} test users."
                    ),
                }
                run_holdout(name, data, specs, opts, sink=records)
        if "next" in protocols:
            for name in [d for d in datasets if d in NEXT_DATASETS]:
                data, notes = load(name, args.weights)
                split, _ = holdout_splits(data, opts.seed, "next")
                data_info.setdefault(name, {})["next_summary"] = (
                    f"{data.n_interactions:,} interactions; each of "
                    f"{len(_users(split.test)):,} users' last one held out (by time)."
                )
                run_holdout(name, data, specs, opts, sink=records, protocol="next")
        if "folds" in protocols and "ml-100k" in datasets:
            from tastemaker.data import ml100k_folds

            folds = ml100k_folds(which="u")[: 1 if opts.quick else 5]
            run_folds(folds, specs, opts, sink=records)
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: writing the results so far", flush=True)
    elapsed = time.perf_counter() - start
    env["load_average_end"] = _loadavg()

    report = {
        "environment": env,
        "elapsed_s": elapsed,
        "interrupted": interrupted,
        "datasets": data_info,
        "data_notes": data_notes,
        "specs": [
            {
                "key": s.key,
                "label": s.label,
                "library": s.library,
                "family": s.family,
                "fixed": s.fixed,
                "grid": list(s.grid),
                "protocols": list(s.protocols),
            }
            for s in specs
        ],
        "results": records,
        "pairs": compare_pairs(records, specs, all_pairs),
        "targets": neural_targets(records),
    }
    out = args.out
    if out is None:
        out = (
            Path(tempfile.gettempdir()) / "tastemaker-bench"
            if args.quick
            else Path(__file__).resolve().parent / "results"
        )
    out.mkdir(parents=True, exist_ok=True)
    name = args.name or (args.suite + ("-quick" if args.quick else ""))
    stem = f"{dt.date.today().isoformat()}-{name}"
    md_path, json_path = out / f"{stem}.md", out / f"{stem}.json"
    tail = f"\nTotal run time: {elapsed / 60:.1f} min" + (" (interrupted)" if interrupted else "")
    md_path.write_text(render_markdown(report) + tail + ".\n")
    json_path.write_text(json.dumps(_jsonable(report), indent=1, default=str) + "\n")
    print(f"\nwrote {md_path} and {json_path} ({elapsed / 60:.1f} min)", flush=True)
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
