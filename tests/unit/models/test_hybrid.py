"""The feature hybrids, ``hybrid`` (closed form) and ``two-tower`` (neural): conformance
(with and without an item table), cold items placed from their features, a new user
placed from features only, fold-in, save/load; then each one's own checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import EASE, Hybrid, TwoTower, create_model, load
from tastemaker.models.hybrid import feature_map
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
    return blocks.with_tables(items=table)


class TestHybrid(RecommenderChecks):
    make_model = staticmethod(lambda: Hybrid(regularization=10.0))

    @pytest.fixture(scope="class")
    @classmethod
    def blocks(cls):
        return _with_items(two_blocks())


class TestHybridWithoutItemTable(RecommenderChecks):
    make_model = staticmethod(lambda: Hybrid(regularization=10.0))


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
MODELS = {"hybrid": {"regularization": 10.0}, "two-tower": PLANTED_PARAMS}


@pytest.fixture(scope="module", params=list(MODELS))
def planted(request):
    return create_model(request.param, **MODELS[request.param]).fit(_planted())


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


@pytest.mark.parametrize("name", list(MODELS))
def test_without_a_user_table_new_users_fall_back(name):
    data = _planted(n_users=4)
    data = Dataset(data.interactions, items=data.items, name="no-users")
    model = create_model(
        name, **{**MODELS[name], "n_epochs": 1} if name == "two-tower" else MODELS[name]
    ).fit(data)
    assert not model.tags.scores_cold_users
    recs = model.recommend(["nobody"], k=2).to_frame()
    assert set(recs["source"]) != {"model"}


def test_bad_dropout_is_refused():
    with pytest.raises(ParameterError, match="history_dropout"):
        TwoTower(history_dropout=1.0).fit(_planted(n_users=2))


def test_a_user_with_only_missing_features_gets_the_fallback(planted):
    features = pd.DataFrame({"user": ["blank", "aged"], "taste": [None, None], "age": [None, 40]})
    recs = planted.recommend(["blank", "aged"], k=2, features=features).to_frame()
    sources = recs.groupby("user")["source"].first()
    assert sources["blank"] == "fallback:popular"  # a missing-value indicator says nothing
    assert sources["aged"] == "model"


def test_a_new_user_with_some_feature_columns_is_placed(planted, caplog):
    features = pd.DataFrame({"user": ["new-c"], "taste": ["c"]})  # no age column
    with caplog.at_level("WARNING", logger="tastemaker"):
        recs = planted.recommend(["new-c"], k=5, features=features).to_frame()
    assert caplog.text.count("no column(s) ['age']") == 1  # said once, not silent
    assert set(recs["source"]) == {"model"}
    assert recs["item"].str.contains("comedy").all()


# -- hybrid (closed form) ---------------------------------------------------------------------
def test_feature_map_is_the_ridge_regression_in_either_space():
    rng = np.random.default_rng(0)
    known = sp.csr_array(rng.random((6, 4)))
    new = sp.csr_array(rng.random((2, 4)))
    lam = 0.5
    # by hand: a quantity q over the known rows, its ridge fit w on the features, then
    # evaluated at the new rows, equals q @ map
    q = rng.random(6)
    w = np.linalg.solve(known.T @ known + lam * np.eye(4), known.T @ q)
    np.testing.assert_allclose(q @ feature_map(known, new, lam), new @ w, rtol=1e-5)
    # more features than known rows: solved in the row space, same result
    wide_known, wide_new = sp.csr_array(rng.random((3, 5))), sp.csr_array(rng.random((2, 5)))
    q3 = rng.random(3)
    w3 = np.linalg.solve(wide_known.T @ wide_known + lam * np.eye(5), wide_known.T @ q3)
    np.testing.assert_allclose(
        q3 @ feature_map(wide_known, wide_new, lam), wide_new @ w3, rtol=1e-5
    )


def test_hybrid_scores_warm_items_as_ease_without_a_user_table():
    data = _planted(n_users=10)
    data = Dataset(data.interactions, items=data.items, name="no-users")
    hybrid = Hybrid(regularization=10.0).fit(data)
    ease = EASE(regularization=10.0).fit(Dataset(data.interactions, name="plain"))
    users = ["comedy-fan0", "drama-fan1"]
    warm = ease.items_.ids.tolist()
    np.testing.assert_allclose(
        hybrid.score(users, items=warm), ease.score(users, items=warm), rtol=1e-5, atol=1e-7
    )
    # every item without interactions (the 6 cold ones, and warm ones no user drew) is
    # placed by its features
    never = np.flatnonzero(hybrid.item_popularity_ == 0)
    assert len(never) >= 6
    np.testing.assert_array_equal(hybrid.mapped_items_, never)


def test_hybrid_user_prior_weight_zero_leaves_ease():
    data = _planted(n_users=10)
    with_prior = Hybrid(regularization=10.0).fit(data)
    without = Hybrid(regularization=10.0, user_feature_weight=0.0).fit(data)
    users = ["comedy-fan0"]
    assert not np.allclose(with_prior.score(users), without.score(users))
    assert without.tags.scores_cold_users  # still places new users from their features


def test_hybrid_explains_new_items_by_history_and_features(planted_hybrid):
    model = planted_hybrid
    reasons = model._explain(
        np.array([model.users_.index_of(["comedy-fan0"])[0]] * 2),
        model.items_.index_of(["cold-comedy0", "comedy1"]),
    )
    assert reasons[0].startswith("because you liked comedy") and "new item" in reasons[0]
    assert reasons[1].startswith("because you liked comedy") and "new item" not in reasons[1]


@pytest.fixture(scope="module")
def planted_hybrid():
    return Hybrid(regularization=10.0).fit(_planted())


def test_hybrid_leaves_history_users_to_the_generic_explainer(planted_hybrid):
    from tastemaker.explain import CoOccurrenceExplainer

    history = pd.DataFrame({"user": ["x"] * 2, "item": ["drama0", "drama1"]})
    recs = planted_hybrid.recommend_history(history, k=3)
    why = CoOccurrenceExplainer(planted_hybrid, history=history)(recs)["explanation"]
    assert why.str.startswith("because you liked a drama film").all()  # a history item
