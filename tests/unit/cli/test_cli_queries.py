"""The command line passes what the query carries: histories, user features, columns,
seeds; and says where every row came from."""

from __future__ import annotations

import io
import tomllib

import pandas as pd
import pytest

from tastemaker.cli.main import main
from tastemaker.testing import two_blocks


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["-q", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("error:")
    return lines[0]


@pytest.fixture
def ratings_csv(tmp_path):
    path = tmp_path / "ratings.csv"
    two_blocks().train.interactions.to_csv(path, index=False)
    return path


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
    assert code == 2 and "no file given to this command has a column 'r'" in one_error_line(err)


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
