"""deepfm: conformance, fields from side tables, cold users and items from features,
click metrics by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.errors import DataError, ParameterError
from tastemaker.models import DeepFM, create_model, load
from tastemaker.models.ctr import _logloss_auc, click_metrics
from tastemaker.testing._checks import RecommenderChecks


def tiny(**params) -> DeepFM:
    settings = dict(
        n_factors=8,
        layers="16",
        n_epochs=30,
        batch_size=16,
        learning_rate=0.02,
        weight_decay=0.01,  # without it the ids memorise the sampled negatives
        validation=0.0,
        n_threads=1,
    )
    return DeepFM(**{**settings, **params})


class TestDeepFM(RecommenderChecks):
    make_model = staticmethod(tiny)


def planted(n_users: int = 40, seed: int = 0) -> Dataset:
    """Users of group a (feature ``kind=a``) use items a0..a3, group b items b0..b3; an
    item table gives each item its group. Which group a user belongs to is written in
    the user table, so a new user is placed by the feature alone."""
    rng = np.random.default_rng(seed)
    rows, users = [], []
    for u in range(n_users):
        kind = "ab"[u % 2]
        users.append({"user": f"u{u}", "kind": kind, "age": 20 + u % 7})
        for j in rng.choice(4, size=3, replace=False):
            rows.append({"user": f"u{u}", "item": f"{kind}{j}"})
    items = pd.DataFrame(
        {
            "item": [f"{k}{j}" for k in "ab" for j in range(5)],
            "group": [[k, "any"] for k in "ab" for _ in range(5)],  # multi-valued
        }
    )
    return Dataset(pd.DataFrame(rows), users=pd.DataFrame(users), items=items, name="planted")


@pytest.fixture(scope="module")
def fitted_planted():
    return tiny(n_epochs=40).fit(planted())


def test_registered_and_fields(fitted_planted):
    assert isinstance(create_model("deepfm"), DeepFM)
    model = fitted_planted
    assert model.fields_ == ["user", "user:kind", "user:age", "item", "item:group"]
    assert model.levels_["item:group"]["values"] == ["a", "any", "b"]
    assert model.levels_["user:age"]["kind"] == "bins"
    tags = model.tags
    assert tags.uses_features and tags.scores_cold_users and tags.scores_cold_items
    assert not tags.folds_in and not tags.updates
    # item a0: its id token and two group tokens of weight 1/2 each
    a0 = model.items_.index_of(["a0"])[0]
    assert sorted(model.item_weights_[a0].tolist()) == [0.5, 0.5, 1.0]


def test_without_side_tables_there_are_no_feature_fields():
    model = tiny(user_columns=[], item_columns=[], n_epochs=1).fit(planted())
    assert model.fields_ == ["user", "item"]
    assert not model.tags.scores_cold_users and not model.tags.scores_cold_items


def test_cold_user_is_placed_by_features(fitted_planted):
    """A new user with kind=b gets b items, with kind=a a items: only the feature says."""
    model = fitted_planted
    features = pd.DataFrame({"user": ["new-a", "new-b"], "kind": ["a", "b"], "age": [22, 22]})
    recs = model.recommend(["new-a", "new-b"], k=4, features=features)
    frame = recs.to_frame()
    assert recs.fallback == {}
    for user, kind in (("new-a", "a"), ("new-b", "b")):
        items = frame.loc[frame["user"] == user, "item"].tolist()
        assert all(i.startswith(kind) for i in items), items
    # without features, the same user gets the popularity fallback
    assert model.recommend(["new-a"], k=2).fallback == {"new-a": "unknown user"}


def test_cold_item_is_scored_from_its_fields(fitted_planted):
    """a4 and b4 have no interactions; their group places each with its users."""
    model = fitted_planted
    scores = model.score(["u0", "u1"], items=["a4", "b4"])  # u0 is of group a, u1 of b
    assert np.isfinite(scores).all()
    assert scores[0, 0] > scores[0, 1] and scores[1, 1] > scores[1, 0]


def test_learns_planted_groups_far_above_random(fitted_planted):
    model = fitted_planted
    recs = model.recommend([f"u{u}" for u in range(40)], k=1).to_frame()
    own = [item[0] == "ab"[int(user[1:]) % 2] for user, item in zip(recs["user"], recs["item"])]
    assert np.mean(own) >= 0.95  # random: about 0.4 (4 of the 7 to 9 unseen items)


def test_save_load_keeps_feature_scoring(fitted_planted, tmp_path):
    loaded = load(fitted_planted.save(tmp_path / "m"))
    features = pd.DataFrame({"user": ["x"], "kind": ["b"], "age": [30]})
    np.testing.assert_array_equal(
        loaded.score(["x", "u3"], features=features),
        fitted_planted.score(["x", "u3"], features=features),
    )
    assert loaded.fields_ == fitted_planted.fields_


def test_logloss_and_auc_by_hand():
    pos, neg = np.array([2.0, 0.0]), np.array([0.0, -1.0, 1.0, -3.0])
    # AUC: pairs pos > neg: 2 beats all 4; 0 beats -1, -3, ties 0 (half): 4 + 2.5 = 6.5 of 8
    # logloss: log(1 + e^-x) for positives, log(1 + e^x) for negatives, mean of 6
    expected = (
        np.log1p(np.exp(-2.0))
        + np.log(2.0)
        + np.log(2.0)
        + np.log1p(np.exp(-1.0))
        + np.log1p(np.exp(1.0))
        + np.log1p(np.exp(-3.0))
    ) / 6
    out = _logloss_auc(pos, neg)
    assert out["auc"] == pytest.approx(6.5 / 8)
    assert out["logloss"] == pytest.approx(expected)


def test_click_metrics_and_validation_click():
    data = planted(n_users=60)
    model = tiny(n_epochs=20, validation=0.3, patience=0).fit(data)
    click = model.history_["validation_click"]
    assert set(click) == {"logloss", "auc"} and click["auc"] > 0.8
    held = pd.DataFrame({"user": [f"u{u}" for u in range(6)], "item": ["a4", "b4"] * 3})
    out = click_metrics(model, Dataset(held, name="held"), n_negatives=2)
    assert 0.0 <= out["auc"] <= 1.0 and out["logloss"] > 0  # cold items are scored
    # each user's own-group item not yet had beats the sampled items (measured: AUC 1.0,
    # logloss 0.26); an item of the other group does not (AUC 0.34-0.42 over seeds)
    own, other = [], []
    for user, rows in data.interactions.groupby("user"):
        kind = rows["item"].iloc[0][0]
        own += [(user, f"{kind}{j}") for j in range(4) if f"{kind}{j}" not in set(rows["item"])]
        other.append((user, "b0" if kind == "a" else "a0"))
    mine = click_metrics(model, Dataset(pd.DataFrame(own, columns=["user", "item"])), 2)
    assert mine["auc"] > 0.95 and mine["logloss"] < 0.5
    theirs = click_metrics(model, Dataset(pd.DataFrame(other, columns=["user", "item"])), 2)
    assert theirs["auc"] < 0.6


@pytest.mark.parametrize(
    ("param", "value"),
    [("layers", "16,x"), ("layers", "0"), ("user_columns", "kind"), ("n_bins", 0)],
)
def test_bad_parameters_are_refused(param, value):
    with pytest.raises(ParameterError, match=param):
        tiny(**{param: value}).fit(planted())


def test_unknown_column_is_named():
    with pytest.raises(DataError, match="nope"):
        tiny(user_columns=["nope"]).fit(planted())


def _time_of_day(n_users: int = 30, seed: int = 0) -> pd.DataFrame:
    """Every user uses items m0..m3 in the morning (8:00 UTC) and e0..e3 in the evening
    (20:00 UTC): which half of the catalogue fits depends on the hour alone."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        for day in range(3):
            base = 1_600_041_600 + 86_400 * (day + 7 * u)  # a midnight, UTC
            rows.append((f"u{u}", f"m{rng.integers(4)}", base + 8 * 3600 + u))
            rows.append((f"u{u}", f"e{rng.integers(4)}", base + 20 * 3600 + u))
    return pd.DataFrame(rows, columns=["user", "item", "timestamp"])


def test_context_fields_from_the_hour_rank_by_time_of_day(tmp_path):
    events = _time_of_day()
    model = tiny(context_columns=["hour"], n_epochs=40).fit(Dataset(events))
    assert "context:hour" in model.fields_
    users = sorted(set(events["user"]))
    morning = model.recommend(users, k=1, exclude_seen=False, context={"hour": 8}).to_frame()
    evening = model.recommend(users, k=1, exclude_seen=False, context={"hour": 20}).to_frame()
    assert morning["item"].str.startswith("m").mean() > 0.9
    assert evening["item"].str.startswith("e").mean() > 0.9
    # without context the fields are empty: still a ranking, from the user and items
    plain = model.recommend(users, k=1, exclude_seen=False).to_frame()
    assert len(plain) == len(users) and (plain["source"] == "model").all()
    model.save(tmp_path / "m")
    again = load(tmp_path / "m")
    np.testing.assert_array_equal(
        again.score(users, context={"hour": 20}), model.score(users, context={"hour": 20})
    )


def test_context_columns_must_exist():
    events = _time_of_day().drop(columns="timestamp")
    with pytest.raises(DataError, match="context_columns names 'hour'.*'timestamp'"):
        tiny(context_columns=["hour"]).fit(Dataset(events))
