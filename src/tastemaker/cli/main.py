"""The `tastemaker` command line (Typer). Results go to files or stdout, logs to stderr."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from tastemaker._version import __version__
from tastemaker.cli import _datasets
from tastemaker.cli._common import (
    parse_columns,
    parse_sep,
    parse_weights,
    stderr,
    stdout,
    write_json,
)

logger = logging.getLogger("tastemaker.cli")

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
ItemsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        help="Item table keyed by `item` (item features). Repeat it for several files: "
        "they are joined on `item`, and what each file lacks is reported."
    ),
]
UsersTableOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--user-table",
        help="User table keyed by `user` (user features). Repeat it for several files: "
        "they are joined on `user`, and what each file lacks is reported.",
    ),
]
SepOpt = Annotated[
    str | None, typer.Option(help="Field separator of the files read (default: sniffed).")
]
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
        help="Weight interactions by event type: 'default' (view 1, click 2, play 2, "
        "cart 4, purchase 8; other types 1, reported) or a weight for every event type "
        "of the data, e.g. view=1,cart=3,purchase=8 (a missing or unknown type is an error)."
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
    typer.Option(
        help="Map file columns to standard names: user=userId,item=movieId,... (each "
        "mapping applies to every file the command reads that has that column)."
    ),
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
    """List the registered models, their parameters and what they can do."""
    from rich.table import Table

    from tastemaker.models import list_models

    table = Table(title="models")
    columns = {
        "ratings": "predicts_ratings",
        "fold-in": "folds_in",
        "update": "updates",
        "sequences": "uses_sequences",
        "features": "uses_features",
    }
    for col in ("name", "summary", "parameters (defaults)", *columns):
        table.add_column(col)
    for info in list_models():
        params = ", ".join(f"{k}={v!r}" for k, v in info.params.items()) or "-"
        tags = info.tags.to_dict()
        flags = ["yes" if tags[attr] else "" for attr in columns.values()]
        table.add_row(info.name, info.summary, params, *flags)
    stdout.print(table)


_DATA_OPTIONS = {
    # command parameter: (its flag, the name tune records it under)
    "data": ("--data", "data"),
    "dataset": ("--dataset", "dataset"),
    "columns": ("--columns", "columns"),
    "sep": ("--sep", "sep"),
    "duplicates": ("--duplicates", "duplicates"),
    "rating_threshold": ("--rating-threshold", "rating_threshold"),
    "rating_range": ("--rating-range", "rating_range"),
    "event_weights": ("--event-weights", "event_weights"),
    "half_life": ("--half-life", "half_life_days"),
    "min_interactions": ("--min-interactions", "min_interactions"),
}
"""The options that say which data a command reads and how it cleans it."""


def _cleaning_options(options: dict) -> dict:
    """How the data of a command was read and cleaned (recorded by ``tune``)."""
    out = {}
    for key, (_, name) in _DATA_OPTIONS.items():
        value = options.get(key)
        if value is not None and not (key == "duplicates" and value == "keep"):  # default
            out[name] = str(value) if isinstance(value, Path) else value
    return out


def _refuse_threshold_for_rating_models(estimators, rating_threshold) -> None:
    """--rating-threshold keeps only high ratings, as implicit interactions: a model that
    learns from rating values would see nothing but high ratings."""
    from tastemaker.errors import ParameterError

    if rating_threshold is None:
        return
    rating = [e.name for e in estimators if e.matrix_values == "rating"]
    if rating:
        raise ParameterError(
            f"--rating-threshold keeps only ratings >= {rating_threshold:g} as implicit "
            f"interactions, but {', '.join(rating)} learns from the rating values and would "
            "predict only high ratings; drop --rating-threshold for it, or choose an "
            "implicit-feedback model (see `tastemaker models`)"
        )


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
        Path | None, typer.Option(help="TOML file with model and \\[params] (from `tune`).")
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
    seed: Annotated[
        int | None,
        typer.Option(help="Seed of a seeded model (its random_state; default: the model's, 42)."),
    ] = None,
    rating_range: RatingRangeOpt = None,
    nproc: Annotated[
        int,
        typer.Option(
            help="Train a neural model in this many processes on this machine "
            "(data-parallel: gloo on CPU, NCCL on GPU; at most the cores or GPUs). Under "
            "torchrun leave it at 1: the processes join the launcher's group."
        ),
    ] = 1,
) -> None:
    """Train MODEL on --data or --dataset and save it to OUT."""
    from tastemaker.workflows import apply_seed, build_model, fit_and_save, parse_overrides

    overrides = parse_overrides(set_)
    estimator = build_model(model, overrides, config)  # checked before loading
    note = apply_seed(estimator, seed, explicit="random_state" in overrides)
    if note:
        logger.info("%s", note)
    _refuse_threshold_for_rating_models([estimator], rating_threshold)
    if nproc != 1:  # checked before loading
        from tastemaker.models._distributed import check_nproc

        check_nproc(estimator, nproc)
    if config is not None:
        _compare_cleaning(config, _cleaning_options(locals()))
    loaded = _load(locals())
    if fit_and_save(estimator, loaded, out, nproc=nproc) is None:
        return  # a torchrun process other than rank 0: rank 0 saved the model
    stderr.print(
        f"saved {estimator.name} ({loaded.n_users} users x {loaded.n_items} items) to {out}"
    )


def _compare_cleaning(config: Path, options: dict) -> None:
    """Warn when a tuned config was tuned on data read or cleaned another way."""
    from tastemaker.workflows import read_config_cleaning

    recorded = read_config_cleaning(config)
    if recorded is None:
        return
    skip = {"data", "dataset"}
    differ = sorted(
        key
        for key in (set(recorded) | set(options)) - skip
        if recorded.get(key) != options.get(key)
    )
    if differ:
        logger.warning(
            "%s was tuned on data cleaned differently (%s): its parameters may not fit",
            config,
            ", ".join(f"{k}: tuned {recorded.get(k)!r}, now {options.get(k)!r}" for k in differ),
        )


@app.command()
def recommend(
    model_dir: Annotated[Path, typer.Argument(help="Directory written by `train`.")],
    users: Annotated[
        Path | None,
        typer.Option(
            "--users",
            help="CSV with a `user` column; other columns are features of users the model "
            "has not seen (used by models that take features).",
        ),
    ] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Every user seen in training.")] = False,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history",
            help="Events (user,item[,timestamp,rating,event]) of the users to rank: new "
            "users, anonymous sessions, or known users' latest events. Ranked through "
            "fold-in or the model's sequence, without retraining.",
        ),
    ] = None,
    k: Annotated[int, typer.Option("--k", help="List length.")] = 10,
    candidates: Annotated[
        Path | None, typer.Option(help="CSV with an `item` column: rank only these items.")
    ] = None,
    include_seen: Annotated[
        bool, typer.Option("--include-seen", help="Keep items seen in training.")
    ] = False,
    explain: Annotated[bool, typer.Option(help="Add an `explanation` column.")] = False,
    columns: ColumnsOpt = None,
    sep: SepOpt = None,
    out: Annotated[Path | None, typer.Option(help="CSV to write (default: stdout).")] = None,
) -> None:
    """Top-K recommendations from a trained model as CSV: user,item,rank,score,source.

    `source` says where each row came from: `model`, `fallback:popular` (a user the
    model cannot score), `cold-item` (an item it cannot score, ranked last) or
    `unknown-item` (a candidate it does not know).
    """
    from tastemaker.models.base import check_k
    from tastemaker.workflows import recommend_users, write_frame

    check_k(k, "--k")
    result = recommend_users(
        model_dir,
        users_file=users,
        all_users=all_users,
        history_file=history,
        k=k,
        candidates_file=candidates,
        exclude_seen=not include_seen,
        explain=explain,
        columns=parse_columns(columns),
        sep=parse_sep(sep),
    )
    for note in result.notes:
        logger.warning("%s", note)
    write_frame(result.frame, out)
    if out is not None:
        stderr.print(f"wrote {len(result.frame)} recommendations to {out}")


@app.command()
def predict(
    model_dir: Annotated[Path, typer.Argument(help="Directory written by `train`.")],
    pairs: Annotated[Path, typer.Option(help="CSV with `user` and `item` columns.")],
    columns: ColumnsOpt = None,
    sep: Annotated[
        str | None, typer.Option(help="Field separator of --pairs (default: sniffed).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="CSV to write (default: stdout).")] = None,
) -> None:
    """Predicted ratings as CSV: user,item,prediction,source (rating models only).

    `source` is `model`, or the fallback used for an unknown user or item.
    """
    from tastemaker.workflows import predict_file, write_frame

    preds, notes = predict_file(
        model_dir, pairs, columns=parse_columns(columns), sep=parse_sep(sep)
    )
    for note in notes:
        logger.warning("%s", note)
    write_frame(preds, out)
    if out is not None:
        stderr.print(f"wrote {len(preds)} predictions to {out}")


def _list_metrics(value: bool) -> None:
    """--list-metrics: the metric registry as a table, then exit."""
    if not value:
        return
    from rich.markup import escape
    from rich.table import Table

    from tastemaker.evaluate import METRICS
    from tastemaker.evaluate._registry import NEEDS

    table = Table(
        title=escape("metrics (k is the list length; accuracy metrics also take [sampled-N])")
    )
    for col in ("name", "better", "needs", "what it measures"):
        table.add_column(col)
    for m in METRICS.values():
        needs = ", ".join(n for n in NEEDS if n in m.needs) or "-"
        table.add_row(escape(m.pattern), m.direction, needs, escape(m.summary))
    stdout.print(table)
    raise typer.Exit()


def _refuse_with_recs(options: dict) -> None:
    """--recs scores a file as given: the options that split data or fit models are refused."""
    from tastemaker.errors import ParameterError

    flags = {"models": "--models", "config": "--config", "set_": "--set", "protocol": "--protocol"}
    flags["user_table"] = "--user-table"
    flags |= {k: flag for k, (flag, _) in _DATA_OPTIONS.items() if k not in ("columns", "sep")}
    given = [flag for key, flag in flags.items() if options.get(key) not in (None, [], "")]
    if given:
        raise ParameterError(
            f"--recs scores a recommendation file as given; {', '.join(given)} split data or "
            "fit models and do not apply to it: drop them"
        )


def _check_outputs(options: dict) -> None:
    """Every output path of `evaluate` can be written: checked before any work."""
    from tastemaker._files import check_output

    names = {"out": "results.json", "report": "report.html", "csv": "leaderboard.csv"}
    names["per_user"] = "per-user.csv"
    for key, suggest in names.items():
        if options[key] is not None and str(options[key]) != "-":
            check_output(options[key], suggest)


def _evaluate_recs(options: dict, metric_list: list[str] | None) -> None:
    """``evaluate --recs``: score a recommendation file; JSON means, intervals in the table,
    --csv and --report."""
    from rich.markup import escape

    from tastemaker.errors import ParameterError
    from tastemaker.evaluate import parse_metrics
    from tastemaker.evaluate.report import leaderboard_table, to_html
    from tastemaker.workflows import evaluate_recs_file, write_frame

    recs, test, train, seed = options["recs"], options["test"], options["train"], options["seed"]
    _refuse_with_recs(options)
    if test is None:
        raise ParameterError("--recs needs --test FILE with the held-out interactions")
    if not metric_list:
        raise ParameterError("--recs needs --metrics, e.g. --metrics ndcg@10,recall@20")
    parse_metrics(metric_list)  # checked before any file is read
    _check_outputs(options)
    result = evaluate_recs_file(
        recs,
        test,
        metric_list,
        train_file=train,
        items_file=options["items"],
        sep=parse_sep(options["sep"]),
        columns=parse_columns(options["columns"]),
    )
    board = result.with_ci(n_boot=1000, random_state=seed, model=recs.name)
    stderr.print(leaderboard_table(board, rows="metric"))
    write_json(result.summary, options["out"])
    if options["csv"] is not None:
        write_frame(board, options["csv"])
    if options["per_user"] is not None:
        write_frame(result.per_user, options["per_user"])
    if options["report"] is not None:
        info = result.info
        to_html(
            board,
            options["report"],
            title=f"{recs.name}: scored against {test.name}",
            context={
                "recommendations": recs,
                "test": test,
                "train": train if train is not None else "-",
                "test users": result.n_users,
                "test users without a list (scored 0)": info.get("n_users_without_list", 0),
                "users with a list but no test items (ignored)": info.get("n_ignored_users", 0),
                "seed": seed,
            },
        )
        stderr.print(f"wrote {escape(str(options['report']))}")


@app.command(
    help="Evaluate models on a split of --data/--dataset, or score a --recs file.\n\n"
    "Tuned parameters: --config FILE (written by `tune`; one file per model, each naming "
    "its model) and --set key=value (one model) or --set model.key=value (several). "
    "Results: JSON to --out (default stdout); the leaderboard with 95% intervals to "
    "stderr, --csv and --report; per-user values to --per-user."
)
def evaluate(
    data: DataOpt = None,
    dataset: DatasetOpt = None,
    models: Annotated[
        str | None, typer.Option(help="Comma-separated model names, e.g. popular,bias.")
    ] = None,
    config: Annotated[
        list[Path] | None,
        typer.Option(
            help="TOML file with model and \\[params] (from `tune`); repeat it for several "
            "models, each file naming its model."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Model parameter key=value (one model) or model.key=value (repeatable).",
        ),
    ] = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            help="Split protocol, e.g. random-80-20 (default, warm), temporal-80-20, "
            "leave-last-1, cold-item-20 (held-out items ranked among themselves), "
            "new-user-5-10 (held-out users: first 5 items revealed, next 10 tested)."
        ),
    ] = None,
    metrics: Annotated[
        str | None,
        typer.Option(help="Comma-separated metrics, e.g. ndcg@10,recall@20 (see --list-metrics)."),
    ] = None,
    list_metrics: Annotated[
        bool,
        typer.Option(
            "--list-metrics",
            callback=_list_metrics,
            is_eager=True,
            help="List the metrics (name, direction, what each needs) and exit.",
        ),
    ] = False,
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
    csv: Annotated[
        Path | None,
        typer.Option(help="Also write the leaderboard (values with 95% intervals) as CSV."),
    ] = None,
    items: ItemsOpt = None,
    user_table: UsersTableOpt = None,
    sep: SepOpt = None,
    columns: Annotated[
        str | None,
        typer.Option(
            help="Map file columns to standard names: user=userId,item=movieId,... (with "
            "--recs, each file takes the entries it has)."
        ),
    ] = None,
    duplicates: Annotated[
        str | None,
        typer.Option(
            help="Repeated (user, item) rows: keep (default), merge (sum weights, latest "
            "rating), first, last or error. Counted and reported either way."
        ),
    ] = None,
    rating_threshold: ThresholdOpt = None,
    event_weights: EventWeightsOpt = None,
    half_life: HalfLifeOpt = None,
    min_interactions: MinInteractionsOpt = None,
    rating_range: RatingRangeOpt = None,
) -> None:
    """Evaluate models on a split of --data/--dataset, or score a --recs file."""
    from rich.markup import escape

    from tastemaker.errors import ParameterError
    from tastemaker.workflows import write_frame

    metric_list = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    if recs is not None:
        _evaluate_recs(locals(), metric_list)
        return
    if test is not None or train is not None:
        raise ParameterError(
            "--test and --train go with --recs FILE (scoring a recommendation file); with "
            "--models the split comes from --protocol"
        )
    if not models and not config:
        raise ParameterError("give --models a,b,c (see `tastemaker models`) or --recs FILE")
    from tastemaker.evaluate import parse_metrics
    from tastemaker.evaluate.report import leaderboard_table
    from tastemaker.evaluate.runner import check_protocol, evaluate_models
    from tastemaker.workflows import build_models

    protocol = protocol or "random-80-20"
    duplicates = duplicates or "keep"
    if metric_list:
        parse_metrics(metric_list)  # checked before any data is read
    check_protocol(protocol)
    _check_outputs(locals())
    names = models.split(",") if models else None
    estimators = build_models(names, config or [], set_ or [])  # checked before loading
    _refuse_threshold_for_rating_models(estimators.values(), rating_threshold)
    for path in config or []:
        _compare_cleaning(path, _cleaning_options(locals()))

    loaded = _load(locals())
    run = evaluate_models(
        loaded, estimators, protocol=protocol, metrics=metric_list, random_state=seed
    )
    names = list(estimators)
    stderr.print(leaderboard_table(run.leaderboard, rows="metric"))
    first = run.metrics[0]
    comparisons = run.comparisons(first) if first in run.per_user[names[0]].columns else None
    payload = {
        "dataset": loaded.name,
        "protocol": protocol,
        "seed": seed,
        "params": {name: model.get_params() for name, model in estimators.items()},
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
        stderr.print(f"wrote {escape(str(report))}")


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
    """Search MODEL's hyper-parameters on a validation split carved from the given data."""
    from tastemaker._validation import Interval, check
    from tastemaker.evaluate import parse_metrics
    from tastemaker.evaluate.runner import check_protocol
    from tastemaker.tuning import tune_model, write_params
    from tastemaker.workflows import build_model, parse_overrides

    fixed = parse_overrides(set_)
    estimator = build_model(model, fixed)  # model and fixed parameters checked before loading
    check(None, "trials", trials, Interval("int", 1), flag="--trials")
    _refuse_threshold_for_rating_models([estimator], rating_threshold)
    parse_metrics([metric])
    check_protocol(protocol)
    cleaning = _cleaning_options(locals())
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
        cleaning=cleaning,
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
        from rich.markup import escape

        # the message is plain text: "[sampled-100]" must print, not read as markup
        stderr.print(
            f"[red]error:[/red] {escape(str(err))}", highlight=False, markup=True, soft_wrap=True
        )
        return 2
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
