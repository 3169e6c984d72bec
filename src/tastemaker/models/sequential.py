"""Neural sequence models: GRU4Rec, LSTM, SASRec and Caser.

The four share one base, :class:`SequentialRecommender`: a sequence module maps the
last ``max_length`` items of a history (left-padded, item position + 1, 0 for padding)
to a hidden state per position, and the score of item ``j`` after position ``t`` is
``hidden_t . e_j`` with ``e_j`` the item's input embedding (shared with the output).
Batches, losses and scoring are written once, in the base; a model only builds its
module.

Training predicts the next item at every position of every training history (as
SASRec and GRU4Rec do), with full cross-entropy over the catalogue (the default: the
strongest in full-ranking evaluations, Klenitskiy & Vasilev 2023), sampled softmax
with the logQ correction, binary cross-entropy with sampled negatives (the original
SASRec) or BPR.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from tastemaker._validation import Interval, Options
from tastemaker.errors import ParameterError
from tastemaker.models._neural import TRAINING_CONSTRAINTS, TorchRecommender, TrainingPart
from tastemaker.models._query import Query, Sequences
from tastemaker.models._tags import Tags
from tastemaker.models.registry import register
from tastemaker.nn import losses
from tastemaker.nn.layers import TransformerBlock, causal_padding_mask
from tastemaker.nn.samplers import NegativeSampler

__all__ = [
    "LSTM",
    "Caser",
    "GRU4Rec",
    "SASRec",
    "SequenceModule",
    "SequentialRecommender",
    "training_windows",
]

SEQUENCE_LOSSES = ("cross-entropy", "sampled-softmax", "bce", "bpr")


# -- modules ---------------------------------------------------------------------------
class SequenceModule(nn.Module):
    """Item embeddings (row 0: padding) and an encoder from item sequences to a hidden
    state per position; subclasses supply :meth:`encode`."""

    def __init__(self, n_items: int, n_factors: int, dropout: float):
        super().__init__()
        self.items = nn.Embedding(n_items + 1, n_factors, padding_idx=0)
        nn.init.normal_(self.items.weight, std=n_factors**-0.5)
        with torch.no_grad():
            self.items.weight[0].zero_()
        self.dropout = nn.Dropout(dropout)

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Hidden states ``(batch, length, n_factors)`` of ``inputs`` ``(batch, length)``
        (item position + 1, 0: padding, most recent last)."""
        return self.encode(inputs)

    def item_vectors(self) -> torch.Tensor:
        """The output embedding of every item, ``(n_items, n_factors)``."""
        return self.items.weight[1:]


class RNNModule(SequenceModule):
    """GRU4Rec: a GRU (or LSTM) over the item embeddings."""

    def __init__(self, n_items: int, n_factors: int, n_layers: int, dropout: float, cell: str):
        super().__init__(n_items, n_factors, dropout)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(
            n_factors,
            n_factors,
            num_layers=n_layers,
            batch_first=True,
            dropout=dropout if n_layers > 1 else 0.0,
            bias=False,  # a zero state stays zero over the (zero) padding embeddings
        )

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.rnn(self.dropout(self.items(inputs)))
        return self.dropout(hidden)


class SASRecModule(SequenceModule):
    """SASRec: learned positional embeddings and causal self-attention blocks."""

    def __init__(
        self, n_items: int, n_factors: int, n_layers: int, n_heads: int, dropout: float, length: int
    ):
        super().__init__(n_items, n_factors, dropout)
        self.positions = nn.Embedding(length, n_factors)
        nn.init.normal_(self.positions.weight, std=n_factors**-0.5)
        self.blocks = nn.ModuleList(
            TransformerBlock(n_factors, n_heads, dropout) for _ in range(n_layers)
        )
        self.norm = nn.LayerNorm(n_factors)

    def encode(self, inputs: torch.Tensor, weights: bool = False) -> Any:
        length = inputs.shape[1]
        # positions count back from the most recent item: index length - 1 is the last
        first = self.positions.num_embeddings - length
        positions = torch.arange(first, first + length, device=inputs.device)
        x = self.items(inputs) * self.items.embedding_dim**0.5 + self.positions(positions)
        x = self.dropout(x)
        allowed = causal_padding_mask(inputs > 0)
        maps = []
        for block in self.blocks:
            x, attention = block(x, allowed, weights)
            maps.append(attention)
        hidden = self.norm(x)
        return (hidden, maps) if weights else hidden


