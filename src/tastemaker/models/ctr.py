"""DeepFM: a factorization machine and a deep network over user, item, context and side
fields.

Every (user, item) pair is a set of fields: the user id, the item id, one field per
column of the user table and of the item table, and optionally the event's context
(``context_columns``: a device, the hour of day). A field's value is a token (a
category, or the quantile bin of a number); a multi-valued cell (a list of genres) is
the mean of its tokens' embeddings. :func:`click_metrics` gives the pointwise logloss
and AUC of held-out events against sampled negatives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn

from tastemaker._validation import Check, Interval, Options
from tastemaker.data import Dataset, aligned_rows
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
from tastemaker.nn.samplers import NegativeSampler, sample_negatives, seen_keys

__all__ = ["DeepFM", "DeepFMModule", "click_metrics"]

PAIRS_PER_BLOCK = 1 << 20
"""Most (user, item) pairs scored at once (the deep tower's activations)."""


class DeepFMModule(nn.Module):
    """Token embeddings shared by the FM and the deep tower (Guo et al. 2017).

    A side (users, or items) is given as slots: token ids (0: padding) with weights, and
    the field of each slot column; a field's embedding is the weighted sum of its slots
    (weights ``1 / n_values``: the mean of a multi-valued cell).
    """

    def __init__(
        self,
        n_tokens: int,
        user_slot_field: np.ndarray,
        item_slot_field: np.ndarray,
        n_factors: int,
        layers: tuple[int, ...],
        dropout: float,
    ):
        super().__init__()
        n_user, n_item = int(user_slot_field.max()) + 1, int(item_slot_field.max()) + 1
        self.register_buffer("user_fields", _assignment(user_slot_field), persistent=False)
        self.register_buffer("item_fields", _assignment(item_slot_field), persistent=False)
        self.embed = nn.Embedding(n_tokens, n_factors, padding_idx=0)
        self.linear = nn.Embedding(n_tokens, 1, padding_idx=0)
        nn.init.normal_(self.embed.weight, std=0.01)
        nn.init.zeros_(self.linear.weight)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        self.bias = nn.Parameter(torch.zeros(()))
        self.deep_user = nn.Linear(n_user * n_factors, layers[0])
        self.deep_item = nn.Linear(n_item * n_factors, layers[0], bias=False)
        tower: list[nn.Module] = [nn.ReLU(), nn.Dropout(dropout)]
        for d_in, d_out in pairwise(layers):
            tower += [nn.Linear(d_in, d_out), nn.ReLU(), nn.Dropout(dropout)]
        self.tower = nn.Sequential(*tower, nn.Linear(layers[-1], 1))

    def side(
        self, slots: torch.Tensor, weights: torch.Tensor, user: bool
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Field embeddings ``(..., n_fields, n_factors)`` and first-order terms ``(...)``
        of slots ``(..., n_slots)``."""
        fields = self.user_fields if user else self.item_fields
        emb = self.embed(slots) * weights.unsqueeze(-1)
        pooled = torch.einsum("...sk,sf->...fk", emb, fields)
        first = (self.linear(slots).squeeze(-1) * weights).sum(-1)
        return pooled, first

    def combine(self, user: tuple, item: tuple) -> torch.Tensor:
        """Logits of users against items (leading dims broadcast): bias + first-order
        terms + pairwise field interactions (FM) + the deep tower."""
        (u, u_first), (i, i_first) = user, item
        total = u.sum(-2) + i.sum(-2)
        squares = u.pow(2).sum(-2) + i.pow(2).sum(-2)
        fm = 0.5 * (total.pow(2) - squares).sum(-1)
        hidden = self.deep_user(u.flatten(-2)) + self.deep_item(i.flatten(-2))
        deep = self.tower(hidden).squeeze(-1)
        return self.bias + u_first + i_first + fm + deep


def _assignment(slot_field: np.ndarray) -> torch.Tensor:
    """The (n_slots, n_fields) 0/1 matrix of each slot column's field."""
    slot_field = np.asarray(slot_field, dtype=np.int64)
    out = torch.zeros(len(slot_field), int(slot_field.max()) + 1)
    out[torch.arange(len(slot_field)), torch.from_numpy(slot_field)] = 1.0
    return out


@register("deepfm")
class DeepFM(TorchRecommender):
    """DeepFM (Guo et al. 2017): an FM and a deep network sharing field embeddings.

    Fields: the user id, the item id, and the columns of the user table
    (``data.users``: ML-100K's age, gender, occupation) and of the item table
    (``data.items``: ML-100K's genres, year). Text columns are categories (a list cell,
    or a ``|``-separated string, holds several: their embeddings are averaged); number
    columns are cut into ``n_bins`` quantile bins. The logit of a (user, item) pair is a
    bias, one weight per token, the pairwise dot products of the field embeddings (the
    FM) and an MLP over the concatenated field embeddings (the deep part).

    Training is implicit: every interaction is a positive (ratings are not thresholded),
    contrasted with ``n_negatives`` sampled items by binary cross-entropy, so
    ``sigmoid(score)`` is the probability that the pair is an interaction rather than
    a sampled item (:func:`click_metrics` reports its logloss and AUC).

    Cold users: a user the model has not trained on is scored from the user-table
    fields when the model has any, from ``features`` given at recommendation time (a
    new user) or from the user table (a user without interactions); without usable
    features the user gets the popularity fallback. Cold items: items of the item table
    without interactions are scored from their item fields (their id embedding is
    untrained). No fold-in and no ``update``: users are known by their id embedding.

    Parameters
    ----------
    n_factors : int, default=16
        Embedding size of every token.
    layers : str, default="200,200"
        Widths of the deep tower's hidden layers, comma-separated.
    dropout : float, default=0.0
        Dropout after each hidden layer while training.
    user_columns, item_columns : list of str or None, default=None
        Columns of the user and item tables to use as fields; None: every column except
        timestamps and id-like ones (more distinct values than half the rows: names,
        URLs, zip codes); ``[]``: none.
    context_columns : list of str or None, default=None
        Columns of the interactions that describe each event's context (a device, a
        page, the event type) and become fields beside the user's; ``hour`` and
        ``weekday`` (UTC) are derived from ``timestamp`` when the data has no such
        column. A (user, item) pair seen several times takes its latest event's
        context. At recommendation time give it per user or for all:
        ``recommend(users, context={"hour": 20})``; without it the context fields are
        empty. None: no context.
    n_bins : int, default=5
        Quantile bins of each numeric column.
    n_negatives : int, default=4
        Sampled negatives per interaction.
    sampler : {"uniform", "popularity"}, default="uniform"
        How negatives are drawn (items the user has are redrawn).
    n_epochs, batch_size, learning_rate, weight_decay, optimizer, schedule, clip_norm,
    patience, validation, device, n_threads, random_state
        Training (see :class:`~tastemaker.models.TorchRecommender`).

    Attributes
    ----------
    fields_ : list of str
        The fields: ``user``, ``user:<column>``..., ``context:<column>``..., ``item``,
        ``item:<column>``...
    context_width_ : int
        Slot columns of the context fields (after the user's own slots).
    levels_ : dict
        Per side column (``user:age``): ``{"kind": "bins", "edges": [...]}`` or
        ``{"kind": "categories", "values": [...]}``, with the first token of its field.
    user_slots_, item_slots_ : ndarray of int64
        Each user's (item's) tokens, one column per slot (0: none).
    user_weights_, item_weights_ : ndarray of float32
        The weight of each slot (``1 / n_values`` of its field, 0 for none).
    user_slot_field_, item_slot_field_ : ndarray of int64
        The field of each slot column (positions among the side's fields).
    n_tokens_ : int
    history_ : dict
        Training history; ``history_["validation_click"]``: logloss and AUC of the
        validation items against sampled negatives, with the kept weights.

    References
    ----------
    Guo, Tang, Ye, Li & He (2017). DeepFM: a factorization-machine based neural network
    for CTR prediction. IJCAI.
    Rendle (2010). Factorization machines. ICDM.
    """

    matrix_values = "binary"
    search_space: ClassVar[dict[str, tuple]] = {
        "n_factors": ("int", 4, 64, "log"),
        "n_negatives": ("int", 1, 8),
        "dropout": ("float", 0.0, 0.5),
        "learning_rate": ("float", 1e-4, 1e-2, "log"),
        "weight_decay": ("float", 1e-8, 1e-4, "log"),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **TRAINING_CONSTRAINTS,
        "n_factors": Interval("int", 1),
        "layers": Check(lambda v: _parse_layers(v) is not None, "comma-separated widths"),
        "dropout": Interval("real", 0, 1, closed="left"),
        "user_columns": [Check(lambda v: _is_names(v), "a list of column names"), None],
        "item_columns": [Check(lambda v: _is_names(v), "a list of column names"), None],
        "context_columns": [Check(lambda v: _is_names(v), "a list of column names"), None],
        "n_bins": Interval("int", 1),
        "n_negatives": Interval("int", 1),
        "sampler": Options(("uniform", "popularity")),
    }

    def __init__(
        self,
        n_factors: int = 16,
        layers: str = "200,200",
        dropout: float = 0.0,
        user_columns: list[str] | None = None,
        item_columns: list[str] | None = None,
        context_columns: list[str] | None = None,
        n_bins: int = 5,
        n_negatives: int = 4,
        sampler: str = "uniform",
        n_epochs: int = 20,
        batch_size: int = 1024,
        learning_rate: float = 0.001,
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
        self.layers = layers
        self.dropout = dropout
        self.user_columns = user_columns
        self.item_columns = item_columns
        self.context_columns = context_columns
        self.n_bins = n_bins
        self.n_negatives = n_negatives
        self.sampler = sampler
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
        fields = getattr(self, "fields_", None)
        if fields is None:  # before fit: what the parameters allow
            user = self.user_columns != []
            item = self.item_columns != []
        else:
            user = any(f.startswith("user:") for f in fields)
            item = any(f.startswith("item:") for f in fields)
        return replace(
            super().__tastemaker_tags__(),
            uses_features=user,
            scores_cold_users=user,
            scores_cold_items=item,
        )

    # -- fields ------------------------------------------------------------------------
    def _prepare(self, train: TrainingPart) -> None:
        data = train.data
        self.levels_ = {}
        self.fields_ = []
        next_token = 1
        sides = {}
        for side, table, ids, wanted in (
            ("user", data.users, self.users_.ids, self.user_columns),
            ("item", data.items, self.items_.ids, self.item_columns),
        ):
            rows = None if table is None else aligned_rows(table, ids, side, f"the {side} table")
            columns = _field_columns(rows, wanted, side)
            n = len(ids)
            # the id field: one token per user (item)
            slots = [np.arange(next_token, next_token + n, dtype=np.int64)[:, None]]
            weights = [np.ones((n, 1), dtype=np.float32)]
            slot_field = [0]
            n_fields = 1
            next_token += n
            self.fields_.append(side)
            for column in columns:
                levels = _levels(rows[column], int(self.n_bins))
                levels["first_token"] = next_token
                self.levels_[f"{side}:{column}"] = levels
                s, w = _encode(rows[column], levels)
                slots.append(s)
                weights.append(w)
                slot_field += [n_fields] * s.shape[1]
                n_fields += 1
                next_token += _n_levels(levels)
                self.fields_.append(f"{side}:{column}")
            if side == "user":  # per-event context joins the user's side
                next_token, context = self._context_fields(train, next_token, n_fields)
                slot_field += context
            sides[side] = (np.hstack(slots), np.hstack(weights), np.asarray(slot_field))
        self.n_tokens_ = next_token
        self.user_slots_, self.user_weights_, self.user_slot_field_ = sides["user"]
        self.item_slots_, self.item_weights_, self.item_slot_field_ = sides["item"]
        prepare_negatives(train, self.sampler, self.n_items)

    def _context_fields(
        self, train: TrainingPart, next_token: int, n_fields: int
    ) -> tuple[int, list[int]]:
        """Code the context columns (levels in ``levels_``, fields in ``fields_``), put
        each training entry's context slots in ``train.cache``; the next free token and
        the field of each context slot column."""
        self.context_width_ = 0
        if not self.context_columns:
            return next_token, []
        frame = _context_frame(train.data.interactions, self.context_columns)
        events = train.data.interactions
        users = self.users_.index_of(events["user"], missing="mask", what="user")
        items = self.items_.index_of(events["item"], missing="mask", what="item")
        keys = users.astype(np.int64) * self.n_items + items
        # the latest event of each (user, item) pair gives its context
        times = events["timestamp"].to_numpy(np.int64) if "timestamp" in events else None
        order = np.lexsort((np.arange(len(keys)),) if times is None else (times,))
        order = order[np.argsort(keys[order], kind="stable")]
        last = np.r_[keys[order][1:] != keys[order][:-1], True]
        latest, latest_keys = order[last], keys[order][last]
        X = train.X
        entry_keys = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
        entry_keys = entry_keys * self.n_items + X.indices
        rows = latest[np.searchsorted(latest_keys, entry_keys)]
        slots, weights, fields = [], [], []
        for k, column in enumerate(self.context_columns):
            values = frame[column]
            levels = _levels(values.astype(str).where(values.notna()), int(self.n_bins))
            levels["first_token"] = next_token
            self.levels_[f"context:{column}"] = levels
            s, w = _encode(values.iloc[rows], levels)
            slots.append(s)
            weights.append(w)
            fields += [n_fields + k] * s.shape[1]
            next_token += _n_levels(levels)
            self.fields_.append(f"context:{column}")
        train.cache["context_slots"] = np.hstack(slots)
        train.cache["context_weights"] = np.hstack(weights)
        self.context_width_ = len(fields)
        return next_token, fields

    def _encode_context(self, context: pd.DataFrame | None, n: int) -> tuple:
        """Context slots of ``n`` query rows (empty where no context was given)."""
        width = int(self.context_width_)
        slots = np.zeros((n, width), dtype=np.int64)
        weights = np.zeros((n, width), dtype=np.float32)
        if not width or context is None:
            return slots, weights
        frame = _context_frame(context, self.context_columns, required=False)
        col = 0
        for column in self.context_columns:
            levels = self.levels_[f"context:{column}"]
            span = int(
                np.count_nonzero(self.user_slot_field_ == self.fields_.index(f"context:{column}"))
            )
            if column in frame.columns:
                values = frame[column]
                s, w = _encode(values.astype(str).where(values.notna()), levels, span)
                slots[:, col : col + span], weights[:, col : col + span] = s, w
            col += span
        return slots, weights

    def _build_module(self) -> DeepFMModule:
        return DeepFMModule(
            int(self.n_tokens_),
            self.user_slot_field_,
            self.item_slot_field_,
            int(self.n_factors),
            _parse_layers(self.layers),
            float(self.dropout),
        )

    # -- training ------------------------------------------------------------------------
    def _batches(self, train: TrainingPart, rng: np.random.Generator) -> Iterator[dict]:
        size, m = int(self.batch_size), int(self.n_negatives)
        for pick, u, items, negatives in negative_batches(train, size, m, rng):
            pairs = np.concatenate([items[:, None], negatives], axis=1)
            user_slots, user_weights = self.user_slots_[u], self.user_weights_[u]
            if self.context_width_:
                user_slots = np.hstack([user_slots, train.cache["context_slots"][pick]])
                user_weights = np.hstack([user_weights, train.cache["context_weights"][pick]])
            yield {
                "user_slots": user_slots,
                "user_weights": user_weights,
                "item_slots": self.item_slots_[pairs],
                "item_weights": self.item_weights_[pairs],
            }

    def _loss(self, module: DeepFMModule, batch: dict) -> torch.Tensor:
        user = module.side(batch["user_slots"], batch["user_weights"], user=True)
        user = (user[0].unsqueeze(1), user[1].unsqueeze(1))
        item = module.side(batch["item_slots"], batch["item_weights"], user=False)
        logits = module.combine(user, item)
        return losses.bce(logits[:, 0], logits[:, 1:])

    def _fit(self, data: Dataset) -> None:
        self._best_ndcg, self._validation_click = -np.inf, None
        super()._fit(data)
        history = self.history_
        history["validation_click"] = getattr(self, "_validation_click", None)
        del self._best_ndcg, self._validation_click

    def _validation_ndcg(self, module: Any, part: TrainingPart) -> float:
        value = super()._validation_ndcg(module, part)
        # logloss and AUC of the same items, for the epoch whose weights are kept
        if value > self._best_ndcg:
            self._best_ndcg = value
            self._validation_click = _pointwise(
                lambda q: self._module_scores(module, q),
                lambda users: self._part_query(part, users),
                part.val_users,
                part.val_items,
                part.X,
                np.random.default_rng(0),
            )
        return value

    # -- scoring -------------------------------------------------------------------------
    def _user_side(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """Slots of the query's users: their own where known, else their features."""
        known = query.user_idx >= 0
        slots = np.zeros((len(query), self.user_slots_.shape[1]), dtype=np.int64)
        weights = np.zeros(slots.shape, dtype=np.float32)
        slots[known] = self.user_slots_[query.user_idx[known]]
        weights[known] = self.user_weights_[query.user_idx[known]]
        if query.features is not None and (~known).any():
            feature_slots, feature_weights = self._encode_features(query.features)
            slots[~known] = feature_slots[~known]
            weights[~known] = feature_weights[~known]
        if self.context_width_:
            context = self._encode_context(query.context, len(query))
            slots, weights = np.hstack([slots, context[0]]), np.hstack([weights, context[1]])
        return slots, weights

    def _encode_features(self, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """User slots from a feature table (one row per query row; no id token)."""
        n = len(features)
        slots = [np.zeros((n, 1), dtype=np.int64)]
        weights = [np.zeros((n, 1), dtype=np.float32)]
        for name, levels in self.levels_.items():
            side, column = name.split(":", 1)
            if side != "user":
                continue
            width = int(np.count_nonzero(self.user_slot_field_ == self.fields_.index(name)))
            if column in features.columns:
                s, w = _encode(features[column], levels, width)
            else:
                s, w = np.zeros((n, width), np.int64), np.zeros((n, width), np.float32)
            slots.append(s)
            weights.append(w)
        return np.hstack(slots), np.hstack(weights)

    def _cold_user_support(self, query: Query) -> np.ndarray:
        _, weights = self._user_side(query)  # the user's own fields, not the context
        return weights[:, : self.user_slots_.shape[1]].sum(axis=1) > 0

    def _module_scores(self, module: DeepFMModule, query: Query) -> torch.Tensor:
        slots, weights = self._user_side(query)
        user = module.side(torch.from_numpy(slots), torch.from_numpy(weights), user=True)
        item = self._per_module(
            module,
            "items",
            lambda: module.side(
                torch.from_numpy(self.item_slots_),
                torch.from_numpy(self.item_weights_),
                user=False,
            ),
        )
        step = max(1, PAIRS_PER_BLOCK // self.n_items)
        out = []
        for start in range(0, len(query), step):
            rows = slice(start, start + step)
            out.append(module.combine((user[0][rows, None], user[1][rows, None]), item))
        return torch.cat(out) if out else torch.zeros(0, self.n_items)


# -- click metrics -----------------------------------------------------------------------


def click_metrics(
    model: DeepFM, test: Dataset, n_negatives: int = 4, random_state: int = 0
) -> dict[str, float]:
    """Pointwise logloss and AUC of ``sigmoid(score)``: the test pairs of users and items
    the model knows and scores (label 1) against ``n_negatives`` items per pair drawn uniformly from
    those the user has neither in training nor in test (label 0).

    This is the CTR view of the model (pooled over all pairs, as Guo et al. report),
    not the per-user ranking AUC of :mod:`tastemaker.evaluate`.
    """
    frame = test.interactions
    users = model.users_.index_of(frame["user"], missing="mask", what="user")
    items = model.items_.index_of(frame["item"], missing="mask", what="item")
    keep = (users >= 0) & (items >= 0)
    # items the model does not score (no interactions, no item fields) score -inf
    keep[keep] = ~model._cold_columns(None)[items[keep]]
    users, items = users[keep].astype(np.int64), items[keep].astype(np.int64)
    shape = (model.n_users, model.n_items)
    test_X = sp.csr_array((np.ones(len(users)), (users, items)), shape=shape)
    held = (model.seen_ != 0).astype(np.float32) + test_X
    held.sum_duplicates()
    order = np.argsort(users, kind="stable")
    users, items = users[order], items[order]
    unique = np.unique(users)
    return _pointwise(
        lambda q: torch.from_numpy(model.score(model.users_.ids[q.user_idx])),
        lambda u: Query(
            user_idx=u.astype(np.int32),
            user_ids=model.users_.ids[u],
            trained=np.ones(len(u), dtype=bool),
            X=held[u],
            n_items=model.n_items,
        ),
        users,
        items,
        held,
        np.random.default_rng(random_state),
        n_negatives,
        unique,
    )


def _pointwise(
    scores_of,
    query_of,
    users: np.ndarray,
    items: np.ndarray,
    held: sp.csr_array,
    rng: np.random.Generator,
    n_negatives: int = 4,
    unique: np.ndarray | None = None,
) -> dict[str, float]:
    """Logloss and AUC of positive pairs ``(users, items)`` against ``n_negatives``
    uniform items per pair outside each user's ``held`` row."""
    if len(users) == 0:
        return {"logloss": float("nan"), "auc": float("nan")}
    unique = np.unique(users) if unique is None else unique
    sampler = NegativeSampler(held.shape[1])
    negatives = sample_negatives(sampler, users, n_negatives, rng, seen_keys(held))
    row_of = np.searchsorted(unique, users)
    pos, neg = [], []
    for start in range(0, len(unique), 256):
        block = unique[start : start + 256]
        with torch.no_grad():
            logits = scores_of(query_of(block)).detach().cpu().numpy().astype(np.float64)
        mine = (row_of >= start) & (row_of < start + len(block))
        r = row_of[mine] - start
        pos.append(logits[r, items[mine]])
        neg.append(logits[r[:, None], negatives[mine]].ravel())
    return _logloss_auc(np.concatenate(pos), np.concatenate(neg))


def _logloss_auc(pos: np.ndarray, neg: np.ndarray) -> dict[str, float]:
    """Logloss of logits (positives labelled 1, negatives 0) and the AUC (ties count
    half)."""
    from scipy.stats import rankdata

    logloss = (np.logaddexp(0.0, -pos).sum() + np.logaddexp(0.0, neg).sum()) / (len(pos) + len(neg))
    ranks = rankdata(np.concatenate([pos, neg]))
    n_pos, n_neg = len(pos), len(neg)
    auc = (ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return {"logloss": float(logloss), "auc": float(auc)}


# -- field coding ------------------------------------------------------------------------


def _parse_layers(value: Any) -> tuple[int, ...] | None:
    try:
        out = tuple(int(v) for v in str(value).split(","))
    except ValueError:
        return None
    return out if out and all(v >= 1 for v in out) else None


DERIVED_CONTEXT = {
    "hour": lambda ts: (ts // 3600) % 24,
    "weekday": lambda ts: (ts // 86400 + 3) % 7,  # 1970-01-01 was a Thursday: Monday 0
}
"""Context fields derived from ``timestamp`` (UTC) when the data has no such column."""


def _context_frame(frame: pd.DataFrame, columns: list[str], required: bool = True) -> pd.DataFrame:
    """The context columns of ``frame`` (interactions, or the context of query rows),
    deriving ``hour`` and ``weekday`` from ``timestamp`` where needed."""
    out = {}
    for column in columns:
        if column in frame.columns:
            out[column] = frame[column].reset_index(drop=True)
        elif column in DERIVED_CONTEXT and "timestamp" in frame.columns:
            ts = pd.to_numeric(frame["timestamp"], errors="coerce").reset_index(drop=True)
            out[column] = DERIVED_CONTEXT[column](ts).astype("Int64")
        elif required:
            from tastemaker.errors import DataError

            derived = " (or 'timestamp' to derive it from)" if column in DERIVED_CONTEXT else ""
            raise DataError(
                f"deepfm: context_columns names {column!r}, but the interactions have "
                f"columns {list(frame.columns)}; add a {column!r} column{derived}"
            )
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _is_names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_multi(cell: Any) -> bool:
    return isinstance(cell, (list, tuple, np.ndarray))


def _field_columns(rows: pd.DataFrame | None, wanted: list[str] | None, side: str) -> list[str]:
    """The side table's columns used as fields (see ``user_columns``)."""
    if rows is None:
        if wanted:
            raise _missing(side, wanted, [])
        return []
    if wanted is not None:
        missing = [c for c in wanted if c not in rows.columns]
        if missing:
            raise _missing(side, missing, list(rows.columns))
        return list(wanted)
    out = []
    for column in rows.columns:
        values = rows[column].dropna()
        if len(values) == 0 or pd.api.types.is_datetime64_any_dtype(values):
            continue
        multi = values.map(_is_multi).any()
        numeric = pd.api.types.is_numeric_dtype(values)
        if multi or numeric or values.astype(str).nunique() <= len(values) / 2:
            out.append(column)
    return out


def _missing(side: str, missing: list[str], found: list[str]):
    from tastemaker.errors import DataError

    return DataError(
        f"deepfm: {side}_columns names {missing}, but the {side} table has columns {found}"
    )


def _values(cell: Any) -> list[str]:
    if _is_multi(cell):
        return [str(v) for v in cell if not pd.isna(v)]
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return []
    return [str(cell)]


def _levels(values: pd.Series, n_bins: int) -> dict[str, Any]:
    """How a column is coded: quantile bins of numbers, or its categories."""
    present = values.dropna()
    if len(present) and pd.api.types.is_numeric_dtype(present):
        numbers = present.to_numpy(np.float64)
        edges = np.unique(np.quantile(numbers, np.linspace(0, 1, n_bins + 1)))
        return {"kind": "bins", "edges": [float(e) for e in edges]}
    return {"kind": "categories", "values": sorted({v for c in present for v in _values(c)})}


def _n_levels(levels: dict[str, Any]) -> int:
    if levels["kind"] == "bins":
        return max(len(levels["edges"]) - 1, 1)
    return max(len(levels["values"]), 1)


def _encode(
    values: pd.Series, levels: dict[str, Any], width: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Slots (tokens, 0 for none) and weights (``1 / n_values``) of a column's cells;
    missing values and categories not in ``levels`` give no token."""
    first = int(levels["first_token"])
    if levels["kind"] == "bins":
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
        ok = np.isfinite(numbers)
        inner = np.asarray(levels["edges"][1:-1])
        slots = np.zeros((len(values), 1), dtype=np.int64)
        slots[ok, 0] = first + np.searchsorted(inner, numbers[ok], side="right")
        return slots, ok.astype(np.float32)[:, None]
    lookup = {v: j for j, v in enumerate(levels["values"])}
    cells = [[lookup[v] for v in _values(c) if v in lookup] for c in values.tolist()]
    width = width or max((len(c) for c in cells), default=1) or 1
    slots = np.zeros((len(cells), width), dtype=np.int64)
    weights = np.zeros((len(cells), width), dtype=np.float32)
    for r, codes in enumerate(cells):
        codes = codes[:width]
        if codes:
            slots[r, : len(codes)] = first + np.asarray(codes)
            weights[r, : len(codes)] = 1.0 / len(codes)
    return slots, weights
