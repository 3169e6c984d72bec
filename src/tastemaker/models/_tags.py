"""Capabilities of a model instance (as scikit-learn's tags): what it reads and can do."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Tags"]


@dataclass(frozen=True)
class Tags:
    """What a model reads from a query and what it can do, answered per instance.

    Read them with ``model.tags``; a model declares them by overriding
    ``__tastemaker_tags__`` (call ``super()`` and ``dataclasses.replace``), so that a
    capability may depend on the model's parameters (``popular`` with ``segment_by``
    uses features; without, it does not).

    Attributes
    ----------
    uses_sequences : bool
        Reads the order (and timestamps) of each user's history, not only the set of
        items: the base keeps the training histories in time order for it.
    uses_features : bool
        Reads user features of users it has not seen (``recommend(..., features=...)``,
        the extra columns of ``recommend --users FILE``).
    scores_cold_users : bool
        Scores users without training history itself (from their features, or from
        nothing); otherwise such users get the popularity fallback.
    scores_cold_items : bool
        Scores items without training interactions; otherwise the base ranks them after
        every item the model scores (source ``cold-item``).
    predicts_ratings : bool
        ``predict(pairs)`` gives ratings.
    folds_in : bool
        Ranks users given by a history (``recommend_history``, ``fold_in``) without
        retraining.
    updates : bool
        ``update(events)`` learns from new events without refitting.
    """

    uses_sequences: bool = False
    uses_features: bool = False
    scores_cold_users: bool = False
    scores_cold_items: bool = False
    predicts_ratings: bool = False
    folds_in: bool = False
    updates: bool = False

    def to_dict(self) -> dict[str, bool]:
        return asdict(self)
