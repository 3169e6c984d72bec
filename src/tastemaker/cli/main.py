"""The `tastemaker` command line (Typer). Results go to files or stdout, logs to stderr."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from tastemaker import __version__
from tastemaker.cli import _datasets
from tastemaker.cli._common import (
    parse_columns,
    parse_sep,
    parse_weights,
    stderr,
    stdout,
    write_json,
)

app = typer.Typer(
    no_args_is_help=True,
    help="Build, evaluate and serve recommenders.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(_datasets.app, name="datasets")

DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Interaction file (CSV, TSV, Parquet, JSON lines).")
]
DatasetOpt = Annotated[
    str | None, typer.Option("--dataset", help="Named dataset; see `tastemaker datasets list`.")
]
ItemsOpt = Annotated[Path | None, typer.Option(help="Item table keyed by `item`.")]
UsersTableOpt = Annotated[
    Path | None, typer.Option("--user-table", help="User table keyed by `user`.")
]
SepOpt = Annotated[str | None, typer.Option(help="Field separator of --data (default: sniffed).")]
DuplicatesOpt = Annotated[
    str,
    typer.Option(
        help="Repeated (user, item) rows: keep, merge (sum weights, latest rating), "
        "first, last or error. Counted and reported either way."
    ),
]
ThresholdOpt = Annotated[
    float | None,
    typer.Option(help="Keep ratings >= this as implicit interactions (the rest are dropped)."),
]
EventWeightsOpt = Annotated[
    str | None,
    typer.Option(
        help="Weight interactions by event type: 'default' (view 1, click 2, cart 4, "
        "purchase 8) or view=1,cart=3,..."
    ),
]
HalfLifeOpt = Annotated[
    float | None, typer.Option(help="Halve interaction weights every this many days of age.")
]
MinInteractionsOpt = Annotated[
    int | None,
    typer.Option(help="k-core: keep users and items with at least this many interactions."),
]
RatingRangeOpt = Annotated[
    str | None,
    typer.Option(help="Rating scale low,high (e.g. 1,5): a rating outside it is an error."),
]
ColumnsOpt = Annotated[
    str | None,
    typer.Option(help="Map file columns to standard names: user=userId,item=movieId,..."),
]


def _version(value: bool) -> None:
    if value:
        stdout.print(f"tastemaker {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Warnings and errors only.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Build, evaluate and serve recommenders."""
    from rich.logging import RichHandler

    from tastemaker import _progress

    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    if sys.stderr.isatty():
        handler = RichHandler(console=stderr, show_path=False, show_time=False, markup=False)
    else:  # logs to a file or pipe: plain lines, no padding
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger("tastemaker")
    root.handlers = [h for h in root.handlers if isinstance(h, logging.NullHandler)] + [handler]
    root.setLevel(level)
    root.propagate = False
    _progress.enable(not quiet)


def _load(options: dict):
    """Load --data/--dataset with the shared data options of a command (its locals):
    one place that parses them for train, evaluate and tune."""
    from tastemaker.workflows import load_data

    return load_data(
        options["data"],
        options["dataset"],
        items=options.get("items"),
        users=options.get("user_table"),
        sep=parse_sep(options.get("sep")),
        columns=parse_columns(options.get("columns")),
        duplicates=options.get("duplicates", "keep"),
        rating_threshold=options.get("rating_threshold"),
        event_weights=parse_weights(options.get("event_weights")),
        half_life_days=options.get("half_life"),
        min_interactions=options.get("min_interactions"),
        rating_range=options.get("rating_range"),
    )


@app.command("models")
def models_cmd() -> None:
    """List the registered models and their parameters."""
    from rich.table import Table

    from tastemaker.models import list_models

    table = Table(title="models")
    for col in ("name", "summary", "parameters (defaults)", "ratings", "fold-in"):
        table.add_column(col)
    for info in list_models():
        params = ", ".join(f"{k}={v!r}" for k, v in info.params.items()) or "-"
        table.add_row(
            info.name,
            info.summary,
            params,
            "yes" if info.predicts_ratings else "",
            "yes" if info.supports_fold_in else "",
        )
    stdout.print(table)


@app.command()
def train(
    out: Annotated[Path, typer.Option(help="Directory to write the trained model to.")],
    model: Annotated[str | None, typer.Option(help="Model name; see `tastemaker models`.")] = None,
    data: DataOpt = None,
    dataset: DatasetOpt = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Model parameter key=value (repeatable).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="TOML file with model and [params] (from `tune`).")
    ] = None,
    items: ItemsOpt = None,
    user_table: UsersTableOpt = None,
    sep: SepOpt = None,
    columns: ColumnsOpt = None,
    duplicates: DuplicatesOpt = "keep",
    rating_threshold: ThresholdOpt = None,
    event_weights: EventWeightsOpt = None,
    half_life: HalfLifeOpt = None,
    min_interactions: MinInteractionsOpt = None,
    rating_range: RatingRangeOpt = None,
) -> None:
    """Train MODEL on --data or --dataset and save it to OUT."""
    from tastemaker._progress import status
    from tastemaker.workflows import build_model, parse_overrides

    estimator = build_model(model, parse_overrides(set_), config)  # checked before loading
    loaded = _load(locals())
    with status(f"fitting {estimator.name}"):
        estimator.fit(loaded)
    estimator.save(out)
    stderr.print(
        f"saved {estimator.name} ({loaded.n_users} users x {loaded.n_items} items) to {out}"
    )


