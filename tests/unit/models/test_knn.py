"""item-knn and user-knn: conformance, hand-checked similarities and predictions, kernels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tastemaker.data import Dataset
from tastemaker.errors import DataError, ParameterError
from tastemaker.models import (
    ItemKNN,
    ItemKNNExplicit,
    UserKNN,
    UserKNNExplicit,
    create_model,
    knn,
)
from tastemaker.models import _knn_kernels as kernels
from tastemaker.testing._checks import RecommenderChecks


class TestItemKNN(RecommenderChecks):
    make_model = staticmethod(lambda: ItemKNN(n_neighbors=4, n_threads=1))


class TestUserKNN(RecommenderChecks):
    make_model = staticmethod(lambda: UserKNN(n_neighbors=4, n_threads=1))
    # a copy of a training user's history has that user as its closest neighbour
    fold_in_copies_user = False


class TestItemKNNExplicit(RecommenderChecks):
    make_model = staticmethod(lambda: ItemKNNExplicit(n_neighbors=4))


class TestUserKNNExplicit(RecommenderChecks):
    make_model = staticmethod(lambda: UserKNNExplicit(n_neighbors=4))
    fold_in_copies_user = False


# -- tiny hand-checkable data ----------------------------------------------------------
#        x  y  z
#   a    1  1  .        item vectors over (a, b, c): x = 110, y = 111, z = 011
#   b    1  1  1        cos(x, y) = cos(y, z) = 2 / sqrt(6), cos(x, z) = 1 / 2
#   c    .  1  1        shared users: (x, y) 2, (x, z) 1, (y, z) 2
TINY = pd.DataFrame(
    {"user": ["a", "a", "b", "b", "b", "c", "c"], "item": ["x", "y", "x", "y", "z", "y", "z"]}
)
C2 = 2 / np.sqrt(6)


def tiny(**params) -> ItemKNN:
    defaults = {"similarity": "cosine", "weighting": "none", "shrinkage": 0.0, "n_threads": 1}
    return ItemKNN(**{**defaults, **params}).fit(Dataset(TINY, name="tiny"))


def dense_similarity(model) -> np.ndarray:
    return model.similarity_.toarray()


def test_item_cosine_by_hand():
    model = tiny(n_neighbors=2)
    expected = np.array([[0, C2, 0.5], [C2, 0, C2], [0.5, C2, 0]])
    np.testing.assert_allclose(dense_similarity(model), expected, rtol=1e-6)
    # each row is stored most similar first
    row = model.similarity_[[2]]
    assert row.indices.tolist() == [1, 0]
    # user c (y, z): x gets sim(x, y) + sim(x, z), y gets sim(y, z), z gets sim(z, y)
    np.testing.assert_allclose(model.score(["c"]), [[C2 + 0.5, C2, C2]], rtol=1e-6)


def test_neighbourhood_keeps_the_most_similar_ties_to_lower_index():
    model = tiny(n_neighbors=1)
    # y's neighbours x and z tie at 2 / sqrt(6): x (lower index) is kept
    expected = np.array([[0, C2, 0], [C2, 0, 0], [0, C2, 0]])
    np.testing.assert_allclose(dense_similarity(model), expected, rtol=1e-6)


def test_shrinkage_and_min_similarity():
    model = tiny(n_neighbors=2, shrinkage=2.0)
    expected = np.array([[0, C2 / 2, 0.5 / 3], [C2 / 2, 0, C2 / 2], [0.5 / 3, C2 / 2, 0]])
    np.testing.assert_allclose(dense_similarity(model), expected, rtol=1e-6)
    model = tiny(n_neighbors=2, min_similarity=0.5)  # sim <= 0.5 dropped
    assert dense_similarity(model)[0, 2] == 0 and model.similarity_.nnz == 4


def test_jaccard_by_hand():
    model = tiny(n_neighbors=2, similarity="jaccard")
    expected = np.array([[0, 2 / 3, 1 / 3], [2 / 3, 0, 2 / 3], [1 / 3, 2 / 3, 0]])
    np.testing.assert_allclose(dense_similarity(model), expected, rtol=1e-6)


def counts_data() -> Dataset:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "user": rng.integers(0, 8, 60),
            "item": rng.integers(0, 6, 60),
            "weight": rng.integers(1, 5, 60).astype(float),
        }
    )
    return Dataset(frame, name="counts")


def implicit_bm25(IU: np.ndarray, k1: float, b: float) -> np.ndarray:
    """implicit's ``bm25_weight`` on the items x users matrix (items are documents)."""
    idf = np.log(IU.shape[0]) - np.log1p((IU > 0).sum(axis=0))
    length = IU.sum(axis=1)
    norm = (1 - b) + b * length / length.mean()
    return np.where(IU > 0, IU * (k1 + 1) / (k1 * norm[:, None] + IU) * idf[None, :], 0.0)


