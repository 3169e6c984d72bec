"""The batch evaluation path: evaluate_ranked and evaluate_recommendations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from pytest import approx

from tastemaker.errors import DataError, ParameterError
from tastemaker.evaluate import (
    EvaluationResult,
    Ragged,
    evaluate_ranked,
    evaluate_recommendations,
)
from tastemaker.evaluate import metrics as M

ACCURACY = ["precision@3", "recall@3", "ndcg@3", "map@3", "mrr@3", "hit@3", "recall_capped@2"]
ONE_USER = {
    "precision": M.precision,
    "recall": M.recall,
    "recall_capped": M.recall_capped,
    "ndcg": M.ndcg,
    "map": M.average_precision,
    "mrr": M.reciprocal_rank,
    "hit": M.hit,
}


@pytest.fixture
def small():
    lists = [[0, 9, 1], [3, 2], [], [4, 5, 6, 7]]
    relevant = [[0, 1], [2], [8], [7, 0, 1]]
    return lists, relevant


class TestEvaluateRanked:
    def test_hand_values(self, small):
        lists, relevant = small
        res = evaluate_ranked(lists, relevant, ["ndcg@3", "precision@3"], n_items=10)
        # user 0: style-guide example; user 1: hit at rank 2 of 1 relevant -> (1/log2 3) / 1
        # user 2: no list -> 0; user 3: hit at rank 4, outside k=3 -> 0
        expected = [1.5 / (1 + 1 / np.log2(3)), 1 / np.log2(3), 0.0, 0.0]
        assert res.per_user["ndcg@3"].tolist() == approx(expected)
        # precision: 2/3, 1/3, 0, 0 -> mean 1/4
        assert res.summary["precision@3"] == approx(0.25)
        assert res.n_users == 4
        assert res.info["n_users_without_list"] == 1

    def test_agrees_with_one_user_functions(self, small):
        lists, relevant = small
        res = evaluate_ranked(lists, relevant, [*ACCURACY, "auc"], n_items=10)
        for label in ACCURACY:
            spec = M.parse_metric(label)
            fn = ONE_USER[spec.name]
            expected = [fn(r, rel, spec.k) for r, rel in zip(lists, relevant, strict=True)]
            assert res.per_user[label].tolist() == approx(expected), label
        auc = [M.auc_from_ranking(r, rel, 10) for r, rel in zip(lists, relevant, strict=True)]
        assert res.per_user["auc"].tolist() == approx(auc)

    def test_input_forms_agree(self, small):
        lists, relevant = small
        metrics = ["ndcg@3", "map@3", "auc"]
        base = evaluate_ranked(lists, relevant, metrics, n_items=10).summary
        padded = np.full((4, 4), -1)
        for u, r in enumerate(lists):
            padded[u, : len(r)] = r
        rows = [u for u, rel in enumerate(relevant) for _ in rel]
        cols = [i for rel in relevant for i in rel]
        rel_matrix = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(4, 10))
        as_padded = evaluate_ranked(padded, rel_matrix, metrics, n_items=10).summary
        as_ragged = evaluate_ranked(
            Ragged.from_lists(lists), Ragged.from_lists(relevant), metrics, n_items=10
        ).summary
        as_mapping = evaluate_ranked(
            {f"u{u}": r for u, r in enumerate(lists) if r},
            {f"u{u}": rel for u, rel in enumerate(relevant)},
            metrics,
            n_items=10,
        )
        for other in (as_padded, as_ragged, as_mapping.summary):
            assert other == approx(base)
        assert as_mapping.per_user["user"].tolist() == ["u0", "u1", "u2", "u3"]

    def test_mapping_extra_users_are_ignored_and_counted(self):
        res = evaluate_ranked({"a": [0], "zzz": [1]}, {"a": [0]}, ["hit@1"], n_items=2)
        assert res.summary["hit@1"] == 1.0
        assert res.info["n_ignored_users"] == 1

    def test_user_ids(self, small):
        lists, relevant = small
        res = evaluate_ranked(lists, relevant, "hit@3", n_items=10, users=["a", "b", "c", "d"])
        assert res.user_values("hit@3").to_dict() == {"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.0}

    def test_auc_uses_candidates(self):
        # full ranking of 5 candidates; with n_candidates=5 this is the 5/6 example
        res = evaluate_ranked([[0, 1, 2, 3, 4]], [[0, 2]], ["auc"], n_items=8, n_candidates=5)
        assert res.summary["auc"] == approx(5 / 6)

    def test_auc_relevant_outside_candidates(self):
        # the user saw item 4 (so it is not a candidate), yet it is a test item: the 4
        # candidates are all ranked; item 4 joins unranked, negatives are 1, 2, 3.
        # item 0 (rank 1) is above 3 negatives, item 4 above none: (3 + 0) / (2 * 3)
        res = evaluate_ranked(
            [[0, 1, 2, 3]], [[0, 4]], ["auc"], n_items=5, n_candidates=4, users=["u"]
        )
        assert res.summary["auc"] == approx(0.5)
        with pytest.raises(ParameterError, match="user 'u' has 3 candidate items"):
            evaluate_ranked(
                [[0, 1, 2, 3]], [[0, 4]], ["auc"], n_items=5, n_candidates=3, users=["u"]
            )

    def test_beyond_accuracy(self):
        lists = [[0, 1, 2, 3], [1, 2]]
        vectors = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float)
        pop = np.array([10, 5, 0, 2])
        res = evaluate_ranked(
            lists,
            [[0], [1]],
            ["ild@4", "novelty@3", "arp@2", "coverage@1", "gini@1"],
            n_items=4,
            item_popularity=pop,
            n_train_users=20,
            item_vectors=sp.csr_array(vectors),
        )
        assert res.per_user["ild@4"].tolist() == approx([M.ild(r, vectors, 4) for r in lists])
        assert res.per_user["novelty@3"].tolist() == approx(
            [M.novelty(r, pop, 20, 3) for r in lists]
        )
        # arp@2: (10 + 5) / 2 and (5 + 0) / 2
        assert res.per_user["arp@2"].tolist() == approx([7.5, 2.5])
        # top-1 items 0 and 1 of 4: coverage 2/4; counts [1, 1, 0, 0] -> gini
        assert res.summary["coverage@1"] == approx(0.5)
        assert res.summary["gini@1"] == approx(M.gini(lists, 4, 1))
        assert "coverage@1" not in res.per_user.columns

    def test_ild_nan_users_excluded_from_mean(self):
        vectors = np.eye(3)
        res = evaluate_ranked([[0, 1], [2]], [[0], [2]], ["ild@5"], n_items=3, item_vectors=vectors)
        assert math.isnan(res.per_user["ild@5"].iloc[1])
        assert res.summary["ild@5"] == approx(1.0)
        assert res.with_ci()["n_users"].tolist() == [1]

    def test_ratings(self):
        pred = [[1.0, 2.0], [3.0]]
        true = [[1.0, 3.0], [5.0]]
        res = evaluate_ranked(
            [[0], [1]], [[0], [1]], ["rmse", "mae"], n_items=2, ratings=(pred, true)
        )
        # pooled over the 3 pairs: errors 0, -1, -2
        assert res.summary["rmse"] == approx(np.sqrt(5 / 3))
        assert res.summary["mae"] == approx(1.0)
        # per user: sqrt(1/2) and 2
        assert res.per_user["rmse"].tolist() == approx([np.sqrt(0.5), 2.0])

    def test_sampled_labels(self):
        res = evaluate_ranked(
            [[0, 1]], [[1]], ["hit@1[sampled-5]", "auc[sampled-5]"], n_items=10, sampled=5
        )
        assert list(res.summary) == ["hit@1[sampled-5]", "auc[sampled-5]"]
        # 6 candidates (5 negatives + 1 relevant); relevant at rank 2: above 4 negatives of 5
        assert res.summary["auc[sampled-5]"] == approx(4 / 5)

    def test_sampled_label_mismatch(self):
        with pytest.raises(ParameterError, match=r"hit@1\[sampled-5\]"):
            evaluate_ranked([[0]], [[0]], ["hit@1"], n_items=3, sampled=5)
        with pytest.raises(ParameterError, match="rank every candidate"):
            evaluate_ranked([[0]], [[0]], ["hit@1[sampled-5]"], n_items=3)

    def test_errors(self, small):
        lists, relevant = small
        with pytest.raises(ParameterError, match="repeats item position 1"):
            evaluate_ranked([[1, 1]], [[1]], ["hit@2"], n_items=3, users=["u9"])
        with pytest.raises(ParameterError, match="outside 0..9"):
            evaluate_ranked([[10]], [[1]], ["hit@2"], n_items=10)
        with pytest.raises(ParameterError, match="no relevant items"):
            evaluate_ranked([[1]], [[]], ["hit@2"], n_items=3)
        with pytest.raises(ParameterError, match="needs the training data"):
            evaluate_ranked(lists, relevant, ["novelty@3"], n_items=10)
        with pytest.raises(ParameterError, match="needs item vectors"):
            evaluate_ranked(lists, relevant, ["ild@3"], n_items=10)
        with pytest.raises(ParameterError, match="lists has 1 users"):
            evaluate_ranked([[1]], relevant, ["hit@2"], n_items=10)
        with pytest.raises(ParameterError, match="pad"):
            evaluate_ranked(np.array([[1, -1, 2]]), [[1]], ["hit@2"], n_items=10)

    def test_fast_enough_for_a_thousand_users(self):
        # size check only (speed is measured in benchmarks/): 1,000 x 100 x 10 metrics
        rng = np.random.default_rng(0)
        lists = np.argsort(rng.random((1000, 500)), axis=1)[:, :100]
        relevant = [rng.choice(500, 5, replace=False) for _ in range(1000)]
        names = [
            "precision@10",
            "recall@10",
            "ndcg@10",
            "map@10",
            "mrr@10",
            "hit@10",
            "auc",
            "coverage@10",
            "gini@10",
            "ndcg@100",
        ]
        res = evaluate_ranked(lists, relevant, names, n_items=500)
        assert res.n_users == 1000
        assert 0.4 < res.summary["auc"] < 0.6


class TestWithCI:
    def test_tidy_frame(self, small):
        lists, relevant = small
        res = evaluate_ranked(lists, relevant, ["ndcg@3", "coverage@3"], n_items=10)
        frame = res.with_ci(n_boot=200, model="m")
        assert list(frame.columns) == ["model", "metric", "value", "ci_low", "ci_high", "n_users"]
        row = frame.set_index("metric").loc["ndcg@3"]
        assert row["ci_low"] <= row["value"] <= row["ci_high"]
        assert row["n_users"] == 4
        cov = frame.set_index("metric").loc["coverage@3"]
        assert math.isnan(cov["ci_low"]) and math.isnan(cov["ci_high"])

    def test_seeded(self, small):
        lists, relevant = small
        res = evaluate_ranked(lists, relevant, ["ndcg@3"], n_items=10)
        pd.testing.assert_frame_equal(res.with_ci(random_state=4), res.with_ci(random_state=4))

    def test_pooled_rating_ci(self):
        rng = np.random.default_rng(1)
        true = [rng.normal(3, 1, 5) for _ in range(40)]
        pred = [t + rng.normal(0, 0.5, 5) for t in true]
        res = evaluate_ranked([[0]] * 40, [[0]] * 40, ["rmse"], n_items=1, ratings=(pred, true))
        row = res.with_ci(n_boot=300).iloc[0]
        assert row["ci_low"] < row["value"] < row["ci_high"]

    def test_to_frame(self, small):
        lists, relevant = small
        res = evaluate_ranked(lists, relevant, ["hit@3"], n_items=10)
        frame = res.to_frame()
        assert frame["value"].tolist() == [0.5]
        assert res.to_dict() == {"hit@3": 0.5}


def _frames():
    recs = pd.DataFrame(
        {
            "user": ["u1", "u1", "u1", "u2", "u2", "u9"],
            "item": ["i3", "i1", "i7", "i2", "i5", "i1"],
            "rank": [2, 1, 3, 1, 2, 1],
        }
    )
    test = pd.DataFrame({"user": ["u1", "u2", "u3"], "item": ["i3", "i4", "i1"]})
    return recs, test


class TestEvaluateRecommendations:
    def test_contract(self):
        recs, test = _frames()
        res = evaluate_recommendations(recs, test, ["hit@2", "ndcg@2", "precision@2"])
        assert isinstance(res, EvaluationResult)
        per_user = res.per_user.set_index("user")
        # u1's list ordered by rank is [i1, i3, i7]: test item i3 at rank 2
        assert per_user.loc["u1", "ndcg@2"] == approx(1 / np.log2(3))
        # u2 misses; u3 has no list: scores 0 and is counted; u9 has no test items: ignored
        assert per_user.loc["u3", "hit@2"] == 0.0
        assert res.n_users == 3
        assert res.summary["hit@2"] == approx(1 / 3)
        assert res.info == {
            "n_users_without_list": 1,
            "n_ignored_users": 1,
            "n_ignored_rows": 1,
        }

    def test_scored_as_given_not_by_row_order(self):
        recs, test = _frames()
        shuffled = recs.sample(frac=1.0, random_state=3)
        a = evaluate_recommendations(recs, test, "ndcg@3,map@3")
        b = evaluate_recommendations(shuffled, test, "ndcg@3,map@3")
        assert a.summary == b.summary

    def test_unknown_items_are_valid_misses(self):
        recs = pd.DataFrame({"user": [1, 1], "item": [999, 5], "rank": [1, 2]})
        test = pd.DataFrame({"user": [1], "item": [5]})
        res = evaluate_recommendations(recs, test, ["mrr@2"])
        assert res.summary["mrr@2"] == approx(0.5)

    def test_int_and_string_ids_mix(self):
        # ids read from different files: "5" and 5 are the same item
        recs = pd.DataFrame({"user": ["1"], "item": ["5"], "rank": [1]})
        test = pd.DataFrame({"user": [1], "item": [5]})
        assert evaluate_recommendations(recs, test, "hit@1").summary["hit@1"] == 1.0

    def test_duplicate_item_names_user(self):
        recs = pd.DataFrame({"user": ["u1", "u1"], "item": ["i1", "i1"], "rank": [1, 2]})
        test = pd.DataFrame({"user": ["u1"], "item": ["i1"]})
        recs.attrs["source"] = "recs.csv"
        with pytest.raises(DataError, match="recs.csv: user 'u1' lists item 'i1' more than once"):
            evaluate_recommendations(recs, test, "hit@1")

    def test_duplicate_rank_names_user(self):
        recs = pd.DataFrame({"user": ["u1", "u1"], "item": ["i1", "i2"], "rank": [1, 1]})
        test = pd.DataFrame({"user": ["u1"], "item": ["i1"]})
        with pytest.raises(DataError, match="user 'u1' has rank 1 twice"):
            evaluate_recommendations(recs, test, "hit@1")

    def test_missing_columns(self):
        recs, test = _frames()
        recs = recs.drop(columns="rank")
        recs.attrs["source"] = "out/recs.csv"
        with pytest.raises(DataError, match=r"out/recs.csv: missing column\(s\) \['rank'\]"):
            evaluate_recommendations(recs, test, "hit@1")
        with pytest.raises(DataError, match=r"test: missing column\(s\) \['item'\]"):
            evaluate_recommendations(_frames()[0], test.drop(columns="item"), "hit@1")

    def test_bad_rank(self):
        recs, test = _frames()
        recs["rank"] = recs["rank"].astype(object)
        recs.loc[2, "rank"] = "first"
        with pytest.raises(DataError, match="row 2, column 'rank'"):
            evaluate_recommendations(recs, test, "hit@1")

    def test_beyond_accuracy_needs_train(self):
        recs, test = _frames()
        with pytest.raises(ParameterError, match="--train"):
            evaluate_recommendations(recs, test, ["novelty@2"])
        with pytest.raises(ParameterError, match="--items"):
            evaluate_recommendations(recs, test, ["ild@2"])

    def test_sampled_refused(self):
        recs, test = _frames()
        with pytest.raises(ParameterError, match="scored as given"):
            evaluate_recommendations(recs, test, ["hit@2[sampled-10]"])

    def test_with_train(self):
        recs, test = _frames()
        train = pd.DataFrame(
            {"user": ["u1", "u2", "u2", "u3", "u4"], "item": ["i1", "i1", "i6", "i2", "i1"]}
        )
        res = evaluate_recommendations(
            recs, test, ["coverage@1", "arp@2", "novelty@1", "gini@1", "auc"], train=train
        )
        # catalog: train {i1, i2, i6} + test {i1, i3, i4} + recs {i1, i2, i3, i5, i7}
        # = i1..i7, 7 items; top-1 of the test users: u1 -> i1, u2 -> i2
        assert res.summary["coverage@1"] == approx(2 / 7)
        per_user = res.per_user.set_index("user")
        # popularity (distinct train users): i1 3, i2 1, i3 0; u1 top-2 = i1, i3 -> 1.5
        assert per_user.loc["u1", "arp@2"] == approx(1.5)
        # novelty@1 of u2 (i2, pop 1 of 4 train users): -log2(1/4) = 2
        assert per_user.loc["u2", "novelty@1"] == approx(2.0)
        assert math.isnan(per_user.loc["u3", "arp@2"])  # no list
        # auc of u1: train items i1 (listed) stays a candidate -> 7 candidates, 6 negatives;
        # i3 at rank 2 is below i1 only: 5 / 6
        assert per_user.loc["u1", "auc"] == approx(5 / 6)
        # u2 saw i1 and i6, neither listed: 7 - 2 = 5 candidates, 4 negatives; its test
        # item i4 is unlisted: below listed i2, i5 (0), tied with unlisted i3, i7 -> 1 / 4
        assert per_user.loc["u2", "auc"] == approx(1 / 4)

    def test_ild_from_item_table(self):
        recs, test = _frames()
        items = pd.DataFrame(
            {
                "item": ["i1", "i3", "i7", "i2", "i5"],
                "genres": ["Action|Comedy", "Action", "Drama", "Drama", None],
            }
        )
        res = evaluate_recommendations(recs, test, ["ild@3"], item_features=items)
        per_user = res.per_user.set_index("user")
        # u1: i1 {A, C}, i3 {A}, i7 {D}: cos = 1/sqrt2, 0, 0 -> (1 - 1/sqrt2 + 1 + 1) / 3
        assert per_user.loc["u1", "ild@3"] == approx((3 - 1 / np.sqrt(2)) / 3)
        # u2: i2 {D}, i5 has no genres (left out): fewer than two items -> NaN
        assert math.isnan(per_user.loc["u2", "ild@3"])

    def test_rmse_from_predictions(self):
        recs = pd.DataFrame(
            {"user": [1, 1, 2], "item": [10, 11, 10], "rank": [1, 2, 1], "score": [4.0, 3.0, 2.0]}
        )
        test = pd.DataFrame({"user": [1, 2], "item": [11, 10], "rating": [5.0, 2.0]})
        res = evaluate_recommendations(recs, test, ["rmse", "mae"])
        # errors: 3 - 5 = -2, 2 - 2 = 0: rmse sqrt(4/2), mae 2/2
        assert res.summary["rmse"] == approx(np.sqrt(2))
        assert res.summary["mae"] == approx(1.0)

    def test_rmse_needs_every_prediction(self):
        recs = pd.DataFrame({"user": [1], "item": [10], "rank": [1], "score": [4.0]})
        test = pd.DataFrame({"user": [1, 1], "item": [10, 12], "rating": [5.0, 2.0]})
        with pytest.raises(DataError, match="none for 1 of 2 test pairs"):
            evaluate_recommendations(recs, test, ["rmse"])