@app.command()
def recommend(
    model_dir: Annotated[Path, typer.Argument(help="Directory written by `train`.")],
    users: Annotated[Path | None, typer.Option("--users", help="CSV with a `user` column.")] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Every user seen in training.")] = False,
    k: Annotated[int, typer.Option("--k", help="List length.")] = 10,
    candidates: Annotated[
        Path | None, typer.Option(help="CSV with an `item` column: rank only these items.")
    ] = None,
    include_seen: Annotated[
        bool, typer.Option("--include-seen", help="Keep items seen in training.")
    ] = False,
    explain: Annotated[bool, typer.Option(help="Add an `explanation` column.")] = False,
    out: Annotated[Path | None, typer.Option(help="CSV to write (default: stdout).")] = None,
) -> None:
    """Top-K recommendations from a trained model as CSV: user,item,rank,score."""
    from tastemaker.models.base import check_k
    from tastemaker.workflows import recommend_users, write_frame

    check_k(k, "--k")
    recs = recommend_users(
        model_dir,
        users_file=users,
        all_users=all_users,
        k=k,
        candidates_file=candidates,
        exclude_seen=not include_seen,
        explain=explain,
    )
    write_frame(recs, out)
    if out is not None:
        stderr.print(f"wrote {len(recs)} recommendations to {out}")


@app.command()
def predict(
    model_dir: Annotated[Path, typer.Argument(help="Directory written by `train`.")],
    pairs: Annotated[Path, typer.Option(help="CSV with `user` and `item` columns.")],
    out: Annotated[Path | None, typer.Option(help="CSV to write (default: stdout).")] = None,
) -> None:
    """Predicted ratings as CSV: user,item,prediction (rating models only)."""
    from tastemaker.workflows import predict_file, write_frame

    preds = predict_file(model_dir, pairs)
    write_frame(preds, out)
    if out is not None:
        stderr.print(f"wrote {len(preds)} predictions to {out}")


