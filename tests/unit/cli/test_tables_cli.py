"""--items and --user-table repeated: several files joined on the id, the join reported."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tastemaker.cli.main import main
from tastemaker.testing import two_blocks


@pytest.fixture
def files(tmp_path):
    """Interactions, two item files and two user files (each lacking some ids), and new
    users described by the user files' columns."""
    blocks = two_blocks()
    paths = {name: tmp_path / f"{name}.csv" for name in ("ratings", "titles", "genres")}
    paths |= {name: tmp_path / f"{name}.csv" for name in ("gender", "age", "new")}
    blocks.train.interactions.to_csv(paths["ratings"], index=False)
    items = blocks.train.item_map.ids.tolist()  # 10 items, i37 ... i64; block 1 first
    pd.DataFrame({"item": [*items, "i-new"], "title": [f"t{i}" for i in range(11)]}).to_csv(
        paths["titles"], index=False
    )
    genres = ["drama"] * 5 + ["comedy"] * 3  # the last two items have no genre row
    pd.DataFrame({"item": [*items[:8], "i-new"], "genres": [*genres, "drama"]}).to_csv(
        paths["genres"], index=False
    )
    users = list(blocks.users)
    pd.DataFrame({"user": users, "gender": ["F"] * 6 + ["M"] * 6}).to_csv(
        paths["gender"], index=False
    )
    pd.DataFrame({"user": users[:-1], "age": range(20, 31)}).to_csv(paths["age"], index=False)
    pd.DataFrame({"user": ["new-f", "new-m"], "gender": ["F", "M"], "age": [22, 29]}).to_csv(
        paths["new"], index=False
    )
    return {name: str(path) for name, path in paths.items()}


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, " ".join(captured.err.split())


def test_train_joins_two_item_files_and_logs_the_report(tmp_path, files, capsys):
    out = str(tmp_path / "content")
    code, _, err = run(
        capsys, "train", "--data", files["ratings"], "--items", files["titles"],
        "--items", files["genres"], "--model", "content", "--out", out,
    )  # fmt: skip
    assert code == 0, err
    assert (
        'INFO ratings: item table: joined 2 files on "item": titles.csv (11 rows, 1 column: '
        "title); genres.csv (9 rows, 1 column: genres) -> 11 items, 2 columns"
    ) in err
    assert "9 of 11 items in every file; missing from genres.csv: 2 ('i61', 'i64')" in err
    assert "1 item of the table has no interactions, added to the catalog ('i-new')" in err
    assert err.count("item table:") == 3  # logged once
    code, recs, err = run(capsys, "-q", "recommend", out, "--all", "--k", "11")
    assert code == 0, err
    recs = pd.read_csv(io.StringIO(recs))
    # the genres file's features reach the model: the new item is scored from them
    assert recs.loc[recs["item"] == "i-new", "source"].eq("model").all()


def test_hybrid_gets_joined_tables_and_recommends_for_new_users(tmp_path, files, capsys):
    out = str(tmp_path / "hybrid")
    code, _, err = run(
        capsys, "train", "--data", files["ratings"], "--items", files["titles"],
        "--items", files["genres"], "--user-table", files["gender"], "--user-table",
        files["age"], "--model", "hybrid", "--out", out,
    )  # fmt: skip
    assert code == 0, err
    assert "11 of 12 users in every file; missing from age.csv: 1 ('u43')" in err
    code, recs, err = run(capsys, "-q", "recommend", out, "--users", files["new"], "--k", "3")
    assert code == 0, err
    recs = pd.read_csv(io.StringIO(recs))
    sources = recs.groupby("user")["source"].agg(set).to_dict()
    assert sources == {"new-f": {"model"}, "new-m": {"model"}}  # scored from their features
    scores = recs.pivot(index="rank", columns="user", values="score")
    assert not scores["new-f"].equals(scores["new-m"])  # each placed by their own features


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ("missing.csv", "missing.csv: the file does not exist"),
        ("nokey", 'no column "item" (the item id); found columns "movie", "year". Map the '
         "right column with --columns item=<file column>."),
        ("clash", 'titles.csv and clash.csv both have a column "title"; a joined item table '
         "holds each column once"),
        ("titles", "--items names"),
    ],
)  # fmt: skip
def test_bad_item_files_are_one_clear_error(tmp_path, files, capsys, second, expected):
    (tmp_path / "nokey.csv").write_text("movie,year\ni37,1990\n")
    (tmp_path / "clash.csv").write_text("item,title\ni37,x\n")
    path = files.get(second, str(tmp_path / (second if "." in second else f"{second}.csv")))
    code, _, err = run(
        capsys, "-q", "train", "--data", files["ratings"], "--items", files["titles"],
        "--items", path, "--model", "content", "--out", str(tmp_path / "never"),
    )  # fmt: skip
    assert code == 2
    assert err.startswith("error:") and "Traceback" not in err
    assert expected in err
    assert not (tmp_path / "never").exists()


def test_evaluate_and_tune_take_several_tables(tmp_path, files, capsys):
    tables = ["--items", files["titles"], "--items", files["genres"]]
    tables += ["--user-table", files["gender"], "--user-table", files["age"]]
    code, _, err = run(
        capsys, "evaluate", "--data", files["ratings"], "--models", "content", *tables,
        "--metrics", "ndcg@10", "--out", str(tmp_path / "r.json"),
    )  # fmt: skip
    assert code == 0, err
    assert "user table: joined 2 files" in err and "item table: joined 2 files" in err
    code, _, err = run(
        capsys, "-q", "tune", "--data", files["ratings"], "--model", "content", *tables,
        "--trials", "1", "--out", str(tmp_path / "p.toml"),
    )  # fmt: skip
    assert code == 0, err
