"""item-knn and user-knn on MovieLens-100K (random 80/20 split, seed 42): accuracy floors
for ranking (implicit feedback) and rating prediction (explicit feedback), fold-in, and
the similarity kernel against its NumPy reference and across thread counts at full scale.

Reads ``$TASTEMAKER_DATA_DIR``; skipped when the data is missing, except under CI.
"""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.evaluate import evaluate_model
from tastemaker.models import ItemKNN, ItemKNNExplicit, UserKNN, UserKNNExplicit, knn
from tastemaker.models import _knn_kernels as kernels

pytestmark = pytest.mark.integration

MODELS = {
    "item-knn": lambda: ItemKNN(),
    "item-knn-bm25-dot": lambda: ItemKNN(similarity="dot", shrinkage=0.0, bm25_b=0.3),
    "user-knn": lambda: UserKNN(),
    "item-knn-explicit": lambda: ItemKNNExplicit(n_neighbors=40, shrinkage=7.13),
    "user-knn-explicit": lambda: UserKNNExplicit(n_neighbors=50, shrinkage=25.0),
}


@pytest.fixture(scope="module")
def fitted(split):
    return {name: make().fit(split.train) for name, make in MODELS.items()}


@pytest.fixture(scope="module")
def results(split, fitted):
    out = {}
    for name, model in fitted.items():
        metrics = ["ndcg@10", "rmse"] if model.tags.predicts_ratings else ["ndcg@10", "recall@20"]
        out[name] = evaluate_model(model, split.train, split.test, metrics).summary
    return out


# Floors sit a little below the values measured with this split (seed 42) and the
# defaults at the time of writing: item-knn ndcg@10 0.408, user-knn 0.400; explicit mode RMSE
# item-knn (k=40) 0.901, user-knn (k=50, shrinkage 25) 0.917.
def test_ranking_floors(results):
    assert results["item-knn"]["ndcg@10"] >= 0.39
    assert results["user-knn"]["ndcg@10"] >= 0.38


def test_rating_floors(results):
    assert results["item-knn-explicit"]["rmse"] <= 0.915
    assert results["user-knn-explicit"]["rmse"] <= 0.93


@pytest.mark.parametrize("name", list(MODELS))
def test_fold_in_reproduces_training_users(split, fitted, name):
    model = fitted[name]
    frame = split.train.interactions
    users = frame["user"].drop_duplicates().head(20).tolist()
    history = frame[frame["user"].isin(users)]
    order = list(dict.fromkeys(history["user"]))
    np.testing.assert_allclose(model.fold_in(history), model.score(order), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "params",
    [
        {"similarity": "cosine", "weighting": "none", "n_neighbors": 226},  # binary: counts
        {"similarity": "dot", "weighting": "bm25", "bm25_b": 0.3, "n_neighbors": 20},
    ],
)
def test_similarity_kernel_matches_reference_at_full_scale(split, params):
    """Real rows (1,000 candidates on average, up to 1,600): every selection path."""
    model = ItemKNN(shrinkage=7.13, n_threads=1, **params)
    X = split.train.user_item_matrix("weight")
    raw = knn._transpose(X)
    raw = knn._csr(raw.data.astype(np.float64), raw.indices, raw.indptr, raw.shape)
    model._fit_vector_stats(raw)
    vectors = model._vectors(raw, np.arange(raw.shape[0]))
    targets_t, t_norms, t_counts = model._targets(vectors)
    measure = kernels.COSINE if params["similarity"] == "cosine" else kernels.DOT
    args = (*knn._parts(vectors), t_norms, t_counts, *knn._parts(targets_t), t_norms)
    args = (*args, t_counts, targets_t.shape[1], params["n_neighbors"], measure, 7.13, 0.0, True)
    want = kernels.similarities_reference(*args)
    for kernel in (kernels.similarities, kernels.similarities_serial):
        for got_part, want_part in zip(kernel(*args), want, strict=True):
            np.testing.assert_array_equal(got_part, want_part)


def test_threads_give_the_same_neighbours(split):
    one = ItemKNN(n_threads=1).fit(split.train).similarity_
    two = ItemKNN(n_threads=2).fit(split.train).similarity_
    for attr in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(one, attr), getattr(two, attr))
