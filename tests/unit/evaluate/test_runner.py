"""The experiment runner: splits, fitting, evaluation, intervals and comparisons."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from pytest import approx
from scipy import stats

from tastemaker.data import Dataset
from tastemaker.errors import DataError, ParameterError
from tastemaker.evaluate import evaluate_models, make_splits
from tastemaker.evaluate import metrics as M
from tastemaker.evaluate.runner import _across_folds, item_category_vectors
from tastemaker.models import Random
from tastemaker.testing import two_blocks


@pytest.fixture(scope="module")
def data() -> Dataset:
    blocks = two_blocks(n_users_per_block=10, n_items_per_block=8)
    return blocks.train.replace(
        pd.concat([blocks.train.interactions, blocks.test.interactions], ignore_index=True)
    )


@pytest.fixture(scope="module")
def with_genres(data) -> Dataset:
    ids = data.item_map.ids.tolist()
    genres = [
        ["a", "b"] if i % 3 == 0 else ("b|c" if i % 3 == 1 else None) for i in range(len(ids))
    ]
    items = pd.DataFrame({"item": ids, "genres": genres})
    return Dataset(data.interactions, items=items, name="with-genres")


def test_make_splits_kfold_and_holdout(data):
    assert len(make_splits(data, "kfold-3", 0)) == 3
    assert len(make_splits(data, "random-80-20", 0)) == 1
    with pytest.raises(ParameterError, match="needs --dataset ml-100k"):
        make_splits(data, "ml100k-u", 0)


def test_evaluate_models_holdout(data):
    run = evaluate_models(data, ["popular", "random"], metrics=["ndcg@5", "hit@5"], n_boot=200)
    board = run.leaderboard
    assert list(board.columns) == ["model", "metric", "value", "ci_low", "ci_high", "n_users"]
    assert set(board["model"]) == {"popular", "random"}
    ok = board.dropna()
    assert ((ok["ci_low"] <= ok["value"]) & (ok["value"] <= ok["ci_high"])).all()
    again = evaluate_models(data, ["random"], metrics=["ndcg@5"], n_boot=200)
    first = board[(board["model"] == "random") & (board["metric"] == "ndcg@5")]["value"].item()
    assert again.leaderboard["value"].item() == first  # seeded: reproducible


def test_evaluate_models_kfold_uses_t_interval(data):
    run = evaluate_models(data, ["popular"], protocol="kfold-3", metrics=["hit@5"])
    values = run.folds["value"].to_numpy()
    assert len(values) == 3
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
    row = run.leaderboard.iloc[0]
    assert row["value"] == pytest.approx(values.mean())
    assert row["ci_high"] - row["value"] == pytest.approx(half)
    assert set(run.per_user["popular"]["fold"]) == {1, 2, 3}


def test_comparisons_are_paired(data):
    run = evaluate_models(data, ["popular", "random", "bias"], metrics=["ndcg@5"], n_boot=100)
    table = run.comparisons("ndcg@5")
    ndcg = run.leaderboard[run.leaderboard["metric"] == "ndcg@5"]
    best = ndcg.sort_values("value", ascending=False)["model"].iloc[0]
    assert set(table["best"]) == {best} and len(table) == 2
    one = run.compare(best, table["model"].iloc[0], "ndcg@5")
    assert one.mean_diff == pytest.approx(table["mean_diff"].iloc[0])
    with pytest.raises(ParameterError, match="no model"):
        run.compare(best, "nope", "ndcg@5")


def test_unknown_model_fails_before_work(data):
    with pytest.raises(ParameterError, match="unknown model"):
        evaluate_models(data, ["popular", "nope"])


def test_item_vectors_from_the_genres_column(with_genres, data):
    vectors = item_category_vectors(with_genres).toarray()
    # vocabulary a, b, c; lists and "b|c" strings both read; None has no genre
    assert vectors.shape == (with_genres.n_items, 3)
    assert vectors[0].tolist() == [1, 1, 0] and vectors[1].tolist() == [0, 1, 1]
    assert vectors[2].tolist() == [0, 0, 0]
    assert item_category_vectors(data) is None  # no item table


def test_ild_scored_with_the_item_table(with_genres):
    run = evaluate_models(with_genres, ["popular"], metrics=["ild@3"], n_boot=50)
    per_user = run.per_user["popular"]
    vectors = item_category_vectors(with_genres)
    model = run.models["popular"]
    recs = model.recommend(per_user["user"].tolist(), k=3).to_frame()
    for user, group in recs.groupby("user"):
        ranked = model.items_.index_of(group.sort_values("rank")["item"])
        expected = M.ild(ranked, vectors, 3)
        got = per_user.set_index("user").loc[user, "ild@3"]
        assert got == approx(expected, nan_ok=True)


def test_ild_left_out_with_a_warning_without_item_table(data, caplog):
    with caplog.at_level(logging.WARNING, logger="tastemaker.evaluate"):
        run = evaluate_models(data, ["popular"], metrics=["hit@3", "ild@3"], n_boot=50)
    assert run.metrics == ["hit@3"]
    assert "ild@3 left out" in caplog.text


def test_models_given_as_instances_and_labels(data):
    run = evaluate_models(
        data,
        {"pop": "popular", "seeded": Random(random_state=3), "free": "random"},
        metrics=["hit@5"],
        params={"free": {"random_state": 3}},
        n_boot=50,
    )
    board = run.leaderboard.set_index("model")["value"]
    assert list(board.index) == ["pop", "seeded", "free"]
    assert board["seeded"] == board["free"]  # same model, same seed
    assert run.models["seeded"].random_state == 3


def test_bad_model_lists_fail_before_work(data):
    with pytest.raises(ParameterError, match="appears twice"):
        evaluate_models(data, ["popular", "popular"])
    with pytest.raises(ParameterError, match=r"not in this run"):
        evaluate_models(data, ["popular"], params={"als": {"n_factors": 8}})
    with pytest.raises(ParameterError, match="given as a model"):
        evaluate_models(data, {"r": Random()}, params={"r": {"random_state": 1}})


def test_equal_folds_have_a_zero_width_interval():
    folds = pd.DataFrame(
        {"model": ["m"] * 3, "fold": [1, 2, 3], "metric": ["hit@5"] * 3, "value": [0.5] * 3}
    )
    per_user = {"m": pd.DataFrame({"user": ["a"], "hit@5": [1.0]})}
    row = _across_folds(folds, per_user).iloc[0]
    assert (row["ci_low"], row["value"], row["ci_high"]) == (0.5, 0.5, 0.5)


def _timed_blocks(n_per_block: int = 10, n_items: int = 20) -> Dataset:
    """Two blocks of users, each user with every item of their block, at distinct times;
    block "b" has twice as many users, so its items are the popular ones."""
    rows = []
    for block, n_users in (("a", n_per_block), ("b", 2 * n_per_block)):
        for u in range(n_users):
            order = np.random.default_rng(u).permutation(n_items)
            rows += [(f"{block}{u}", f"{block}-i{i}", 1000 + t) for t, i in enumerate(order)]
    return Dataset(pd.DataFrame(rows, columns=["user", "item", "timestamp"]), name="timed")


def test_evaluate_models_new_user_protocol_uses_the_revealed_history():
    data = _timed_blocks()
    run = evaluate_models(
        data,
        {"ease": "ease", "popular": "popular"},
        protocol="new-user-5-10",
        metrics=["ndcg@10", "recall@10"],
        params={"ease": {"regularization": 1.0}},
        n_boot=50,
    )
    split = run.split
    held = set(split.test.interactions["user"])
    assert len(held) == 6  # 20% of the 30 users, all with >= 15 items
    assert not held & set(split.train.interactions["user"])
    # popularity recommends block b to everyone; from 5 revealed items EASE finds the
    # user's block, whose other 15 items hold the 10 tested ones
    recall = {name: frame.set_index("user")["recall@10"] for name, frame in run.per_user.items()}
    block_a = [u for u in held if u.startswith("a")]
    assert block_a, "the seed should hold out users of both blocks"
    assert (recall["popular"][block_a] == 0).all()
    assert (recall["ease"][block_a] >= 0.5).all()
    board = run.leaderboard.set_index(["model", "metric"])["value"]
    assert board["ease", "ndcg@10"] > board["popular", "ndcg@10"]


def test_evaluate_models_cold_item_protocol_ranks_the_held_out_items():
    data = _timed_blocks()
    run = evaluate_models(
        data, ["popular", "random"], protocol="cold-item-20", metrics=["recall@20"], n_boot=50
    )
    split = run.split
    assert len(split.candidates) == 8  # 20% of 40 items
    assert not set(split.candidates) & set(split.train.interactions["item"])
    board = run.leaderboard.set_index(["model", "metric"])["value"]
    # each test user holds at most 8 candidates: a list of 20 holds them all
    assert board["popular", "recall@20"] == 1.0
    assert board["random", "recall@20"] == 1.0


def test_new_user_protocol_needs_timestamps():
    untimed = _timed_blocks().interactions.drop(columns="timestamp")
    with pytest.raises(DataError, match=r"new-user\(.*needs a 'timestamp' column"):
        evaluate_models(Dataset(untimed, name="untimed"), ["popular"], protocol="new-user-5-10")
