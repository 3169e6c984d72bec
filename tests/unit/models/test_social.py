"""social: conformance around EASE and item-kNN, friends by hand, cold users moved toward
their friends' items, beta=0 is the wrapped model, save/load, unknown friends reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.errors import DataError, DataWarning, ParameterError
from tastemaker.models import EASE, Social, create_model, load
from tastemaker.testing._checks import RecommenderChecks
from tastemaker.testing._synthetic import two_blocks


def _with_friends(blocks):
    """two_blocks with a user table whose ``friends`` are the next two users of the same
    block (the friends of a block-0 user are block-0 users)."""
    users = blocks.users
    half = len(users) // 2
    friends = []
    for group in (users[:half], users[half:]):
        for j, _ in enumerate(group):
            friends.append("|".join(group[(j + s) % half] for s in (1, 2)))
    table = pd.DataFrame({"user": users, "friends": friends})
    return blocks.with_tables(users=table, name="two-blocks-friends")


class _SocialChecks(RecommenderChecks):
    fold_in_copies_user = False  # the copied user's friends move their list, not the copy's

    @pytest.fixture(scope="class")
    @classmethod
    def blocks(cls):
        return _with_friends(two_blocks())

    def test_unknown_user_with_features(self, blocks, fitted):
        """Features matter through a ``friends`` column only."""
        people = pd.DataFrame({"user": ["newcomer"], "age": [30], "gender": ["F"]})
        recs = fitted.recommend(["newcomer"], k=3, features=people)
        assert recs.fallback == {"newcomer": "unknown user"}
        given = pd.DataFrame({"user": ["newcomer"], "friends": [blocks.users[0]]})
        recs = fitted.recommend(["newcomer"], k=3, features=given)
        assert recs.fallback == {} and len(recs) == 3


class TestSocialEASE(_SocialChecks):
    make_model = staticmethod(lambda: Social(model_params={"regularization": 10.0}))


class TestSocialItemKNN(_SocialChecks):
    make_model = staticmethod(lambda: Social(model="item-knn", model_params={"n_neighbors": 5}))


# -- planted data ---------------------------------------------------------------------------
EVENTS = pd.DataFrame(
    {
        "user": ["a", "a", "b", "b", "c", "c", "d"],
        "item": ["x1", "x2", "x1", "x3", "y1", "y2", "y1"],
    }
)
FRIENDS = pd.DataFrame({"user": ["new", "new", "d", "a"], "friend": ["c", "a", "c", "b"]})


def _data(friends=FRIENDS) -> Dataset:
    full = pd.concat([EVENTS, pd.DataFrame({"user": ["new"], "item": ["x1"]})])
    data = Dataset(full, name="planted", extras={"friends": friends})
    return data.subset(np.flatnonzero(data.interactions["user"] != "new"))  # "new": no history


def test_cold_user_scored_from_friends_by_hand():
    data = _data()
    model = Social(beta=1.0, model_params={"regularization": 1.0}).fit(data)
    ease = EASE(regularization=1.0).fit(data)
    seen = data.user_item_matrix().toarray()
    pos = data.user_map.index_of(["a", "c"])
    rows = seen[pos] / seen[pos].sum(axis=1, keepdims=True)
    expected = rows.mean(axis=0) @ ease.weights_  # "new": friends a and c
    np.testing.assert_allclose(model.score(["new"])[0], expected, rtol=1e-5, atol=1e-6)
    recs = model.recommend(["new"], k=2)
    assert recs.fallback == {} and set(recs.to_frame()["source"]) == {"model"}


def test_warm_user_by_hand():
    data = _data()
    model = Social(beta=0.5, model_params={"regularization": 1.0}).fit(data)
    ease = EASE(regularization=1.0).fit(data)
    seen = data.user_item_matrix().toarray()
    a, b = data.user_map.index_of(["a", "b"])
    # a's own row (binary, sum 2) plus 0.5 x 2 x b's row scaled to sum 1
    expected = (seen[a] + 0.5 * 2 * seen[b] / seen[b].sum()) @ ease.weights_
    np.testing.assert_allclose(model.score(["a"])[0], expected, rtol=1e-5, atol=1e-6)


def test_friends_move_a_cold_users_list_toward_their_items():
    model = Social().fit(_data())
    given = pd.DataFrame({"user": ["p", "q"], "friends": ["c", "a|b"]})
    recs = model.recommend(["p", "q"], k=2, features=given).to_frame()
    lists = recs.groupby("user")["item"].apply(set).to_dict()
    assert lists["p"] == {"y1", "y2"} and lists["q"] <= {"x1", "x2", "x3"}
    assert recs.groupby("user")["source"].apply(set).to_dict() == {"p": {"model"}, "q": {"model"}}


def test_beta_zero_is_the_wrapped_model_and_no_friends_falls_back():
    data = _data()
    model = Social(beta=0.0).fit(data)
    ease = EASE().fit(data)
    users = ["a", "b", "c", "d"]
    np.testing.assert_allclose(model.score(users), ease.score(users), rtol=1e-6)
    assert model.recommend(["new"], k=1).fallback == {"new": "no training history"}


def test_unknown_friend_ids_are_reported():
    friends = pd.concat([FRIENDS, pd.DataFrame({"user": ["a", "a"], "friend": ["ghost", "zz"]})])
    with pytest.warns(DataWarning, match=r"2 friend link\(s\) name users unknown.*'ghost'"):
        model = Social().fit(_data(friends))
    assert model.friend_graph_.nnz == len(FRIENDS)
    given = pd.DataFrame({"user": ["newer"], "friends": ["c|nobody"]})
    with pytest.warns(DataWarning, match="'nobody'") as said:
        recs = model.recommend(["newer"], k=1, features=given)
    assert recs.fallback == {} and len(said) == 1  # once per call


def test_friend_ids_in_a_column_match_exactly():
    """``"7"`` names the integer user 7; ``"007"`` is another id, unknown and reported."""
    events = pd.DataFrame(
        {"user": [7, 7, 8, 8, 9, 9], "item": ["x1", "x2", "y1", "y2", "y1", "y2"]}
    )
    users = pd.DataFrame({"user": [7, 8, 9], "friends": ["8", "7", "8"]})
    model = Social(model_params={"regularization": 1.0}).fit(Dataset(events, users=users))
    assert model.friend_graph_.nnz == 3  # "8" and "7" matched the integer ids
    given = pd.DataFrame({"user": [10, 11], "friends": ["8", "007"]})
    with pytest.warns(DataWarning, match="'007'"):
        recs = model.recommend([10, 11], k=1, features=given)
    assert recs.fallback == {11: "unknown user"}  # "007" is not user 7
    assert recs.to_frame().set_index("user").loc[10, "item"] in {"y1", "y2"}  # as user 8


def test_save_load_round_trip(tmp_path):
    model = create_model("social", model="item-knn", beta=0.7).fit(_data())
    loaded = load(model.save(tmp_path / "m"))
    assert loaded.get_params() == model.get_params()
    users = ["a", "d", "new"]
    np.testing.assert_array_equal(loaded.score(users), model.score(users))


def test_bad_input_errors(caplog):
    with caplog.at_level("WARNING", logger="tastemaker.models.social"):
        alone = Social().fit(Dataset(EVENTS))
    assert "has no friends" in caplog.text
    np.testing.assert_allclose(alone.score(["a"]), EASE().fit(Dataset(EVENTS)).score(["a"]))
    with pytest.raises(DataError, match="columns 'user' and 'friend'"):
        Social().fit(Dataset(EVENTS, extras={"friends": pd.DataFrame({"a": [1]})}))
    with pytest.raises(ParameterError, match="folds in histories"):
        Social(model="sasrec").fit(_data())
    with pytest.raises(ParameterError, match="another model"):
        Social(model="social").fit(_data())
    with pytest.raises(ParameterError, match='"beta"'):
        Social(beta=-1.0).fit(_data())
    with pytest.raises(ParameterError, match="no_such"):
        Social(model_params={"no_such": 1}).fit(_data())
