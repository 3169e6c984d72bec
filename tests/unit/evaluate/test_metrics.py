"""Every metric of one ranked list against a hand computation (arithmetic in the test)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from pytest import approx

from tastemaker.errors import ParameterError
from tastemaker.evaluate.metrics import (
    METRIC_NAMES,
    MetricSpec,
    arp,
    auc_from_ranking,
    auc_from_scores,
    average_precision,
    coverage,
    gini,
    hit,
    ild,
    mae,
    ndcg,
    novelty,
    parse_metric,
    parse_metrics,
    precision,
    recall,
    recall_capped,
    reciprocal_rank,
    rmse,
)

LOG2_3 = np.log2(3)


class TestPrecision:
    def test_hits_over_k(self):
        # top-3 of [0, 9, 1] holds 0 and 1: 2 hits / 3 slots
        assert precision([0, 9, 1], [0, 1], 3) == approx(2 / 3)

    def test_divides_by_k_not_by_relevant(self):
        # one relevant item, found at rank 1: 1 / 10, not 1 / 1
        assert precision([5, 0, 1, 2, 3, 4, 6, 7, 8, 9], [5], 10) == approx(0.1)

    def test_short_list_still_divides_by_k(self):
        # 2 items listed, 1 hit, k=5: 1 / 5 (the missing slots are misses)
        assert precision([0, 9], [0, 1], 5) == approx(0.2)

    def test_only_top_k_counts(self):
        # hit at rank 3 is outside the top 2: 0 / 2
        assert precision([8, 9, 1], [1], 2) == 0.0


class TestRecall:
    def test_divides_by_all_relevant(self):
        # 1 of the 3 relevant items in the top 2: 1 / 3
        assert recall([0, 9, 1], [0, 1, 4], 2) == approx(1 / 3)

    def test_capped_divides_by_min_k_relevant(self):
        # same list: 1 hit / min(2, 3) = 1 / 2
        assert recall_capped([0, 9, 1], [0, 1, 4], 2) == approx(1 / 2)

    def test_capped_equals_recall_when_few_relevant(self):
        # |relevant| = 2 <= k = 3: both 2 / 2
        assert recall_capped([0, 9, 1], [0, 1], 3) == recall([0, 9, 1], [0, 1], 3) == 1.0

    def test_relevant_is_a_set(self):
        assert recall([0, 9, 1], [1, 0, 1, 0], 3) == 1.0

    def test_no_relevant_items_is_nan(self):
        assert math.isnan(recall([0, 1], [], 2))
        assert math.isnan(recall_capped([0, 1], [], 2))


class TestNDCG:
    def test_style_guide_example(self):
        # DCG = 1/log2(2) + 1/log2(4) = 1 + 0.5; IDCG = 1/log2(2) + 1/log2(3)
        assert ndcg([0, 9, 1], relevant=[0, 1], k=3) == approx(1.5 / (1 + 1 / np.log2(3)))

    def test_ideal_is_not_the_retrieved_hits(self):
        # one hit at rank 2: DCG = 1/log2(3); the ideal puts both relevant items first:
        # IDCG = 1 + 1/log2(3); a truncated ideal (only the retrieved hit) would give 1
        assert ndcg([9, 0], [0, 1], 2) == approx((1 / LOG2_3) / (1 + 1 / LOG2_3))

    def test_ideal_uses_min_k_relevant(self):
        # 3 relevant, k=2, both slots hits: DCG = IDCG = 1 + 1/log2(3) -> 1
        assert ndcg([0, 1, 9], [0, 1, 2], 2) == approx(1.0)

    def test_short_list_keeps_full_ideal(self):
        # list of 1 with k=5: DCG = 1, IDCG over min(5, 2) = 2 slots = 1 + 1/log2(3)
        assert ndcg([0], [0, 1], 5) == approx(1 / (1 + 1 / LOG2_3))

    def test_no_hit_is_zero(self):
        assert ndcg([7, 8, 9], [0], 3) == 0.0


class TestAveragePrecision:
    def test_hand_example(self):
        # hits at ranks 1 and 3: P@1 = 1, P@3 = 2/3; sum 5/3 over min(3, 2) = 2 -> 5/6
        assert average_precision([0, 9, 1], [0, 1], 3) == approx(5 / 6)

    def test_truncated_at_k(self):
        # k=2: only the hit at rank 1 (P@1 = 1); 1 / min(2, 2) -> 1/2
        assert average_precision([0, 9, 1], [0, 1], 2) == approx(1 / 2)

    def test_denominator_is_min_k_relevant(self):
        # 5 relevant, k=3: (1 + 2/3) / min(3, 5) = 5/9
        assert average_precision([0, 9, 1], [0, 1, 2, 3, 4], 3) == approx(5 / 9)


class TestReciprocalRankAndHit:
    def test_first_hit_rank(self):
        # first relevant item at rank 3 -> 1/3
        assert reciprocal_rank([9, 8, 1, 0], [1, 0], 3) == approx(1 / 3)
        assert hit([9, 8, 1, 0], [1, 0], 3) == 1.0

    def test_outside_k_is_zero(self):
        assert reciprocal_rank([9, 8, 1], [1], 2) == 0.0
        assert hit([9, 8, 1], [1], 2) == 0.0

    def test_no_relevant_scores_zero(self):
        assert reciprocal_rank([1, 2], [], 2) == 0.0
        assert precision([1, 2], [], 2) == 0.0


class TestAUC:
    def test_full_ranking(self):
        # candidates 0..4, relevant {0, 2}, negatives {1, 3, 4}:
        # item 0 above 3 negatives, item 2 above 2 (3, 4): (3 + 2) / (2 * 3) = 5/6
        assert auc_from_ranking([0, 1, 2, 3, 4], [0, 2], 5) == approx(5 / 6)

    def test_truncated_list_ties_missing_items_at_the_bottom(self):
        # list [0, 1] of 5 candidates: item 0 above all 3 negatives -> 3;
        # item 2 is unlisted: below listed negative 1 (0) and tied with 3, 4 (0.5 each) -> 1
        # (3 + 1) / 6 = 2/3
        assert auc_from_ranking([0, 1], [0, 2], 5) == approx(2 / 3)

    def test_empty_list_is_one_half(self):
        # everything tied: each pair counts 1/2
        assert auc_from_ranking([], [0], 4) == approx(0.5)

    def test_scores(self):
        # scores order the items 0 > 1 > 2 > 3 > 4: same as the full ranking above
        assert auc_from_scores([5, 4, 3, 2, 1], [0, 2]) == approx(5 / 6)

    def test_scores_ties_count_half(self):
        # item 0 ties with 1 (1/2) and beats 2 (1): 1.5 / 2
        assert auc_from_scores([1.0, 1.0, 0.0], [0]) == approx(0.75)

    def test_scores_minus_inf_ties(self):
        # relevant item 0 at -inf ties with item 2 (1/2), loses to item 1: 0.5 / 2
        assert auc_from_scores([-np.inf, 1.0, -np.inf], [0]) == approx(0.25)

    def test_candidates_mask_drops_seen_items(self):
        # without item 1, negatives are {3, 4}: items 0 and 2 beat both -> 4 / 4
        mask = np.array([True, False, True, True, True])
        assert auc_from_scores([5, 4, 3, 2, 1], [0, 2], mask) == approx(1.0)

    def test_scores_and_ranking_agree(self):
        scores = np.random.default_rng(3).random(12)
        rel = [1, 4, 7]
        ranking = np.argsort(-scores)
        assert auc_from_scores(scores, rel) == approx(auc_from_ranking(ranking, rel, 12))

    def test_undefined_without_negatives(self):
        assert math.isnan(auc_from_ranking([0, 1], [0, 1], 2))
        assert math.isnan(auc_from_scores([1.0, 2.0], []))

    def test_too_few_candidates(self):
        with pytest.raises(ParameterError, match="n_candidates"):
            auc_from_ranking([0, 1, 2], [5], 2)

    def test_relevant_outside_the_candidates_is_added(self):
        # 3 candidates all listed, relevant item 5 was not a candidate (seen before):
        # it joins as an unranked 4th candidate, below all 3 negatives -> 0 / 3
        assert auc_from_ranking([0, 1, 2], [5], 3) == 0.0
        # relevant 0 listed first, relevant 5 unranked: (3 + 0) / (2 * 3)
        assert auc_from_ranking([0, 1, 2, 3], [0, 5], 4) == approx(0.5)

    def test_nan_scores_rejected(self):
        with pytest.raises(ParameterError, match="NaN"):
            auc_from_scores([np.nan, 1.0], [0])


class TestRating:
    def test_rmse(self):
        # errors 0, 0, -2: sqrt((0 + 0 + 4) / 3)
        assert rmse([1, 2, 3], [1, 2, 5]) == approx(np.sqrt(4 / 3))

    def test_mae(self):
        # |errors| 0, 0, 2: 2 / 3
        assert mae([1, 2, 3], [1, 2, 5]) == approx(2 / 3)

    def test_length_mismatch(self):
        with pytest.raises(ParameterError, match="pred has 2"):
            rmse([1, 2], [1, 2, 3])

    def test_empty_is_nan(self):
        assert math.isnan(mae([], []))


class TestBeyondAccuracy:
    def test_coverage(self):
        # top-2 lists {0, 1} and {1, 3}: 3 distinct items of 10
        assert coverage([[0, 1, 2], [1, 3]], n_items=10, k=2) == approx(0.3)

    def test_gini_concentrated(self):
        # counts [2, 0] sorted [0, 2]: ((2*1-3)*0 + (2*2-3)*2) / (2 * 2) = 1/2 = (n-1)/n
        assert gini([[0], [0]], n_items=2, k=1) == approx(0.5)

    def test_gini_equal(self):
        # counts [1, 1]: (-1*1 + 1*1) / (2 * 2) = 0
        assert gini([[0], [1]], n_items=2, k=1) == approx(0.0)

    def test_gini_hand_example(self):
        # lists {1, 2} and {2}: counts [0, 1, 2]; sum (2i-4) c_i = -2*0 + 0*1 + 2*2 = 4;
        # 4 / (3 * 3) = 4/9
        assert gini([[1, 2], [2]], n_items=3, k=2) == approx(4 / 9)

    def test_ild(self):
        vectors = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float)
        # item 3 (zero vector) is left out; pairs (0,1): 1 - 0, (0,2) and (1,2): 1 - 1/sqrt2
        expected = (1 + 2 * (1 - 1 / np.sqrt(2))) / 3
        assert ild([0, 1, 2, 3], vectors, k=4) == approx(expected)
        assert ild([0, 1, 2, 3], sp.csr_array(vectors), k=4) == approx(expected)

    def test_ild_truncates_at_k(self):
        vectors = np.array([[1, 0], [0, 1], [1, 1]], dtype=float)
        # top-2 = items 0 and 1, orthogonal: 1 - 0
        assert ild([0, 1, 2], vectors, k=2) == approx(1.0)

    def test_ild_needs_two_items(self):
        assert math.isnan(ild([0], np.eye(3), k=5))

    def test_novelty(self):
        pop = np.array([10, 5, 0])
        # -log2(10/20) = 1, -log2(5/20) = 2, pop 0 -> 1: -log2(1/20) = log2(20)
        assert novelty([0, 1, 2], pop, n_users=20, k=3) == approx((1 + 2 + np.log2(20)) / 3)

    def test_arp(self):
        # (10 + 5 + 0) / 3
        assert arp([0, 1, 2], np.array([10, 5, 0]), k=3) == approx(5.0)
        assert arp([0, 1, 2], np.array([10, 5, 0]), k=1) == approx(10.0)

    def test_empty_list_is_nan(self):
        assert math.isnan(arp([], np.array([1, 2]), k=3))
        assert math.isnan(novelty([], np.array([1, 2]), n_users=3, k=3))


class TestInputChecks:
    @pytest.mark.parametrize("k", [0, -1, 1.5, True])
    def test_bad_k(self, k):
        # the one wording of the validation layer
        with pytest.raises(ParameterError, match='precision: parameter "k" must be an int >= 1'):
            precision([0, 1], [0], k)

    def test_repeated_item(self):
        with pytest.raises(ParameterError, match="repeats item 1"):
            ndcg([1, 2, 1], [1], 3)

    def test_non_integer_items(self):
        with pytest.raises(ParameterError, match="integer item positions"):
            hit(["a", "b"], [0], 2)


class TestParseMetric:
    @pytest.mark.parametrize(
        ("name", "spec"),
        [
            ("ndcg@10", MetricSpec("ndcg", 10, "ranking")),
            (" NDCG@10 ", MetricSpec("ndcg", 10, "ranking")),
            ("auc", MetricSpec("auc", None, "ranking")),
            ("rmse", MetricSpec("rmse", None, "rating")),
            ("coverage@20", MetricSpec("coverage", 20, "global")),
            ("gini@5", MetricSpec("gini", 5, "global")),
            ("ild@10", MetricSpec("ild", 10, "beyond")),
            ("novelty@10", MetricSpec("novelty", 10, "beyond")),
            ("recall_capped@20", MetricSpec("recall_capped", 20, "ranking")),
            ("ndcg@10[sampled-100]", MetricSpec("ndcg", 10, "ranking", 100)),
            ("auc[sampled-50]", MetricSpec("auc", None, "ranking", 50)),
        ],
    )
    def test_parses(self, name, spec):
        assert parse_metric(name) == spec

    def test_labels_round_trip(self):
        for name in ["ndcg@10", "auc", "hit@5[sampled-100]", "gini@3"]:
            assert parse_metric(name).label == name

    def test_every_design_name_parses(self):
        for name in METRIC_NAMES:
            assert parse_metric(name.replace("@k", "@7")).name == name.split("@")[0]

    def test_unknown_suggests_closest(self):
        with pytest.raises(
            ParameterError, match=r"unknown metric 'ndgc@10'; did you mean 'ndcg@10'"
        ):
            parse_metric("ndgc@10")

    def test_alias_suggestion(self):
        with pytest.raises(ParameterError, match="did you mean 'hit@10'"):
            parse_metric("hr@10")

    def test_k_zero(self):
        with pytest.raises(ParameterError, match="k must be ≥ 1, got 0 in 'ndcg@0'"):
            parse_metric("ndcg@0")

    def test_missing_k(self):
        with pytest.raises(ParameterError, match="needs a list length"):
            parse_metric("recall")

    def test_extra_k(self):
        with pytest.raises(ParameterError, match="takes no @k"):
            parse_metric("auc@10")

    def test_sampled_only_for_accuracy(self):
        with pytest.raises(ParameterError, match="sampled variants"):
            parse_metric("coverage@10[sampled-100]")

    def test_unreadable(self):
        with pytest.raises(ParameterError, match="cannot read metric name"):
            parse_metric("ndcg@ten")

    def test_parse_metrics_splits_and_dedupes(self):
        specs = parse_metrics(["ndcg@10,recall@20", "ndcg@10"])
        assert [s.label for s in specs] == ["ndcg@10", "recall@20"]

    def test_parse_metrics_empty(self):
        with pytest.raises(ParameterError, match="no metrics"):
            parse_metrics("")
