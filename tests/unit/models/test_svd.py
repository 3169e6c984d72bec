import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import SVD, SVDpp, create_model
from tastemaker.models import _svd_kernels as kernels
from tastemaker.testing import two_blocks
from tastemaker.testing._checks import RecommenderChecks

# Small models that recover the two-block structure for every seed tried (strong bias
# penalty: the factors, not the item biases, must carry the blocks). refine_users=True
# makes fold-in exact, as the conformance suite checks; the default (False) is checked
# for approximate fold-in below and on ML-100K in the integration test.
SMALL = {
    "n_factors": 4,
    "n_epochs": 100,
    "learning_rate": 0.05,
    "regularization": 0.2,
    "bias_regularization": 1.0,
    "learning_rate_decay": 0.99,
    "init_std": 0.1,
    "refine_users": True,
    "random_state": 0,
}


class TestSVD(RecommenderChecks):
    make_model = staticmethod(lambda: SVD(**SMALL))


class TestSVDpp(RecommenderChecks):
    make_model = staticmethod(lambda: SVDpp(**SMALL))


# -- kernels against their NumPy references -----------------------------------------------


def _random_ratings(seed=0, n_users=7, n_items=9, density=0.5):
    rng = np.random.default_rng(seed)
    dense = (rng.random((n_users, n_items)) < density) * rng.integers(1, 6, (n_users, n_items))
    dense[0, :] = 0  # a user without ratings
    X = sp.csr_array(dense.astype(np.float32))
    X.sort_indices()
    return rng, X


def _state(rng, n_users, n_items, k=3):
    P = rng.normal(0, 0.1, (n_users, k)).astype(np.float32)
    Q = rng.normal(0, 0.1, (n_items, k)).astype(np.float32)
    Y = rng.normal(0, 0.1, (n_items, k)).astype(np.float32)
    return [np.zeros(n_users), np.zeros(n_items), P, Q, Y]


def _copy(state):
    return [a.copy() for a in state]


def test_svd_epoch_matches_reference():
    rng, X = _random_ratings()
    users = np.repeat(np.arange(X.shape[0], dtype=np.int32), np.diff(X.indptr))
    items, ratings = X.indices.astype(np.int32), X.data.astype(np.float64)
    a = _state(rng, *X.shape)
    b = _copy(a)
    mu = float(ratings.mean())
    for _ in range(2):
        order = rng.permutation(len(ratings))
        sse_a = kernels.svd_epoch(users, items, ratings, order, mu, *a[:4], 0.03, 0.05, 0.1, 0.02)
        sse_b = kernels.svd_epoch_reference(
            users, items, ratings, order, mu, *b[:4], 0.03, 0.05, 0.1, 0.02
        )
        assert sse_a == pytest.approx(sse_b, rel=1e-5)
    for x, y in zip(a[:4], b[:4]):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_svdpp_epoch_matches_reference():
    rng, X = _random_ratings(1)
    indptr, indices = X.indptr.astype(np.int64), X.indices.astype(np.int32)
    ratings = X.data.astype(np.float64)
    a = _state(rng, *X.shape)
    b = _copy(a)
    mu = float(ratings.mean())
    rates = (0.03, 0.05, 0.02, 0.1, 0.02, 0.3)
    for _ in range(2):
        user_order, keys = rng.permutation(X.shape[0]), rng.random(len(ratings))
        args = (indptr, indices, ratings, user_order, keys, mu)
        sse_a = kernels.svdpp_epoch(*args, *a, *rates)
        sse_b = kernels.svdpp_epoch_reference(*args, *b, *rates)
        assert sse_a == pytest.approx(sse_b, rel=1e-5)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_implicit_sums_match_reference():
    rng, X = _random_ratings(2)
    Y = rng.normal(size=(X.shape[1], 3)).astype(np.float32)
    indptr, indices = X.indptr.astype(np.int64), X.indices.astype(np.int32)
    got = kernels.implicit_sums(indptr, indices, Y)
    np.testing.assert_allclose(got, kernels.implicit_sums_reference(indptr, indices, Y))
    assert not got[0].any()  # the user without ratings


