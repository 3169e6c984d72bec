import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import EASE, create_model
from tastemaker.models._ease_kernels import _mirror_upper, spd_inverse
from tastemaker.models.ease import apply_weighting
from tastemaker.testing._checks import RecommenderChecks


class TestEASE(RecommenderChecks):
    make_model = staticmethod(lambda: EASE(regularization=10.0))


class TestEASELogWeights(RecommenderChecks):
    make_model = staticmethod(lambda: EASE(regularization=10.0, weighting="log"))


def _frame(rng, n_users=12, n_items=9, density=0.35, weights=False):
    X = (rng.random((n_users, n_items)) < density).astype(float)
    X[0, :3] = 1.0  # nobody is empty
    X[:, 0] = 1.0
    users, items = np.nonzero(X)
    frame = pd.DataFrame({"user": [f"u{u}" for u in users], "item": [f"i{i:02d}" for i in items]})
    if weights:
        frame["weight"] = rng.integers(1, 50, len(frame)).astype(float)
    return frame


def _reference(X: np.ndarray, lam: float) -> np.ndarray:
    """Steck's closed form, straight from the paper: B = I - P diagMat(1 / diag(P))."""
    P = np.linalg.inv(X.T @ X + lam * np.eye(X.shape[1]))
    return np.eye(X.shape[1]) - P @ np.diag(1.0 / np.diag(P))


@pytest.mark.parametrize("lam", [0.5, 10.0, 500.0])
def test_weights_equal_the_closed_form(lam):
    rng = np.random.default_rng(1)
    data = Dataset(_frame(rng))
    model = EASE(regularization=lam).fit(data)
    X = data.user_item_matrix("binary").toarray()
    B = _reference(X, lam)
    np.testing.assert_allclose(np.diag(B), 0.0, atol=1e-12)
    np.testing.assert_allclose(model.weights_, B, rtol=1e-6, atol=1e-6)
    assert model.weights_.dtype == np.float32
    np.testing.assert_array_equal(np.diag(model.weights_), 0.0)
    users = list(data.user_map.ids)
    np.testing.assert_allclose(model.score(users), X @ B, rtol=1e-5, atol=1e-6)


def test_log_and_raw_weighting_use_the_weights():
    rng = np.random.default_rng(2)
    frame = _frame(rng, weights=True)
    data = Dataset(frame)
    raw = data.user_item_matrix("weight").toarray()
    for weighting, X in [("weight", raw), ("log", np.log1p(raw)), ("binary", (raw > 0) * 1.0)]:
        model = EASE(regularization=5.0, weighting=weighting).fit(data)
        np.testing.assert_allclose(model.weights_, _reference(X, 5.0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            model.score(list(data.user_map.ids)), X @ _reference(X, 5.0), rtol=1e-4, atol=1e-5
        )


def test_items_without_interactions_are_not_scored():
    rng = np.random.default_rng(3)
    frame = _frame(rng)
    catalog = pd.concat([frame, pd.DataFrame({"user": ["x"], "item": ["zz"]})], ignore_index=True)
    full = Dataset(catalog)
    train = full.replace(frame)  # item "zz" is in the catalog but has no interaction
    model = EASE(regularization=3.0).fit(train)
    zz = int(full.item_map.index_of(["zz"])[0])
    assert not model.weights_[zz].any() and not model.weights_[:, zz].any()
    assert np.isneginf(model.score(["u0", "u1"], items=["zz"])).all()  # ranked last
    # the other items get exactly the weights of a model without that item
    active = [i for i in range(full.n_items) if i != zz]
    X = train.user_item_matrix("binary").toarray()[:, active]
    np.testing.assert_allclose(
        model.weights_[np.ix_(active, active)], _reference(X, 3.0), rtol=1e-6, atol=1e-6
    )


def test_fold_in_is_row_times_weights():
    rng = np.random.default_rng(4)
    data = Dataset(_frame(rng, weights=True))
    model = EASE(regularization=2.0, weighting="log").fit(data)
    history = pd.DataFrame({"user": ["new", "new"], "item": ["i01", "i04"], "weight": [3.0, 9.0]})
    x = np.zeros(data.n_items)
    x[data.item_map.index_of(["i01", "i04"])] = np.log1p([3.0, 9.0])
    np.testing.assert_allclose(model.fold_in(history)[0], x @ model.weights_, rtol=1e-5)


def test_spd_inverse_and_blockwise_mirror():
    rng = np.random.default_rng(5)
    A = rng.random((40, 7))
    G = A.T @ A + np.eye(7)
    np.testing.assert_allclose(spd_inverse(G.copy()), np.linalg.inv(G), rtol=1e-10)
    M = np.triu(rng.random((7, 7)))
    _mirror_upper(M, block=3)
    np.testing.assert_array_equal(M, M.T)


def test_apply_weighting_does_not_modify_its_input():
    rng = np.random.default_rng(6)
    X = Dataset(_frame(rng, weights=True)).user_item_matrix("weight")
    before = X.data.copy()
    apply_weighting(X, "binary")
    apply_weighting(X, "log")
    np.testing.assert_array_equal(X.data, before)
    assert apply_weighting(X, "weight") is X


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"regularization": 0.0}, '"regularization" must be a number > 0, got 0.0.'),
        ({"regularization": "big"}, '"regularization"'),
        ({"weighting": "tfidf"}, '"weighting" must be one of'),
    ],
)
def test_bad_params(params, message):
    with pytest.raises(ParameterError, match=message):
        EASE(**params).fit(Dataset(_frame(np.random.default_rng(0))))


def test_registered_with_search_space():
    model = create_model("ease", regularization=50.0)
    assert isinstance(model, EASE) and model.regularization == 50.0
    assert set(EASE.search_space) <= set(EASE.param_defaults())