def expected_dot(W: np.ndarray, IU: np.ndarray) -> np.ndarray:
    expected = W @ W.T
    np.fill_diagonal(expected, 0.0)
    expected[(IU > 0).astype(float) @ (IU > 0).T.astype(float) == 0] = 0.0
    return expected


def test_bm25_and_tfidf_follow_implicit_formulas():
    data = counts_data()
    IU = data.user_item_matrix("weight").T.toarray().astype(np.float64)  # items x users
    idf = np.log(IU.shape[0]) - np.log1p((IU > 0).sum(axis=0))
    bm25 = implicit_bm25(IU, 1.2, 0.75)
    tfidf = np.where(IU > 0, np.sqrt(IU) * idf[None, :], 0.0)
    unit = tfidf / np.linalg.norm(tfidf, axis=1, keepdims=True)
    for weighting, similarity, W in [("bm25", "dot", bm25), ("tfidf", "cosine", unit)]:
        model = ItemKNN(
            n_neighbors=6,
            similarity=similarity,
            weighting=weighting,
            shrinkage=0.0,
            min_similarity=-np.inf,
        ).fit(data)
        np.testing.assert_allclose(
            dense_similarity(model), expected_dot(W, IU), rtol=1e-5, atol=1e-7
        )


@pytest.mark.parametrize(("k1", "b"), [(3.0, 0.3), (0.01, 0.75), (1.2, 0.0), (100.0, 1.0)])
def test_bm25_parameters_follow_implicit(k1, b):
    data = counts_data()
    IU = data.user_item_matrix("weight").T.toarray().astype(np.float64)
    params = {"similarity": "dot", "weighting": "bm25", "shrinkage": 0.0}
    params.update(n_neighbors=10, min_similarity=-np.inf, bm25_k1=k1, bm25_b=b)
    model = ItemKNN(**params).fit(data)
    want = expected_dot(implicit_bm25(IU, k1, b), IU)
    np.testing.assert_allclose(dense_similarity(model), want, rtol=1e-5, atol=1e-7)
    # user-knn weights the users' vectors (users are the documents, items the terms)
    model = UserKNN(**params).fit(data)
    UI = IU.T
    W = implicit_bm25(UI, k1, b)
    want = W @ W.T
    want[(UI > 0).astype(float) @ (UI > 0).T.astype(float) == 0] = 0.0
    got = dense_similarity(model)
    np.fill_diagonal(want, np.diag(got))  # user-knn keeps each user itself
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_user_knn_includes_the_user_and_folds_in_new_users():
    model = UserKNN(n_neighbors=1, weighting="none", n_threads=1).fit(Dataset(TINY))
    # a = 110: itself (1) and b (2 / sqrt(6)); scores = 1 * a + C2 * b
    np.testing.assert_allclose(model.score(["a"]), [[1 + C2, 1 + C2, C2]], rtol=1e-6)
    # a new user with x only: a (1 / sqrt(2)) beats b (1 / sqrt(3)); a user the model
    # does not know has no training row of its own, so its one neighbour is a
    folded = model.fold_in(pd.DataFrame({"user": ["new"], "item": ["x"]}))
    sa = 1 / np.sqrt(2)
    np.testing.assert_allclose(folded, [[sa, sa, 0.0]], rtol=1e-6)
    # a known user's history is compared with the training users, the user included
    again = model.fold_in(pd.DataFrame({"user": ["a", "a"], "item": ["x", "y"]}))
    np.testing.assert_allclose(again, model.score(["a"]), rtol=1e-6)