def test_solve_users_matches_reference_and_normal_equations():
    rng, X = _random_ratings(3)
    n_users, n_items = X.shape
    Q = rng.normal(size=(n_items, 3))
    item_bias = rng.normal(size=n_items)
    offsets = rng.normal(size=(n_users, 3))
    args = (
        X.indptr.astype(np.int64),
        X.indices.astype(np.int32),
        X.data.astype(np.float64),
        offsets,
        3.0,
        item_bias,
        Q,
        0.5,
        0.1,
    )
    bias, factors = kernels.solve_users(*args)
    ref_bias, ref_factors = kernels.solve_users_reference(*args)
    np.testing.assert_allclose(bias, ref_bias, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(factors, ref_factors, rtol=1e-8, atol=1e-10)
    assert bias[0] == 0 and not factors[0].any()
    # the gradient of the user's objective vanishes
    u = 1
    items = X.indices[X.indptr[u] : X.indptr[u + 1]]
    r = X.data[X.indptr[u] : X.indptr[u + 1]]
    err = r - (3.0 + item_bias[items] + Q[items] @ (offsets[u] + factors[u]) + bias[u])
    n = len(items)
    assert err.sum() == pytest.approx(n * 0.5 * bias[u], abs=1e-9)
    np.testing.assert_allclose(Q[items].T @ err, n * 0.1 * factors[u], atol=1e-9)


def test_svd_epoch_by_hand():
    # one rating r=4, mu=3, p=0.1, q=0.2: e = 4 - (3 + 0.02) = 0.98
    P = np.array([[0.1]], dtype=np.float32)
    Q = np.array([[0.2]], dtype=np.float32)
    b_u, b_i = np.zeros(1), np.zeros(1)
    one = np.zeros(1, dtype=np.int32)
    kernels.svd_epoch(
        one, one, np.array([4.0]), np.zeros(1, dtype=np.int64), 3.0, b_u, b_i, P, Q,
        0.5, 0.1, 0.2, 0.3,
    )  # fmt: skip
    e = 0.98
    assert b_u[0] == pytest.approx(0.5 * e) and b_i[0] == pytest.approx(0.5 * e)
    assert P[0, 0] == pytest.approx(0.1 + 0.1 * (e * 0.2 - 0.3 * 0.1), rel=1e-6)
    assert Q[0, 0] == pytest.approx(0.2 + 0.1 * (e * 0.1 - 0.3 * 0.2), rel=1e-6)


# -- the models ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blocks():
    return two_blocks()


@pytest.fixture(scope="module")
def svd(blocks):
    return SVD(**SMALL).fit(blocks.train)


def test_registered_names():
    assert type(create_model("svd")) is SVD
    assert type(create_model("svdpp")) is SVDpp
    assert set(SVD.search_space) <= set(SVD.param_defaults())
    assert set(SVDpp.search_space) <= set(SVDpp.param_defaults())


def test_predict_is_the_model_formula_clipped(svd, blocks):
    users, items = blocks.users[:3], list(blocks.train.item_map.ids[:3])
    u = svd.users_.index_of(users)
    i = svd.items_.index_of(items)
    raw = (
        svd.global_mean_
        + svd.user_bias_[u]
        + svd.item_bias_[i]
        + np.sum(svd.user_factors_[u] * svd.item_factors_[i], axis=1)
    )
    pred = svd.predict(pd.DataFrame({"user": users, "item": items}))
    np.testing.assert_allclose(pred, np.clip(raw, 1.0, 5.0), rtol=1e-6)
    np.testing.assert_allclose(svd.score(users, items).diagonal(), raw, rtol=1e-5)


def test_predict_fallbacks(svd, blocks):
    user, item = blocks.users[0], blocks.train.item_map.ids[2]
    u, i = svd.users_.index_of([user])[0], svd.items_.index_of([item])[0]
    pred = svd.predict([("nobody", item), (user, "nothing"), ("nobody", "nothing")])
    mu = svd.global_mean_
    np.testing.assert_allclose(
        pred, [mu + svd.item_bias_[i], mu + svd.user_bias_[u], mu], rtol=1e-6
    )


def test_items_without_ratings_rank_last_and_predict_user_mean():
    frame = pd.DataFrame(
        {"user": [1, 1, 2, 2, 3], "item": [10, 11, 10, 12, 11], "rating": [5.0, 1, 4, 2, 3]}
    )
    full = Dataset(pd.concat([frame, pd.DataFrame({"user": [3], "item": [13], "rating": [5.0]})]))
    model = SVD(n_factors=2, n_epochs=5, random_state=0).fit(full.replace(frame))
    scores = model.score([1, 2, 3])
    assert np.isneginf(scores[:, 3]).all()
    assert (scores[:, :3] > -10).all()
    assert not model.item_factors_[3].any() and model.item_bias_[3] == 0
    pred = model.predict([(1, 13)])
    assert pred[0] == pytest.approx(model.global_mean_ + model.user_bias_[0], rel=1e-6)


def test_default_keeps_the_sgd_users(blocks, svd):
    assert SVD().refine_users is False and SVDpp().refine_users is False
    raw = SVD(**{**SMALL, "refine_users": False}).fit(blocks.train)
    np.testing.assert_array_equal(raw.item_factors_, svd.item_factors_)
    assert not np.allclose(raw.user_factors_, svd.user_factors_, atol=1e-4)
    # fold-in then only approximates the training scores
    folded = raw.fold_in(blocks.train.interactions)
    assert np.abs(folded - raw.score(blocks.users)).max() < 1.0


def test_thread_count_does_not_change_results(blocks):
    one = SVDpp(**{**SMALL, "n_threads": 1}).fit(blocks.train)
    two = SVDpp(**{**SMALL, "n_threads": 2}).fit(blocks.train)
    np.testing.assert_array_equal(one.score(blocks.users), two.score(blocks.users))


def test_seed_changes_results(blocks, svd):
    other = SVD(**{**SMALL, "random_state": 1}).fit(blocks.train)
    assert not np.allclose(other.score(blocks.users), svd.score(blocks.users))


def test_training_loss_decreases(svd):
    loss = svd.training_loss_
    assert loss.shape == (SMALL["n_epochs"],)
    assert loss[-1] < loss[0]


def test_svdpp_implicit_term(blocks):
    model = SVDpp(**SMALL).fit(blocks.train)
    X = model.seen_
    u = 3
    rated = X.indices[X.indptr[u] : X.indptr[u + 1]]
    expected = model.implicit_factors_[rated].sum(axis=0) / np.sqrt(len(rated))
    np.testing.assert_allclose(model.user_implicit_[u], expected, rtol=1e-5)


def test_zero_epochs_is_the_refined_bias_model(blocks):
    params = {"n_epochs": 0, "n_factors": 2, "init_std": 0.0, "bias_regularization": 0.08}
    model = SVD(**params, refine_users=True, random_state=0).fit(blocks.train)
    assert not model.item_factors_.any() and not model.item_bias_.any()
    mu = model.global_mean_
    r = blocks.train.interactions.groupby("user")["rating"]
    n = r.size()
    expected = (r.sum() - n * mu) / (n + n * 0.08)  # ridge: sum(e) = n reg b_u
    u = model.users_.index_of(list(n.index))
    np.testing.assert_allclose(model.user_bias_[u], expected.to_numpy(), rtol=1e-5)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_factors": 0}, '"n_factors" must be an int >= 1, got 0'),
        ({"n_epochs": -1}, '"n_epochs" must be an int >= 0'),
        ({"learning_rate": 0.0}, '"learning_rate" must be a number > 0'),
        ({"regularization": -0.1}, '"regularization" must be a number >= 0'),
        ({"bias_learning_rate": 0}, '"bias_learning_rate" must be a number > 0 or None'),
        ({"learning_rate_decay": float("nan")}, '"learning_rate_decay"'),
        ({"refine_users": "yes"}, '"refine_users" must be True or False'),
        ({"n_threads": -1}, '"n_threads" must be an int >= 0'),
        ({"random_state": 1.5}, '"random_state" must be an int'),
    ],
)
def test_bad_params(blocks, params, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        SVD(**params).fit(blocks.train)


def test_svdpp_bad_implicit_params(blocks):
    message = 'SVDpp: parameter "implicit_regularization" must be a number >= 0 or None'
    with pytest.raises(ParameterError, match=message):
        SVDpp(implicit_regularization=-1.0).fit(blocks.train)


def test_needs_ratings():
    with pytest.raises(Exception, match="no 'rating' column"):
        SVD().fit(two_blocks(with_ratings=False).train)
