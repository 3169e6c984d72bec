"""Properties every ranking metric must have, on random lists (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest import approx

from tastemaker.evaluate import METRICS
from tastemaker.evaluate import metrics as M
from tastemaker.evaluate._ranked import evaluate_ranked

AT_K = {
    "precision": M.precision,
    "recall": M.recall,
    "recall_capped": M.recall_capped,
    "ndcg": M.ndcg,
    "map": M.average_precision,
    "mrr": M.reciprocal_rank,
    "hit": M.hit,
}
FAST = settings(max_examples=50, deadline=None)
BATCH = settings(max_examples=30, deadline=None)  # many users per example


@st.composite
def user_case(draw, n_items=None):
    """(n_items, ranked list, non-empty relevant set, k)."""
    n = n_items if n_items is not None else draw(st.integers(2, 30))
    order = draw(st.permutations(range(n)))
    length = draw(st.integers(0, n))
    relevant = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n))
    k = draw(st.integers(1, n + 3))
    return n, np.asarray(order[:length], dtype=np.int64), np.asarray(sorted(relevant)), k


@st.composite
def many_users(draw):
    n_items = draw(st.integers(2, 20))
    cases = draw(st.lists(user_case(n_items=n_items), min_size=1, max_size=12))
    k = draw(st.integers(1, n_items + 2))
    return n_items, [c[1] for c in cases], [c[2] for c in cases], k


def _names(k: int) -> list[str]:
    return [f"{name}@{k}" for name in AT_K] + ["auc"]


@FAST
@given(user_case())
def test_bounds(case):
    n, ranked, relevant, k = case
    for fn in AT_K.values():
        assert 0.0 <= fn(ranked, relevant, k) <= 1.0
    auc = M.auc_from_ranking(ranked, relevant, n)
    assert math.isnan(auc) or 0.0 <= auc <= 1.0


@FAST
@given(user_case())
def test_perfect_ranking(case):
    n, _, relevant, k = case
    rest = np.setdiff1d(np.arange(n), relevant)
    perfect = np.concatenate([relevant, rest])
    assert M.ndcg(perfect, relevant, k) == approx(1.0)
    assert M.average_precision(perfect, relevant, k) == approx(1.0)
    assert M.reciprocal_rank(perfect, relevant, k) == 1.0
    assert M.hit(perfect, relevant, k) == 1.0
    assert M.recall_capped(perfect, relevant, k) == approx(1.0)
    if len(relevant) >= k:
        assert M.precision(perfect, relevant, k) == approx(1.0)
    if len(relevant) <= k:
        assert M.recall(perfect, relevant, k) == approx(1.0)
    if len(rest):
        assert M.auc_from_ranking(perfect, relevant, n) == approx(1.0)
        assert M.auc_from_ranking(perfect[: len(relevant)], relevant, n) == approx(1.0)


@FAST
@given(user_case(), st.randoms(use_true_random=False))
def test_items_outside_top_k_do_not_matter(case, rnd):
    _, ranked, relevant, k = case
    tail = list(ranked[k:])
    rnd.shuffle(tail)
    shuffled = np.concatenate([ranked[:k], np.asarray(tail, dtype=np.int64)])
    for fn in AT_K.values():
        a, b = fn(ranked, relevant, k), fn(shuffled, relevant, k)
        assert (math.isnan(a) and math.isnan(b)) or a == b


@FAST
@given(user_case())
def test_precision_does_not_rise_past_the_hits(case):
    # the ANCHORS bug: precision dividing by the number of test items rises with k
    _, ranked, relevant, k = case
    for longer in range(k + 1, k + 5):
        if not np.isin(ranked[k:longer], relevant).any():  # no new hits between k and longer
            assert M.precision(ranked, relevant, longer) <= M.precision(ranked, relevant, k)
    if len(ranked) < k:  # a short list keeps dividing by k
        hits = np.isin(ranked, relevant).sum()
        assert M.precision(ranked, relevant, k) == approx(hits / k)


@FAST
@given(user_case())
def test_auc_full_ranking_matches_scores(case):
    n, ranked, relevant, _ = case
    full = np.concatenate([ranked, np.setdiff1d(np.arange(n), ranked)])
    scores = np.empty(n)
    scores[full] = -np.arange(n, dtype=float)
    a, b = M.auc_from_ranking(full, relevant, n), M.auc_from_scores(scores, relevant)
    assert (math.isnan(a) and math.isnan(b)) or a == approx(b)


@BATCH
@given(many_users())
def test_batch_path_agrees_with_one_user_functions(data):
    n_items, lists, relevant, k = data
    res = evaluate_ranked(lists, relevant, _names(k), n_items=n_items)
    for name, fn in AT_K.items():
        expected = [fn(r, rel, k) for r, rel in zip(lists, relevant, strict=True)]
        assert res.per_user[f"{name}@{k}"].to_numpy() == approx(expected, nan_ok=True)
    auc = [M.auc_from_ranking(r, rel, n_items) for r, rel in zip(lists, relevant, strict=True)]
    assert res.per_user["auc"].to_numpy() == approx(auc, nan_ok=True)


@BATCH
@given(many_users())
def test_beyond_accuracy_batch_agrees(data):
    n_items, lists, relevant, k = data
    rng = np.random.default_rng(n_items)
    pop = rng.integers(0, 10, n_items)
    vectors = (rng.random((n_items, 4)) < 0.5).astype(float)
    res = evaluate_ranked(
        lists,
        relevant,
        [f"ild@{k}", f"novelty@{k}", f"arp@{k}", f"coverage@{k}", f"gini@{k}"],
        n_items=n_items,
        item_popularity=pop,
        n_train_users=12,
        item_vectors=vectors,
    )
    assert res.per_user[f"ild@{k}"].to_numpy() == approx(
        [M.ild(r, vectors, k) for r in lists], nan_ok=True
    )
    assert res.per_user[f"novelty@{k}"].to_numpy() == approx(
        [M.novelty(r, pop, 12, k) if len(r) else np.nan for r in lists], nan_ok=True
    )
    assert res.per_user[f"arp@{k}"].to_numpy() == approx(
        [M.arp(r, pop, k) for r in lists], nan_ok=True
    )
    assert res.summary[f"coverage@{k}"] == approx(M.coverage(lists, n_items, k))
    gini = M.gini(lists, n_items, k)
    assert (math.isnan(gini) and math.isnan(res.summary[f"gini@{k}"])) or res.summary[
        f"gini@{k}"
    ] == approx(gini)


@BATCH
@given(many_users(), st.randoms(use_true_random=False))
def test_user_order_does_not_change_the_aggregate(data, rnd):
    n_items, lists, relevant, k = data
    order = list(range(len(lists)))
    rnd.shuffle(order)
    names = [*_names(k), f"coverage@{k}", f"gini@{k}"]
    a = evaluate_ranked(lists, relevant, names, n_items=n_items).summary
    b = evaluate_ranked(
        [lists[i] for i in order], [relevant[i] for i in order], names, n_items=n_items
    ).summary
    assert a == approx(b, nan_ok=True)


@BATCH
@given(many_users(), st.integers(1, 5))
def test_batch_size_does_not_change_per_user_values(data, batch):
    n_items, lists, relevant, k = data
    names = _names(k)
    whole = evaluate_ranked(lists, relevant, names, n_items=n_items).per_user
    parts = [
        evaluate_ranked(
            lists[i : i + batch], relevant[i : i + batch], names, n_items=n_items
        ).per_user
        for i in range(0, len(lists), batch)
    ]
    chunked = np.concatenate([p[names].to_numpy() for p in parts])
    assert chunked == approx(whole[names].to_numpy(), nan_ok=True)


@BATCH
@given(many_users(), st.integers(0, 2**32 - 1))
def test_every_registered_metric_batch_equals_per_user(data, seed):
    # the registry's contract: each entry's batch function agrees with its per-user one
    n_items, lists, relevant, k = data
    rng = np.random.default_rng(seed)
    pop = rng.integers(0, 10, n_items)
    vectors = (rng.random((n_items, 4)) < 0.5).astype(float)
    pred = [rng.normal(3, 1, len(rel)) for rel in relevant]
    true = [rng.normal(3, 1, len(rel)) for rel in relevant]
    shared = {
        "k": k,
        "lists": lists,
        "n_items": n_items,
        "n_candidates": n_items,
        "item_vectors": vectors,
        "item_popularity": pop,
        "n_users": 12,
    }
    for name, metric in METRICS.items():
        label = f"{name}@{k}" if metric.takes_k else name
        res = evaluate_ranked(
            lists,
            relevant,
            [label],
            n_items=n_items,
            item_popularity=pop,
            n_train_users=12,
            item_vectors=vectors,
            ratings=(pred, true),
        )
        if metric.kind == "global":
            expected = metric.reference(**shared)
            assert res.summary[label] == approx(expected, nan_ok=True), label
            continue
        expected = [
            metric.reference(ranked=r, ranked_full=r, relevant=rel, pred=p, true=t, **shared)
            for r, rel, p, t in zip(lists, relevant, pred, true, strict=True)
        ]
        assert res.per_user[label].to_numpy() == approx(expected, nan_ok=True), label
        if metric.kind == "rating":  # pooled over every pair, not averaged over users
            pooled = metric.reference(pred=np.concatenate(pred), true=np.concatenate(true))
            assert res.summary[label] == approx(pooled), label
        if metric.from_scores is not None:  # the scores path agrees on a full ranking
            for r, rel in zip(lists, relevant, strict=True):
                full = np.concatenate([r, np.setdiff1d(np.arange(n_items), r)])
                scores = np.empty(n_items)
                scores[full] = -np.arange(n_items, dtype=float)
                by_ranking = metric.reference(ranked_full=full, relevant=rel, **shared)
                by_scores = metric.from_scores(scores, rel)
                assert by_scores == approx(by_ranking, nan_ok=True), label
