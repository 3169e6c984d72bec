"""The command line end to end on tiny files: results, and one clear line per bad input."""

from __future__ import annotations

import io
import json
import tomllib

import pandas as pd
import pytest

from tastemaker.cli.main import main
from tastemaker.testing import two_blocks

NO_OUT = "/nonexistent/never-written"  # bad input fails before anything is saved


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["-q", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("error:")
    return lines[0]


@pytest.fixture
def ratings_csv(tmp_path):
    path = tmp_path / "ratings.csv"
    two_blocks().train.interactions.to_csv(path, index=False)
    return path


@pytest.fixture
def model_dir(tmp_path, ratings_csv, capsys):
    out = tmp_path / "model"
    code, _, err = run(
        capsys, "train", "--data", str(ratings_csv), "--model", "bias", "--out", str(out)
    )
    assert code == 0, err
    return out


def test_help_for_every_command(capsys):
    for cmd in (
        [],
        ["datasets"],
        ["datasets", "list"],
        ["datasets", "info"],
        ["datasets", "fetch"],
        ["models"],
        ["train"],
        ["recommend"],
        ["predict"],
        ["evaluate"],
    ):
        assert main([*cmd, "--help"]) == 0
        assert "Usage" in capsys.readouterr().out


def test_models_lists_registry(capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0 and "popular" in out and "n_epochs" in out


def test_train_recommend_predict(tmp_path, model_dir, capsys):
    users = tmp_path / "users.csv"
    pd.DataFrame({"user": ["u10", "u13", "stranger"]}).to_csv(users, index=False)
    recs_path = tmp_path / "recs.csv"
    code, _, err = run(
        capsys,
        "recommend",
        str(model_dir),
        "--users",
        str(users),
        "--k",
        "3",
        "--explain",
        "--out",
        str(recs_path),
    )
    assert code == 0
    recs = pd.read_csv(recs_path)
    assert list(recs.columns) == ["user", "item", "rank", "score", "source", "explanation"]
    assert recs.groupby("user").size().to_dict() == {"stranger": 3, "u10": 3, "u13": 3}
    # bias ranks unknown users itself (by item bias): no fallback, and the rows say so
    assert set(recs["source"]) == {"model"}
    pairs = tmp_path / "pairs.csv"
    pd.DataFrame({"user": ["u10", "stranger"], "item": ["i37", "i40"]}).to_csv(pairs, index=False)
    code, out, err = run(capsys, "predict", str(model_dir), "--pairs", str(pairs))
    assert code == 0
    preds = pd.read_csv(pd.io.common.StringIO(out))
    assert list(preds.columns) == ["user", "item", "prediction", "source"] and len(preds) == 2
    assert preds["source"].tolist() == ["model", "fallback:unknown user"]
    assert "1 of 2 pairs got a fallback prediction (unknown user)" in err


def test_fallback_users_are_reported_once(tmp_path, ratings_csv, capsys):
    out = tmp_path / "ease"
    code, _, err = run(
        capsys, "train", "--data", str(ratings_csv), "--model", "ease", "--out", str(out)
    )
    assert code == 0, err
    users = tmp_path / "users.csv"
    pd.DataFrame({"user": ["u10", "stranger", "ghost"]}).to_csv(users, index=False)
    recs_path = tmp_path / "recs.csv"
    code, _, err = run(
        capsys, "recommend", str(out), "--users", str(users), "--k", "2", "--out", str(recs_path)
    )
    assert code == 0
    lines = [line for line in err.splitlines() if "popularity fallback" in line]
    assert len(lines) == 1 and "stranger" in lines[0] and "ghost" in lines[0]
    assert "unknown user" in lines[0]
    recs = pd.read_csv(recs_path)
    by_user = recs.groupby("user")["source"].agg(set).to_dict()
    assert by_user == {
        "u10": {"model"},
        "stranger": {"fallback:popular"},
        "ghost": {"fallback:popular"},
    }


def test_recommend_all_users_to_stdout(model_dir, capsys):
    code, out, _ = run(capsys, "recommend", str(model_dir), "--all", "--k", "2")
    assert code == 0
    recs = pd.read_csv(pd.io.common.StringIO(out))
    assert recs["user"].nunique() == len(two_blocks().users)


def test_train_with_config(tmp_path, ratings_csv, capsys):
    config = tmp_path / "params.toml"
    config.write_text('model = "bias"\n[params]\nn_epochs = 3\nregularization = 2.5\n')
    out = tmp_path / "m"
    code, _, err = run(
        capsys, "train", "--data", str(ratings_csv), "--config", str(config), "--out", str(out)
    )
    assert code == 0, err
    meta = json.loads((out / "model.json").read_text())
    assert meta["params"]["n_epochs"] == 3 and meta["params"]["regularization"] == 2.5


def test_evaluate_recs_file(tmp_path, capsys):
    recs = tmp_path / "recs.csv"
    test = tmp_path / "test.csv"
    pd.DataFrame({"user": ["a", "a", "b"], "item": [1, 2, 3], "rank": [1, 2, 1]}).to_csv(
        recs, index=False
    )
    pd.DataFrame({"user": ["a", "b", "c"], "item": [2, 9, 1]}).to_csv(test, index=False)
    code, out, err = run(
        capsys,
        "evaluate",
        "--recs",
        str(recs),
        "--test",
        str(test),
        "--metrics",
        "hit@2,precision@1",
    )
    assert code == 0, err
    result = json.loads(out)
    # a: hit at rank 2; b: miss; c: no list -> 0. hit@2 = 1/3, precision@1 = 0
    assert result["hit@2"] == pytest.approx(1 / 3)
    assert result["precision@1"] == 0.0


# -- bad input: exit 2 and one clear line --------------------------------------------------
def bad_train(capsys, data, *args: str) -> str:
    """Run ``train`` on ``data`` expecting a user error: exit 2, one line, returned."""
    code, _, err = run(capsys, "train", "--out", NO_OUT, "--data", str(data), *args)
    assert code == 2, err
    return one_error_line(err)


@pytest.mark.parametrize(
    ("name", "content", "args", "expected"),
    [
        ("nope.csv", None, ["--model", "popular"], ["nope.csv"]),
        (
            "r.tsv.txt",
            "user\titem\trating\n1\t2\t3\n",
            ["--sep", ",", "--model", "popular"],
            ["tab", "r.tsv.txt"],
        ),
        ("r.csv", "userId,movieId,rating\n1,2,3\n", ["--model", "popular"], ["r.csv", "user"]),
        (
            "r.csv",
            "user,item,rating\n1,2,3\n1,3,five\n",
            ["--model", "bias"],
            ["line 3", "rating", "five"],
        ),
        (
            "r.csv",
            "user,item,timestamp\n1,2,2024-01-13\n1,3,2024-13-01\n",
            ["--model", "popular"],
            ["line 3", "timestamp", "2024-13-01"],
        ),
        ("r.csv", "", ["--model", "popular"], ["r.csv"]),
        (
            "r.csv",
            "user,item\n1,2\n1,2\n",
            ["--model", "popular", "--duplicates", "error"],
            ["duplicate"],
        ),
    ],
    ids=[
        "missing-file",
        "wrong-delimiter",
        "misnamed-columns",
        "non-numeric-rating",
        "unparsable-timestamp",
        "empty-file",
        "duplicates-error",
    ],
)
def test_bad_data_file(tmp_path, capsys, name, content, args, expected):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    line = bad_train(capsys, path, *args)
    for fragment in expected:
        assert fragment in line


def test_duplicates_merged_are_reported(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("user,item\n1,2\n1,2\n2,3\n")
    code = main(
        [
            "train",
            "--data",
            str(path),
            "--model",
            "popular",
            "--duplicates",
            "merge",
            "--out",
            str(tmp_path / "m"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "1 merged" in err or "merged 1" in err


def test_unknown_model_and_parameter(ratings_csv, capsys):
    assert "Did you mean 'popular'" in bad_train(capsys, ratings_csv, "--model", "popularr")
    assert "n_epochs" in bad_train(capsys, ratings_csv, "--model", "bias", "--set", "n_epoch=3")
    assert "n_epochs" in bad_train(capsys, ratings_csv, "--model", "bias", "--set", "n_epochs=many")


def test_k_must_be_positive(model_dir, capsys):
    code, _, err = run(capsys, "recommend", str(model_dir), "--all", "--k", "0")
    assert code == 2 and "--k must be an int >= 1, got 0." in one_error_line(err)


@pytest.mark.parametrize("damage", ["truncate", "tamper", "foreign"])
def test_damaged_model_directory(model_dir, capsys, damage):
    if damage == "truncate":
        arrays = model_dir / "arrays.safetensors"
        arrays.write_bytes(arrays.read_bytes()[:20])
    elif damage == "tamper":
        (model_dir / "items.json").write_text('["x"]')
    else:
        (model_dir / "model.json").unlink()
    code, _, err = run(capsys, "recommend", str(model_dir), "--all")
    assert code == 2
    one_error_line(err)


def test_evaluate_models_on_a_file_with_report(tmp_path, capsys):
    blocks = two_blocks(n_users_per_block=10, n_items_per_block=8)
    path = tmp_path / "all.csv"
    pd.concat([blocks.train.interactions, blocks.test.interactions]).to_csv(path, index=False)
    report = tmp_path / "report.html"
    code, out, err = run(
        capsys,
        "evaluate",
        "--data",
        str(path),
        "--models",
        "popular,bias",
        "--metrics",
        "ndcg@5,recall@5",
        "--report",
        str(report),
    )
    assert code == 0, err
    payload = json.loads(out)
    assert {r["model"] for r in payload["results"]} == {"popular", "bias"}
    assert {r["metric"] for r in payload["results"]} >= {"ndcg@5", "recall@5", "rmse"}
    assert payload["comparisons"] and payload["comparisons"][0]["metric"] == "ndcg@5"
    html = report.read_text()
    assert "<svg" in html and "ndcg@5" in html and "paired t-tests" in html


def test_evaluate_needs_models_or_recs(capsys, ratings_csv):
    code, _, err = run(capsys, "evaluate", "--data", str(ratings_csv))
    assert code == 2 and "--models" in one_error_line(err)
    code, _, err = run(
        capsys,
        "evaluate",
        "--data",
        str(ratings_csv),
        "--models",
        "popular",
        "--metrics",
        "ndgc@10",
    )
    assert code == 2 and "ndcg@10" in one_error_line(err)


def test_cleaning_options_report_every_dropped_row(tmp_path, capsys):
    path = tmp_path / "r.csv"
    rows = ["user,item,rating"] + [
        f"u{u},i{i},{5 if (u + i) % 3 else 2}" for u in range(6) for i in range(6)
    ]
    rows.append("lonely,i0,5")
    path.write_text("\n".join(rows) + "\n")
    code = main(
        [
            "train",
            "--data",
            str(path),
            "--model",
            "popular",
            "--out",
            str(tmp_path / "m"),
            "--rating-threshold",
            "4",
            "--min-interactions",
            "2",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    n_low = sum(1 for u in range(6) for i in range(6) if (u + i) % 3 == 0)
    assert f"{n_low} dropped (below rating threshold)" in err
    assert "1 dropped (k-core)" in err  # the lonely user


def test_bad_event_weights(ratings_csv, capsys):
    line = bad_train(capsys, ratings_csv, "--model", "popular", "--event-weights", "view")
    assert "event=number" in line


def test_bad_metric_or_protocol_fails_before_loading(tmp_path, capsys):
    missing = str(tmp_path / "never-read.csv")  # would fail if it were read
    code, _, err = run(
        capsys, "evaluate", "--data", missing, "--models", "popular", "--metrics", "ndcg@0"
    )
    assert code == 2 and "k must be" in one_error_line(err)
    code, _, err = run(
        capsys, "evaluate", "--data", missing, "--models", "popular", "--protocol", "bogus"
    )
    assert code == 2 and "unknown split protocol" in one_error_line(err)


def test_tune_then_train_with_config(tmp_path, ratings_csv, capsys):
    params = tmp_path / "params.toml"
    code, _, err = run(
        capsys,
        "tune",
        "--data",
        str(ratings_csv),
        "--model",
        "bias",
        "--metric",
        "rmse",
        "--trials",
        "3",
        "--out",
        str(params),
    )
    assert code == 0, err
    assert 'model = "bias"' in params.read_text()
    code, _, err = run(
        capsys,
        "train",
        "--data",
        str(ratings_csv),
        "--config",
        str(params),
        "--out",
        str(tmp_path / "m"),
    )
    assert code == 0, err


# -- evaluate: --recs options, --config/--set, outputs, escaped messages ----------------


def _recs_files(tmp_path):
    """A recommendations file in tastemaker's columns and a test file in other names."""
    recs = tmp_path / "recs.csv"
    test = tmp_path / "test.csv"
    pd.DataFrame(
        {
            "user": ["a", "a", "b", "b", "c", "d"],
            "item": [1, 2, 3, 1, 2, 5],
            "rank": [1, 2, 1, 2, 1, 1],
        }
    ).to_csv(recs, index=False)
    test.write_text("userId;movieId\na;2\nb;1\nc;9\nd;5\ne;1\n")
    return recs, test


def test_evaluate_recs_with_columns_sep_csv_report(tmp_path, capsys):
    recs, test = _recs_files(tmp_path)
    # a recs file with ';' too: --sep applies to every file, --columns where it fits
    recs.write_text(recs.read_text().replace(",", ";"))
    report, board = tmp_path / "r.html", tmp_path / "board.csv"
    args = ["evaluate", "--recs", str(recs), "--test", str(test), "--metrics", "hit@2,mrr@2"]
    args += ["--columns", "user=userId,item=movieId", "--sep", ";", "--seed", "3"]
    code, out, err = run(capsys, *args, "--report", str(report), "--csv", str(board))
    assert code == 0, err
    # a: rank 2; b: rank 2; c: miss; d: rank 1; e: no list -> 0
    assert json.loads(out) == pytest.approx({"hit@2": 3 / 5, "mrr@2": (0.5 + 0.5 + 1) / 5})
    table = pd.read_csv(board)
    assert list(table.columns) == ["model", "metric", "value", "ci_low", "ci_high", "n_users"]
    assert (table["ci_low"] <= table["value"]).all() and (table["value"] <= table["ci_high"]).all()
    assert (table["ci_low"] < table["ci_high"]).all() and set(table["n_users"]) == {5}
    html = report.read_text()
    assert "hit@2" in html and "<svg" in html and "test.csv" in html
    # same seed, same intervals
    again = tmp_path / "again.csv"
    code, _, err = run(capsys, *args, "--csv", str(again))
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(again), table)


def test_evaluate_recs_columns_that_no_file_has(tmp_path, capsys):
    recs, test = _recs_files(tmp_path)
    code, _, err = run(
        capsys,
        "evaluate",
        "--recs",
        str(recs),
        "--test",
        str(test),
        "--metrics",
        "hit@2",
        "--columns",
        "user=userid,item=movieId",
        "--sep",
        ";",
    )
    assert code == 2 and "--columns user=userid" in one_error_line(err)


def test_evaluate_recs_train_file_takes_columns(tmp_path, capsys):
    recs, test = _recs_files(tmp_path)
    test.write_text(test.read_text().replace(";", ","))
    train = tmp_path / "train.csv"
    train.write_text("userId,movieId\na,1\nb,1\nb,3\n")
    code, out, err = run(
        capsys,
        *["evaluate", "--recs", str(recs), "--test", str(test), "--train", str(train)],
        *["--metrics", "arp@1", "--columns", "user=userId,item=movieId"],
    )
    assert code == 0, err
    # top-1 items: a 1 (2 train users), b 3 (1), c 2 (0), d 5 (0); e has no list
    assert json.loads(out)["arp@1"] == pytest.approx((2 + 1 + 0 + 0) / 4)


@pytest.mark.parametrize(
    "extra", [["--protocol", "random-80-20"], ["--models", "popular"], ["--set", "k=1"]]
)
def test_evaluate_recs_refuses_what_does_not_apply(tmp_path, capsys, extra):
    recs, test = _recs_files(tmp_path)
    code, _, err = run(
        capsys, "evaluate", "--recs", str(recs), "--test", str(test), "--metrics", "hit@1", *extra
    )
    line = one_error_line(err)
    assert code == 2 and extra[0] in line and "do not apply" in line


def test_evaluate_test_without_recs_is_refused(capsys, ratings_csv, tmp_path):
    code, _, err = run(
        capsys, "evaluate", "--data", str(ratings_csv), "--models", "popular", "--test", NO_OUT
    )
    assert code == 2 and "--test and --train go with --recs" in one_error_line(err)


def test_evaluate_list_metrics_reads_the_registry(capsys):
    from tastemaker.evaluate import METRICS

    assert main(["evaluate", "--list-metrics"]) == 0
    out = capsys.readouterr().out
    for metric in METRICS.values():
        assert metric.pattern in out
    assert "lower" in out and "item_vectors" in out and "[sampled-N]" in out


def test_evaluate_help_shows_square_brackets(capsys):
    assert main(["evaluate", "--help"]) == 0
    out = capsys.readouterr().out
    assert "[params]" in out and "model.key=value" in out


def _blocks_csv(tmp_path):
    blocks = two_blocks(n_users_per_block=10, n_items_per_block=8)
    path = tmp_path / "all.csv"
    pd.concat([blocks.train.interactions, blocks.test.interactions]).to_csv(path, index=False)
    return path


def test_evaluate_scores_tuned_parameters(tmp_path, capsys):
    path = _blocks_csv(tmp_path)
    params = tmp_path / "params.toml"
    params.write_text('model = "bias"\n[params]\nn_epochs = 3\nregularization = 2.5\n')
    base = ["evaluate", "--data", str(path), "--metrics", "ndcg@5"]
    # one model from the config alone
    code, out, err = run(capsys, *base, "--config", str(params))
    assert code == 0, err
    payload = json.loads(out)
    assert payload["params"]["bias"]["n_epochs"] == 3
    assert payload["params"]["bias"]["regularization"] == 2.5
    # several models: the config goes to the model it names, --set model.key=value
    code, out, err = run(
        capsys,
        *base,
        "--models",
        "popular,bias",
        "--config",
        str(params),
        "--set",
        "bias.n_epochs=2",
    )
    assert code == 0, err
    payload = json.loads(out)
    assert payload["params"]["bias"]["n_epochs"] == 2  # --set wins over the config
    assert {r["model"] for r in payload["results"]} == {"popular", "bias"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--models", "popular,bias", "--set", "n_epochs=2"], "ambiguous"),
        (["--models", "popular", "--set", "bias.n_epochs=2"], "not in --models"),
        (["--models", "bias", "--set", "n_epochs=two"], "expects int"),
        (["--models", "bias,bias"], "more than once"),
    ],
)
def test_evaluate_bad_parameters_fail_before_loading(tmp_path, capsys, args, expected):
    missing = str(tmp_path / "never-read.csv")
    code, _, err = run(capsys, "evaluate", "--data", missing, *args)
    assert code == 2 and expected in one_error_line(err)


def test_evaluate_config_for_a_model_not_evaluated(tmp_path, capsys):
    params = tmp_path / "params.toml"
    params.write_text('model = "bias"\n[params]\nn_epochs = 3\n')
    code, _, err = run(
        capsys, "evaluate", "--data", NO_OUT, "--models", "popular", "--config", str(params)
    )
    assert code == 2 and "is for bias, which is not in --models popular" in one_error_line(err)


def test_evaluate_json_is_strict_without_nan(tmp_path, capsys):
    path = _blocks_csv(tmp_path)
    code, out, err = run(
        capsys, "evaluate", "--data", str(path), "--models", "popular", "--metrics", "coverage@5"
    )
    assert code == 0, err

    def refuse(constant):
        raise AssertionError(f"{constant} in JSON output")

    payload = json.loads(out, parse_constant=refuse)
    row = payload["results"][0]
    assert row["metric"] == "coverage@5" and row["ci_low"] is None  # no interval: null


@pytest.mark.parametrize("flag", ["--out", "--report", "--csv", "--per-user"])
def test_evaluate_output_naming_a_directory(tmp_path, capsys, flag):
    recs, test = _recs_files(tmp_path)
    test.write_text(test.read_text().replace(";", ","))
    folder = tmp_path / "results"
    folder.mkdir()
    code, _, err = run(
        capsys,
        *["evaluate", "--recs", str(recs), "--test", str(test), "--metrics", "hit@1"],
        *["--columns", "user=userId,item=movieId", flag, str(folder)],
    )
    line = one_error_line(err)
    assert code == 2 and f"cannot write {folder}: it is a directory" in line
    assert list(folder.iterdir()) == []
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_evaluate_outputs_have_ordinary_permissions(tmp_path, capsys):
    import os
    import stat

    recs, test = _recs_files(tmp_path)
    test.write_text(test.read_text().replace(";", ","))
    old = os.umask(0o022)
    try:
        outputs = {
            flag: tmp_path / name
            for flag, name in [
                ("--out", "m.json"),
                ("--report", "r.html"),
                ("--csv", "b.csv"),
                ("--per-user", "u.csv"),
            ]
        }
        args = [x for flag, path in outputs.items() for x in (flag, str(path))]
        code, _, err = run(
            capsys,
            *["evaluate", "--recs", str(recs), "--test", str(test), "--metrics", "hit@1"],
            *["--columns", "user=userId,item=movieId", *args],
        )
    finally:
        os.umask(old)
    assert code == 0, err
    assert {flag: stat.S_IMODE(p.stat().st_mode) for flag, p in outputs.items()} == {
        flag: 0o644 for flag in outputs
    }


def test_error_messages_keep_square_brackets(tmp_path, capsys):
    recs, test = _recs_files(tmp_path)
    code, _, err = run(
        capsys,
        *["evaluate", "--recs", str(recs), "--test", str(test)],
        *["--metrics", "ndcg@10[sampled-x]"],
    )
    assert code == 2 and "'ndcg@10[sampled-x]'" in one_error_line(err)


# -- event types and rating scales --------------------------------------------------------
@pytest.fixture
def events_csv(tmp_path):
    path = tmp_path / "events.csv"
    rows = [f"u{u},i{i},{e}" for u in range(4) for i, e in enumerate(["view", "cart", "buy"])]
    path.write_text("user,item,event\n" + "\n".join(rows) + "\n")
    return path


def train_popular(capsys, tmp_path, data, *args: str) -> tuple[int, str]:
    """``train --model popular`` with logs (no -q): exit code and stderr."""
    out = str(tmp_path / "m")
    code = main(["train", "--data", str(data), "--model", "popular", "--out", out, *args])
    return code, capsys.readouterr().err


def test_event_column_without_weights_says_they_are_unused(tmp_path, events_csv, capsys):
    code, err = train_popular(capsys, tmp_path, events_csv)
    assert code == 0, err
    text = " ".join(err.split())
    assert "holds event types view (4 rows), cart (4 rows), buy (4 rows), not used" in text
    assert "--event-weights default" in text
    assert "--event-weights view=1,cart=4,buy=8" in text  # a complete spec to start from


def test_event_weights_used_are_logged_once(tmp_path, events_csv, capsys):
    code, err = train_popular(capsys, tmp_path, events_csv, "--event-weights", "default")
    assert code == 0, err
    text = " ".join(err.split())
    assert text.count("event weights (default weights): view 1 (4 rows), cart 4 (4 rows)") == 1
    assert "buy 8 (4 rows)" in text


def test_partial_event_weights_are_refused_with_a_complete_spec(tmp_path, events_csv, capsys):
    line = bad_train(capsys, events_csv, "--model", "popular", "--event-weights", "view=1,cart=3")
    assert "no weight for event type(s) 'buy' (4 rows)" in line
    assert "--event-weights view=1,cart=3,buy=1" in line
    assert "--event-weights default" in line


def test_event_weights_naming_absent_types_are_refused(tmp_path, events_csv, capsys):
    spec = "view=1,cart=3,buy=8,purchase=8"
    line = bad_train(capsys, events_csv, "--model", "popular", "--event-weights", spec)
    assert "name 'purchase', which do not occur in the data" in line
    line = bad_train(capsys, events_csv, "--model", "popular", "--event-weights", "view=1,view=2")
    assert "--event-weights gives 'view' twice" in line


def test_unknown_events_under_default_weights_are_reported(tmp_path, capsys):
    path = tmp_path / "e.csv"
    path.write_text("user,item,event\nu1,i1,view\nu1,i2,like\nu2,i1,like\n")
    code, err = train_popular(capsys, tmp_path, path, "--event-weights", "default")
    assert code == 0, err
    text = " ".join(err.split())
    assert "WARNING" in text and "'like' (2 rows) have no default weight; counted as 1" in text
    assert "--event-weights view=1,like=1" in text


def star_file(tmp_path, outliers: dict[int, str]):
    path = tmp_path / "stars.csv"
    rows = [f"u{i % 30},i{i % 50},{outliers.get(i, str(1 + i % 5))}" for i in range(600)]
    path.write_text("user,item,rating\n" + "\n".join(rows) + "\n")
    return path


def test_ratings_off_the_scale_are_warned_in_cli_words(tmp_path, capsys):
    path = star_file(tmp_path, {10: "300"})
    code, err = train_popular(capsys, tmp_path, path)
    assert code == 0, err
    text = " ".join(err.split())
    assert (
        "1 rating does not fit the scale of the others (1 to 5 in steps of 1), kept: line 12: 300"
        in text
    )
    assert "--rating-range 1,5" in text and "rating_range" not in text


@pytest.mark.parametrize("command", ["train", "evaluate", "tune"])
def test_rating_range_refuses_ratings_outside(tmp_path, capsys, command):
    path = star_file(tmp_path, {10: "300", 20: "-2"})
    extra = {
        "train": ["--model", "bias", "--out", NO_OUT],
        "evaluate": ["--models", "bias"],
        "tune": ["--model", "bias", "--out", NO_OUT, "--trials", "1"],
    }[command]
    code, _, err = run(capsys, command, "--data", str(path), "--rating-range", "1,5", *extra)
    assert code == 2
    assert one_error_line(err) == (
        'error: stars.csv, column "rating": 2 ratings outside the rating range 1 to 5: line 12: '
        "300; line 22: -2. Fix or remove those rows, or widen --rating-range."
    )


@pytest.mark.parametrize("text", ["5,1", "1-5", "1,5,9", "a,b"])
def test_bad_rating_range(ratings_csv, capsys, text):
    line = bad_train(capsys, ratings_csv, "--model", "bias", "--rating-range", text)
    assert line.startswith("error: --rating-range must be a pair of numbers (low, high)")


# -- fixes named in the command line's words ----------------------------------------------------
@pytest.fixture
def movielens_csv(tmp_path):
    path = tmp_path / "ml.csv"
    path.write_text("userId,movieId,stars\n1,10,4\n1,11,5\n2,10,3\n2,12,4\n")
    return path


def test_missing_column_suggests_the_columns_flag(movielens_csv, capsys):
    line = bad_train(capsys, movielens_csv, "--model", "popular")
    assert 'no column "user" (the user id)' in line
    assert 'The closest is "userId"; map it with --columns user=userId.' in line
    assert "columns={" not in line


def test_mapping_written_the_wrong_way_round_is_turned_around(movielens_csv, capsys):
    line = bad_train(
        capsys, movielens_csv, "--model", "popular", "--columns", "userId=user,movieId=item"
    )
    assert '--columns maps a file column to a standard name; the file has "userId"' in line
    assert line.endswith("Did you mean --columns user=userId?")


def test_duplicates_error_names_the_flag_values(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("user,item\n1,2\n1,2\n")
    line = bad_train(capsys, path, "--model", "popular", "--duplicates", "error")
    assert "d.csv, lines 2 and 3: user 1 and item 2 appear twice" in line
    assert "Pass --duplicates merge to fold repeats" in line
    assert "--duplicates first or last to keep one row, or --duplicates keep" in line
    assert "duplicates='" not in line


def test_cleaning_options_are_refused_in_flag_words(ratings_csv, capsys):
    cases = {
        ("--duplicates", "newest"): "error: --duplicates must be one of 'keep', 'first', 'last', "
        "'merge', 'error', got 'newest'.",
        ("--half-life", "0"): "error: --half-life must be a number > 0, got 0.0.",
        ("--min-interactions", "-1"): "error: --min-interactions must be an int >= 0, got -1.",
    }
    for args, expected in cases.items():
        assert bad_train(capsys, ratings_csv, "--model", "popular", *args) == expected


def test_empty_k_core_says_to_lower_the_flag(ratings_csv, capsys):
    line = bad_train(capsys, ratings_csv, "--model", "popular", "--min-interactions", "1000")
    assert line.endswith("lower --min-interactions")


def test_cleaning_needs_a_column_mapped_with_the_flag(movielens_csv, capsys):
    columns = ["--columns", "user=userId,item=movieId"]
    line = bad_train(
        capsys, movielens_csv, "--model", "popular", *columns, "--rating-threshold", "4"
    )
    assert "binarize needs a 'rating' column" in line and "(e.g. --columns rating=stars)." in line
    line = bad_train(capsys, movielens_csv, "--model", "popular", *columns, "--half-life", "7")
    assert "(e.g. --columns timestamp=time)." in line
    line = bad_train(
        capsys, movielens_csv, "--model", "popular", *columns, "--event-weights", "default"
    )
    assert "(e.g. --columns event=type)." in line


def test_wrong_delimiter_suggests_the_sep_flag(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("user;item;rating\n1;2;3\n2;3;4\n")
    line = bad_train(capsys, path, "--model", "popular", "--sep", ",")
    assert line.endswith("the file looks semicolon-separated: pass --sep ';'.")


def test_data_and_dataset_are_exclusive_in_flag_words(ratings_csv, capsys):
    code, _, err = run(capsys, "train", "--out", NO_OUT, "--model", "popular")
    assert code == 2
    assert one_error_line(err) == "error: give exactly one of --data FILE or --dataset NAME"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("user=a,user=b", "error: --columns maps 'user' twice"),
        ("user=a,item=a", "error: --columns reads file column 'a' as both 'user' and 'item'"),
    ],
)
def test_columns_given_twice_are_refused(ratings_csv, capsys, spec, expected):
    line = bad_train(capsys, ratings_csv, "--model", "popular", "--columns", spec)
    assert line.startswith(expected)


# -- queries: histories, user features, columns, seeds, provenance -------------------


def train(capsys, tmp_path, data, model, *args) -> str:
    out = tmp_path / model
    code, _, err = run(
        capsys, "train", "--data", str(data), "--model", model, "--out", str(out), *args
    )
    assert code == 0, err
    return str(out)


def frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def test_recommend_history_ranks_new_sessions_and_known_users(tmp_path, ratings_csv, capsys):
    model = train(capsys, tmp_path, ratings_csv, "markov")
    history = tmp_path / "history.csv"
    pd.DataFrame(
        {
            "user": ["anon", "anon", "u10", "ghost"],
            "item": ["i37", "i40", "i52", "no-such-item"],
            "timestamp": [
                "2030-01-01T10:00:00Z",
                "2030-01-01T10:05:00Z",
                "2030-01-02T09:00:00Z",
                "2030-01-02T09:00:00Z",
            ],
        }
    ).to_csv(history, index=False)
    code, out, err = run(capsys, "recommend", model, "--history", str(history), "--k", "3")
    assert code == 0, err
    recs = frame(out)
    assert recs.groupby("user").size().to_dict() == {"anon": 3, "ghost": 3, "u10": 3}
    assert set(recs.loc[recs["user"] != "ghost", "source"]) == {"model"}
    assert set(recs.loc[recs["user"] == "ghost", "source"]) == {"fallback:popular"}
    assert "no known items in history" in err and "ghost" in err
    assert "1 of 4 events name items markov does not know" in err
    # history items (and a known user's training items) are not recommended
    assert not set(recs.loc[recs["user"] == "anon", "item"]) & {"i37", "i40"}


def test_recommend_history_refused_by_a_model_that_cannot(tmp_path, ratings_csv, capsys):
    model = train(capsys, tmp_path, ratings_csv, "bpr", "--set", "n_epochs=2")
    history = tmp_path / "history.csv"
    pd.DataFrame({"user": ["anon"], "item": ["i37"]}).to_csv(history, index=False)
    code, _, err = run(capsys, "recommend", model, "--history", str(history))
    assert code == 2 and "cannot rank users from a history" in one_error_line(err)


def test_exactly_one_source_of_users(tmp_path, ratings_csv, capsys):
    model = train(capsys, tmp_path, ratings_csv, "popular")
    code, _, err = run(capsys, "recommend", model)
    assert code == 2 and "--users FILE, --all or --history FILE" in one_error_line(err)


def test_users_file_features_reach_a_model_that_uses_them(tmp_path, capsys):
    blocks = two_blocks()
    data = tmp_path / "ratings.csv"
    blocks.train.interactions.to_csv(data, index=False)
    table = tmp_path / "users.csv"
    genders = ["F"] * 6 + ["M"] * 6
    pd.DataFrame({"user": blocks.users, "gender": genders}).to_csv(table, index=False)
    model = train(
        capsys, tmp_path, data, "popular", "--set", "segment_by=gender", "--user-table", str(table)
    )
    query = tmp_path / "query.csv"
    pd.DataFrame({"user": ["new-f", "new-m", "nobody"], "gender": ["F", "M", None]}).to_csv(
        query, index=False
    )
    code, out, err = run(capsys, "recommend", model, "--users", str(query), "--k", "2", "--explain")
    assert code == 0, err
    recs = frame(out)
    sources = recs.groupby("user")["source"].agg(set).to_dict()
    assert sources == {"new-f": {"model"}, "new-m": {"model"}, "nobody": {"fallback:popular"}}
    assert recs.loc[recs["user"] == "new-f", "explanation"].str.contains("gender F").all()
    first = recs.groupby("user")["item"].first()
    assert first["new-f"] != first["new-m"]  # each gets their own segment's favourites
    # a model that does not use features says the columns are unused
    other = train(capsys, tmp_path, data, "ease")
    code, _, err = run(capsys, "recommend", other, "--users", str(query))
    assert code == 0 and "columns gender are not used: ease does not use user features" in err


def test_columns_map_query_files(tmp_path, ratings_csv, capsys):
    model = train(capsys, tmp_path, ratings_csv, "bias")
    users = tmp_path / "users.csv"
    pd.DataFrame({"uid": ["u10", "u13"]}).to_csv(users, index=False)
    candidates = tmp_path / "items.csv"
    pd.DataFrame({"iid": ["i37", "i40", "i43"]}).to_csv(candidates, index=False)
    args = ["--users", str(users), "--candidates", str(candidates), "--k", "2"]
    code, out, err = run(capsys, "recommend", model, *args, "--columns", "user=uid,item=iid")
    assert code == 0, err
    assert set(frame(out)["item"]) <= {"i37", "i40", "i43"}
    pairs = tmp_path / "pairs.tsv"
    pd.DataFrame({"uid": ["u10"], "iid": ["i37"]}).to_csv(pairs, index=False, sep="\t")
    code, out, err = run(
        capsys, "predict", model, "--pairs", str(pairs), "--columns", "user=uid,item=iid"
    )
    assert code == 0, err
    assert frame(out).columns.tolist() == ["user", "item", "prediction", "source"]
    code, _, err = run(capsys, "recommend", model, *args, "--columns", "user=uid,item=iid,rating=r")
    assert code == 2 and "--columns rating=r: no column of that name" in one_error_line(err)


def test_train_is_reproducible_and_seeded(tmp_path, ratings_csv, capsys):
    def recs(*args) -> pd.DataFrame:
        model = train(capsys, tmp_path, ratings_csv, "als", "--set", "n_epochs=3", *args)
        code, out, err = run(capsys, "recommend", model, "--all", "--k", "3")
        assert code == 0, err
        return frame(out)

    first, second = recs(), recs()
    pd.testing.assert_frame_equal(first, second)  # the default seed is fixed
    other = recs("--seed", "7")
    assert not first["score"].equals(other["score"])
    code, _, err = run(
        capsys, "train", "--data", str(ratings_csv), "--model", "als", "--out",
        str(tmp_path / "x"), "--seed", "3", "--set", "random_state=4",
    )  # fmt: skip
    assert code == 2 and "two seeds" in one_error_line(err)


def test_rating_threshold_refused_for_rating_models(tmp_path, ratings_csv, capsys):
    code, _, err = run(
        capsys, "train", "--data", str(ratings_csv), "--model", "svd", "--rating-threshold", "4",
        "--out", str(tmp_path / "svd"),
    )  # fmt: skip
    assert code == 2 and "--rating-threshold" in one_error_line(err)
    assert not (tmp_path / "svd").exists()
    train(capsys, tmp_path, ratings_csv, "ease", "--rating-threshold", "4")  # implicit: fine


def test_tune_records_seed_and_cleaning(tmp_path, ratings_csv, capsys):
    params = tmp_path / "params.toml"
    code, _, err = run(
        capsys, "tune", "--data", str(ratings_csv), "--model", "ease", "--trials", "2",
        "--seed", "5", "--min-interactions", "2", "--out", str(params),
    )  # fmt: skip
    assert code == 0, err
    doc = tomllib.loads(params.read_text())
    assert doc["seed"] == 5
    assert doc["cleaning"]["min_interactions"] == 2
    assert doc["cleaning"]["data"] == str(ratings_csv)
    # training with other cleaning options says the parameters may not fit
    code, _, err = run(
        capsys, "train", "--data", str(ratings_csv), "--config", str(params),
        "--out", str(tmp_path / "tuned"),
    )  # fmt: skip
    assert code == 0 and "tuned on data cleaned differently (min_interactions" in err
    # the same options (the default duplicates policy included): nothing to warn about
    code, _, err = run(
        capsys, "train", "--data", str(ratings_csv), "--config", str(params),
        "--min-interactions", "2", "--duplicates", "keep", "--out", str(tmp_path / "same"),
    )  # fmt: skip
    assert code == 0 and "cleaned differently" not in err


def test_evaluate_refuses_rating_threshold_with_a_rating_model(ratings_csv, capsys):
    code, _, err = run(
        capsys, "evaluate", "--data", str(ratings_csv), "--models", "ease,bias",
        "--rating-threshold", "4",
    )  # fmt: skip
    assert code == 2 and "bias learns from the rating values" in one_error_line(err)


def test_columns_apply_to_item_and_user_tables(tmp_path, capsys):
    blocks = two_blocks()
    data = tmp_path / "ratings.csv"
    blocks.train.interactions.rename(columns={"user": "uid", "item": "iid"}).to_csv(
        data, index=False
    )
    items = tmp_path / "items.csv"
    catalog = [*blocks.train.item_map.ids.tolist(), "i-new"]
    pd.DataFrame({"iid": catalog, "title": [f"t{i}" for i in range(len(catalog))]}).to_csv(
        items, index=False
    )
    users = tmp_path / "users.tsv"
    pd.DataFrame({"uid": blocks.users, "gender": ["F"] * 6 + ["M"] * 6}).to_csv(
        users, index=False, sep="\t"
    )
    out = tmp_path / "seg"
    code, _, err = run(
        capsys, "train", "--data", str(data), "--items", str(items), "--user-table", str(users),
        "--columns", "user=uid,item=iid", "--model", "popular", "--set", "segment_by=gender",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    code, outp, err = run(capsys, "recommend", str(out), "--all", "--k", "20")
    assert code == 0, err
    assert "i-new" in set(frame(outp)["item"])  # the item table's catalog is ranked
    code, _, err = run(
        capsys, "train", "--dataset", "no-such-dataset", "--columns", "user=uid",
        "--model", "popular", "--out", str(tmp_path / "x"),
    )  # fmt: skip
    assert code == 2 and "--columns describe the files read" in one_error_line(err)