@app.command()
def evaluate(
    data: DataOpt = None,
    dataset: DatasetOpt = None,
    models: Annotated[
        str | None, typer.Option(help="Comma-separated model names, e.g. popular,bias.")
    ] = None,
    protocol: Annotated[
        str, typer.Option(help="Split protocol, e.g. random-80-20, temporal-80-20, leave-last-1.")
    ] = "random-80-20",
    metrics: Annotated[
        str | None, typer.Option(help="Comma-separated metrics, e.g. ndcg@10,recall@20.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the split and the bootstrap.")] = 42,
    recs: Annotated[
        Path | None, typer.Option(help="Score this recommendation file (user,item,rank) instead.")
    ] = None,
    test: Annotated[Path | None, typer.Option(help="Test interactions for --recs.")] = None,
    train: Annotated[
        Path | None, typer.Option(help="Training interactions for --recs (popularity, catalog).")
    ] = None,
    per_user: Annotated[Path | None, typer.Option(help="Also write per-user values (CSV).")] = None,
    report: Annotated[
        Path | None, typer.Option(help="Also write an HTML report with charts.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="JSON results (default: stdout).")] = None,
    csv: Annotated[Path | None, typer.Option(help="Also write the leaderboard as CSV.")] = None,
    items: ItemsOpt = None,
    sep: SepOpt = None,
    columns: ColumnsOpt = None,
    duplicates: DuplicatesOpt = "keep",
    rating_threshold: ThresholdOpt = None,
    event_weights: EventWeightsOpt = None,
    half_life: HalfLifeOpt = None,
    min_interactions: MinInteractionsOpt = None,
    rating_range: RatingRangeOpt = None,
) -> None:
    """Evaluate models on a split of --data/--dataset, or score a --recs file."""
    from tastemaker.errors import ParameterError
    from tastemaker.workflows import write_frame

    metric_list = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    if recs is not None:
        if test is None:
            raise ParameterError("--recs needs --test FILE with the held-out interactions")
        if data is not None or dataset is not None or models is not None:
            raise ParameterError(
                "--recs scores a file; do not combine it with --data/--dataset/--models"
            )
        if not metric_list:
            raise ParameterError("--recs needs --metrics, e.g. --metrics ndcg@10,recall@20")
        from tastemaker.workflows import evaluate_recs_file

        result = evaluate_recs_file(recs, test, metric_list, train_file=train)
        write_json(result.summary, out)
        if per_user is not None:
            write_frame(result.per_user, per_user)
        return
    if not models:
        raise ParameterError("give --models a,b,c (see `tastemaker models`) or --recs FILE")
    from tastemaker.evaluate import parse_metrics
    from tastemaker.evaluate.report import leaderboard_table
    from tastemaker.workflows import check_protocol, evaluate_models

    if metric_list:
        parse_metrics(metric_list)  # checked before any data is read
    check_protocol(protocol)

    loaded = _load(locals())
    names = [m.strip() for m in models.split(",") if m.strip()]
    run = evaluate_models(loaded, names, protocol=protocol, metrics=metric_list, random_state=seed)
    stderr.print(leaderboard_table(run.leaderboard, rows="metric"))
    first = run.metrics[0]
    comparisons = run.comparisons(first) if first in run.per_user[names[0]].columns else None
    payload = {
        "dataset": loaded.name,
        "protocol": protocol,
        "seed": seed,
        "results": run.leaderboard.to_dict(orient="records"),
        "folds": run.folds.to_dict(orient="records"),
        "comparisons": [] if comparisons is None else comparisons.to_dict(orient="records"),
        "timings": run.timings.to_dict(orient="records"),
    }
    write_json(payload, out)
    if csv is not None:
        write_frame(run.leaderboard, csv)
    if per_user is not None:
        import pandas as pd

        frames = [f.assign(model=name) for name, f in run.per_user.items()]
        write_frame(pd.concat(frames, ignore_index=True), per_user)
    if report is not None:
        from tastemaker.evaluate.report import to_html

        extra = {"timings (seconds)": run.timings}
        if comparisons is not None and not comparisons.empty:
            extra[f"paired t-tests on {first} (best vs each)"] = comparisons
        to_html(
            run.leaderboard,
            report,
            title=f"{loaded.name}: {', '.join(names)}",
            context={"dataset": loaded.name, "protocol": protocol, "seed": seed},
            extra_tables=extra,
        )
        stderr.print(f"wrote {report}")


@app.command()
def tune(
    model: Annotated[str, typer.Option(help="Model name; see `tastemaker models`.")],
    out: Annotated[Path, typer.Option(help="TOML file to write (read by `train --config`).")],
    data: DataOpt = None,
    dataset: DatasetOpt = None,
    trials: Annotated[int, typer.Option(help="Configurations to try (the defaults first).")] = 20,
    metric: Annotated[str, typer.Option(help="Validation metric to optimise.")] = "ndcg@10",
    protocol: Annotated[
        str, typer.Option(help="How the validation split is carved from the data.")
    ] = "random-80-20",
    seed: Annotated[int, typer.Option(help="Seed of the split, the sampler and the models.")] = 42,
    timeout: Annotated[
        float | None, typer.Option(help="Stop starting new trials after this many seconds.")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Fix a parameter: key=value (repeatable).")
    ] = None,
    items: ItemsOpt = None,
    sep: SepOpt = None,
    columns: ColumnsOpt = None,
    duplicates: DuplicatesOpt = "keep",
    rating_threshold: ThresholdOpt = None,
    event_weights: EventWeightsOpt = None,
    half_life: HalfLifeOpt = None,
    min_interactions: MinInteractionsOpt = None,
    rating_range: RatingRangeOpt = None,
) -> None:
    """Search MODEL's hyper-parameters on a validation split carved from the given data."""
    from tastemaker.evaluate import parse_metrics
    from tastemaker.tuning import tune_model, write_params
    from tastemaker.workflows import build_model, check_protocol, parse_overrides

    fixed = parse_overrides(set_)
    build_model(model, fixed)  # model and fixed parameters checked before loading
    parse_metrics([metric])
    check_protocol(protocol)
    loaded = _load(locals())
    result = tune_model(
        loaded,
        model,
        n_trials=trials,
        metric=metric,
        protocol=protocol,
        random_state=seed,
        fixed=fixed,
        timeout=timeout,
    )
    write_params(result, out)
    stderr.print(
        f"best {result.metric} on validation: {result.best_value:.4f} "
        f"(defaults {result.default_value:.4f}); wrote {out}"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors print one red line and exit 2; bugs exit 1 with a traceback.

    Usage errors (unknown option, missing argument) are Typer's: usage text, exit 2.
    """
    from tastemaker.errors import UserError, cli_interface

    args = sys.argv[1:] if argv is None else argv
    try:
        with cli_interface():
            app(args=args, prog_name="tastemaker", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except UserError as err:
        stderr.print(f"[red]error:[/red] {err}", highlight=False, markup=True, soft_wrap=True)
        return 2
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
