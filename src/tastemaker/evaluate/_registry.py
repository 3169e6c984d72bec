"""The metric registry: one entry per metric family, read by everything that names metrics.

An entry ties together what a metric is (its per-user reference function, its batch
function, its direction, what it needs, whether it takes ``@k``) so that parsing, the
batch evaluator, reports, tuning, the command line and the docs all read one place.
Entries are made with :func:`register_metric` on the per-user function
(see :mod:`tastemaker.evaluate.metrics`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "METRICS",
    "NEEDS",
    "Metric",
    "MetricKind",
    "MetricSpec",
    "register_metric",
]

MetricKind = Literal["ranking", "rating", "beyond", "global"]

NEEDS: dict[str, str] = {
    "relevant": "each user's relevant (test) items",
    "catalog": "the catalog size (every item that could be recommended)",
    "popularity": "training popularity of each item (distinct training users)",
    "train_users": "the number of training users",
    "item_vectors": "a feature vector per item (e.g. multi-hot genres)",
    "ratings": "predicted and true ratings of the test pairs",
    "scores": "the full ranking of the candidates (or the model's scores over them)",
}
"""What a metric may need, in words (the ``needs`` of a :class:`Metric`)."""


@dataclass(frozen=True)
class Metric:
    """A registered metric family.

    Attributes
    ----------
    name : str
        The family name used in labels: ``"ndcg"`` in ``"ndcg@10"``.
    per_user : callable
        The reference implementation: a direct transcription of the formula, for one
        user's list (or, for ``global`` metrics, all lists). Its parameter names say
        what it takes (see :meth:`reference`).
    batch : callable
        ``batch(context, spec)`` computes the metric for all users at once from the
        evaluation's shared arrays (``tastemaker.evaluate._batch.Batch``); it returns
        per-user values (an array), a :class:`~tastemaker.evaluate._batch.Pooled`
        ratio (pooled over pairs, like RMSE) or one float (``global`` metrics).
    kind : {"ranking", "rating", "beyond", "global"}
        ``ranking``: accuracy of one user's list; ``rating``: error of predicted
        ratings; ``beyond``: a per-user property of the list (diversity, novelty,
        popularity); ``global``: a property of all lists together.
    higher_is_better : bool
        Direction: False for errors and popularity bias/concentration.
    needs : frozenset of str
        Inputs beyond the lists (keys of :data:`NEEDS`).
    takes_k : bool
        Whether the name carries a list length (``@k``).
    summary : str
        One line for tables and ``--help``.
    aliases : tuple of str
        Names people type for it (suggested in errors, never accepted silently).
    from_scores : callable, optional
        A per-user function of scores over the catalog (``scores, relevant,
        candidates_mask``), used when a model's scores are available: exact with ties.
    listed : bool
        Shown in :data:`METRIC_NAMES` (the design's names); unlisted metrics still parse.
    """

    name: str
    per_user: Callable[..., float]
    batch: Callable[..., Any]
    kind: MetricKind
    higher_is_better: bool
    needs: frozenset[str]
    takes_k: bool
    summary: str
    aliases: tuple[str, ...] = ()
    from_scores: Callable[..., float] | None = None
    listed: bool = True
    _params: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def direction(self) -> Literal["higher", "lower"]:
        """``"higher"`` or ``"lower"``: which values are better."""
        return "higher" if self.higher_is_better else "lower"

    @property
    def sampled(self) -> bool:
        """Whether a sampled variant exists (``ndcg@10[sampled-100]``): accuracy metrics."""
        return self.kind == "ranking"

    @property
    def pattern(self) -> str:
        """How the name is written: ``"ndcg@k"`` or ``"auc"``."""
        return f"{self.name}@k" if self.takes_k else self.name

    def reference(self, **inputs: Any) -> float:
        """Call :attr:`per_user` with the inputs its parameters name.

        The parameter names are shared by every per-user function: ``ranked``,
        ``ranked_full``, ``relevant``, ``k``, ``n_candidates``, ``pred``, ``true``,
        ``lists``, ``n_items``, ``item_vectors``, ``item_popularity``, ``n_users``.
        Extra inputs are ignored, so one dict of inputs serves every metric.
        """
        return self.per_user(**{name: inputs[name] for name in self._params})


_METRICS: dict[str, Metric] = {}
METRICS: Mapping[str, Metric] = MappingProxyType(_METRICS)
"""Every registered metric family by name, in registration order (read-only)."""


def register_metric(
    name: str,
    *,
    batch: Callable[..., Any],
    kind: MetricKind,
    summary: str,
    higher_is_better: bool = True,
    needs: Iterable[str] = (),
    takes_k: bool = True,
    aliases: Iterable[str] = (),
    from_scores: Callable[..., float] | None = None,
    listed: bool = True,
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Decorator: register the decorated per-user function as metric ``name``.

    Raises
    ------
    ValueError
        A name registered twice, or an unknown entry in ``needs``.
    """
    needs = frozenset(needs)
    unknown = needs - set(NEEDS)
    if unknown:
        raise ValueError(f"metric {name!r}: unknown needs {sorted(unknown)}; known: {list(NEEDS)}")

    def decorate(per_user: Callable[..., float]) -> Callable[..., float]:
        if name in _METRICS and _METRICS[name].per_user is not per_user:
            raise ValueError(f"metric {name!r} is registered twice")
        params = tuple(inspect.signature(per_user).parameters)
        _METRICS[name] = Metric(
            name=name,
            per_user=per_user,
            batch=batch,
            kind=kind,
            higher_is_better=higher_is_better,
            needs=needs,
            takes_k=takes_k,
            summary=summary,
            aliases=tuple(aliases),
            from_scores=from_scores,
            listed=listed,
            _params=params,
        )
        return per_user

    return decorate


@dataclass(frozen=True)
class MetricSpec:
    """A parsed metric name.

    Attributes
    ----------
    name : str
        The metric family: ``"ndcg"``, ``"recall"``, ``"auc"``, ...
    k : int or None
        List length for ``@k`` metrics; ``None`` for ``auc``, ``rmse`` and ``mae``.
    kind : {"ranking", "rating", "beyond", "global"}
        See :class:`Metric`.
    sampled : int or None
        Number of sampled negative candidates for a sampled variant, else ``None`` (full
        ranking).
    """

    name: str
    k: int | None
    kind: MetricKind
    sampled: int | None = None

    @property
    def label(self) -> str:
        """The canonical label, e.g. ``"ndcg@10"`` or ``"ndcg@10[sampled-100]"``."""
        out = self.name if self.k is None else f"{self.name}@{self.k}"
        if self.sampled is not None:
            out += f"[sampled-{self.sampled}]"
        return out

    @property
    def metric(self) -> Metric:
        """The registry entry of this family."""
        return _METRICS[self.name]

    @property
    def higher_is_better(self) -> bool:
        return self.metric.higher_is_better

    def __str__(self) -> str:
        return self.label
