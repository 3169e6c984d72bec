"""Bootstrap intervals and paired tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pytest import approx
from scipy import stats as sps

from tastemaker.errors import DataError, ParameterError
from tastemaker.evaluate.stats import PairedTestResult, bootstrap_ci, paired_test

METHODS = ["t", "wilcoxon", "permutation", "bootstrap"]


class TestBootstrapCI:
    def test_contains_the_mean(self):
        values = np.random.default_rng(0).random(200)
        low, high = bootstrap_ci(values)
        assert low < values.mean() < high

    def test_narrows_with_more_users(self):
        rng = np.random.default_rng(1)
        few = rng.random(50)
        many = rng.random(5000)
        low_f, high_f = bootstrap_ci(few, n_boot=500)
        low_m, high_m = bootstrap_ci(many, n_boot=500)
        assert high_m - low_m < (high_f - low_f) / 4  # width ~ 1/sqrt(n): 10x more users

    def test_seeded(self):
        values = np.random.default_rng(2).random(30)
        assert bootstrap_ci(values, random_state=7) == bootstrap_ci(values, random_state=7)
        assert bootstrap_ci(values, random_state=7) != bootstrap_ci(values, random_state=8)

    def test_confidence_widens(self):
        values = np.random.default_rng(3).random(100)
        l90, h90 = bootstrap_ci(values, confidence=0.90)
        l99, h99 = bootstrap_ci(values, confidence=0.99)
        assert l99 <= l90 and h90 <= h99

    def test_nan_dropped_and_edge_sizes(self):
        assert bootstrap_ci([0.5, np.nan]) == (0.5, 0.5)
        low, high = bootstrap_ci([np.nan])
        assert math.isnan(low) and math.isnan(high)

    def test_other_statistics(self):
        values = np.random.default_rng(4).random(101)
        vectorised = bootstrap_ci(values, statistic=np.median)
        looped = bootstrap_ci(values, statistic=lambda x: float(np.median(x)))
        assert vectorised == approx(looped)
        assert vectorised[0] < np.median(values) < vectorised[1]

    def test_bad_parameters(self):
        with pytest.raises(ParameterError, match="n_boot"):
            bootstrap_ci([1.0, 2.0], n_boot=0)
        with pytest.raises(ParameterError, match="confidence"):
            bootstrap_ci([1.0, 2.0], confidence=95)


class TestPairedTest:
    @pytest.mark.parametrize("method", METHODS)
    def test_detects_a_real_difference(self, method):
        rng = np.random.default_rng(5)
        b = rng.random(200)
        a = b + 0.05 + rng.normal(0, 0.05, 200)
        res = paired_test(a, b, method, n_resamples=2000)
        assert isinstance(res, PairedTestResult)
        assert res.p_value < 0.001
        assert res.mean_diff == approx(np.mean(a - b))
        assert 0 < res.ci_low < res.mean_diff < res.ci_high
        assert res.n == 200 and res.method == method

    def test_t_matches_scipy(self):
        rng = np.random.default_rng(10)
        a, b = rng.random(25), rng.random(25)
        res = paired_test(a, b, "t")
        assert res.p_value == approx(sps.ttest_rel(a, b).pvalue)
        half = sps.t.ppf(0.975, 24) * np.std(a - b, ddof=1) / 5
        assert (res.ci_low, res.ci_high) == approx((res.mean_diff - half, res.mean_diff + half))

    @pytest.mark.parametrize("method", METHODS)
    def test_identical_inputs(self, method):
        a = np.random.default_rng(6).random(50)
        res = paired_test(a, a.copy(), method)
        assert res.mean_diff == 0.0
        assert res.p_value == 1.0

    @pytest.mark.parametrize("method", METHODS)
    def test_no_difference_gives_large_p(self, method):
        rng = np.random.default_rng(7)
        a, b = rng.random(100), rng.random(100)
        # same distribution; this seed's t-test p is far from significance
        assert paired_test(a, b, method, n_resamples=2000).p_value > 0.2

    def test_null_p_values_are_roughly_uniform(self):
        rng = np.random.default_rng(8)
        p = np.array([paired_test(rng.random(30), rng.random(30)).p_value for _ in range(300)])
        # under the null about 5% fall below 0.05 and half below 0.5
        assert 0.01 < np.mean(p < 0.05) < 0.10
        assert 0.40 < np.mean(p < 0.5) < 0.60

    def test_series_are_aligned_by_user(self):
        rng = np.random.default_rng(9)
        users = [f"u{i}" for i in range(40)]
        a = pd.Series(rng.random(40) + 0.1, index=users)
        b = pd.Series(rng.random(40), index=users)
        aligned = paired_test(a, b)
        shuffled = paired_test(a, b.sample(frac=1.0, random_state=1))
        assert shuffled == aligned

    def test_mismatched_users(self):
        a = pd.Series([0.1, 0.2], index=["u1", "u2"])
        b = pd.Series([0.1, 0.2], index=["u1", "u3"])
        with pytest.raises(DataError, match="different users"):
            paired_test(a, b)
        with pytest.raises(DataError, match="both as arrays"):
            paired_test(a, b.to_numpy())
        with pytest.raises(DataError, match="a has 2 values but b has 3"):
            paired_test([1.0, 2.0], [1.0, 2.0, 3.0])

    def test_duplicate_users(self):
        a = pd.Series([0.1, 0.2], index=["u1", "u1"])
        with pytest.raises(DataError, match="more than once"):
            paired_test(a, a)

    def test_nan_pairs_dropped(self):
        res = paired_test([1.0, 2.0, np.nan, 4.0], [0.0, 1.0, 3.0, 2.0])
        assert res.n == 3
        assert res.mean_diff == approx((1 + 1 + 2) / 3)

    def test_too_few_users(self):
        res = paired_test([1.0], [0.0])
        assert res.n == 1 and math.isnan(res.p_value)

    def test_unknown_method(self):
        with pytest.raises(ParameterError, match="method"):
            paired_test([1.0, 2.0], [1.0, 2.0], "anova")


class TestScipyAgreement:
    def test_bootstrap_ci_is_scipy_percentile_bootstrap(self):
        values = np.random.default_rng(11).random(300)
        ours = bootstrap_ci(values, n_boot=400, confidence=0.9, random_state=5)
        ref = sps.bootstrap(
            (values,),
            np.mean,
            n_resamples=400,
            confidence_level=0.9,
            method="percentile",
            rng=np.random.default_rng(5),
        ).confidence_interval
        assert ours == approx((ref.low, ref.high), rel=1e-12)

    def test_batches_do_not_change_the_interval(self, monkeypatch):
        # memory-bounded batches draw the same resamples as one batch
        from tastemaker.evaluate import stats

        values = np.random.default_rng(12).random(500)
        whole = bootstrap_ci(values, n_boot=300, random_state=2)
        monkeypatch.setattr(stats, "_MAX_BLOCK", 500 * 7)  # 7 resamples per batch
        assert bootstrap_ci(values, n_boot=300, random_state=2) == approx(whole, rel=1e-12)

    def test_t_interval_is_ttest_rel(self):
        rng = np.random.default_rng(13)
        a, b = rng.random(40), rng.random(40)
        ref = sps.ttest_rel(a, b)
        res = paired_test(a, b, "t", confidence=0.9)
        assert (res.ci_low, res.ci_high) == approx(tuple(ref.confidence_interval(0.9)))
        assert res.p_value == approx(ref.pvalue)

    def test_permutation_exact_for_few_users(self):
        a = np.array([0.9, 0.8, 0.75, 0.3, 0.6, 0.5])
        b = np.array([0.5, 0.7, 0.70, 0.4, 0.2, 0.5])
        exact = sps.permutation_test(
            (a - b,), np.mean, permutation_type="samples", n_resamples=np.inf
        )
        # 2**6 = 64 sign patterns <= 10,000 resamples: enumerated, no randomness
        assert paired_test(a, b, "permutation").p_value == approx(exact.pvalue)
        assert paired_test(a, b, "permutation", random_state=9).p_value == approx(exact.pvalue)

    def test_permutation_monte_carlo_agrees_with_scipy(self):
        rng = np.random.default_rng(14)
        b = rng.random(60)
        a = b + 0.03 + rng.normal(0, 0.15, 60)
        ours = paired_test(a, b, "permutation", n_resamples=20_000).p_value
        ref = sps.permutation_test(
            (a - b,),
            np.mean,
            permutation_type="samples",
            n_resamples=20_000,
            rng=np.random.default_rng(0),
        ).pvalue
        assert ours == approx(ref, abs=0.02)  # Monte Carlo error of 20,000 resamples

    def test_bootstrap_p_value_from_the_interval_resamples(self):
        rng = np.random.default_rng(15)
        b = rng.random(80)
        a = b + rng.normal(0.02, 0.1, 80)
        res = paired_test(a, b, "bootstrap", n_resamples=3000, random_state=4)
        boot = sps.bootstrap(
            (a - b,),
            np.mean,
            n_resamples=3000,
            method="percentile",
            rng=np.random.default_rng(4),
        )
        dist = boot.bootstrap_distribution - np.mean(a - b)
        expected = (np.sum(np.abs(dist) >= abs(np.mean(a - b)) - 1e-12) + 1) / 3001
        assert res.p_value == approx(expected)
        assert (res.ci_low, res.ci_high) == approx(
            (boot.confidence_interval.low, boot.confidence_interval.high)
        )

    def test_parameter_wording(self):
        with pytest.raises(ParameterError, match='bootstrap_ci: parameter "n_boot" must be'):
            bootstrap_ci([1.0, 2.0], n_boot=0)
        with pytest.raises(ParameterError, match='paired_test: parameter "method" must be one'):
            paired_test([1.0, 2.0], [1.0, 2.0], "anova")
