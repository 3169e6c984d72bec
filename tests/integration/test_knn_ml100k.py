"""item-knn and user-knn on MovieLens-100K (random 80/20 split, seed 42): accuracy floors
for ranking (implicit feedback) and rating prediction (explicit feedback), fold-in.

Reads ``$TASTEMAKER_DATA_DIR``; skipped when the data is missing, except under CI.
"""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.evaluate import evaluate_model
from tastemaker.models import ItemKNN, ItemKNNExplicit, UserKNN, UserKNNExplicit

pytestmark = pytest.mark.integration

MODELS = {
    "item-knn": lambda: ItemKNN(),
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
