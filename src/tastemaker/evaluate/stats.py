"""Confidence intervals and paired significance tests over per-user metric values.

Built on ``scipy.stats`` (``bootstrap``, ``ttest_rel``, ``wilcoxon``,
``permutation_test``), in batches that bound memory on 100,000 users; every result is
reproducible from ``random_state``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from tastemaker._validation import Interval, Options, check
from tastemaker.errors import DataError

__all__ = ["PairedTestResult", "bootstrap_ci", "paired_test"]

PairedMethod = Literal["t", "wilcoxon", "permutation", "bootstrap"]

_MAX_BLOCK = 4_000_000  # resampled values held at once (32 MB of float64)


def _rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _check_common(owner: str, n_boot: int, confidence: float, what: str = "n_boot") -> None:
    check(owner, what, n_boot, Interval("int", 1))
    check(owner, "confidence", confidence, Interval("real", 0, 1, closed="neither"))


def _batch(n: int, copies: int = 1) -> int:
    """Resamples per block so that one block holds about _MAX_BLOCK values: scipy's
    resampling functions hold ``batch x n`` values (times ``copies``) at once, so this
    bounds memory on 100,000 users as the blocks of the former hand-written loop did."""
    return max(1, _MAX_BLOCK // max(n * copies, 1))


def _bootstrap(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., Any],
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
) -> Any:
    """``scipy.stats.bootstrap`` with percentile intervals, in memory-bounded batches;
    several samples are resampled together (the same users)."""
    from scipy import stats as sps

    return sps.bootstrap(
        samples,
        statistic,
        n_resamples=n_boot,
        batch=_batch(len(samples[0])),
        paired=len(samples) > 1,
        confidence_level=confidence,
        method="percentile",
        rng=rng,
    )


def _interval(result: Any) -> tuple[float, float]:
    ci = result.confidence_interval
    return float(ci.low), float(ci.high)


def bootstrap_ci(
    values: Any,
    n_boot: int = 1000,
    confidence: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
    statistic: Callable[..., Any] = np.mean,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of a statistic of per-user values.

    Users are resampled with replacement ``n_boot`` times; the interval is the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the statistic over
    the resamples (``scipy.stats.bootstrap`` with ``method="percentile"``, in batches
    that bound memory).

    Parameters
    ----------
    values : array-like of float, shape (n_users,)
        One value per user; NaN values (users for whom the metric is undefined) are
        dropped first.
    n_boot : int, default=1000
        Number of bootstrap resamples.
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).
    random_state : int, Generator or None, default=0
        Seed; the same seed gives the same interval.
    statistic : callable, default=np.mean
        Called as ``statistic(samples, axis=-1)`` on a batch of resamples when it takes
        ``axis``, else once per resample.

    Returns
    -------
    (low, high) : tuple of float
        ``(nan, nan)`` when no value is left; ``(v, v)`` for a single value.
    """
    _check_common("bootstrap_ci", n_boot, confidence)
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    arr = arr[~np.isnan(arr)]
    if len(arr) == 0:
        return float("nan"), float("nan")
    if len(arr) == 1:  # scipy needs two observations; every resample is this one value
        v = float(statistic(arr))
        return v, v
    return _interval(_bootstrap((arr,), statistic, n_boot, confidence, _rng(random_state)))


def _bootstrap_ratio_ci(
    numerator: np.ndarray,
    denominator: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
) -> tuple[float, float]:
    """Bootstrap over users of ``transform(sum(num) / sum(den))`` (pooled metrics, e.g.
    RMSE): each resample draws users and pools their numerators and denominators."""
    _check_common("bootstrap_ci", n_boot, confidence)
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    keep = den > 0
    num, den = num[keep], den[keep]
    if len(num) == 0:
        return float("nan"), float("nan")

    def pooled(n: np.ndarray, d: np.ndarray, axis: int = -1) -> np.ndarray:
        ratio = n.sum(axis=axis) / d.sum(axis=axis)
        return ratio if transform is None else transform(ratio)

    if len(num) == 1:
        v = float(pooled(num, den))
        return v, v
    return _interval(_bootstrap((num, den), pooled, n_boot, confidence, _rng(random_state)))


def _sign_flip_p_value(
    diff: np.ndarray, n_resamples: int, rng: np.random.Generator, tol: float
) -> float:
    """Two-sided p-value of the sign-flip permutation test of the mean difference.

    With ``2**n <= n_resamples`` the test is exact: ``scipy.stats.permutation_test``
    (``permutation_type="samples"``) enumerates every sign pattern. Otherwise the flips
    are drawn here, in memory-bounded blocks, and ``p = (extreme + 1) / (n_resamples +
    1)``. scipy runs the same Monte Carlo test but draws each flip as a random
    permutation of the pair (d, -d) through an argsort: 15x slower on 10,000 users x
    2,000 resamples (measured side by side), and per-user differences of 100,000 users
    are the common case here.
    """
    n = len(diff)
    observed = abs(float(diff.mean()))
    if 2**n <= n_resamples:
        from scipy import stats as sps

        exact = sps.permutation_test(
            (diff,), np.mean, permutation_type="samples", n_resamples=n_resamples
        )
        return float(exact.pvalue)
    extreme = 0
    block = _batch(n)
    for start in range(0, n_resamples, block):
        b = min(block, n_resamples - start)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(b, n))  # flip each user's sign
        extreme += int(np.sum(np.abs((signs * diff).mean(axis=1)) >= observed - tol))
    return (extreme + 1) / (n_resamples + 1)


