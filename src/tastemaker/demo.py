"""The main job (`make demo`): train and evaluate on MovieLens-100K, print a
leaderboard with 95% confidence intervals and explained top-10 lists for three users.

Run with ``python -m tastemaker.demo``; results go to stdout, logs and progress to
stderr. ``--models`` and ``--protocol`` change what is run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from tastemaker import _progress
from tastemaker.errors import UserError

DEMO_MODELS = (
    "popular",
    "random",
    "bias",
    "item-knn",
    "user-knn",
    "svd",
    "svdpp",
    "als",
    "bpr",
    "ease",
    "slim",
)
DEMO_METRICS = ("ndcg@10", "recall@10", "map@10", "coverage@10", "novelty@10")
DEMO_USERS = 3


def _history_table(model, split, user) -> Table:
    inter = split.train.interactions
    rows = inter[inter["user"] == user]
    if "timestamp" in rows.columns:
        rows = rows.sort_values("timestamp", ascending=False)
    table = Table(title=f"user {user}: most recent of {len(rows)} training interactions")
    for col in ("item", "title", "rating", "date"):
        table.add_column(col)
    titles = split.train.items["title"] if split.train.items is not None else None
    for row in rows.head(5).itertuples():
        title = str(titles.get(row.item, "")) if titles is not None else ""
        rating = f"{row.rating:g}" if hasattr(row, "rating") else ""
        date = (
            pd.to_datetime(row.timestamp, unit="s").date().isoformat()
            if hasattr(row, "timestamp")
            else ""
        )
        table.add_row(str(row.item), title, rating, date)
    return table


def _recs_table(model, split, user, k: int = 10) -> Table:
    from tastemaker.explain import CoOccurrenceExplainer

    recs = CoOccurrenceExplainer(model)(model.recommend([user], k=k))
    test = split.test.interactions
    held_out = set(test.loc[test["user"] == user, "item"].tolist())
    titles = split.train.items["title"] if split.train.items is not None else None
    table = Table(title=f"top-{k} for user {user} by {model.name} (* = in the user's test set)")
    for col in ("rank", "item", "title", "score", "why"):
        table.add_column(col)
    for row in recs.itertuples():
        mark = "*" if row.item in held_out else ""
        title = str(titles.get(row.item, "")) if titles is not None else ""
        table.add_row(
            f"{row.rank}{mark}", str(row.item), title, f"{row.score:.3f}", row.explanation
        )
    return table


def run(models=DEMO_MODELS, protocol: str = "random-80-20", seed: int = 42) -> int:
    from tastemaker.evaluate import evaluate_models

    out = Console()
    from tastemaker.evaluate.report import leaderboard_table
    from tastemaker.workflows import load_data

    data = load_data(dataset="ml-100k")
    out.print(
        f"[bold]MovieLens-100K[/bold]: {data.n_interactions} ratings, {data.n_users} users, "
        f"{data.n_items} movies; protocol {protocol} (seed {seed}), full ranking over all "
        "movies, training items excluded"
    )
    run_ = evaluate_models(
        data, list(models), protocol=protocol, metrics=DEMO_METRICS, random_state=seed
    )
    out.print(
        leaderboard_table(
            run_.leaderboard,
            rows="model",
            title="leaderboard: value [95% bootstrap interval over users]",
        )
    )
    tests = run_.comparisons("ndcg@10")
    for row in tests.sort_values("mean_diff").head(3).itertuples():  # closest rivals
        out.print(
            f"ndcg@10 {row.best} - {row.model}: {row.mean_diff:+.4f} "
            f"[{row.ci_low:+.4f}, {row.ci_high:+.4f}], paired t-test p = {row.p_value:.2g}"
        )
    timing = run_.timings.assign(
        fit_seconds=run_.timings["fit_seconds"].round(2),
        eval_seconds=run_.timings["eval_seconds"].round(2),
    )
    out.print(timing.to_string(index=False))
    ndcg = run_.leaderboard[run_.leaderboard["metric"] == "ndcg@10"]
    best = ndcg.sort_values("value", ascending=False)["model"].iloc[0]
    model = run_.models[best]
    test_users = run_.split.test.interactions["user"].unique()
    rng = np.random.default_rng(seed)
    for user in sorted(rng.choice(test_users, size=DEMO_USERS, replace=False).tolist()):
        out.print(_history_table(model, run_.split, user))
        out.print(_recs_table(model, run_.split, user))
    _sequence_section(data, out)
    _cold_start_section(run_.split.train, out)
    return 0


DEMO_SEQUENCE = {"n_epochs": 6, "validation": 0.0}
"""A short training of the neural sequence model, for the demo's time budget (its
tuned, longer training is in benchmarks/results/*-neural.md)."""


def _sequence_section(data, out) -> None:
    """Sequence models against static ones on the next item (leave-last-1), and a
    neural sequence model reacting to a new event without retraining."""
    from tastemaker.data import LeaveLastOut
    from tastemaker.evaluate import evaluate_model
    from tastemaker.models import create_model

    split = LeaveLastOut(n=1)(data)
    table = Table(title="next item (leave-last-1, full ranking): sequence models vs static ones")
    for col in ("model", "ndcg@10", "hit@10", "fit s"):
        table.add_column(col)
    models = {}
    for name, params in (
        ("popular", {}),
        ("ease", {}),
        ("markov", {}),
        ("gru4rec", DEMO_SEQUENCE),
    ):
        start = time.perf_counter()
        model = create_model(name, **params).fit(split.train)
        seconds = time.perf_counter() - start
        result = evaluate_model(model, split.train, split.test, ["ndcg@10", "hit@10"]).summary
        label = f"{name} ({params['n_epochs']} epochs)" if params else name
        table.add_row(
            label, f"{result['ndcg@10']:.4f}", f"{result['hit@10']:.4f}", f"{seconds:.1f}"
        )
        models[name] = model
    out.print(table)
    _real_time(models["gru4rec"], split.train, out)


def _real_time(model, train, out) -> None:
    """A session of three films, then one more event: the list moves, no retraining."""
    titles = train.items["title"] if train.items is not None else pd.Series(dtype=object)
    session = pd.DataFrame({"user": "session", "item": [1, 50, 181], "timestamp": [1, 2, 3]})
    later = pd.concat([session, pd.DataFrame({"user": "session", "item": [121], "timestamp": [4]})])
    before = model.recommend_history(session, k=3).items
    after = model.recommend_history(later, k=3).items
    names = lambda items: "; ".join(str(titles.get(i, i)) for i in items)  # noqa: E731
    out.print(
        f"real time ({model.name}): a session watching {names(session['item'])} -> "
        f"{names(before)}\n  ... then {names([121])} -> {names(after)}"
    )


NEWCOMER_MOVIES = (50, 181, 172)  # Star Wars, Return of the Jedi, The Empire Strikes Back


def _cold_start_section(train, out) -> None:
    """The cold-start chain (docs/cold-start.md) with ``hybrid``: a new user placed by
    her demographics, then three picks folded in, then her events learned by update;
    movies without training ratings placed by their genres and titles."""
    import pandas as pd

    from tastemaker.explain import CoOccurrenceExplainer
    from tastemaker.models import create_model

    titles = train.items["title"] if train.items is not None else pd.Series(dtype=object)

    def show(recs, title: str, explainer) -> None:
        frame = explainer(recs)
        table = Table(title=title)
        for col in ("rank", "title", "source", "why"):
            table.add_column(col)
        for row in frame.head(5).itertuples():
            table.add_row(
                str(row.rank), str(titles.get(row.item, row.item)), row.source, row.explanation
            )
        out.print(table)

    model = create_model("hybrid").fit(train)
    newcomer = int(max(train.user_map.ids)) + 1  # a new id of the catalog's kind
    features = pd.DataFrame(
        {"user": [newcomer], "age": [24], "gender": ["F"], "occupation": ["student"]}
    )
    show(
        model.recommend([newcomer], k=5, features=features),
        "cold start 1: a new user (24, F, student), no history -> hybrid places her by "
        "her demographics",
        CoOccurrenceExplainer(model, features=features),
    )
    events = pd.DataFrame(
        {"user": newcomer, "item": list(NEWCOMER_MOVIES), "rating": 5.0, "timestamp": [1, 2, 3]}
    )
    show(
        model.recommend_history(events, k=5),
        "cold start 2: onboarding, she picks three Star Wars films -> folded in, no retraining",
        CoOccurrenceExplainer(model, history=events),
    )
    model.update(events)
    recs = model.recommend([newcomer], k=5)
    out.print(
        f"cold start 3: after model.update(events) user {newcomer} is known "
        f"(fallbacks: {recs.fallback or 'none'}); top pick now: "
        f"{titles.get(recs.items[0], recs.items[0])}"
    )
    placed = model.items_.ids[model.mapped_items_]
    if len(placed):
        out.print(
            f"cold start 4: {len(placed)} movies have no training ratings; hybrid placed "
            f"them by genres and title (e.g. {titles.get(placed[0], placed[0])}), where "
            "EASE cannot score them"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tastemaker.demo", description=__doc__)
    parser.add_argument("--models", default=",".join(DEMO_MODELS))
    parser.add_argument("--protocol", default="random-80-20")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    _progress.enable(True)
    try:
        return run(args.models.split(","), args.protocol, args.seed)
    except UserError as err:
        Console(stderr=True).print(f"[red]error:[/red] {err}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
