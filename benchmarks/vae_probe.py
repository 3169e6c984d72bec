"""Autoencoders against EASE on the benchmark's hold-out split, tuned on validation only.

    python benchmarks/vae_probe.py                                 # defaults, both datasets
    python benchmarks/vae_probe.py --models mult-vae --grid '{"dropout": [0.3, 0.5]}'
    python benchmarks/vae_probe.py --datasets ml-100k --threads 1 --no-test

The split is ``holdout_splits(data, seed)`` of ``benchmarks/run.py`` (random 80/20 per
user; the validation split is the same carve of the training part). Every configuration
of a model (its defaults, or the grid's product) is fitted on the inner training part and
scored by NDCG@10 on the validation part with ``_ranking_scores`` (full ranking, training
items excluded); the best is refitted on the whole training part and tested (NDCG@10,
Recall@20). EASE is tuned over ``regularization`` in {500, 125, 1000}. Prints one line per
configuration and a Markdown table; ``--json`` writes every record.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peers
from run import _ranking_scores, holdout_splits

EASE_GRID = {"regularization": [500.0, 125.0, 1000.0]}


def _configs(grid: dict[str, list]) -> list[dict]:
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def _fit(model: str, params: dict, train, threads: int, seed: int):
    system = _peers.Ours({"model": model, **params}, threads, seed)
    system.prepare(train)
    start = time.perf_counter()
    system.fit()
    return system, time.perf_counter() - start


def _training(system) -> dict:
    history = getattr(system.model, "history_", None)
    if not history:
        return {}
    return {
        "epochs": len(history["epochs"]),
        "best_epoch": history["best_epoch"],
        "throughput": history["throughput"],
    }


def probe(model, grid, name, split, inner, threads, seed, test=True) -> dict:
    tried = []
    for params in _configs(grid):
        system, fit_s = _fit(model, params, inner.train, threads, seed)
        scores, _, _ = _ranking_scores(system, inner.train, inner.test, ["ndcg@10"], 10)
        tried.append({"params": params, "validation": scores["ndcg@10"], "fit_s": fit_s})
        tried[-1].update(_training(system))
        print(
            f"  {name} {model} {params}: validation {scores['ndcg@10']:.4f} "
            f"fit {fit_s:.1f}s {_training(system)}",
            flush=True,
        )
    best = max(tried, key=lambda r: r["validation"])
    record = {"model": model, "dataset": name, **best, "grid": tried}
    if test:
        system, fit_s = _fit(model, best["params"], split.train, threads, seed)
        scores, _, _ = _ranking_scores(
            system, split.train, split.test, ["ndcg@10", "recall@20"], 20
        )
        record.update(test=scores, test_fit_s=fit_s, test_training=_training(system))
        print(
            f"  {name} {model} TEST {best['params']}: ndcg@10 {scores['ndcg@10']:.4f} "
            f"recall@20 {scores['recall@20']:.4f} fit {fit_s:.1f}s {_training(system)}",
            flush=True,
        )
    return record


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="ml-100k,ml-latest-small")
    parser.add_argument("--models", default="ease,mult-vae,recvae")
    parser.add_argument("--grid", default="{}", help="JSON: parameter -> values (VAEs)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-test", action="store_true")
    parser.add_argument("--json", type=Path)
    opts = parser.parse_args(argv)

    from tastemaker.data import load_dataset

    grid = json.loads(opts.grid)
    records = []
    for name in opts.datasets.split(","):
        data = load_dataset(name)
        split, inner = holdout_splits(data, opts.seed)
        for model in opts.models.split(","):
            model_grid = EASE_GRID if model == "ease" else grid
            records.append(
                probe(
                    model, model_grid, name, split, inner, opts.threads, opts.seed, not opts.no_test
                )
            )
    print(
        "\n| dataset | model | params | val NDCG@10 | test NDCG@10 | Recall@20 | fit s "
        "| epochs (best) | throughput (users/s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in records:
        test = r.get("test", {})
        tr = r.get("test_training", {})
        epochs = f"{tr['epochs']} ({tr['best_epoch']})" if tr else ""
        thr = f"{tr['throughput']:.0f}" if tr else ""
        print(
            f"| {r['dataset']} | {r['model']} | {r['params']} | {r['validation']:.4f} | "
            f"{test.get('ndcg@10', float('nan')):.4f} | {test.get('recall@20', float('nan')):.4f} "
            f"| {r.get('test_fit_s', r['fit_s']):.1f} | {epochs} | {thr} |"
        )
    if opts.json:
        opts.json.write_text(json.dumps(records, indent=1, default=str))


if __name__ == "__main__":
    main()
