import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import Bias, Popular, Random
from tastemaker.testing import two_blocks
from tastemaker.testing._checks import RecommenderChecks


class TestPopular(RecommenderChecks):
    make_model = staticmethod(Popular)
    learns_blocks = False


class TestRandom(RecommenderChecks):
    make_model = staticmethod(lambda: Random(random_state=7))
    learns_blocks = False


class TestBias(RecommenderChecks):
    make_model = staticmethod(Bias)
    learns_blocks = False


def test_popular_ranks_by_distinct_users():
    frame = pd.DataFrame(
        {"user": ["a", "a", "b", "c", "c", "c"], "item": ["x", "y", "y", "y", "z", "z"]}
    )
    model = Popular().fit(Dataset(frame))
    # y: 3 users, z: 1 user (two rows, one user), x: 1 user -> tie broken by position (x < z)
    np.testing.assert_array_equal(model.item_popularity_, [1, 3, 1])
    recs = model.recommend(["new"], k=3).to_frame()
    assert recs["item"].tolist() == ["y", "x", "z"]
    assert recs["source"].tolist() == ["model"] * 3  # popular ranks everyone itself


def test_random_differs_by_seed_and_user():
    data = two_blocks().train
    a = Random(random_state=1).fit(data).score(["u10", "u13"])
    b = Random(random_state=2).fit(data).score(["u10", "u13"])
    assert not np.allclose(a, b)
    assert not np.allclose(a[0], a[1])


def test_bias_matches_hand_computation():
    # one epoch, no regularisation: b_i = mean(r - mu) per item, b_u = mean(r - mu - b_i)
    frame = pd.DataFrame({"user": [1, 1, 2], "item": [1, 2, 1], "rating": [5.0, 3.0, 4.0]})
    model = Bias(regularization=0.0, user_regularization=0.0, n_epochs=1).fit(Dataset(frame))
    mu = 4.0
    b_i = np.array([(5 - mu + 4 - mu) / 2, 3 - mu])  # [0.5, -1.0]
    b_u = np.array([((5 - mu - 0.5) + (3 - mu + 1.0)) / 2, 4 - mu - 0.5])  # [0.25, -0.5]
    assert model.global_mean_ == pytest.approx(mu)
    np.testing.assert_allclose(model.item_bias_, b_i, rtol=1e-6)
    np.testing.assert_allclose(model.user_bias_, b_u, rtol=1e-6)
    pred = model.predict(pd.DataFrame({"user": [1, 3], "item": [2, 1]}))
    np.testing.assert_allclose(pred, [mu + 0.25 - 1.0, mu + 0.5], rtol=1e-6)  # user 3 unknown


def test_bias_needs_ratings():
    data = two_blocks(with_ratings=False).train
    with pytest.raises(Exception, match="no 'rating' column"):
        Bias().fit(data)


def test_ranking_model_refuses_predict():
    model = Popular().fit(two_blocks().train)
    with pytest.raises(ParameterError, match="does not predict ratings"):
        model.predict([("u10", "i37")])


@pytest.mark.parametrize(
    ("params", "message"),
    [({"n_epochs": 0}, "n_epochs"), ({"regularization": -1}, "regularization")],
)
def test_bias_bad_params(params, message):
    with pytest.raises(ParameterError, match=message):
        Bias(**params).fit(two_blocks().train)


# -- popular by segment ---------------------------------------------------------------------
USERS = pd.DataFrame(
    {
        "user": ["a", "b", "c", "d", "e", "f"],
        "gender": ["F", "F", "F", "M", "M", "M"],
        "age": [20, 22, 25, 60, 62, 65],
    }
)
LIKES = pd.DataFrame(
    {
        "user": ["a", "b", "c", "a", "d", "e", "f", "d"],
        "item": ["x", "x", "x", "z", "y", "y", "y", "z"],
    }
)


def segmented(**params) -> Popular:
    data = Dataset(LIKES, users=USERS)
    return Popular(**{"segment_by": "gender", "shrinkage": 0.0, **params}).fit(data)


def _with_genders(blocks):
    users = pd.DataFrame({"user": blocks.users, "gender": ["F"] * 6 + ["M"] * 6})
    train = Dataset(blocks.train.interactions, users=users, name="two-blocks-users")
    return type(blocks)(train, blocks.test, blocks.users, blocks.held_out)


class TestSegmentPopular(RecommenderChecks):
    make_model = staticmethod(lambda: Popular(segment_by="gender"))
    learns_blocks = False

    @pytest.fixture(scope="class")
    @classmethod
    def blocks(cls):
        return _with_genders(two_blocks())

    def test_refit_equals_fresh_fit(self, blocks, fitted):
        model = self.make_model().fit(_with_genders(two_blocks(random_state=5)).train)
        model.fit(blocks.train)
        np.testing.assert_allclose(model.score(blocks.users), fitted.score(blocks.users))


def test_segment_popularity_by_hand():
    model = segmented()
    # women liked x 3 times, z once; men liked y 3 times, z once
    women = model.recommend(["a"], k=3, exclude_seen=False).to_frame()
    men = model.recommend(["d"], k=3, exclude_seen=False).to_frame()
    assert women["item"].tolist() == ["x", "z", "y"]
    assert men["item"].tolist() == ["y", "z", "x"]
    np.testing.assert_allclose(women["score"], [1.0, 1 / 3, 0.0], rtol=1e-6)


