"""The result of an evaluation: per-user values, the summary, intervals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tastemaker.errors import ParameterError
from tastemaker.evaluate.metrics import parse_metric
from tastemaker.evaluate.stats import _bootstrap_ratio_ci, bootstrap_ci

__all__ = ["EvaluationResult"]


@dataclass
class EvaluationResult:
    """Metrics of one system on a set of users.

    Attributes
    ----------
    per_user : DataFrame
        Column ``user`` (external ids) and one column per per-user metric (accuracy,
        rating and ``ild``/``novelty``/``arp``), one row per evaluated user. Global
        metrics (``coverage``, ``gini``) have no per-user value and no column.
    summary : dict of str -> float
        Metric label -> value, in the order asked: the mean over users of per-user
        metrics (NaN values, i.e. users for whom a metric is undefined, excluded),
        ``rmse``/``mae`` pooled over all rated pairs, global metrics computed once over
        all lists.
    n_users : int
        Number of evaluated users.
    metrics : list of str
        Metric labels in the order asked.
    info : dict of str -> int
        Counts worth reporting: ``n_users_without_list`` (users scored as empty lists) and,
        from :func:`evaluate_recommendations`, ``n_ignored_users`` (users with a list but
        no test items) and ``n_ignored_rows``.
    """

    per_user: pd.DataFrame
    summary: dict[str, float]
    n_users: int
    metrics: list[str]
    info: dict[str, int] = field(default_factory=dict)
    _pooled: dict[str, tuple[np.ndarray, np.ndarray, Callable | None]] = field(
        default_factory=dict, repr=False
    )

    def user_values(self, metric: str) -> pd.Series:
        """Per-user values of one metric, indexed by user (input for ``paired_test``)."""
        label = parse_metric(metric).label
        if label not in self.per_user.columns:
            raise ParameterError(
                f"no per-user values for {metric!r}; per-user metrics here: "
                f"{[c for c in self.per_user.columns if c != 'user']}"
            )
        return self.per_user.set_index("user")[label]

    def to_frame(self, model: str | None = None) -> pd.DataFrame:
        """Tidy summary without intervals: ``(model,) metric, value, ci_low, ci_high, n_users``."""
        rows = [
            {
                "metric": label,
                "value": self.summary[label],
                "ci_low": np.nan,
                "ci_high": np.nan,
                "n_users": self._n_users_of(label),
            }
            for label in self.metrics
        ]
        return _tidy(rows, model)

    def with_ci(
        self,
        n_boot: int = 1000,
        confidence: float = 0.95,
        random_state: int | np.random.Generator | None = 0,
        model: str | None = None,
    ) -> pd.DataFrame:
        """Tidy summary with percentile bootstrap intervals over users.

        Per-user metrics resample their per-user values (NaN values dropped); ``rmse`` and
        ``mae`` resample users and pool their rated pairs. Global metrics (``coverage``,
        ``gini``) get NaN bounds: a distinct-item count over a resample with repeated
        users is biased low, so its percentile interval would be misleading.

        Parameters
        ----------
        n_boot : int, default=1000
        confidence : float, default=0.95
        random_state : int, Generator or None, default=0
            Each metric uses a generator seeded the same way, so users are resampled
            alike across metrics.
        model : str, optional
            When given, a leading ``model`` column holding it.

        Returns
        -------
        DataFrame
            Columns ``(model,) metric, value, ci_low, ci_high, n_users``; ``n_users``
            counts the users behind each value.
        """
        rows = []
        for label in self.metrics:
            spec = parse_metric(label)
            seed = random_state
            if isinstance(random_state, np.random.Generator):
                seed = random_state.integers(2**32)
            if label in self._pooled:
                num, den, transform = self._pooled[label]
                low, high = _bootstrap_ratio_ci(num, den, transform, n_boot, confidence, seed)
            elif spec.kind == "global":
                low, high = np.nan, np.nan
            else:
                low, high = bootstrap_ci(
                    self.per_user[label].to_numpy(np.float64), n_boot, confidence, seed
                )
            rows.append(
                {
                    "metric": label,
                    "value": self.summary[label],
                    "ci_low": low,
                    "ci_high": high,
                    "n_users": self._n_users_of(label),
                }
            )
        return _tidy(rows, model)

    def to_dict(self) -> dict[str, float]:
        """The summary, ``{"ndcg@10": value, ...}``."""
        return dict(self.summary)

    def _n_users_of(self, label: str) -> int:
        if label in self._pooled:
            return int(np.sum(self._pooled[label][1] > 0))
        if label in self.per_user.columns:
            return int(self.per_user[label].notna().sum())
        return self.n_users


def _tidy(rows: list[dict[str, Any]], model: str | None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "n_users"])
    frame["n_users"] = frame["n_users"].astype(np.int64)
    if model is not None:
        frame.insert(0, "model", model)
    return frame
