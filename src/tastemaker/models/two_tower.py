"""Two-tower: a neural hybrid over item features, user features and histories."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from tastemaker._validation import Interval, Options
from tastemaker.features import ItemFeatures
from tastemaker.features._table import infer_columns, table_features, unit_rows
from tastemaker.models._common import described_rows, query_feature_rows
from tastemaker.models._neural import (
    TRAINING_CONSTRAINTS,
    TorchRecommender,
    TrainingPart,
    negative_batches,
    prepare_negatives,
)
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.registry import register
from tastemaker.nn import losses

__all__ = ["TwoTower", "TwoTowerModule"]

logger = logging.getLogger(__name__)


def _bag(matrix: sp.csr_array) -> tuple[torch.Tensor, ...]:
    """A sparse matrix as the (indices, offsets, weights, rows) of an embedding bag."""
    m = sp.csr_array(matrix, dtype=np.float32)
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    return (
        torch.from_numpy(m.indices.astype(np.int64)),
        torch.from_numpy(m.indptr[:-1].astype(np.int64)),
        torch.from_numpy(m.data),
        torch.from_numpy(rows),
    )


class _BagProduct(torch.autograd.Function):
    """``matrix @ weight`` for a :func:`_bag`: an embedding bag forward, and a backward
    by a SciPy product on CPU (torch's own embedding-bag backward sorts the indices,
    several times slower here) and by ``index_add`` elsewhere."""

    @staticmethod
    def forward(ctx, weight, indices, offsets, values, rows):
        ctx.save_for_backward(indices, values, rows)
        ctx.n_rows = weight.shape[0]
        return F.embedding_bag(indices, weight, offsets, mode="sum", per_sample_weights=values)

    @staticmethod
    def backward(ctx, grad):
        indices, values, rows = ctx.saved_tensors
        if grad.device.type != "cpu":
            out = grad.new_zeros((ctx.n_rows, grad.shape[1]))
            out.index_add_(0, indices, grad[rows] * values[:, None])
            return out, None, None, None, None
        transposed = sp.csr_array(
            (values.numpy(), (indices.numpy(), rows.numpy())),
            shape=(ctx.n_rows, grad.shape[0]),
        )
        out = transposed @ grad.detach().numpy()
        return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32)), None, None, None, None


def _mm(bag: tuple[torch.Tensor, ...], weight: torch.Tensor) -> torch.Tensor:
    """``matrix @ weight`` for a matrix given as a :func:`_bag`."""
    indices, offsets, values, rows = (t.to(weight.device) for t in bag)
    return _BagProduct.apply(weight, indices, offsets, values, rows)


class TwoTowerModule(nn.Module):
    """Two towers scored by a dot product.

    Item tower: an item's vector (``n_factors`` plus a bias) is its id embedding plus a
    linear map of its features. User tower: the mean of the history items' vectors in
    a second (history) space of the same form, plus a linear map of the user's
    features. ``score = user . item + item bias``.
    """

    def __init__(self, n_items: int, n_item_features: int, n_user_features: int, n_factors: int):
        super().__init__()
        width = n_factors + 1  # the last column of an item vector is its bias
        self.item_id = nn.Parameter(torch.randn(n_items, width) * 0.01)
        self.item_feature = nn.Parameter(torch.randn(max(n_item_features, 1), width) * 0.01)
        self.history_id = nn.Parameter(torch.randn(n_items, n_factors) * 0.01)
        self.history_feature = nn.Parameter(torch.randn(max(n_item_features, 1), n_factors) * 0.01)
        self.user_feature = nn.Parameter(torch.randn(max(n_user_features, 1), n_factors) * 0.01)

    def towers(
        self, item_features: tuple[torch.Tensor, ...] | None, keep_id: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Every item's vector (with its bias column) and history vector; ``keep_id``
        (n_items x 1, 0 or 1) masks the id embeddings."""
        items = self.item_id * keep_id
        history = self.history_id * keep_id
        if item_features is not None:
            items = items + _mm(item_features, self.item_feature)
            history = history + _mm(item_features, self.history_feature)
        return items, history

    def users(
        self,
        history: torch.Tensor,
        X: tuple[torch.Tensor, ...],
        counts: torch.Tensor,
        exclude: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The mean history vector of each row of ``X`` (a :func:`_bag` of rows x items, 0/1;
        ``counts``: its row sums, rows x 1; ``exclude``: an item per row of ``X`` left
        out of its mean)."""
        total = _mm(X, history)
        if exclude is not None:
            total = total - history[exclude]
            counts = counts - 1
        return total / counts.clamp(min=1)


@register("two-tower")
class TwoTower(TorchRecommender):
    """Two-tower hybrid recommender: a neural model of item features, user features and
    interactions together (LightFM-style feature embeddings), scoring users and items
    never seen in training.

    An item's vector is its id embedding plus a linear map of its feature vector (the
    item table, encoded as ``content`` encodes it: idf-weighted categorical values,
    TF-IDF text, standardised numeric columns). During training the id embedding is
    dropped with probability ``id_dropout``, so that the features learn to stand alone;
    an item without training interactions (a new item in the item table) is scored from
    its features only. A user's vector is the mean of their history items' vectors in a
    second, history space (id embedding plus feature map, as above), plus a linear map of
    the user's features (the user table: categorical and numeric columns) when there is
    one. Nothing is learned per user, so any history is scored (fold-in, ``update``),
    and a user with features but no history is scored from the features alone (trained
    by dropping the history part with probability ``history_dropout``). The score is the
    dot product of the two vectors plus an item bias (itself id plus features). Trained
    on the observed pairs against sampled negatives, the positive left out of the
    user's history mean.

    Parameters
    ----------
    n_factors : int, default=64
        Size of the user and item vectors.
    id_dropout : float, default=0.5
        Probability, per item and batch, that its id embeddings are dropped in training.
    history_dropout : float, default=0.2
        Probability, per training example, that the user's history part is dropped
        (only with user features), so that features alone place a new user.
    loss : {"sampled-softmax", "bpr", "bce"}, default="sampled-softmax"
    n_negatives : int, default=32
        Sampled negatives per observed pair.
    sampler : {"uniform", "popularity"}, default="uniform"
    user_features : bool, default=True
        Use the user table (``data.users``) when there is one.
    text_weight, min_df
        Item text encoding (as in :class:`~tastemaker.models.Content`).
    n_epochs, batch_size, learning_rate, weight_decay, optimizer, schedule, clip_norm,
    patience, validation, device, n_threads, random_state
        Training (see :class:`~tastemaker.models.TorchRecommender`).

    Attributes
    ----------
    item_encoder_, user_encoder_ : dict or None
        The fitted encoders (:meth:`ItemFeatures.to_dict`); None without such a table.
    item_features_ : csr_array (n_items, n_item_features)
    user_features_ : csr_array (n_users, n_user_features) or None

    References
    ----------
    Kula (2015). Metadata embeddings for user and item cold-start recommendations.
    CBRecSys workshop, RecSys.
    Yi et al. (2019). Sampling-bias-corrected neural modeling for large corpus item
    recommendations. RecSys.
    """

    matrix_values = "binary"
    search_space: ClassVar[dict[str, tuple]] = {
        "n_factors": ("int", 16, 128, "log"),
        "id_dropout": ("float", 0.0, 0.9),
        "n_negatives": ("int", 4, 64, "log"),
        "learning_rate": ("float", 1e-4, 1e-2, "log"),
        "weight_decay": ("float", 1e-8, 1e-4, "log"),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **TRAINING_CONSTRAINTS,
        "n_factors": Interval("int", 1),
        "id_dropout": Interval("real", 0, 1),
        "history_dropout": Interval("real", 0, 1, closed="left"),
        "loss": Options(("sampled-softmax", "bpr", "bce")),
        "n_negatives": Interval("int", 1),
        "sampler": Options(("uniform", "popularity")),
        "user_features": bool,
        "text_weight": Interval("real", 0),
        "min_df": Interval("int", 1),
    }

    def __init__(
        self,
        n_factors: int = 64,
        id_dropout: float = 0.5,
        history_dropout: float = 0.2,
        loss: str = "sampled-softmax",
        n_negatives: int = 32,
        sampler: str = "uniform",
        user_features: bool = True,
        text_weight: float = 1.0,
        min_df: int = 1,
        n_epochs: int = 30,
        batch_size: int = 1024,
        learning_rate: float = 0.003,
        weight_decay: float = 0.0,
        optimizer: str = "adam",
        schedule: str = "constant",
        clip_norm: float = 0.0,
        patience: int = 3,
        validation: float = 0.1,
        device: str = "auto",
        n_threads: int = 0,
        random_state: int | None = 42,
    ) -> None:
        self.n_factors = n_factors
        self.id_dropout = id_dropout
        self.history_dropout = history_dropout
        self.loss = loss
        self.n_negatives = n_negatives
        self.sampler = sampler
        self.user_features = user_features
        self.text_weight = text_weight
        self.min_df = min_df
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.schedule = schedule
        self.clip_norm = clip_norm
        self.patience = patience
        self.validation = validation
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state

    def __tastemaker_tags__(self) -> Tags:
        cold_users = getattr(self, "user_encoder_", None) is not None  # fitted with users
        return replace(
            super().__tastemaker_tags__(),
            uses_features=True,
            scores_cold_items=True,
            scores_cold_users=cold_users,
            folds_in=True,
            updates=True,
        )

    # -- features ------------------------------------------------------------------------
    def _prepare(self, train: TrainingPart) -> None:
        data = train.data
        self.item_encoder_, self.item_features_ = None, sp.csr_array((self.n_items, 0))
        if data.items is not None:
            columns = infer_columns(data.items, what="two-tower: the item table")
            union = table_features(
                columns, text_weight=float(self.text_weight), min_df=int(self.min_df)
            )
            if union is not None:
                vectors = union.fit(data.items).transform(data.items, ids=self.items_)
                self.item_encoder_ = union.to_dict()
                self.item_features_ = unit_rows(sp.csr_array(vectors, dtype=np.float32))
        self.user_encoder_, self.user_features_ = None, None
        if data.users is not None and self.user_features:
            columns = infer_columns(
                data.users, what="two-tower: the user table", single_valued="categorical"
            )
            union = table_features(columns, key="user")
            if union is not None:
                union.fit(data.users)
                self.user_encoder_ = union.to_dict()
                self.user_features_ = unit_rows(
                    sp.csr_array(union.transform(data.users, ids=self.users_), dtype=np.float32)
                )
        prepare_negatives(train, self.sampler, self.n_items)
        train.cache["item_features"] = self._item_tensor()
        logger.info(
            "two-tower: %d item features, %d user features",
            self.item_features_.shape[1],
            0 if self.user_features_ is None else self.user_features_.shape[1],
        )

    def _item_tensor(self) -> tuple[torch.Tensor, ...] | None:
        if self.item_features_.shape[1] == 0:
            return None
        return _bag(self.item_features_)

    def _build_module(self) -> TwoTowerModule:
        return TwoTowerModule(
            self.n_items,
            self.item_features_.shape[1],
            0 if self.user_features_ is None else self.user_features_.shape[1],
            int(self.n_factors),
        )

    # -- training ------------------------------------------------------------------------
    def _batches(self, train: TrainingPart, rng: np.random.Generator) -> Iterator[dict]:
        X = train.X
        size, m = int(self.batch_size), int(self.n_negatives)
        for _, u, items, neg in negative_batches(train, size, m, rng):
            keep_id = rng.random(self.n_items) >= float(self.id_dropout)
            keep_history = np.ones(len(u), dtype=bool)
            if self.user_features_ is not None:
                keep_history = rng.random(len(u)) >= float(self.history_dropout)
            yield {
                "histories": _bag(X[u]),
                "counts": np.diff(X.indptr)[u].astype(np.float32)[:, None],
                "user_features": None
                if self.user_features_ is None
                else _bag(self.user_features_[u]),
                "item_features": train.cache["item_features"],
                "positives": items,
                "negatives": neg,
                "keep_id": keep_id.astype(np.float32)[:, None],
                "keep_history": keep_history.astype(np.float32)[:, None],
                "log_q": train.cache["sampler"].log_q(neg).astype(np.float32),
            }

    def _loss(self, module: TwoTowerModule, batch: dict) -> torch.Tensor:
        items, history = module.towers(batch["item_features"], batch["keep_id"])
        positives = batch["positives"]
        user = module.users(history, batch["histories"], batch["counts"], exclude=positives)
        user = user * batch["keep_history"]
        if batch["user_features"] is not None:
            user = user + _mm(batch["user_features"], module.user_feature)
        pos = (user * items[positives, :-1]).sum(-1) + items[positives, -1]
        negatives = items[batch["negatives"]]
        neg = (user.unsqueeze(1) * negatives[..., :-1]).sum(-1) + negatives[..., -1]
        if self.loss == "bpr":
            return losses.bpr(pos, neg)
        if self.loss == "bce":
            return losses.bce(pos, neg)
        neg = neg.masked_fill(batch["negatives"] == positives.unsqueeze(1), float("-inf"))
        return losses.sampled_softmax(pos, neg, batch["log_q"])

    # -- scoring -------------------------------------------------------------------------
    def _user_union(self) -> ItemFeatures:
        return self._cached("user_union", lambda: ItemFeatures.from_dict(self.user_encoder_))

    def _query_user_features(self, query: Query, warn: bool = False) -> sp.csr_array | None:
        """Feature rows of the query's users (:func:`query_feature_rows`); None without
        a user table."""
        if self.user_encoder_ is None:
            return None
        return query_feature_rows(self.user_features_, self._user_union(), query, "two-tower", warn)

    def _cold_user_support(self, query: Query) -> np.ndarray:
        """Users with a known feature value (one whose features are all missing gets the
        fallback)."""
        features = self._query_user_features(query, warn=True)
        if features is None:
            return np.zeros(len(query), dtype=bool)
        return described_rows(features, self._user_union())

    def _towers(self, module: TwoTowerModule) -> tuple[torch.Tensor, torch.Tensor]:
        """Every item's vector and history vector."""

        def make():
            keep_id = torch.from_numpy((self.item_popularity_ > 0).astype(np.float32)[:, None])
            return module.towers(self._item_tensor(), keep_id)

        return self._per_module(module, "towers", make)

    def _module_scores(self, module: TwoTowerModule, query: Query) -> torch.Tensor:
        items, history = self._towers(module)
        features = self._query_user_features(query)
        counts = torch.from_numpy(np.diff(query.X.indptr).astype(np.float32)[:, None])
        user = module.users(history, _bag(query.X), counts)
        if features is not None:
            user = user + _mm(_bag(features), module.user_feature)
        return user @ items[:, :-1].T + items[:, -1]

    def _update(self, users: np.ndarray) -> None:
        pass  # user vectors come from the (updated) history rows; nothing kept per user
