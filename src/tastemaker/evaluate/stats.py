"""Confidence intervals and paired significance tests over per-user metric values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from tastemaker.errors import DataError, ParameterError

__all__ = ["PairedTestResult", "bootstrap_ci", "paired_test"]

PairedMethod = Literal["t", "wilcoxon", "permutation", "bootstrap"]

_MAX_BLOCK = 4_000_000  # resampled values held at once (32 MB of float64)


def _rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _check_common(n_boot: int, confidence: float, what: str = "n_boot") -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ParameterError(f"{what} must be an int ≥ 1, got {n_boot!r}")
    if not 0.0 < float(confidence) < 1.0:
        raise ParameterError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")


def _block_sizes(n: int, total: int) -> Iterator[int]:
    """Row counts of blocks of at most ~_MAX_BLOCK values, ``total`` rows in all."""
    block = max(1, min(total, _MAX_BLOCK // max(n, 1)))
    done = 0
    while done < total:
        b = min(block, total - done)
        yield b
        done += b


def _resample_blocks(n: int, n_boot: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Bootstrap index blocks of shape (b, n), n_boot rows in all."""
    for b in _block_sizes(n, n_boot):
        yield rng.integers(0, n, size=(b, n))


def _apply(statistic: Callable[..., Any], samples: np.ndarray) -> np.ndarray:
    """``statistic`` of each row; vectorised when it takes ``axis``."""
    try:
        out = np.asarray(statistic(samples, axis=1), dtype=np.float64)
        if out.shape == (len(samples),):
            return out
    except TypeError:
        pass
    return np.asarray([statistic(row) for row in samples], dtype=np.float64)


def _percentiles(stats: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(low), float(high)


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
    the resamples. Resampling is vectorised in blocks (bounded memory).

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
        Called as ``statistic(samples, axis=1)`` on a block of resamples when it accepts
        ``axis``, else once per resample.

    Returns
    -------
    (low, high) : tuple of float
        ``(nan, nan)`` when no value is left; ``(v, v)`` for a single value.
    """
    _check_common(n_boot, confidence)
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    arr = arr[~np.isnan(arr)]
    if len(arr) == 0:
        return float("nan"), float("nan")
    if len(arr) == 1:
        v = float(_apply(statistic, arr[None, :])[0])
        return v, v
    rng = _rng(random_state)
    stats = np.concatenate(
        [_apply(statistic, arr[idx]) for idx in _resample_blocks(len(arr), n_boot, rng)]
    )
    return _percentiles(stats, confidence)


def _bootstrap_ratio_ci(
    numerator: np.ndarray,
    denominator: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
) -> tuple[float, float]:
    """Bootstrap over users of ``transform(sum(num) / sum(den))`` (pooled metrics, e.g. RMSE)."""
    _check_common(n_boot, confidence)
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    keep = den > 0
    num, den = num[keep], den[keep]
    if len(num) == 0:
        return float("nan"), float("nan")
    rng = _rng(random_state)
    parts = []
    for idx in _resample_blocks(len(num), n_boot, rng):
        ratio = num[idx].sum(axis=1) / den[idx].sum(axis=1)
        parts.append(ratio if transform is None else transform(ratio))
    return _percentiles(np.concatenate(parts), confidence)


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
        ``"t"``: paired t-test, with a t-interval for the mean difference.
        ``"wilcoxon"``: Wilcoxon signed-rank test (zero differences dropped);
        ``"permutation"``: sign-flip permutation test of the mean difference;
        ``"bootstrap"``: bootstrap test (differences centred on 0 under the null).
        These three report the percentile bootstrap interval of the mean difference.
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
    if method not in ("t", "wilcoxon", "permutation", "bootstrap"):
        raise ParameterError(
            f"paired_test: method must be 't', 'wilcoxon', 'permutation' or 'bootstrap', "
            f"got {method!r}"
        )
    _check_common(n_resamples, confidence, what="n_resamples")
    x, y = _align(a, b)
    diff = x - y
    n = len(diff)
    mean_diff = float(diff.mean()) if n else float("nan")
    nan = float("nan")
    if n < 2:
        return PairedTestResult(mean_diff, nan, nan, nan, n, method)
    rng = _rng(random_state)
    scale = max(1.0, float(np.max(np.abs(diff))))
    if np.all(np.abs(diff - diff[0]) <= 1e-12 * scale):  # constant differences
        p = 1.0 if abs(diff[0]) <= 1e-12 * scale else 0.0
        return PairedTestResult(mean_diff, mean_diff, mean_diff, p, n, method)

    from scipy import stats as sps

    if method == "t":
        sem = float(diff.std(ddof=1) / np.sqrt(n))
        half = float(sps.t.ppf(0.5 + confidence / 2.0, df=n - 1)) * sem
        p = float(sps.ttest_1samp(diff, 0.0).pvalue)
        return PairedTestResult(mean_diff, mean_diff - half, mean_diff + half, p, n, method)

    low, high = bootstrap_ci(diff, n_resamples, confidence, rng)
    observed = abs(mean_diff)
    tol = 1e-12 * scale
    if method == "wilcoxon":
        nonzero = diff[np.abs(diff) > tol]
        p = 1.0 if len(nonzero) == 0 else float(sps.wilcoxon(nonzero).pvalue)
    elif method == "permutation":
        extreme = 0
        for b in _block_sizes(n, n_resamples):
            signs = rng.choice(np.array([-1.0, 1.0]), size=(b, n))  # flip each user's sign
            extreme += int(np.sum(np.abs((signs * diff).mean(axis=1)) >= observed - tol))
        p = (extreme + 1) / (n_resamples + 1)
    else:  # bootstrap
        centred = diff - mean_diff
        extreme = 0
        for idx in _resample_blocks(n, n_resamples, rng):
            extreme += int(np.sum(np.abs(centred[idx].mean(axis=1)) >= observed - tol))
        p = (extreme + 1) / (n_resamples + 1)
    return PairedTestResult(mean_diff, low, high, float(p), n, method)
