"""TorchRecommender: the base of every neural model.

A neural model supplies four pieces and inherits the rest:

``_build_module()``
    the ``torch.nn.Module`` (sizes from ``n_users``, ``n_items`` and parameters only,
    so that ``load`` can rebuild it);
``_batches(train, rng)``
    one epoch's mini-batches (named NumPy arrays) from the training part;
``_loss(module, batch)``
    the scalar to minimise;
``_module_scores(module, query)``
    scores of the query's rows over every item (a tensor, ``len(query) x n_items``).

``fit`` carves a validation split from the training data (one held-out item for a
sample of users: their latest for sequence models, a random one otherwise), trains
with :func:`tastemaker.nn.train` (early stopping on validation NDCG@10, best weights
restored) and keeps the module on CPU in eval mode. The weights are saved as
safetensors through ``_extra_state``; ``history_`` is the only training residue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from tastemaker._typing import Scores
from tastemaker._validation import SEED, Interval, Options
from tastemaker.data import Dataset, interaction_matrix
from tastemaker.models._query import Query, Sequences
from tastemaker.models.base import Recommender

__all__ = [
    "TRAINING_CONSTRAINTS",
    "TorchRecommender",
    "TrainingPart",
    "negative_batches",
    "prepare_negatives",
]

logger = logging.getLogger(__name__)

VALIDATION_K = 10
VALIDATION_SHARE = 0.2  # of each validation user's items (hold-out models)
MAX_VALIDATION_USERS = 5000
SCORE_BLOCK = 256

TRAINING_CONSTRAINTS: dict[str, Any] = {
    "n_epochs": Interval("int", 1),
    "batch_size": Interval("int", 1),
    "learning_rate": Interval("real", 0, closed="neither"),
    "weight_decay": Interval("real", 0),
    "optimizer": Options(("adam", "adamw")),
    "schedule": Options(("constant", "cosine", "linear")),
    "clip_norm": Interval("real", 0),
    "patience": Interval("int", 0),
    "validation": Interval("real", 0, 0.5),
    "device": Options(("auto", "cpu", "cuda")),
    "n_threads": Interval("int", 0),
    "random_state": [SEED, None],
}
"""Constraints of the training parameters every neural model shares."""


@dataclass(frozen=True)
class TrainingPart:
    """What a neural model trains on: the training data less the validation items.

    Attributes
    ----------
    X : csr_array (n_users, n_items)
        Training interactions without the held-out ones (the model's ``matrix_values``).
    sequences : Sequences or None
        The same, in time order (models that use sequences).
    val_users, val_items : ndarray of int64
        The held-out (user, item) pairs, sorted by user (empty: no validation).
    data : Dataset
        The whole training data (side tables, for feature models).
    cache : dict
        What a model prepares once per fit for its batches (``_prepare``): samplers,
        lookup tables. Dropped after the fit.
    """

    X: sp.csr_array
    sequences: Sequences | None
    val_users: np.ndarray
    val_items: np.ndarray
    data: Dataset
    cache: dict[str, Any] = field(default_factory=dict)


class TorchRecommender(Recommender):
    """Base class of the neural models (see the module doc for what a model supplies).

    The training parameters, shared by every neural model:

    n_epochs : int
        Most epochs to train (early stopping may end sooner).
    batch_size : int
    learning_rate : float
    weight_decay : float
        L2 penalty (``adam``) or decoupled weight decay (``adamw``).
    optimizer : {"adam", "adamw"}
    schedule : {"constant", "cosine", "linear"}
        Learning rate per epoch.
    clip_norm : float
        Clip gradients to this norm (0: no clipping).
    patience : int
        Stop after this many epochs without a better validation NDCG@10 (0: train every
        epoch); the best epoch's weights are kept either way.
    validation : float
        Share of users (at most 5,000) with items held out for validation: the latest
        for sequence models, a random fifth of their items otherwise (0: no validation,
        the last epoch's weights are kept).
    device : {"auto", "cpu", "cuda"}
        Where to train (``auto``: cuda when present). Scoring runs on CPU.
    n_threads : int
        CPU threads for torch during fit and scoring (0: torch's default).
    random_state : int or None
        Seed of the initial weights, batches, negatives and dropout.

    Attributes
    ----------
    history_ : dict
        Epoch by epoch loss, validation metric, seconds and examples; the best epoch,
        whether training stopped early, the device and the throughput.
    """

    # -- what a model supplies ---------------------------------------------------------
    def _build_module(self) -> Any:
        raise NotImplementedError

    def _batches(self, train: TrainingPart, rng: np.random.Generator) -> Iterable[dict]:
        raise NotImplementedError

    def _loss(self, module: Any, batch: dict) -> Any:
        raise NotImplementedError

    def _module_scores(self, module: Any, query: Query) -> Any:
        """Scores of every row of ``query`` over every item: a float tensor
        (``len(query) x n_items``), computed under ``no_grad`` on CPU."""
        raise NotImplementedError

    def _prepare(self, train: TrainingPart) -> None:
        """Once per fit, before the module is built: set fitted attributes that
        ``_build_module`` needs beyond the ids (feature sizes, say) and put what the
        batches reuse (samplers, lookup tables) in ``train.cache``. Default: nothing."""

    # -- fitting ---------------------------------------------------------------------
    def _fit(self, data: Dataset) -> None:
        from tastemaker.nn import TrainConfig, seeded, train

        rng = np.random.default_rng(self.random_state)
        seed = int(rng.integers(2**31 - 1))
        part = self._carve(data, rng)
        self._prepare(part)
        config = TrainConfig(
            n_epochs=int(self.n_epochs),
            learning_rate=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            optimizer=self.optimizer,
            schedule=self.schedule,
            clip_norm=float(self.clip_norm),
            patience=int(self.patience),
            device=self.device,
            label=self._label(),
        )
        validate = None
        if len(part.val_users):
            validate = lambda module: self._validation_ndcg(module, part)  # noqa: E731
        with seeded(seed, int(self.n_threads)):
            module = self._build_module()
            history = train(
                module,
                lambda epoch: self._batches(part, rng),
                self._loss,
                config,
                validate=validate,
                metric=f"ndcg@{VALIDATION_K}",
            )
        self._module = module
        self.history_ = history.to_dict()

    @property
    def module_(self) -> Any:
        """The trained ``torch.nn.Module`` (CPU, eval mode)."""
        self._check_fitted()
        return self._module

    def _carve(self, data: Dataset, rng: np.random.Generator) -> TrainingPart:
        """Hold out items of a sample of users with at least two items: the latest
        event's item for sequence models (next-item validation), a random fifth of their
        items (at least one) otherwise, as the hold-out protocol does."""
        X = self.seen_
        sequences = getattr(self, "sequences_", None)
        counts = np.diff(X.indptr)
        eligible = np.flatnonzero(counts >= 2)
        n_val = min(round(float(self.validation) * len(eligible)), MAX_VALIDATION_USERS)
        empty = np.zeros(0, dtype=np.int64)
        if n_val == 0:
            return TrainingPart(X, sequences, empty, empty, data)
        users = np.sort(rng.choice(eligible, size=n_val, replace=False)).astype(np.int64)
        if sequences is not None:
            # drop each validation user's latest event; its item is the target
            last = sequences.indptr[users + 1] - 1
            items = sequences.items[last].astype(np.int64)
            keep = np.ones(len(sequences.items), dtype=bool)
            keep[last] = False
            rows = np.repeat(np.arange(len(sequences), dtype=np.int64), sequences.lengths)
            ts = None if sequences.timestamps is None else sequences.timestamps[keep]
            part_seq = Sequences.from_events(
                rows[keep], sequences.items[keep], sequences.values[keep], ts, len(sequences)
            )
            part_X = interaction_matrix(
                rows[keep],
                sequences.items[keep],
                X.shape,
                self.matrix_values,
                sequences.values[keep],
            )
            # an item also seen earlier stays in the history: rank the target only
            # among items the user has not had
            fresh = np.asarray(part_X[users, items]).ravel() == 0
            return TrainingPart(part_X, part_seq, users[fresh], items[fresh], data)
        # a random fifth of each validation user's entries (at least one)
        rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), counts)
        chosen = np.zeros(X.shape[0], dtype=bool)
        chosen[users] = True
        entries = np.flatnonzero(chosen[rows])
        order = entries[np.lexsort((rng.random(len(entries)), rows[entries]))]
        # rank of each entry within its row in the shuffled order
        position = np.arange(len(order)) - np.searchsorted(rows[order], rows[order])
        wanted = np.maximum(1, np.round(VALIDATION_SHARE * counts[rows[order]])).astype(np.int64)
        held = np.sort(order[position < wanted])
        keep = np.ones(X.nnz, dtype=bool)
        keep[held] = False
        part_X = sp.csr_array((X.data[keep], (rows[keep], X.indices[keep])), shape=X.shape)
        part_X.sort_indices()
        return TrainingPart(part_X, None, rows[held], X.indices[held].astype(np.int64), data)

    def _part_query(self, part: TrainingPart, users: np.ndarray) -> Query:
        """A query of training users with their training-part histories."""
        return Query(
            user_idx=users.astype(np.int32),
            user_ids=self.users_.ids[users] if len(users) else np.zeros(0, dtype=object),
            trained=np.ones(len(users), dtype=bool),
            X=part.X[users],
            sequences=None if part.sequences is None else part.sequences.take(users),
            n_items=self.n_items,
        )

    def _validation_ndcg(self, module: Any, part: TrainingPart) -> float:
        """Mean NDCG@10 of the held-out items over the validation users, ranking every
        item the user has not had in the training part (full ranking, ties broken by
        item position, as :mod:`tastemaker.evaluate` ranks)."""
        users, first = np.unique(part.val_users, return_index=True)
        bounds = np.r_[first, len(part.val_users)]
        total = 0.0
        for start in range(0, len(users), SCORE_BLOCK):
            block = users[start : start + SCORE_BLOCK]
            lo, hi = bounds[start], bounds[min(start + SCORE_BLOCK, len(users))]
            query = self._part_query(part, block)
            scores = self._module_scores(module, query).detach().cpu().numpy()
            scores = scores.astype(np.float32, copy=True)
            rows = np.searchsorted(block, part.val_users[lo:hi])
            total += float(ndcg_at_10(scores, query.X, rows, part.val_items[lo:hi]).sum())
        return total / len(users)

    # -- scoring ---------------------------------------------------------------------
    def _per_module(self, module: Any, key: str, make: Any) -> Any:
        """``make()``: what scoring derives from the weights alone (every item's vector),
        computed once for the fitted module and each time for a module in training."""
        if module is self.__dict__.get("_module"):
            return self._cached(key, make)
        return make()

    def _score(self, query: Query) -> Scores:
        import torch

        from tastemaker.nn import threads

        out = np.empty((len(query), self.n_items), dtype=np.float32)
        with torch.no_grad(), threads(int(self.n_threads)):
            for start in range(0, len(query), SCORE_BLOCK):
                rows = slice(start, start + SCORE_BLOCK)
                block = self._module_scores(self._module, query.select(rows))
                out[rows] = block.detach().cpu().numpy()
        return query.columns(out)

    # -- persistence -----------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        # cloned: tied weights share storage, which safetensors refuses
        return {"weights": {k: v.clone() for k, v in self._module.state_dict().items()}}

    def _restore_state(self, state: dict[str, Any]) -> dict[str, Any]:
        weights = state.pop("weights")
        for name, value in state.items():
            setattr(self, name, value)
        module = self._build_module()
        module.load_state_dict(weights)
        module.eval()
        self._module = module
        return {}


def prepare_negatives(train: TrainingPart, sampler: str, n_items: int) -> None:
    """Put in ``train.cache`` what :func:`negative_batches` reads: the negative sampler
    called ``sampler`` (popularity counted on the training part), the training pairs
    that draws must miss, and the user and item of each training entry."""
    from tastemaker.nn.samplers import NegativeSampler, seen_keys

    X = train.X
    counts = np.bincount(X.indices, minlength=n_items)
    train.cache["sampler"] = NegativeSampler.named(sampler, n_items, counts)
    train.cache["seen"] = seen_keys(X)
    train.cache["entry_users"] = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    train.cache["entry_items"] = X.indices.astype(np.int64)


def negative_batches(
    train: TrainingPart,
    size: int,
    n_negatives: int,
    rng: np.random.Generator,
    in_batch: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """One epoch of the training entries (after :func:`prepare_negatives`) in random
    order, ``size`` at a time: their positions, users, items and ``n_negatives`` items
    per entry, drawn by the sampler and redrawn where the user has them (``in_batch``:
    other entries' items of the batch, not redrawn)."""
    from tastemaker.nn.samplers import in_batch_negatives, sample_negatives

    users, items = train.cache["entry_users"], train.cache["entry_items"]
    order = rng.permutation(len(users))
    for start in range(0, len(order), size):
        pick = order[start : start + size]
        u = users[pick]
        if in_batch:
            negatives = in_batch_negatives(items[pick], n_negatives, rng)
        else:
            negatives = sample_negatives(
                train.cache["sampler"], u, n_negatives, rng, train.cache["seen"]
            )
        yield pick, u, items[pick], negatives


def ndcg_at_10(
    scores: np.ndarray, seen: sp.csr_array, rows: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """NDCG@10 of each row of ``scores`` whose relevant items are the pairs
    ``(rows, targets)`` (rows sorted), ranking the row's unseen items (``seen`` rows are
    excluded; ties rank the lower item position first). Rows without targets score 0."""
    seen_rows = np.repeat(np.arange(seen.shape[0]), np.diff(seen.indptr))
    scores[seen_rows, seen.indices] = -np.inf
    target = scores[rows, targets][:, None]
    positions = np.arange(scores.shape[1])[None, :]
    mine = scores[rows]
    ahead = (mine > target) | ((mine == target) & (positions < targets[:, None]))
    rank = ahead.sum(axis=1) + 1
    gain = np.where(rank <= VALIDATION_K, 1.0 / np.log2(rank + 1), 0.0)
    n_rows = scores.shape[0]
    dcg = np.bincount(rows, weights=gain, minlength=n_rows)
    n_relevant = np.minimum(np.bincount(rows, minlength=n_rows), VALIDATION_K)
    ideal = np.r_[0.0, np.cumsum(1.0 / np.log2(np.arange(2, VALIDATION_K + 2)))]
    return np.divide(dcg, ideal[n_relevant], out=np.zeros(n_rows), where=n_relevant > 0)