@dataclass(frozen=True)
class PairedTestResult:
    """Outcome of a paired comparison of two systems on the same users.

    Attributes
    ----------
    mean_diff : float
        Mean over users of ``a - b``.
    ci_low, ci_high : float
        Confidence interval of ``mean_diff`` (see :func:`paired_test`).
    p_value : float
        Two-sided p-value of "no difference".
    n : int
        Number of users compared (pairs with a NaN dropped).
    method : str
        The test used.
    """

    mean_diff: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    method: str


def _align(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    a_series, b_series = isinstance(a, pd.Series), isinstance(b, pd.Series)
    if a_series != b_series:
        raise DataError(
            "paired_test: pass both inputs as Series indexed by user or both as arrays "
            "in the same user order, not one of each"
        )
    if a_series:
        for name, s in (("a", a), ("b", b)):
            if s.index.has_duplicates:
                dup = s.index[s.index.duplicated()][0]
                raise DataError(f"paired_test: {name} has user {dup!r} more than once")
        only_a = a.index.difference(b.index)
        only_b = b.index.difference(a.index)
        if len(only_a) or len(only_b):
            shown = [repr(x) for x in list(only_a[:3]) + list(only_b[:3])]
            raise DataError(
                "paired_test: the two inputs cover different users "
                f"({len(only_a)} only in a, {len(only_b)} only in b, e.g. {', '.join(shown)}); "
                "evaluate both systems on the same users"
            )
        b = b.reindex(a.index)
        x, y = a.to_numpy(dtype=np.float64), b.to_numpy(dtype=np.float64)
    else:
        x = np.asarray(a, dtype=np.float64).reshape(-1)
        y = np.asarray(b, dtype=np.float64).reshape(-1)
        if len(x) != len(y):
            raise DataError(
                f"paired_test: a has {len(x)} values but b has {len(y)}; "
                "they must be per-user values in the same user order"
            )
    keep = ~(np.isnan(x) | np.isnan(y))
    return x[keep], y[keep]


def paired_test(
    a: Any,
    b: Any,
    method: PairedMethod = "t",
    *,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    random_state: int | np.random.Generator | None = 0,
) -> PairedTestResult:
    """Paired test of whether two systems differ on the same users.

    Parameters
    ----------
    a, b : Series indexed by user, or arrays in the same user order
        Per-user values of one metric for two systems (e.g. ``result.per_user`` columns
        indexed by ``user``). Series are aligned by user; different user sets raise.
        Pairs where either value is NaN are dropped.
    method : {"t", "wilcoxon", "permutation", "bootstrap"}, default="t"
        ``"t"``: paired t-test (``scipy.stats.ttest_rel``) with its t-interval for the
        mean difference. ``"wilcoxon"``: Wilcoxon signed-rank test
        (``scipy.stats.wilcoxon``, zero differences dropped); ``"permutation"``:
        sign-flip permutation test of the mean difference (exact when
        ``2**n <= n_resamples``); ``"bootstrap"``: bootstrap test (the bootstrap
        distribution of the mean difference, centred on 0 under the null). These three
        report the percentile bootstrap interval of the mean difference
        (``scipy.stats.bootstrap``).
    confidence : float, default=0.95
        Coverage of the interval.
    n_resamples : int, default=10000
        Permutations or bootstrap resamples (for the methods that use them).
    random_state : int, Generator or None, default=0

    Returns
    -------
    PairedTestResult
        With all-equal inputs the difference is 0 and ``p_value`` is 1. With fewer than
        two users the p-value and interval are NaN.
    """
    check("paired_test", "method", method, Options(["t", "wilcoxon", "permutation", "bootstrap"]))
    _check_common("paired_test", n_resamples, confidence, what="n_resamples")
    x, y = _align(a, b)
    diff = x - y
    n = len(diff)
    mean_diff = float(diff.mean()) if n else float("nan")
    nan = float("nan")
    if n < 2:
        return PairedTestResult(mean_diff, nan, nan, nan, n, method)
    rng = _rng(random_state)
    scale = max(1.0, float(np.max(np.abs(diff))))
    tol = 1e-12 * scale
    if np.all(np.abs(diff - diff[0]) <= tol):  # constant differences
        p = 1.0 if abs(diff[0]) <= tol else 0.0
        return PairedTestResult(mean_diff, mean_diff, mean_diff, p, n, method)

    from scipy import stats as sps

    if method == "t":
        res = sps.ttest_rel(x, y)
        low, high = res.confidence_interval(confidence)
        return PairedTestResult(mean_diff, float(low), float(high), float(res.pvalue), n, method)

    boot = _bootstrap((diff,), np.mean, n_resamples, confidence, rng)
    low, high = _interval(boot)
    if method == "wilcoxon":
        nonzero = diff[np.abs(diff) > tol]
        p = 1.0 if len(nonzero) == 0 else float(sps.wilcoxon(nonzero).pvalue)
    elif method == "permutation":
        p = _sign_flip_p_value(diff, n_resamples, rng, tol)
    else:  # bootstrap: the bootstrap distribution centred on 0 under the null
        centred = boot.bootstrap_distribution - mean_diff
        extreme = int(np.sum(np.abs(centred) >= abs(mean_diff) - tol))
        p = (extreme + 1) / (n_resamples + 1)
    return PairedTestResult(mean_diff, low, high, float(p), n, method)
