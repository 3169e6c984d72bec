"""Issue 8's cold-start targets in one run: cold items, new users, warm, one table.

    TASTEMAKER_DATA_DIR=... python benchmarks/cold_start.py [--quick] [--out benchmarks/results]

Parts (each model fitted on the training part only; the numbers come from the project's
metric code):

- ``cold-item ml-latest-small``: 20% of the items and all their interactions held out
  (``benchmarks/cold_item_content.py``'s split, seeds 42, 7 and 0); every item keeps its
  genres and title only (a new item has no user tags); each user's held-out items are
  ranked among the held-out items, Recall@20. Models: ``hybrid``, ``content``, a plain
  TF-IDF cosine over "title + genres", genre popularity, random. Targets: hybrid >= 1.15x
  TF-IDF cosine and >= 3x genre popularity; content >= TF-IDF cosine.
- ``cold-item bing-news``: ``tastemaker evaluate --protocol cold-item-20`` on the news
  titles (seeds 0-2). Target: >= 3x random.
- ``new-user ml-100k``: ``--protocol new-user-5-10`` (first 5 items by time revealed,
  next 10 tested), seeds 0-5; ``hybrid`` with the demographics and the 5 events against
  fold-in EASE and popularity, NDCG@10. Target: >= 1.5x popularity and above EASE.
  hybrid's ``user_feature_weight`` was chosen on seeds 0-2: seeds 3-5 are reported apart.
- ``warm ml-100k``: ``--protocol random-80-20``, seeds 0-2, NDCG@10. Target: hybrid within
  5% of the best collaborative model (EASE, ALS).

Ratios are means over seeds of the per-seed ratios. ``--quick`` runs one seed each.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cold_item_content import cold_split, recall_at

from tastemaker.data import Dataset, load_dataset
from tastemaker.evaluate.runner import evaluate_models
from tastemaker.models import create_model


@functools.cache
def _dataset(name: str) -> Dataset:
    return load_dataset(name)  # read once per run, split by each seed


def cold_items_movielens(seed: int) -> dict[str, float]:
    """Recall@20 of each model on one cold-item split of ML-latest-small."""
    data = _dataset("ml-latest-small")
    items = data.items[["title", "genres"]].copy()
    train_events, test_events, cold_ids = cold_split(data, seed)
    users = sorted(set(test_events["user"]) & set(train_events["user"]))
    relevant_ids = test_events.groupby("user")["item"].apply(lambda s: s.unique())
    position = {i: j for j, i in enumerate(cold_ids)}
    relevant = [np.array([position[i] for i in relevant_ids[u]]) for u in users]
    docs = items.assign(doc=items["title"] + " " + items["genres"].map(" ".join))[["doc"]]
    runs = {
        "hybrid": (create_model("hybrid"), items),
        "content": (create_model("content"), items),
        "tfidf-cosine": (create_model("content", text="doc", categorical=[]), docs),
    }
    out = {}
    for name, (model, table) in runs.items():
        model.fit(Dataset(train_events, items=table, name="ml-latest-small warm"))
        out[name] = recall_at(model.score(users, items=cold_ids), relevant, 20)
    counts = train_events["item"].map(items["genres"]).explode().value_counts()
    pop = np.array(
        [np.mean([counts.get(g, 0) for g in items["genres"][i]] or [0]) for i in cold_ids]
    )
    out["genre-popularity"] = recall_at(np.tile(pop, (len(users), 1)), relevant, 20)
    out["random"] = min(1.0, 20 / len(cold_ids))
    return out


def protocol_run(dataset: str, protocol: str, models, metric: str, seed: int):
    """``metric`` of each model (names, or a mapping label -> model) on one split."""
    run = evaluate_models(
        _dataset(dataset), models, protocol=protocol, metrics=[metric], random_state=seed
    )
    board = run.leaderboard
    return {r.model: float(r.value) for r in board[board["metric"] == metric].itertuples()}


def sweep_user_feature_weight(weights: list[float], seeds: list[int]) -> None:
    """hybrid's ``user_feature_weight`` on ML-100K new users: NDCG@10 / popularity."""
    models = {"popular": "popular"} | {
        f"hybrid w={w:g}": create_model("hybrid", user_feature_weight=w) for w in weights
    }
    ratios: dict[str, list[float]] = {}
    for seed in seeds:
        values = protocol_run("ml-100k", "new-user-5-10", models, "ndcg@10", seed)
        for label, value in values.items():
            ratios.setdefault(label, []).append(value / values["popular"])
        print(seed, {k: round(v, 4) for k, v in values.items()}, flush=True)
    for label, r in ratios.items():
        print(f"{label:14s} {np.mean(r):.3f}x popular (seeds {seeds})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one seed per part")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument(
        "--sweep-user-weight",
        metavar="W,W,...",
        help="only sweep hybrid's user_feature_weight on ML-100K new users, seeds 0-2",
    )
    args = parser.parse_args()
    if args.sweep_user_weight:
        weights = [float(w) for w in args.sweep_user_weight.split(",")]
        sweep_user_feature_weight(weights, [0, 1, 2])
        return
    pick = (lambda seeds: seeds[:1]) if args.quick else (lambda seeds: seeds)
    started = time.perf_counter()
    parts: dict[str, list[dict]] = {}

    def record(part, seed, values):
        parts.setdefault(part, []).append({"seed": seed, **values})
        print(part, seed, {k: round(v, 4) for k, v in values.items()}, flush=True)

    for seed in pick([42, 7, 0]):
        record("cold-item ml-latest-small (Recall@20)", seed, cold_items_movielens(seed))
    for seed in pick([0, 1, 2]):
        values = protocol_run(
            "bing-news", "cold-item-20", ["random", "content", "hybrid"], "recall@20", seed
        )
        record("cold-item bing-news (Recall@20)", seed, values)
    for seed in pick([0, 1, 2, 3, 4, 5]):
        values = protocol_run(
            "ml-100k", "new-user-5-10", ["popular", "ease", "hybrid"], "ndcg@10", seed
        )
        record("new-user ml-100k (NDCG@10)", seed, values)
    for seed in pick([0, 1, 2]):
        values = protocol_run("ml-100k", "random-80-20", ["ease", "als", "hybrid"], "ndcg@10", seed)
        record("warm ml-100k (NDCG@10)", seed, values)

    def ratio(part, a, b, seeds=None):
        rows = [r for r in parts[part] if seeds is None or r["seed"] in seeds]
        return float(np.mean([r[a] / r[b] for r in rows])) if rows else float("nan")

    best_cf = [max(r["ease"], r["als"]) for r in parts["warm ml-100k (NDCG@10)"]]
    warm = float(
        np.mean([r["hybrid"] / b for r, b in zip(parts["warm ml-100k (NDCG@10)"], best_cf)])
    )
    cold_ml = "cold-item ml-latest-small (Recall@20)"
    news = "cold-item bing-news (Recall@20)"
    new = "new-user ml-100k (NDCG@10)"
    targets = [
        ("hybrid / tfidf-cosine, ML-latest-small cold items",
         ratio(cold_ml, "hybrid", "tfidf-cosine"), 1.15),
        ("hybrid / genre popularity, ML-latest-small cold items",
         ratio(cold_ml, "hybrid", "genre-popularity"), 3.0),
        ("content / tfidf-cosine, ML-latest-small cold items",
         ratio(cold_ml, "content", "tfidf-cosine"), 1.0),
        ("hybrid / random, bing-news cold items", ratio(news, "hybrid", "random"), 3.0),
        ("content / random, bing-news cold items", ratio(news, "content", "random"), 3.0),
        ("hybrid / popular, ML-100K new users (all seeds)",
         ratio(new, "hybrid", "popular"), 1.5),
        ("hybrid / popular, ML-100K new users (seeds 3-5, not used to choose)",
         ratio(new, "hybrid", "popular", {3, 4, 5}), 1.5),
        ("hybrid / fold-in EASE, ML-100K new users", ratio(new, "hybrid", "ease"), 1.0),
        ("EASE / popular, ML-100K new users", ratio(new, "ease", "popular"), None),
        ("hybrid / best of EASE and ALS, ML-100K warm", warm, 0.95),
    ]  # fmt: skip
    lines = [
        f"# Cold start (issue 8) — {datetime.date.today().isoformat()}",
        "",
        "`python benchmarks/cold_start.py`" + (" --quick" if args.quick else ""),
        f"({time.perf_counter() - started:.0f} s on this machine).",
        "",
        "## Targets",
        "",
        "| target | measured | aim | met |",
        "| --- | --- | --- | --- |",
    ]
    for name, value, aim in targets:
        met = "" if aim is None else ("yes" if value >= aim else "**no**")
        lines.append(f"| {name} | {value:.3f}x | {'' if aim is None else f'>= {aim}x'} | {met} |")
    for part, rows in parts.items():
        frame = pd.DataFrame(rows).set_index("seed")
        lines += ["", f"## {part}", "", "| seed | " + " | ".join(frame.columns) + " |"]
        lines.append("| --- " * (len(frame.columns) + 1) + "|")
        for seed, row in frame.iterrows():
            lines.append(f"| {seed} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
        lines.append("")
        lines.append(f"mean: {', '.join(f'{c} {frame[c].mean():.4f}' for c in frame.columns)}")
    args.out.mkdir(parents=True, exist_ok=True)
    stem = (
        args.out / f"{datetime.date.today().isoformat()}-cold-start{'-quick' if args.quick else ''}"
    )
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    stem.with_suffix(".json").write_text(
        json.dumps({"parts": parts, "targets": [list(t) for t in targets]}, indent=1)
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
