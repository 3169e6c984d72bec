"""two-tower: conformance (with and without an item table), cold items placed from their
features, a new user placed from features only, fold-in, save/load."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import TwoTower, create_model, load
from tastemaker.testing._checks import RecommenderChecks
from tastemaker.testing._synthetic import two_blocks

TINY = dict(n_factors=8, n_epochs=5, batch_size=64, learning_rate=0.02, validation=0.0)


def _with_items(blocks):
    """two_blocks plus an item table whose genre is the item's block (the items of the
    first user's block are one genre)."""
    train = blocks.train
    ids = train.item_map.ids.tolist()
    inter = train.interactions
    mine = set(inter.loc[inter["user"] == blocks.users[0], "item"]) | {blocks.held_out[0]}
    table = pd.DataFrame({"item": ids, "genres": ["A|x" if i in mine else "B|y" for i in ids]})
    data = Dataset(
        train.interactions, items=table, user_map=train.user_map, item_map=train.item_map
    )
    return dataclasses.replace(blocks, train=data)


class TestTwoTower(RecommenderChecks):
    make_model = staticmethod(lambda: TwoTower(**TINY))
    learns_blocks = False  # two_blocks is too small for sampled negatives (see test_ncf)

    @pytest.fixture(scope="class")
    @classmethod
    def blocks(cls):
        return _with_items(two_blocks())


class TestTwoTowerWithoutItemTable(RecommenderChecks):
    make_model = staticmethod(lambda: TwoTower(loss="bpr", **TINY))
    learns_blocks = False


# -- planted data ---------------------------------------------------------------------------
GENRES = ("comedy", "drama")


def _planted(seed=0, n_users=30, n_items=20, n_cold=3):
    """Users of each genre (a user-table column says which) each with 6 of its warm
    items; ``n_cold`` items per genre are in the item table only."""
    rng = np.random.default_rng(seed)
    rows, items, users = [], [], []
    for g, genre in enumerate(GENRES):
        warm = [f"{genre}{j}" for j in range(n_items)]
        cold = [f"cold-{genre}{j}" for j in range(n_cold)]
        items += [(i, f"{genre}|{'funny' if g == 0 else 'sad'}", f"a {genre} film") for i in warm]
        items += [(i, f"{genre}|{'funny' if g == 0 else 'sad'}", f"a {genre} film") for i in cold]
        for u in range(n_users):
            user = f"{genre}-fan{u}"
            users.append((user, genre[0], 20 + 30 * g + u % 7))
            rows += [(user, i) for i in rng.choice(warm, size=6, replace=False)]
    return Dataset(
        pd.DataFrame(rows, columns=["user", "item"]),
        items=pd.DataFrame(items, columns=["item", "genres", "title"]),
        users=pd.DataFrame(users, columns=["user", "taste", "age"]),
        name="planted",
    )


PLANTED_PARAMS = dict(
    n_factors=8, n_epochs=8, batch_size=128, learning_rate=0.03, validation=0.0, n_negatives=8
)


@pytest.fixture(scope="module")
def planted():
    data = _planted()
    return TwoTower(**PLANTED_PARAMS).fit(data)


def test_cold_items_are_placed_by_their_features(planted):
    model = planted
    cold = [f"cold-{g}{j}" for g in GENRES for j in range(3)]
    assert model.item_popularity_[model.items_.index_of(cold)].sum() == 0
    users = [f"{g}-fan{u}" for g in GENRES for u in range(30)]
    recs = model.recommend(users, k=3, items=cold).to_frame()
    assert set(recs["source"]) == {"model"}
    # each user's top 3 among 6 cold items: random gets half of their genre right
    hits = (recs["item"].str[5] == recs["user"].str[0]).mean()
    assert hits >= 0.95


def test_a_new_user_with_features_only_is_placed(planted):
    model = planted
    assert model.tags.scores_cold_users
    features = pd.DataFrame({"user": ["new-c", "new-d"], "taste": ["c", "d"], "age": [22, 51]})
    recs = model.recommend(["new-c", "new-d"], k=10, features=features).to_frame()
    assert set(recs["source"]) == {"model"}
    for user, genre in (("new-c", "comedy"), ("new-d", "drama")):
        items = recs.loc[recs["user"] == user, "item"]
        assert items.str.contains(genre).mean() >= 0.9  # random: 0.5


def test_fold_in_places_a_history(planted):
    model = planted
    history = pd.DataFrame({"user": ["x"] * 3, "item": ["drama0", "drama1", "drama2"]})
    scores = model.fold_in(history)[0]
    top = model.items_.ids[np.argsort(-scores)[:10]]
    assert all("drama" in str(i) for i in top)


def test_save_load_identical_scores(planted, tmp_path):
    model = planted
    loaded = load(model.save(tmp_path / "m"))
    users = ["comedy-fan0", "drama-fan3"]
    np.testing.assert_array_equal(loaded.score(users), model.score(users))
    features = pd.DataFrame({"user": ["new"], "taste": ["c"], "age": [30]})
    np.testing.assert_array_equal(
        loaded.score(["new"], features=features), model.score(["new"], features=features)
    )


def test_without_a_user_table_new_users_fall_back():
    data = _planted(n_users=4)
    data = Dataset(data.interactions, items=data.items, name="no-users")
    model = create_model("two-tower", **{**PLANTED_PARAMS, "n_epochs": 1}).fit(data)
    assert not model.tags.scores_cold_users
    recs = model.recommend(["nobody"], k=2).to_frame()
    assert set(recs["source"]) != {"model"}


def test_bad_dropout_is_refused():
    with pytest.raises(ParameterError, match="history_dropout"):
        TwoTower(history_dropout=1.0).fit(_planted(n_users=2))