def test_item_knn_fold_in_is_the_history_row_times_the_similarity():
    model = tiny(n_neighbors=2)
    folded = model.fold_in(pd.DataFrame({"user": ["new", "new"], "item": ["x", "z"]}))
    np.testing.assert_allclose(folded, [[0.5, 2 * C2, 0.5]], rtol=1e-6)


# -- explicit feedback ----------------------------------------------------------------


def ratings(seed: int = 0, n_users: int = 15, n_items: int = 8, n: int = 70) -> Dataset:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "user": rng.integers(0, n_users, n),
            "item": rng.integers(0, n_items, n),
            "rating": rng.integers(1, 6, n).astype(float),
        }
    ).drop_duplicates(["user", "item"])
    return Dataset(frame, name="ratings")


def knn_baseline_reference(model, data: Dataset, pairs: np.ndarray, user_based: bool):
    """Surprise's KNNBaseline written out densely (pearson-baseline with global norms)."""
    from tastemaker.models import Bias

    bias = Bias().fit(data)
    R = data.user_item_matrix("rating").toarray().astype(np.float64)
    rated = R > 0
    base = bias.global_mean_ + bias.user_bias_[:, None] + bias.item_bias_[None, :]
    resid = np.where(rated, R - base, 0.0)
    V = resid if user_based else resid.T
    norms = np.linalg.norm(V, axis=1)
    sim = (V @ V.T) / np.outer(norms, norms)
    out = []
    for u, i in pairs:
        if user_based:
            cand = np.flatnonzero(rated[:, i])
            s, r = sim[u, cand], resid[cand, i]
        else:
            cand = np.flatnonzero(rated[u])
            cand = cand[cand != i]
            s, r = sim[i, cand], resid[u, cand]
        keep = s > 0
        s, r, cand = s[keep], r[keep], cand[keep]
        top = np.lexsort((cand, -s))[: model.n_neighbors]
        pred = base[u, i]
        if len(top):
            pred += (s[top] * r[top]).sum() / np.abs(s[top]).sum()
        out.append(np.clip(pred, 1, 5))
    return np.array(out)


@pytest.mark.parametrize("cls", [ItemKNNExplicit, UserKNNExplicit])
def test_explicit_predictions_match_knn_baseline(cls):
    data = ratings()
    model = cls(n_neighbors=3, shrinkage=0.0).fit(data)
    rng = np.random.default_rng(1)
    pairs = np.c_[rng.integers(0, data.n_users, 40), rng.integers(0, data.n_items, 40)]
    frame = pd.DataFrame(
        {"user": data.user_map.ids_of(pairs[:, 0]), "item": data.item_map.ids_of(pairs[:, 1])}
    )
    expected = knn_baseline_reference(model, data, pairs, user_based=cls is UserKNNExplicit)
    np.testing.assert_allclose(model.predict(frame), expected, rtol=1e-5)
    # recommend ranks by the same predictions
    scores = model.score(frame["user"].tolist())
    np.testing.assert_allclose(scores[np.arange(40), pairs[:, 1]], expected, rtol=1e-5)


def test_explicit_baseline_is_the_bias_model():
    from tastemaker.models import Bias

    data = ratings()
    model = ItemKNNExplicit().fit(data)
    bias = Bias().fit(data)
    assert model.global_mean_ == pytest.approx(bias.global_mean_)
    np.testing.assert_allclose(model.user_bias_, bias.user_bias_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.item_bias_, bias.item_bias_, rtol=1e-5, atol=1e-6)


def test_explicit_fallbacks_for_unknown_users_and_items():
    data = ratings()
    model = ItemKNNExplicit().fit(data)
    u0, i0 = data.user_map.ids[0], data.item_map.ids[0]
    pred = model.predict([("nobody", i0), (u0, "nothing"), ("nobody", "nothing")])
    mu, b_u, b_i = model.global_mean_, model.user_bias_[0], model.item_bias_[0]
    np.testing.assert_allclose(pred, [mu + b_i, mu + b_u, mu], rtol=1e-6)


