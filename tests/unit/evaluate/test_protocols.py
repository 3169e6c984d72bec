"""evaluate_model: a fitted model scored through the protocol, lists and scores."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from pytest import approx

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.evaluate import evaluate_model
from tastemaker.evaluate import metrics as M
from tastemaker.models import Popular, create_model
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


# -- cold-start protocols: revealed history and candidate items ---------------------------


def _frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user", "item"])


@pytest.fixture(scope="module")
def cold_start():
    """Six users of block b (items b0-b5, the popular ones), three of block a (a0-a5),
    and a new user "n" of block a: a0-a2 revealed, a3-a4 to predict."""
    train = [(f"b{u}", f"b{i}") for u in range(6) for i in range(6)]
    train += [(f"a{u}", f"a{i}") for u in range(3) for i in range(6)]
    revealed = [("n", "a0"), ("n", "a1"), ("n", "a2")]
    test = [("n", "a3"), ("n", "a4")]
    data = Dataset(_frame(train + revealed + test), name="cold-start")
    n_train, n_revealed = len(train), len(revealed)
    return (
        data.subset(np.arange(n_train)),
        data.subset(np.arange(n_train, n_train + n_revealed)),
        data.subset(np.arange(n_train + n_revealed, len(data.interactions))),
    )


class _NoFoldIn(Popular):
    """Popularity that cannot fold in nor score users without history: such users get
    the base's popularity fallback, as models like BPR give them."""

    def __tastemaker_tags__(self):
        return replace(super().__tastemaker_tags__(), folds_in=False, scores_cold_users=False)

    def _cold_user_support(self, query):
        return np.zeros(len(query), dtype=bool)


def test_new_user_history_reaches_a_fold_in_model(cold_start):
    train, history, test = cold_start
    ease = create_model("ease", regularization=1.0).fit(train)
    popular = create_model("popular").fit(train)
    metrics = ["ndcg@2", "recall@3"]
    with_history = evaluate_model(ease, train, test, metrics, history=history)
    without = evaluate_model(ease, train, test, metrics)
    by_popularity = evaluate_model(popular, train, test, metrics, history=history)
    # from a0-a2, EASE ranks a3-a5 first (ties at equal co-occurrence): both hits in top 3
    assert with_history.summary["recall@3"] == 1.0
    assert with_history.summary["ndcg@2"] > 0.6
    # without the history "n" gets the popular b items, as does popularity
    assert without.summary["recall@3"] == 0.0
    assert by_popularity.summary["recall@3"] == 0.0
    assert with_history.info["n_fallback_users"] == 0


def test_new_user_lists_are_matched_to_their_users_whatever_the_history_order(cold_start):
    # recommend_history answers in the history's first-seen order ("z" before "m");
    # the evaluator must score each list against its own user's test items
    train, _, _ = cold_start
    revealed = _frame([("z", "a0"), ("z", "a1"), ("z", "a2"), ("m", "b0"), ("m", "b1")])
    test = _frame([("z", "a3"), ("z", "a4"), ("m", "b2"), ("m", "b3")])
    frame = pd.concat([train.interactions[["user", "item"]], revealed, test], ignore_index=True)
    data = Dataset(frame, name="two-new-users")
    n = len(train.interactions)
    train = data.subset(np.arange(n))
    history = data.subset(np.arange(n, n + len(revealed)))
    test = data.subset(np.arange(n + len(revealed), len(frame)))
    ease = create_model("ease", regularization=1.0).fit(train)
    res = evaluate_model(ease, train, test, ["recall@4"], history=history)
    per_user = res.per_user.set_index("user")["recall@4"]
    assert per_user.to_dict() == {"m": 1.0, "z": 1.0}


def test_new_user_without_fold_in_gets_the_fallback_minus_the_revealed_items(cold_start):
    train, history, test = cold_start
    # make a0-a2 the most popular items, so the plain fallback would recommend them
    extra = _frame([(f"x{u}", f"a{i}") for u in range(9) for i in range(3)])
    frame = pd.concat([train.interactions[["user", "item"]], extra], ignore_index=True)
    wider = Dataset(pd.concat([frame, history.interactions, test.interactions]), name="w")
    train = wider.subset(np.arange(len(frame)))
    model = _NoFoldIn().fit(train)
    assert model.tags.folds_in is False
    res = evaluate_model(model, train, test, ["recall@3", "hit@1"], history=history)
    # a0-a2 (12 users) are dropped; next come b0-b5 (6 users each), a3-a5 (3) last
    lists = model.recommend(["n"], k=6).to_frame()
    assert set(lists["item"][:3]) == {"a0", "a1", "a2"}
    assert set(lists["source"]) == {"fallback:popular"}
    assert res.summary["recall@3"] == 0.0
    assert res.info["n_fallback_users"] == 1
    # with a4 as popular as the revealed items it is the first item left: a hit at 1
    boosted = pd.concat([frame, _frame([(f"x{u}", "a4") for u in range(9)])], ignore_index=True)
    wider = Dataset(pd.concat([boosted, history.interactions, test.interactions]), name="w")
    train = wider.subset(np.arange(len(boosted)))
    res = evaluate_model(_NoFoldIn().fit(train), train, test, ["hit@1"], history=history)
    assert res.summary["hit@1"] == 1.0


def test_cold_items_are_ranked_among_the_candidates_only(cold_start):
    train, _, _ = cold_start
    # c0 and c1 have no training row; user a0 interacted with c0 in test
    data = Dataset(
        pd.concat(
            [train.interactions[["user", "item"]], _frame([("a0", "c0"), ("b0", "c1")])],
            ignore_index=True,
        ),
        name="cold-items",
    )
    n_train = len(train.interactions)
    train, test = data.subset(np.arange(n_train)), data.subset(np.arange(n_train, n_train + 2))
    ease = create_model("ease", regularization=1.0).fit(train)
    assert set(ease.recommend(["a0"], k=20).to_frame()["item"]) >= {"c0", "c1"}
    full = evaluate_model(ease, train, test, ["recall@2"])
    ranked = evaluate_model(ease, train, test, ["recall@2"], candidates=["c0", "c1"])
    # every warm item outranks the cold ones in the full ranking; among the two
    # candidates (tied, cold), both users find their item in a list of 2
    assert full.summary["recall@2"] == 0.0
    assert ranked.summary["recall@2"] == 1.0
    with pytest.raises(ParameterError, match="auc cannot be computed on a cold-start"):
        evaluate_model(ease, train, test, ["auc"], candidates=["c0", "c1"])
