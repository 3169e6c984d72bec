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
