import warnings

import numba
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import SLIM, create_model
from tastemaker.models._slim_kernels import slim_columns, slim_columns_reference
from tastemaker.testing import two_blocks
from tastemaker.testing._checks import RecommenderChecks


class TestSLIM(RecommenderChecks):
    make_model = staticmethod(lambda: SLIM(regularization=0.01, l1_ratio=0.1))


class TestSLIMTopNeighbours(RecommenderChecks):
    make_model = staticmethod(lambda: SLIM(regularization=0.01, n_neighbors=3, weighting="log"))


def _matrix(rng, n_users=15, n_items=8, density=0.4, signed=False):
    X = (rng.random((n_users, n_items)) < density) * rng.integers(1, 4, (n_users, n_items))
    X = X.astype(float)
    X[:, -1] = 0.0  # an item nobody interacted with
    if signed:
        X[rng.random(X.shape) < 0.15] *= -1.0
    return X


def _kernel(X, targets, l1, l2, n_epochs, tol, restrict):
    rows = sp.csr_array(X)
    cols = sp.csc_array(X)
    out = np.zeros((len(targets), X.shape[1]))
    slim_columns(
        cols.indptr.astype(np.int64), cols.indices.astype(np.int32), cols.data.astype(np.float64),
        rows.indptr.astype(np.int64), rows.indices.astype(np.int32), rows.data.astype(np.float64),
        np.asarray(targets, dtype=np.int64), l1, l2, n_epochs, tol, restrict, out,
    )  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("seed", "l1", "l2", "signed"),
    [(0, 0.05, 0.1, False), (1, 0.0, 0.5, False), (2, 0.2, 0.0, False), (3, 0.05, 0.1, True)],
)
def test_kernel_equals_reference(seed, l1, l2, signed):
    rng = np.random.default_rng(seed)
    X = _matrix(rng, signed=signed)
    targets = np.arange(X.shape[1])
    expected = slim_columns_reference(X.T @ X, targets, X.shape[0], l1, l2, 500, 1e-12)
    assert (expected > 0).sum() > 5  # the test is not trivial
    for restrict in [False] if signed else [False, True]:
        got = _kernel(X, targets, l1, l2, 500, 1e-12, restrict)
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)
    assert not expected[:, -1].any() and not expected[-1].any()
    np.testing.assert_array_equal(np.diag(expected), 0.0)


def test_reference_satisfies_the_optimality_conditions():
    # KKT of the non-negative elastic net: gradient 0 where w > 0, >= 0 where w == 0
    rng = np.random.default_rng(4)
    X = _matrix(rng)
    n, l1, l2 = X.shape[0], 0.05, 0.1
    W = slim_columns_reference(X.T @ X, np.arange(X.shape[1]), n, l1, l2, 2000, 1e-14)
    for j in range(X.shape[1] - 1):
        grad = -(X.T @ (X[:, j] - X @ W[j])) / n + l1 + l2 * W[j]
        others = np.arange(X.shape[1]) != j
        active = (W[j] > 0) & others
        np.testing.assert_allclose(grad[active], 0.0, atol=1e-9)
        assert (grad[~active & others] >= -1e-9).all()


def test_model_equals_sklearn_elastic_net_per_column():
    rng = np.random.default_rng(5)
    X = _matrix(rng, n_users=20, n_items=7)
    users, items = np.nonzero(X)
    frame = pd.DataFrame({"user": users, "item": items, "weight": X[users, items]})
    alpha, l1_ratio = 0.02, 0.3
    model = SLIM(
        regularization=alpha, l1_ratio=l1_ratio, weighting="weight", n_epochs=1000, tol=1e-12
    ).fit(Dataset(frame))
    W = model.weights_.toarray()
    Xd = X[:, :-1]  # the empty item is not in the data
    for j in range(Xd.shape[1]):
        others = np.arange(Xd.shape[1]) != j
        net = ElasticNet(
            alpha=alpha, l1_ratio=l1_ratio, positive=True, fit_intercept=False,
            tol=1e-12, max_iter=100_000,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(Xd[:, others], Xd[:, j])
        np.testing.assert_allclose(W[others, j], net.coef_, rtol=1e-5, atol=1e-7)
        assert W[j, j] == 0.0
    assert model.weights_.dtype == np.float32


def test_same_weights_with_any_number_of_threads():
    data = two_blocks().train
    one = SLIM(regularization=0.005, n_threads=1).fit(data).weights_
    before = numba.get_num_threads()
    two = SLIM(regularization=0.005, n_threads=2).fit(data).weights_
    assert numba.get_num_threads() == before  # restored
    assert (one != two).nnz == 0


def test_n_neighbors_keeps_the_largest_weights_of_each_column():
    data = two_blocks().train
    full = SLIM(regularization=0.001, l1_ratio=0.01).fit(data).weights_.toarray()
    top = SLIM(regularization=0.001, l1_ratio=0.01, n_neighbors=2).fit(data).weights_.toarray()
    assert (np.count_nonzero(full, axis=0) > 2).any()
    assert (np.count_nonzero(top, axis=0) <= 2).all()
    for j in range(full.shape[1]):
        kept = np.flatnonzero(top[:, j])
        np.testing.assert_array_equal(top[kept, j], full[kept, j])
        if len(kept):
            assert top[kept, j].min() >= np.sort(full[:, j])[-2]


def test_fold_in_is_row_times_weights_and_empty_items_are_not_scored():
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"user": rng.integers(0, 10, 60), "item": rng.integers(0, 6, 60)})
    catalog = pd.concat([frame, pd.DataFrame({"user": [99], "item": [77]})], ignore_index=True)
    full = Dataset(catalog)
    train = full.replace(frame.drop_duplicates())
    model = SLIM(regularization=0.01, weighting="binary").fit(train)
    assert (model.weights_.data > 0).all()
    assert model.weights_.diagonal().sum() == 0.0
    assert np.isneginf(model.score([0, 1], items=[77])).all()
    history = pd.DataFrame({"user": ["new", "new"], "item": [1, 3]})
    x = np.zeros(full.n_items, dtype=np.float32)
    x[full.item_map.index_of([1, 3])] = 1.0
    expected = x @ model.weights_.toarray()
    expected[full.item_map.index_of([77])] = -np.inf  # no weights: not scored
    np.testing.assert_allclose(model.fold_in(history)[0], expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"regularization": 0}, '"regularization" must be a number > 0'),
        ({"l1_ratio": 1.5}, '"l1_ratio" must be a number in \\[0, 1\\]'),
        ({"l1_ratio": -0.1}, '"l1_ratio"'),
        ({"n_neighbors": 0}, '"n_neighbors" must be an int >= 1 or None, got 0.'),
        ({"n_epochs": 2.5}, '"n_epochs" must be an int'),
        ({"tol": -1.0}, '"tol"'),
        ({"weighting": "tfidf"}, '"weighting" must be one of'),
        ({"n_threads": -1}, '"n_threads"'),
    ],
)
def test_bad_params(params, message):
    with pytest.raises(ParameterError, match=message):
        SLIM(**params).fit(two_blocks().train)


def test_registered_with_search_space():
    model = create_model("slim", regularization=0.5, l1_ratio=0.2)
    assert isinstance(model, SLIM)
    assert set(SLIM.search_space) <= set(SLIM.param_defaults())
