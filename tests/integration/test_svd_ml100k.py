"""SVD and SVD++ on MovieLens-100K (random 80/20 per-user split, seed 42): accuracy
floors for rating prediction and ranking, and the accuracy of folded-in users.

Reads ``$TASTEMAKER_DATA_DIR``; skipped when the data is missing, except under CI.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tastemaker.evaluate import evaluate_model
from tastemaker.evaluate.metrics import rmse
from tastemaker.models import SVD, SVDpp

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fitted(split):
    # the defaults (tuned on ML-100K validation data), one fit each
    return {
        "svd": SVD(random_state=0).fit(split.train),
        "svdpp": SVDpp(random_state=0).fit(split.train),
    }


@pytest.fixture(scope="module")
def results(split, fitted):
    return {
        name: evaluate_model(model, split.train, split.test, ["ndcg@10", "rmse"]).summary
        for name, model in fitted.items()
    }


# Floors sit a little below the values measured with this split (seed 42): svd RMSE
# 0.901, ndcg@10 0.076; svdpp RMSE 0.887, ndcg@10 0.128 (bias baseline: RMSE 0.939,
# ndcg@10 0.084; ranking by predicted rating is weak on ML-100K).
def test_rmse_floors(results):
    assert results["svd"]["rmse"] <= 0.910
    assert results["svdpp"]["rmse"] <= 0.895


def test_ndcg_floors(results):
    assert results["svd"]["ndcg@10"] >= 0.065
    assert results["svdpp"]["ndcg@10"] >= 0.11


def test_folded_in_users_predict_almost_as_well_as_trained_ones(split, fitted, results):
    # Without refine_users the SGD users are not the exact ridge solution fold-in
    # computes (SGD also regularises by stopping early): measured RMSE of folded-in
    # training users: svd 0.901 (trained 0.901), svdpp 0.895 (trained 0.887).
    test = split.test.interactions
    history = split.train.interactions
    for name, slack in [("svd", 0.005), ("svdpp", 0.015)]:
        model = fitted[name]
        users = pd.unique(history["user"])  # fold_in's rows: users in first-seen order
        folded = model.fold_in(history)
        rows = pd.Index(users).get_indexer(test["user"])
        cols = model.items_.index_of(test["item"])
        pred = np.clip(folded[rows, cols], model.min_rating_, model.max_rating_)
        assert rmse(pred, test["rating"]) <= results[name]["rmse"] + slack
