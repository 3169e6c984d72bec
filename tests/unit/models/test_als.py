import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import tastemaker
from tastemaker.data import Dataset, IdMap
from tastemaker.errors import DataError, ParameterError
from tastemaker.models import ALS
from tastemaker.models import _als_kernels as kernels
from tastemaker.models._common import csr_parts, numba_threads
from tastemaker.testing import two_blocks
from tastemaker.testing._checks import RecommenderChecks


class TestALS(RecommenderChecks):
    make_model = staticmethod(
        lambda: ALS(n_factors=2, n_epochs=10, regularization=0.1, alpha=1.0, random_state=0)
    )
    # conjugate-gradient sweeps: a training user's history folds in (exactly) to within
    # the CG tolerance of the trained factors; TestALSCholesky checks exact agreement
    fold_in_rtol = 1e-2


class TestALSCholesky(RecommenderChecks):
    make_model = staticmethod(
        lambda: ALS(
            n_factors=2,
            n_epochs=10,
            regularization=0.1,
            alpha=1.0,
            solver="cholesky",
            random_state=0,
        )
    )


def _system(seed: int = 0, n_rows: int = 7, n_cols: int = 6, k: int = 3):
    """A small weighted CSR (row 2 empty) in the kernels' dtypes, and random factors."""
    rng = np.random.default_rng(seed)
    dense = rng.integers(1, 4, size=(n_rows, n_cols)) * (rng.random((n_rows, n_cols)) < 0.5)
    dense[2] = 0
    indptr, indices, data = csr_parts(sp.csr_array(dense.astype(np.float32)))
    X = rng.standard_normal((n_rows, k)).astype(np.float32)
    Y = rng.standard_normal((n_cols, k)).astype(np.float32)
    return indptr, indices, data, X, Y


def test_gram_matrix_adds_regularization_to_the_diagonal():
    Y = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    np.testing.assert_allclose(kernels.gram_matrix(Y, 0.5), [[10.5, 14.0], [14.0, 20.5]])


@pytest.mark.parametrize(("cg_steps", "shift"), [(1, 0.0), (3, 0.0), (3, -1.0), (3, -0.5)])
def test_cg_sweep_matches_reference(cg_steps, shift):
    indptr, indices, data, X, Y = _system()
    gram = kernels.gram_matrix(Y, 0.3)
    expected = X.copy()
    kernels.cg_sweep_reference(indptr, indices, data, expected, Y, gram, 2.0, shift, cg_steps)
    kernels.cg_sweep(indptr, indices, data, X, Y, gram, 2.0, shift, cg_steps)
    np.testing.assert_allclose(X, expected, rtol=1e-4, atol=1e-5)
    assert not X[2].any()  # an empty row gets a zero vector


