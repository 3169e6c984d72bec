"""Tune every model's defaults on MovieLens-100K validation data (never test data).

Ranking models: the training part of the benchmark's random 80/20 split (seed 42) is
split again 80/20 (validation), and Optuna searches each model's ``search_space`` for
the best validation NDCG@10. Rating models: the validation split is carved from the
official ``u1.base`` and the metric is RMSE. The test parts are never read.

    python benchmarks/tune_defaults.py --trials 30 --models als,ease --out benchmarks/results

Writes ``defaults-<date>.md`` (a table) and one ``<model>.toml`` per model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from pathlib import Path

from tastemaker.data import RandomHoldout, load_dataset, ml100k_folds
from tastemaker.models import get_model_class, list_models
from tastemaker.tuning import tune_model, write_params


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated; default: every tunable")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    names = [m for m in args.models.split(",") if m] or [
        info.name for info in list_models() if info.cls.search_space
    ]
    ml100k = load_dataset("ml-100k")
    ranking_train = RandomHoldout(test_size=0.2, random_state=args.seed)(ml100k).train
    rating_train = ml100k_folds(which="u")[0].train
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in names:
        cls = get_model_class(name)
        data, metric = (
            (rating_train, "rmse") if cls().tags.predicts_ratings else (ranking_train, "ndcg@10")
        )
        start = time.perf_counter()
        result = tune_model(data, name, n_trials=args.trials, metric=metric, random_state=args.seed)
        seconds = time.perf_counter() - start
        write_params(result, args.out / f"{name}.toml")
        tuned = {k: result.best_params[k] for k in cls.search_space}
        rows.append((name, metric, result.default_value, result.best_value, tuned, seconds))
        print(f"{name}: {metric} {result.default_value:.4f} -> {result.best_value:.4f} {tuned}")
    lines = [
        f"# Tuned defaults ({dt.date.today().isoformat()})",
        "",
        f"Command: `python benchmarks/tune_defaults.py {' '.join(sys.argv[1:])}`",
        "",
        "Validation data only: ranking models on an 80/20 split of the training part of",
        f"ML-100K's random 80/20 split (seed {args.seed}); rating models on an 80/20 split",
        "of the official u1.base. Test data is never read.",
        "",
        "| model | metric | defaults before | tuned | parameters | seconds |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, metric, before, after, tuned, seconds in rows:
        params = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in tuned.items()
        )
        lines.append(
            f"| {name} | {metric} | {before:.4f} | {after:.4f} | {params} | {seconds:.0f} |"
        )
    path = args.out / f"defaults-{dt.date.today().isoformat()}.md"
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