class CaserModule(SequenceModule):
    """Caser: horizontal convolutions (heights 1..window, max-pooled) and vertical
    convolutions over the embeddings of the ``window`` items up to each position."""

    def __init__(
        self, n_items: int, n_factors: int, window: int, n_horizontal: int, n_vertical: int,
        dropout: float,
    ):  # fmt: skip
        super().__init__(n_items, n_factors, dropout)
        self.window = window
        self.horizontal = nn.ModuleList(
            nn.Conv1d(n_factors, n_horizontal, kernel_size=h) for h in range(1, window + 1)
        )
        self.vertical = nn.Parameter(torch.randn(n_vertical, window) / window**0.5)
        self.project = nn.Linear(n_horizontal * window + n_vertical * n_factors, n_factors)

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        batch, length = inputs.shape
        L = self.window
        x = self.items(inputs)  # (batch, length, d)
        # every position's window of the L items up to it (zeros before the history)
        padded = torch.nn.functional.pad(x, (0, 0, L - 1, 0))  # (batch, length + L - 1, d)
        channels = padded.transpose(1, 2)  # (batch, d, length + L - 1)
        parts = []
        for h, conv in enumerate(self.horizontal, start=1):
            activation = torch.relu(conv(channels))  # (batch, n_h, length + L - h)
            # max over the L - h + 1 placements inside each position's window
            parts.append(torch.nn.functional.max_pool1d(activation, L - h + 1, stride=1))
        windows = padded.unfold(1, L, 1)  # (batch, length, d, L)
        vertical = torch.einsum("btdl,vl->btvd", windows, self.vertical)
        parts = [p.transpose(1, 2) for p in parts] + [vertical.reshape(batch, length, -1)]
        z = self.dropout(torch.cat(parts, dim=-1))
        return torch.relu(self.project(z))