@pytest.mark.parametrize("shift", [0.0, -1.0])
def test_cholesky_sweep_matches_reference(shift):
    indptr, indices, data, X, Y = _system()
    gram = kernels.gram_matrix(Y, 0.3)
    expected = X.copy()
    args = (Y, gram, 2.0, shift)
    assert kernels.cholesky_sweep_reference(indptr, indices, data, expected, *args) == 0
    assert kernels.cholesky_sweep(indptr, indices, data, X, *args) == 0
    np.testing.assert_allclose(X, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("offset", [1.0, 0.0, 0.4])
def test_cholesky_sweep_solves_hu_et_al_normal_equations(offset):
    # one user, items 0 and 2 with weights 1 and 3: (YᵀC_uY + λI) x = YᵀC_u p_u with
    # c = offset + alpha r where the user interacted, 1 elsewhere
    Y = np.array([[1.0, 0.0], [0.5, 1.0], [0.0, 2.0]], dtype=np.float32)
    indptr, indices, data = csr_parts(sp.csr_array(np.array([[1.0, 0.0, 3.0]], np.float32)))
    alpha, reg = 2.0, 0.5
    c = np.array([offset + alpha * 1.0, 1.0, offset + alpha * 3.0])
    p = np.array([1.0, 0.0, 1.0])
    A = Y.T.astype(np.float64) @ np.diag(c) @ Y + reg * np.eye(2)
    x = np.zeros((1, 2), dtype=np.float32)
    gram = kernels.gram_matrix(Y, reg)
    kernels.cholesky_sweep(indptr, indices, data, x, Y, gram, alpha, offset - 1.0)
    np.testing.assert_allclose(x[0], np.linalg.solve(A, Y.T @ (c * p)), rtol=1e-6)


def test_cholesky_sweep_reports_a_singular_system():
    indptr, indices, data, X, Y = _system()
    Y[:] = 0.0  # zero factors and no regularisation: every system is singular
    gram = kernels.gram_matrix(Y, 0.0)
    assert kernels.cholesky_sweep(indptr, indices, data, X, Y, gram, 2.0, 0.0) == 6


def _dataset(dense: np.ndarray) -> Dataset:
    users, items = np.nonzero(dense)
    frame = pd.DataFrame({"user": [f"u{u}" for u in users], "item": [f"i{i}" for i in items]})
    return Dataset(
        frame,
        user_map=IdMap([f"u{u}" for u in range(dense.shape[0])]),
        item_map=IdMap([f"i{i}" for i in range(dense.shape[1])]),
    )


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_recovers_a_rank_one_matrix(solver):
    # users 0-4 like items 0-2; users 5-6 and items 3-4 have no interactions
    dense = np.outer([1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0]).astype(float)
    # seeded: from some random starts 20 epochs get only within 5e-3 of the answer
    model = ALS(
        n_factors=1, n_epochs=20, regularization=1e-3, alpha=1.0, solver=solver, random_state=0
    )
    model.fit(_dataset(dense))
    np.testing.assert_allclose(model.user_factors_ @ model.item_factors_.T, dense, atol=1e-3)


def test_unweighted_als_finds_the_truncated_svd():
    # alpha=0 weighs every cell 1: the fit is the best rank-k approximation (Eckart-Young)
    dense = (np.random.default_rng(1).random((9, 7)) < 0.5).astype(float)
    dense[np.arange(7), np.arange(7)] = 1.0  # no empty row or column
    U, s, Vt = np.linalg.svd(dense)
    for k in (1, 2):
        model = ALS(n_factors=k, n_epochs=100, regularization=1e-6, alpha=0.0, solver="cholesky")
        model.fit(_dataset(dense))
        best = (U[:, :k] * s[:k]) @ Vt[:k]
        np.testing.assert_allclose(model.user_factors_ @ model.item_factors_.T, best, atol=1e-3)


def test_cg_and_cholesky_agree():
    data = two_blocks().train
    params = {"n_factors": 3, "n_epochs": 30, "regularization": 0.1, "alpha": 2.0}
    cg = ALS(**params, cg_steps=3, random_state=0).fit(data)
    exact = ALS(**params, solver="cholesky", random_state=0).fit(data)
    users = two_blocks().users
    np.testing.assert_allclose(cg.score(users), exact.score(users), atol=2e-2)


def test_fold_in_is_the_closed_form_least_squares_solution():
    blocks = two_blocks()
    model = ALS(n_factors=2, regularization=0.1, alpha=3.0, random_state=0).fit(blocks.train)
    Y = model.item_factors_.astype(np.float64)
    history = blocks.train.interactions
    mine = history[history["user"] == blocks.users[4]]
    weights = np.zeros(model.n_items)
    weights[model.items_.index_of(mine["item"])] = 1.0
    c = 1.0 + 3.0 * weights
    A = Y.T @ (c[:, None] * Y) + 0.1 * np.eye(2)
    x = np.linalg.solve(A, Y.T @ (c * (weights > 0)))
    folded = model.fold_in(mine.assign(user="newcomer"))
    np.testing.assert_allclose(folded[0], x @ Y.T, rtol=1e-5, atol=1e-6)
    # conjugate-gradient sweeps converge to this exact solve: the trained factors are close
    np.testing.assert_allclose(model.user_factors_[4], x, rtol=1e-2, atol=1e-3)


def test_fold_in_with_confidence_offset_zero():
    # implicit's definition c = alpha r: the fold-in solve (and the final user sweep) use it
    blocks = two_blocks()
    params = {"n_factors": 2, "regularization": 0.1, "alpha": 3.0, "confidence_offset": 0.0}
    model = ALS(**params, random_state=0).fit(blocks.train)
    Y = model.item_factors_.astype(np.float64)
    history = blocks.train.interactions
    mine = history[history["user"] == blocks.users[4]]
    weights = np.zeros(model.n_items)
    weights[model.items_.index_of(mine["item"])] = 1.0
    c = np.where(weights > 0, 3.0 * weights, 1.0)
    x = np.linalg.solve(Y.T @ (c[:, None] * Y) + 0.1 * np.eye(2), Y.T @ (c * (weights > 0)))
    np.testing.assert_allclose(model.user_factors_[4], x, rtol=1e-5, atol=1e-6)
    folded = model.fold_in(mine.assign(user="newcomer"))
    np.testing.assert_allclose(folded[0], x @ Y.T, rtol=1e-5, atol=1e-6)


def test_confidence_offset_zero_is_alpha_minus_one_on_binary_data():
    data = two_blocks().train  # one interaction per pair, weight 1
    shared = {"n_factors": 3, "n_epochs": 5, "regularization": 0.5, "random_state": 0}
    ours = ALS(**shared, alpha=2.0).fit(data)
    theirs = ALS(**shared, alpha=3.0, confidence_offset=0.0).fit(data)
    np.testing.assert_array_equal(ours.user_factors_, theirs.user_factors_)
    np.testing.assert_array_equal(ours.item_factors_, theirs.item_factors_)
    other = ALS(**shared, alpha=3.0).fit(data)
    assert not np.array_equal(other.user_factors_, theirs.user_factors_)


def test_fold_in_after_save_and_load(tmp_path):
    blocks = two_blocks()
    model = ALS(n_factors=2, regularization=0.1, random_state=0).fit(blocks.train)
    loaded = tastemaker.load(model.save(tmp_path / "als"))
    history = blocks.train.interactions
    np.testing.assert_array_equal(loaded.fold_in(history), model.fold_in(history))


@pytest.mark.parametrize("exact", [False, True])
def test_sweeps_do_not_depend_on_threads(exact):
    indptr, indices, data, X, Y = _system(seed=2, n_rows=40, n_cols=30, k=5)
    gram = kernels.gram_matrix(Y, 0.3)
    results = []
    for n_threads in (1, 2):
        out = X.copy()
        with numba_threads(n_threads):
            if exact:
                kernels.cholesky_sweep(indptr, indices, data, out, Y, gram, 2.0, -0.5)
            else:
                kernels.cg_sweep(indptr, indices, data, out, Y, gram, 2.0, -0.5, 3)
        results.append(out)
    np.testing.assert_array_equal(results[0], results[1])


def test_items_without_interactions_rank_last():
    blocks = two_blocks()
    train = blocks.train.interactions
    item = train["item"].iloc[0]  # drop its interactions; the catalog keeps it
    data = blocks.train.replace(train[train["item"] != item])
    model = ALS(n_factors=2, random_state=0).fit(data)
    column = int(model.items_.index_of([item])[0])
    scores = model.score(blocks.users)
    assert np.isneginf(scores[:, column]).all()
    others = np.delete(scores, column, axis=1)
    assert np.isfinite(others).all()


def test_weights_count_as_confidence():
    # a heavy interaction pulls its item up for the user's neighbours
    frame = pd.DataFrame(
        {
            "user": ["a", "a", "b", "b", "c"],
            "item": ["x", "y", "x", "y", "x"],
            "weight": [1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    light = ALS(n_factors=2, alpha=10.0, random_state=0).fit(Dataset(frame))
    heavy = ALS(n_factors=2, alpha=10.0, random_state=0).fit(
        Dataset(frame.assign(weight=[1.0, 50.0, 1.0, 50.0, 1.0]))
    )
    assert heavy.score(["c"], items=["y"])[0, 0] > light.score(["c"], items=["y"])[0, 0]


def test_negative_weights_are_refused():
    frame = pd.DataFrame({"user": ["a", "b"], "item": ["x", "y"], "weight": [1.0, -2.0]})
    with pytest.raises(DataError, match="non-negative"):
        ALS().fit(Dataset(frame))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_factors": 0}, 'ALS: parameter "n_factors" must be an int >= 1, got 0.'),
        ({"n_epochs": 1.5}, '"n_epochs" must be an int >= 1'),
        ({"regularization": 0.0}, '"regularization" must be a number > 0'),
        ({"alpha": -1.0}, '"alpha" must be a number >= 0'),
        ({"solver": "lu"}, "\"solver\" must be one of 'cg', 'cholesky', got 'lu'"),
        ({"cg_steps": 0}, '"cg_steps" must be an int >= 1'),
        ({"n_threads": -1}, '"n_threads" must be an int >= 0'),
        ({"random_state": "x"}, '"random_state" must be an int >= 0'),
        (
            {"confidence_offset": -0.5},
            'ALS: parameter "confidence_offset" must be a number >= 0, got -0.5.',
        ),
        ({"confidence_offset": None}, '"confidence_offset" must be a number >= 0, got None.'),
    ],
)
def test_bad_params(params, message):
    with pytest.raises(ParameterError) as err:
        ALS(**params).fit(two_blocks().train)
    assert message in str(err.value)