def test_only_the_explicit_models_predict_ratings():
    assert ItemKNN().tags.predicts_ratings is False and UserKNN.matrix_values == "weight"
    assert ItemKNNExplicit().tags.predicts_ratings is True
    assert UserKNNExplicit.matrix_values == "rating"
    with pytest.raises(ParameterError, match="does not predict ratings"):
        tiny().predict([("a", "x")])


# -- parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_neighbors": 0}, 'parameter "n_neighbors" must be an int >= 1, got 0'),
        ({"similarity": "manhattan"}, 'parameter "similarity" must be one of'),
        ({"weighting": "bm26"}, 'parameter "weighting" must be one of'),
        ({"shrinkage": -1.0}, 'parameter "shrinkage" must be a number >= 0'),
        ({"min_similarity": "low"}, 'parameter "min_similarity" must be a number'),
        ({"n_threads": -1}, 'parameter "n_threads" must be an int >= 0'),
        ({"similarity": "pearson-baseline"}, "use ItemKNNExplicit"),
        ({"similarity": "jaccard", "weighting": "bm25"}, 'applies to similarity "cosine"'),
        ({"bm25_k1": 0.0}, r'ItemKNN: parameter "bm25_k1" must be a number > 0, got 0\.0\.'),
        ({"bm25_b": 1.5}, r'ItemKNN: parameter "bm25_b" must be a number in \[0, 1\], got 1\.5\.'),
        (
            {"bm25_b": "0.3"},
            r'ItemKNN: parameter "bm25_b" must be a number in \[0, 1\], got \'0\.3\'',
        ),
        ({"bm25_k1": float("nan")}, 'parameter "bm25_k1" must be a number > 0, got nan'),
    ],
)
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(ParameterError, match=message):
        ItemKNN(**params).fit(Dataset(TINY))


def test_centred_similarity_on_constant_values_is_refused():
    with pytest.raises(DataError, match="every similarity would be 0"):
        ItemKNN(similarity="pearson").fit(Dataset(TINY))