# -- training windows ------------------------------------------------------------------
def training_windows(sequences: Sequences, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-item targets of every history, cut into windows of ``length``.

    Each history ``x_0 .. x_{n-1}`` with ``n >= 2`` gives windows ending at ``n``,
    ``n - length``, ... : inputs ``x_s .. x_{e-2}`` (item position + 1) and targets
    ``x_{s+1} .. x_{e-1}`` (item positions), right-aligned in rows of ``length``; the
    padding is 0 in the inputs and -1 in the targets. Every event after the first of
    its history is a target exactly once.
    """
    indptr, items = sequences.indptr, sequences.items.astype(np.int64)
    starts, ends = [], []
    for row in np.flatnonzero(sequences.lengths >= 2).tolist():
        lo, hi = int(indptr[row]), int(indptr[row + 1])
        end = hi
        while end - lo >= 2:
            starts.append(max(lo, end - length - 1))
            ends.append(end)
            end -= length
    n = len(starts)
    inputs = np.zeros((n, length), dtype=np.int64)
    targets = np.full((n, length), -1, dtype=np.int64)
    for w, (s, e) in enumerate(zip(starts, ends)):
        size = e - s - 1
        inputs[w, length - size :] = items[s : e - 1] + 1
        targets[w, length - size :] = items[s + 1 : e]
    return inputs, targets


def _length_batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list:
    """Batches of window positions in random order, each of windows of similar length
    (sorted within random groups of 50 batches), so that a batch is trimmed to its
    longest window with little padding."""
    order = rng.permutation(len(lengths))
    group = 50 * size
    batches = []
    for start in range(0, len(order), group):
        chunk = order[start : start + group]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


# -- the shared base -------------------------------------------------------------------
class SequentialRecommender(TorchRecommender):
    """Base of the neural sequence models: batches, losses and scoring.

    A subclass builds its :class:`SequenceModule` in ``_build_module``; the base trains
    it to predict the next item at every position and scores a history by its last
    hidden state against every item's embedding. The parameters every sequence model
    takes (besides the training ones of :class:`~tastemaker.models.TorchRecommender`):
    ``n_factors``, ``max_length``, ``dropout``, ``loss``, ``n_negatives``, ``sampler``.

    Their training defaults are the same: ``batch_size`` counts histories (windows of
    ``max_length``); 100 epochs at most, batches of 64, learning rate 0.002, gradients
    clipped to norm 5, and early stopping (patience 10) on the NDCG@10 of the latest
    item of half the users (``validation=0.5``: one event each, and a 10% sample gave
    too noisy a metric to stop on).

    Scoring reads only the ordered history (``query.sequences``): a history given at
    recommendation time is ranked as it is (fold-in), and ``update`` appends new events
    to ``sequences_`` and leaves the weights unchanged.
    """

    matrix_values = "binary"
    SHARED_CONSTRAINTS: ClassVar[dict[str, Any]] = {
        **TRAINING_CONSTRAINTS,
        "n_factors": Interval("int", 1),
        "max_length": Interval("int", 1),
        "dropout": Interval("real", 0, 1, closed="left"),
        "loss": Options(SEQUENCE_LOSSES),
        "n_negatives": Interval("int", 1),
        "sampler": Options(("uniform", "popularity")),
    }
    SHARED_SEARCH: ClassVar[dict[str, tuple]] = {
        "n_factors": ("categorical", [32, 64, 128]),
        "dropout": ("float", 0.0, 0.5),
        "learning_rate": ("float", 3e-4, 3e-3, "log"),
        "max_length": ("int", 20, 200, "log"),
    }

    def __tastemaker_tags__(self) -> Tags:
        return replace(
            super().__tastemaker_tags__(), uses_sequences=True, folds_in=True, updates=True
        )

    def _read_length(self) -> int:
        """How many of a history's latest items its score depends on."""
        return int(self.max_length)

    def _inputs(self, sequences: Sequences) -> torch.Tensor:
        """The last :meth:`_read_length` items of each row, item position + 1 (0:
        padding), as wide as the longest row (leading padding changes no model's
        output)."""
        longest = max(int(sequences.lengths.max(initial=0)), 1)
        width = min(self._read_length(), longest)
        return torch.from_numpy(sequences.last_items(width).astype(np.int64) + 1)

    def _prepare(self, train: TrainingPart) -> None:
        inputs, targets = training_windows(train.sequences, int(self.max_length))
        train.cache["inputs"], train.cache["targets"] = inputs, targets
        train.cache["lengths"] = (targets >= 0).sum(axis=1)
        counts = np.bincount(train.sequences.items, minlength=self.n_items)
        train.cache["sampler"] = NegativeSampler.named(self.sampler, self.n_items, counts)

    def _batches(self, train: TrainingPart, rng: np.random.Generator) -> Iterator[dict]:
        inputs, targets = train.cache["inputs"], train.cache["targets"]
        sampler: NegativeSampler = train.cache["sampler"]
        size, m = int(self.batch_size), int(self.n_negatives)
        for pick in _length_batches(train.cache["lengths"], size, rng):
            width = int(train.cache["lengths"][pick].max())
            batch = {"inputs": inputs[pick, -width:], "targets": targets[pick, -width:]}
            batch["n"] = int((batch["targets"] >= 0).sum())
            if self.loss == "sampled-softmax":  # negatives shared by the batch's positions
                negatives = sampler.draw((m,), rng)
                batch["negatives"], batch["log_q"] = negatives, sampler.log_q(negatives)
            elif self.loss in ("bce", "bpr"):  # per position, as the original SASRec
                batch["negatives"] = sampler.draw((*batch["targets"].shape, m), rng)
            yield batch

    def _loss(self, module: SequenceModule, batch: dict) -> torch.Tensor:
        targets = batch["targets"]
        valid = targets >= 0
        hidden = module(batch["inputs"])[valid]  # (n, d): positions with a next item
        target = targets[valid]
        vectors = module.item_vectors()
        if self.loss == "cross-entropy":
            return losses.cross_entropy(hidden @ vectors.T, target)
        positive = (hidden * vectors[target]).sum(-1)
        negatives = batch["negatives"]
        if self.loss == "sampled-softmax":
            logits = hidden @ vectors[negatives].T  # (n, m)
            logits = logits.masked_fill(negatives[None, :] == target[:, None], float("-inf"))
            log_q = batch["log_q"][None, :].expand_as(logits)
            return losses.sampled_softmax(positive, logits, log_q)
        negatives = negatives[valid]  # (n, m)
        negative = (hidden[:, None, :] * vectors[negatives]).sum(-1)
        if self.loss == "bpr":
            return losses.bpr(positive, negative)
        return losses.bce(positive, negative)

    def _module_scores(self, module: SequenceModule, query: Query) -> torch.Tensor:
        hidden = module(self._inputs(query.sequences))[:, -1]
        return hidden @ module.item_vectors().T

    def _update(self, users: np.ndarray) -> None:
        """Nothing to do: the base appended the events to ``sequences_``, which scoring
        reads; the weights are unchanged until the next ``fit``."""


@register("gru4rec")
class GRU4Rec(SequentialRecommender):
    """GRU4Rec (Hidasi et al. 2016): a recurrent network over the item sequence.

    The hidden state after each item, through a GRU of ``n_layers`` layers, scores the
    next item against every item embedding (tied with the input embedding). Trained to
    predict the next item at every position with full cross-entropy by default (as
    Hidasi & Karatzoglou 2018 and Klenitskiy & Vasilev 2023 found best), or sampled
    softmax, BCE or BPR over sampled negatives.

    Ranks any ordered history without retraining (``recommend_history``); ``update``
    appends events to the stored histories (weights unchanged).

    Parameters
    ----------
    n_factors : int, default=64
        Embedding and hidden size.
    n_layers : int, default=1
        Stacked recurrent layers.
    max_length : int, default=50
        The most recent items read per history (training windows and scoring).
    dropout : float, default=0.2
        On the embeddings and the hidden states.
    loss : {"cross-entropy", "sampled-softmax", "bce", "bpr"}, default="cross-entropy"
    n_negatives : int, default=128
        Sampled negatives: shared by a batch's positions (``sampled-softmax``), per
        position (``bce``, ``bpr``). Unused by ``cross-entropy``.
    sampler : {"uniform", "popularity"}, default="uniform"
        How negatives are drawn; ``sampled-softmax`` corrects for the sampling
        probability (logQ).
    n_epochs, batch_size, learning_rate, weight_decay, optimizer, schedule, clip_norm,
    patience, validation, device, n_threads, random_state
        Training, with the defaults of every sequence model (see
        :class:`SequentialRecommender`).

    Attributes
    ----------
    sequences_ : Sequences
        The training histories in time order (what scoring reads for known users).
    history_ : dict
        Training epoch by epoch.

    References
    ----------
    Hidasi, Karatzoglou, Baltrunas & Tikk (2016). Session-based recommendations with
    recurrent neural networks. ICLR.
    Klenitskiy & Vasilev (2023). Turning dross into gold loss: is BERT4Rec really better
    than SASRec? RecSys.
    """

    cell: ClassVar[str] = "gru"
    search_space: ClassVar[dict[str, tuple]] = {
        **SequentialRecommender.SHARED_SEARCH,
        "n_layers": ("int", 1, 2),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **SequentialRecommender.SHARED_CONSTRAINTS,
        "n_layers": Interval("int", 1, 8),
    }

    def __init__(
        self,
        n_factors: int = 64,
        n_layers: int = 1,
        max_length: int = 50,
        dropout: float = 0.2,
        loss: str = "cross-entropy",
        n_negatives: int = 128,
        sampler: str = "uniform",
        n_epochs: int = 100,
        batch_size: int = 64,
        learning_rate: float = 0.002,
        weight_decay: float = 0.0,
        optimizer: str = "adam",
        schedule: str = "constant",
        clip_norm: float = 5.0,
        patience: int = 10,
        validation: float = 0.5,
        device: str = "auto",
        n_threads: int = 0,
        random_state: int | None = 42,
    ) -> None:
        self.n_factors = n_factors
        self.n_layers = n_layers
        self.max_length = max_length
        self.dropout = dropout
        self.loss = loss
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

    def _build_module(self) -> RNNModule:
        return RNNModule(
            self.n_items, int(self.n_factors), int(self.n_layers), float(self.dropout), self.cell
        )


@register("lstm")
class LSTM(GRU4Rec):
    """GRU4Rec with an LSTM cell: the same model, parameters and training.

    Parameters
    ----------
    n_factors, n_layers, max_length, dropout, loss, n_negatives, sampler
        As :class:`GRU4Rec`.
    n_epochs, batch_size, learning_rate, weight_decay, optimizer, schedule, clip_norm,
    patience, validation, device, n_threads, random_state
        Training, with the defaults of every sequence model (see
        :class:`SequentialRecommender`).

    Attributes
    ----------
    sequences_ : Sequences
    history_ : dict

    References
    ----------
    Hochreiter & Schmidhuber (1997). Long short-term memory. Neural Computation.
    Hidasi, Karatzoglou, Baltrunas & Tikk (2016). ICLR.
    """

    cell: ClassVar[str] = "lstm"


@register("sasrec")
class SASRec(SequentialRecommender):
    """SASRec (Kang & McAuley 2018): causal self-attention over the item sequence.

    Item embeddings plus learned positional embeddings (counted back from the most
    recent item) pass through ``n_layers`` pre-norm transformer blocks whose attention
    sees each position and the earlier, non-padding ones; the hidden state at each
    position scores the next item against the item embeddings (shared with the input).
    Full cross-entropy is the default loss: it beats the paper's BCE with one negative
    by a wide margin under full ranking (Klenitskiy & Vasilev 2023); ``loss="bce",
    n_negatives=1`` is the original.

    :meth:`attention` gives the attention weights over a history's items, per layer
    and head (for explanations). Ranks any ordered history without retraining;
    ``update`` appends events to the stored histories (weights unchanged).

    Parameters
    ----------
    n_factors : int, default=64
        Embedding and hidden size (a multiple of ``n_heads``).
    n_layers : int, default=2
        Transformer blocks.
    n_heads : int, default=1
        Attention heads per block.
    max_length : int, default=50
        The most recent items read per history (training windows and scoring).
    dropout : float, default=0.2
    loss : {"cross-entropy", "sampled-softmax", "bce", "bpr"}, default="cross-entropy"
    n_negatives : int, default=128
        As :class:`GRU4Rec`.
    sampler : {"uniform", "popularity"}, default="uniform"
    n_epochs, batch_size, learning_rate, weight_decay, optimizer, schedule, clip_norm,
    patience, validation, device, n_threads, random_state
        Training, with the defaults of every sequence model (see
        :class:`SequentialRecommender`).

    Attributes
    ----------
    sequences_ : Sequences
    history_ : dict

    References
    ----------
    Kang & McAuley (2018). Self-attentive sequential recommendation. ICDM.
    Klenitskiy & Vasilev (2023). Turning dross into gold loss: is BERT4Rec really better
    than SASRec? RecSys.
    """

    search_space: ClassVar[dict[str, tuple]] = {
        **SequentialRecommender.SHARED_SEARCH,
        "n_layers": ("int", 1, 3),
        "n_heads": ("categorical", [1, 2]),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **SequentialRecommender.SHARED_CONSTRAINTS,
        "n_layers": Interval("int", 1, 12),
        "n_heads": Interval("int", 1, 16),
    }

    def __init__(
        self,
        n_factors: int = 64,
        n_layers: int = 2,
        n_heads: int = 1,
        max_length: int = 50,
        dropout: float = 0.2,
        loss: str = "cross-entropy",
        n_negatives: int = 128,
        sampler: str = "uniform",
        n_epochs: int = 100,
        batch_size: int = 64,
        learning_rate: float = 0.002,
        weight_decay: float = 0.0,
        optimizer: str = "adam",
        schedule: str = "constant",
        clip_norm: float = 5.0,
        patience: int = 10,
        validation: float = 0.5,
        device: str = "auto",
        n_threads: int = 0,
        random_state: int | None = 42,
    ) -> None:
        self.n_factors = n_factors
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.max_length = max_length
        self.dropout = dropout
        self.loss = loss
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

    def _check_params(self) -> None:
        super()._check_params()
        if int(self.n_factors) % int(self.n_heads):
            raise ParameterError(
                f"{self._label()}: n_factors ({self.n_factors}) must be a multiple of "
                f"n_heads ({self.n_heads})"
            )

    def _build_module(self) -> SASRecModule:
        return SASRecModule(
            self.n_items,
            int(self.n_factors),
            int(self.n_layers),
            int(self.n_heads),
            float(self.dropout),
            int(self.max_length),
        )

    def attention(
        self, history: pd.DataFrame, combine: bool = False
    ) -> dict[Any, tuple[np.ndarray, np.ndarray]]:
        """The attention weights over each user's history.

        ``history`` is given as to :meth:`recommend_history` (``combine=True`` appends it
        to a known user's training history). Per user (in first-seen order): the ids of
        the history's last ``n <= max_length`` known items (oldest first) and the weights
        ``(n_layers, n_heads, n, n)``: row ``t`` is how position ``t`` attends to
        positions ``0..t`` (zeros after ``t``; each row sums to 1). The last row is what
        scores the next item.
        """
        self._require_fold_in()
        query = self._history_query(history, None, None, None, combine)
        inputs = self._inputs(query.sequences)
        with torch.no_grad():
            _, maps = self._module.encode(inputs, weights=True)
        weights = torch.stack(maps, dim=1).numpy()  # (users, layers, heads, L, L)
        out = {}
        for row, user in enumerate(query.user_ids.tolist()):
            n = int((inputs[row] > 0).sum())
            items = self.items_.ids[inputs[row, inputs.shape[1] - n :].numpy() - 1]
            out[user] = (items, weights[row, :, :, -n:, -n:] if n else weights[row, :, :, :0, :0])
        return out


@register("caser")
class Caser(SequentialRecommender):
    """Caser (Tang & Wang 2018): convolutions over the embeddings of recent items.

    At each position, the embeddings of the last ``window`` items form a
    ``window x n_factors`` image; ``n_horizontal`` horizontal filters of every height
    1..``window`` (max-pooled over placements) find union-level and point-level
    sequential patterns, ``n_vertical`` vertical filters weight the items; both feed a
    ReLU layer giving the hidden state, which scores the next item against the item
    embeddings. Unlike the paper there is no user embedding (so that any history can
    be ranked without retraining) and the output embeddings are the input ones; it is
    trained at every position of the history windows like the other sequence models.

    Parameters
    ----------
    n_factors : int, default=64
    window : int, default=5
        The recent items each position reads (``L`` in the paper).
    n_horizontal : int, default=16
        Horizontal filters per height.
    n_vertical : int, default=4
        Vertical filters.
    max_length : int, default=50
        Length of the training windows (scoring reads the last ``window`` items).
    dropout : float, default=0.2
    loss : {"cross-entropy", "sampled-softmax", "bce", "bpr"}, default="cross-entropy"
    n_negatives : int, default=128
    sampler : {"uniform", "popularity"}, default="uniform"
    n_epochs, batch_size, learning_rate, weight_decay, optimizer, schedule, clip_norm,
    patience, validation, device, n_threads, random_state
        Training, with the defaults of every sequence model (see
        :class:`SequentialRecommender`).

    Attributes
    ----------
    sequences_ : Sequences
    history_ : dict

    References
    ----------
    Tang & Wang (2018). Personalized top-N sequential recommendation via convolutional
    sequence embedding. WSDM.
    """

    search_space: ClassVar[dict[str, tuple]] = {
        **SequentialRecommender.SHARED_SEARCH,
        "window": ("int", 2, 10),
        "n_horizontal": ("int", 4, 32, "log"),
        "n_vertical": ("int", 1, 8),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **SequentialRecommender.SHARED_CONSTRAINTS,
        "window": Interval("int", 1, 100),
        "n_horizontal": Interval("int", 1),
        "n_vertical": Interval("int", 1),
    }

    def __init__(
        self,
        n_factors: int = 64,
        window: int = 5,
        n_horizontal: int = 16,
        n_vertical: int = 4,
        max_length: int = 50,
        dropout: float = 0.2,
        loss: str = "cross-entropy",
        n_negatives: int = 128,
        sampler: str = "uniform",
        n_epochs: int = 100,
        batch_size: int = 64,
        learning_rate: float = 0.002,
        weight_decay: float = 0.0,
        optimizer: str = "adam",
        schedule: str = "constant",
        clip_norm: float = 5.0,
        patience: int = 10,
        validation: float = 0.5,
        device: str = "auto",
        n_threads: int = 0,
        random_state: int | None = 42,
    ) -> None:
        self.n_factors = n_factors
        self.window = window
        self.n_horizontal = n_horizontal
        self.n_vertical = n_vertical
        self.max_length = max_length
        self.dropout = dropout
        self.loss = loss
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

    def _read_length(self) -> int:
        # the last position's hidden state reads the last `window` items only
        return min(int(self.window), int(self.max_length))

    def _build_module(self) -> CaserModule:
        return CaserModule(
            self.n_items,
            int(self.n_factors),
            int(self.window),
            int(self.n_horizontal),
            int(self.n_vertical),
            float(self.dropout),
        )
