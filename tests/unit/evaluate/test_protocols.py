"""evaluate_model: a fitted model scored through the protocol, lists and scores."""

from __future__ import annotations

import numpy as np
import pytest
from pytest import approx

from tastemaker.evaluate import evaluate_model
from tastemaker.evaluate import metrics as M
from tastemaker.models import create_model
from tastemaker.testing import two_blocks


@pytest.fixture(scope="module")
def fitted():
    blocks = two_blocks()
    return create_model("popular").fit(blocks.train), blocks


def test_metrics_of_the_scores_alone(fitted):
    # auc comes from the model's scores, not its lists: asked alone it must still work
    model, blocks = fitted
    alone = evaluate_model(model, blocks.train, blocks.test, ["auc"])
    both = evaluate_model(model, blocks.train, blocks.test, ["hit@3", "auc"])
    assert alone.metrics == ["auc"] and list(alone.summary) == ["auc"]
    assert alone.summary["auc"] == approx(both.summary["auc"])
    assert alone.per_user["auc"].tolist() == approx(both.per_user["auc"].tolist())
    assert list(both.summary) == ["hit@3", "auc"]


def test_auc_from_scores_matches_the_per_user_function(fitted):
    model, blocks = fitted
    res = evaluate_model(model, blocks.train, blocks.test, ["auc"])
    scores = model.score(blocks.users)
    seen = model.seen_
    for row, user in enumerate(blocks.users):
        u = model.users_.index_of([user])[0]
        mask = np.ones(model.n_items, dtype=bool)
        mask[seen.indices[seen.indptr[u] : seen.indptr[u + 1]]] = False
        relevant = model.items_.index_of([blocks.held_out[row]])
        expected = M.auc_from_scores(scores[row], relevant, mask)
        assert res.user_values("auc")[user] == approx(expected)