def test_shrinkage_pulls_segments_towards_overall_popularity():
    model = segmented(shrinkage=6.0)
    # p = (x 3/6, y 3/6, z 2/6); score = (c + 6 p) / (3 + 6)
    scores = model.score(["a"], items=["x", "y", "z"])[0]
    np.testing.assert_allclose(scores, [(3 + 3) / 9, (0 + 3) / 9, (1 + 2) / 9], rtol=1e-6)


def test_unknown_users_are_placed_by_their_features():
    model = segmented()
    features = pd.DataFrame({"user": ["new-m", "new-f", "faceless"], "gender": ["M", "F", None]})
    recs = model.recommend(["new-m", "new-f", "faceless", "ghost"], k=1, features=features)
    frame = recs.to_frame().set_index("user")
    assert frame.loc["new-m", "item"] == "y" and frame.loc["new-f", "item"] == "x"
    assert frame.loc["new-m", "source"] == "model"
    # no usable features: the popularity fallback, and the result says why
    assert recs.fallback == {"faceless": "unknown user", "ghost": "unknown user"}
    assert frame.loc["ghost", "source"] == "fallback:popular"


def test_numeric_segments_are_binned_on_training_users():
    model = segmented(segment_by=["age"], n_bins=2)
    assert model.segments_["age"]["kind"] == "bins"
    young = model.recommend(["new"], k=1, features=pd.DataFrame({"user": ["new"], "age": [21]}))
    old = model.recommend(["new"], k=1, features=pd.DataFrame({"user": ["new"], "age": [70]}))
    assert young.to_frame()["item"].tolist() == ["x"]
    assert old.to_frame()["item"].tolist() == ["y"]


def test_a_new_category_gets_the_overall_rates():
    model = segmented()
    features = pd.DataFrame({"user": ["n"], "gender": ["X"]})
    scores = model.score(["n"], features=features, items=["x", "y", "z"])[0]
    np.testing.assert_allclose(scores, [3 / 6, 3 / 6, 2 / 6], rtol=1e-6)


def test_segment_popular_explains_and_round_trips(tmp_path):
    import tastemaker
    from tastemaker.explain import CoOccurrenceExplainer

    model = segmented()
    recs = model.recommend(["a"], k=1, exclude_seen=False)
    text = CoOccurrenceExplainer(model)(recs)["explanation"].iloc[0]
    assert "gender F" in text and "3 of 3 users" in text
    loaded = tastemaker.load(model.save(tmp_path / "seg"))
    features = pd.DataFrame({"user": ["n"], "gender": ["M"]})
    np.testing.assert_array_equal(
        loaded.score(["a", "n"], features=features), model.score(["a", "n"], features=features)
    )


def test_segment_update_counts_new_events():
    model = segmented()
    model.update(pd.DataFrame({"user": ["d", "e", "f"], "item": ["x", "x", "x"]}))
    men = model.recommend(["d"], k=1, exclude_seen=False).to_frame()
    assert model.segment_counts_.sum() == 8 + 3
    assert men["item"].tolist() == ["x"]  # x and y tie (all three men): lower position
    np.testing.assert_allclose(model.item_popularity_, [6, 3, 2])


def test_popular_update_equals_refit():
    first, later = LIKES.iloc[:5], LIKES.iloc[5:]
    full = Dataset(LIKES)
    updated = Popular().fit(full.replace(first)).update(later)
    np.testing.assert_array_equal(updated.item_popularity_, Popular().fit(full).item_popularity_)


def test_segment_by_needs_the_columns():
    with pytest.raises(Exception, match="needs a user table"):
        Popular(segment_by="gender").fit(Dataset(LIKES))
    with pytest.raises(Exception, match="segment_by names"):
        Popular(segment_by="income").fit(Dataset(LIKES, users=USERS))
    with pytest.raises(ParameterError, match="segment_by"):
        Popular(segment_by=" , ").fit(Dataset(LIKES, users=USERS))


def test_history_events_weigh_as_in_training():
    """Events given later (a history) get the event weights the model was trained with."""
    from tastemaker.data import event_weights
    from tastemaker.models import EASE

    frame = pd.DataFrame(
        {
            "user": ["a", "a", "b", "b", "c", "c"],
            "item": ["x", "y", "x", "z", "y", "z"],
            "event": ["view", "purchase", "view", "purchase", "view", "view"],
        }
    )
    data = event_weights(Dataset(frame), {"view": 1.0, "purchase": 5.0})
    model = EASE(regularization=1.0, weighting="weight").fit(data)
    assert model.training_data_["event_weights"] == {"view": 1.0, "purchase": 5.0}
    bought = pd.DataFrame({"user": ["n"], "item": ["x"], "event": ["purchase"]})
    weighed = pd.DataFrame({"user": ["n"], "item": ["x"], "weight": [5.0]})
    np.testing.assert_allclose(model.fold_in(bought), model.fold_in(weighed))
    with pytest.raises(Exception, match="have no weight"):
        model.fold_in(bought.assign(event="wishlist"))


def test_bias_predictions_stay_on_the_rating_scale():
    # user a rates everything 1, item y is rated 1 by everyone: mu + b_u + b_i < 1
    frame = pd.DataFrame(
        {
            "user": ["a", "a", "b", "b", "c", "c"],
            "item": ["x", "y", "x", "y", "x", "y"],
            "rating": [1.0, 1.0, 5.0, 1.0, 5.0, 1.0],
        }
    )
    model = Bias(regularization=0.0, user_regularization=0.0).fit(Dataset(frame))
    raw = model.global_mean_ + model.user_bias_[0] + model.item_bias_[1]
    assert raw < 1.0
    assert model.predict([("a", "y")])[0] == pytest.approx(1.0)