def test_weighting_refuses_negative_values():
    frame = TINY.assign(weight=[1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    with pytest.raises(DataError, match="needs non-negative"):
        ItemKNN(weighting="bm25").fit(Dataset(frame))
    ItemKNN(weighting="none").fit(Dataset(frame))  # plain cosine is fine


def test_registry_and_search_space():
    assert isinstance(create_model("item-knn", n_neighbors=5), ItemKNN)
    assert isinstance(create_model("user-knn"), UserKNN)
    assert isinstance(create_model("item-knn-explicit"), ItemKNNExplicit)
    assert isinstance(create_model("user-knn-explicit"), UserKNNExplicit)
    for cls in (ItemKNN, UserKNN, ItemKNNExplicit, UserKNNExplicit):
        defaults = cls.param_defaults()
        assert set(cls.search_space) <= set(defaults)


def test_results_do_not_depend_on_threads(monkeypatch):
    monkeypatch.setattr(knn, "_PARALLEL_WORK", 0)  # the thread pool even for tiny jobs
    data = ratings(seed=4, n_users=40, n_items=30, n=400)
    for cls in (ItemKNNExplicit, UserKNNExplicit):
        one = cls(n_neighbors=5, n_threads=1).fit(data)
        two = cls(n_neighbors=5, n_threads=2).fit(data)
        for attr in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(
                getattr(one.similarity_, attr), getattr(two.similarity_, attr)
            )
        users = list(data.user_map.ids)
        np.testing.assert_array_equal(one.score(users), two.score(users))


# -- kernels == references ----------------------------------------------------------------


def random_csr(rng, shape, density, binary=False) -> sp.csr_array:
    X = sp.random_array(shape, density=density, format="csr", rng=rng)
    X.data = np.ones_like(X.data) if binary else rng.normal(size=X.nnz)
    X.sort_indices()
    return X


def parts(X, dtype=np.float64):
    return X.indptr.astype(np.int64), X.indices.astype(np.int32), X.data.astype(dtype)


@pytest.mark.parametrize(
    ("measure", "shrinkage", "min_similarity", "skip_self", "sparse"),
    [
        (kernels.COSINE, 0.0, 0.0, True, False),
        (kernels.COSINE, 3.0, -np.inf, False, False),
        (kernels.COSINE, 3.0, -np.inf, False, True),
        (kernels.DOT, 0.0, 0.1, False, True),
        (kernels.JACCARD, 1.0, 0.0, True, False),
    ],
)
def test_similarities_kernel_matches_reference(
    measure, shrinkage, min_similarity, skip_self, sparse
):
    # dense: every query touches most targets (the kernel sweeps all of them);
    # sparse: few targets per query (the kernel tracks the touched ones)
    rng = np.random.default_rng(7)
    binary = measure == kernels.JACCARD
    d, n_targets, density = (200, 300, 0.02) if sparse else (20, 25, 0.3)
    Q = random_csr(rng, (30, d), density, binary)
    T = random_csr(rng, (d, n_targets), density, binary)
    q_norms = kernels.row_stats_reference(*parts(Q)[::2])[1]
    t_norms = np.linalg.norm(T.toarray(), axis=0)
    q_counts = np.diff(Q.indptr).astype(np.float64)
    t_counts = np.diff(sp.csc_array(T).indptr).astype(np.float64)
    args = (*parts(Q), q_norms, q_counts, *parts(T), t_norms, t_counts, n_targets, 5)
    args = (*args, measure, shrinkage, min_similarity, skip_self)
    want = kernels.similarities_reference(*args)
    for kernel in (kernels.similarities, kernels.similarities_serial):
        got = kernel(*args)
        for got_part, want_part in zip(got, want, strict=True):  # indptr, indices, sims
            np.testing.assert_array_equal(got_part, want_part)
            assert got_part.dtype == want_part.dtype


def test_row_stats_kernel_matches_reference():
    X = random_csr(np.random.default_rng(2), (12, 9), 0.4)
    indptr, _, data = parts(X)
    want = kernels.row_stats_reference(indptr, data)
    for got, expected in zip(kernels.row_stats(indptr, data), want):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_neighbour_average_kernel_matches_reference():
    rng = np.random.default_rng(5)
    n_rows, n_cols = 10, 12
    # S: each target row lists some columns, most similar first
    S = random_csr(rng, (n_rows, n_cols), 0.5)
    order = [np.argsort(-S.data[a:b], kind="stable") + a for a, b in zip(S.indptr, S.indptr[1:])]
    perm = np.concatenate(order)
    S = sp.csr_array((S.data[perm], S.indices[perm], S.indptr), shape=S.shape)
    M = random_csr(rng, (8, n_cols), 0.5)
    groups = np.sort(rng.integers(0, 8, 40))
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    group_ptr = np.r_[starts, len(groups)].astype(np.int64)
    targets = rng.integers(0, n_rows, 40).astype(np.int64)
    args = (*parts(S, np.float32), *parts(M), group_ptr, groups[starts].astype(np.int64))
    args = (*args, targets, 3, n_cols)
    want = kernels.neighbour_average_reference(*args)
    for kernel in (kernels.neighbour_average, kernels.neighbour_average_serial):
        got = kernel(*args)
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_allclose(got[0], want[0], rtol=1e-10)


def scratch(m):
    return np.empty(m, dtype=np.int64), np.empty(128, dtype=np.int64)


@pytest.mark.parametrize("m", [0, 1, 7, 30, 300, 5000])
@pytest.mark.parametrize("k", [1, 5, 26, 200, 400])
@pytest.mark.parametrize("ties", [False, True])
def test_top_k_matches_reference(m, k, ties):
    """Every path: short rows (insertion sort), long rows with a small k (sampled
    threshold, then selection), long rows with a large k (selection alone), many ties."""
    rng = np.random.default_rng(m * 1000 + k)
    sims = rng.integers(-2, 3, m).astype(np.float64) if ties else rng.normal(size=m)
    idx = rng.permutation(10 * m)[:m]  # distinct, in no order
    keys = kernels._keys_reference(sims, idx)
    want = kernels.top_k_reference(keys, k)
    got = keys.copy()
    size = kernels._top_k(got, m, k, *scratch(m))
    assert size == min(m, k)
    np.testing.assert_array_equal(got[:size], want)


def test_keys_rank_by_float32_similarity_then_index():
    sims = np.array([0.5, -0.0, 0.0, -1.5, 0.5, 1e-3, np.float32(0.1) + 1e-12, 0.1, 2.0])
    idx = np.array([3, 8, 1, 0, 2, 5, 6, 4, 7])
    keys = kernels._keys_reference(sims, idx)
    order = idx[np.argsort(keys)]
    # 2.0, then 0.5 (index 2 before 3), 0.1 and float32(0.1) + 1e-12 tie in float32 (4, 6),
    # 1e-3, then +0.0 and -0.0 tie (1, 8), then -1.5
    assert order.tolist() == [7, 2, 3, 4, 6, 5, 1, 8, 0]


@pytest.mark.parametrize("max_rounds", [0, 1, 3])
def test_selection_falls_back_to_a_heap(max_rounds):
    """The heap fallback (never needed on real data) selects the same set."""
    rng = np.random.default_rng(max_rounds)
    m, k = 1000, 37
    keys = kernels._keys_reference(rng.integers(0, 50, m).astype(np.float64), rng.permutation(m))
    want = set(kernels.top_k_reference(keys, k).tolist())
    kernels._select(keys, m, k, *scratch(m), max_rounds=max_rounds)
    assert set(keys[:k].tolist()) == want


@pytest.mark.parametrize(
    ("measure", "binary", "density"),
    [
        (kernels.COSINE, True, 0.08),  # binary: counts only; few products: touched list
        (kernels.COSINE, True, 0.5),  # many products: every target swept
        (kernels.COSINE, False, 0.08),
        (kernels.COSINE, False, 0.5),
        (kernels.JACCARD, True, 0.08),
    ],
)
def test_similarities_kernel_matches_reference_on_long_rows(measure, binary, density):
    """Rows with hundreds of candidates, many tied similarities on binary data."""
    rng = np.random.default_rng(11)
    X = random_csr(rng, (60, 400), density, binary=binary)  # dims x items
    if not binary:
        X.data = np.abs(X.data)
    Q = sp.csr_array(X.T)
    Q.sort_indices()
    norms = kernels.row_stats_reference(*parts(Q)[::2])[1]
    counts = np.diff(Q.indptr).astype(np.float64)
    for k in (3, 40, 350):
        args = (*parts(Q), norms, counts, *parts(X), norms, counts, 400, k, measure)
        args = (*args, 2.0, 0.0, True)
        want = kernels.similarities_reference(*args)
        for kernel in (kernels.similarities, kernels.similarities_serial):
            got = kernel(*args)
            for got_part, want_part in zip(got, want, strict=True):
                np.testing.assert_array_equal(got_part, want_part)


class TestItemKNNHistoryNeighbours(RecommenderChecks):
    make_model = staticmethod(lambda: ItemKNN(n_neighbors=4, neighbors_of="history", n_threads=1))


def test_neighbors_of_history_sums_the_users_items_lists():
    # with one neighbour kept: x -> y, y -> x (tie with z: lower index), z -> y
    candidate = tiny(n_neighbors=1)
    history = tiny(n_neighbors=1, neighbors_of="history")
    S = candidate.similarity_.toarray()
    np.testing.assert_allclose(S, history.similarity_.toarray())
    x = np.array([[1.0, 0.0, 1.0]])  # a user with x and z
    np.testing.assert_allclose(
        history.fold_in(pd.DataFrame({"user": ["n", "n"], "item": ["x", "z"]})), x @ S, rtol=1e-6
    )
    np.testing.assert_allclose(
        candidate.fold_in(pd.DataFrame({"user": ["n", "n"], "item": ["x", "z"]})),
        x @ S.T,
        rtol=1e-6,
    )
