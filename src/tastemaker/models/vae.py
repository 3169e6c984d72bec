"""Mult-VAE: the variational autoencoder for collaborative filtering."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tastemaker._validation import Interval
from tastemaker.models._neural import TRAINING_CONSTRAINTS, TorchRecommender, TrainingPart
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.registry import register
from tastemaker.nn import losses

__all__ = ["MultVAE", "MultVAEModule"]


class MultVAEModule(nn.Module):
    """Encoder ``n_items -> n_hidden -> 2 x n_factors`` (mean and log-variance of the
    latent user) and decoder ``n_factors -> n_hidden -> n_items``, tanh between layers;
    the input row is L2-normalised, then dropped out while training."""

    def __init__(self, n_items: int, n_hidden: int, n_factors: int, dropout: float):
        super().__init__()
        self.n_factors = n_factors
        self.dropout = dropout
        self.encoder = nn.Sequential(
            nn.Linear(n_items, n_hidden), nn.Tanh(), nn.Linear(n_hidden, 2 * n_factors)
        )
        self.decoder = nn.Sequential(
            nn.Linear(n_factors, n_hidden), nn.Tanh(), nn.Linear(n_hidden, n_items)
        )
        for layer in self.modules():  # as the paper's code: Xavier weights, tiny biases
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.normal_(layer.bias, std=0.001)

    def encode(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of the latent user of each row."""
        x = F.normalize(rows, dim=-1)
        x = F.dropout(x, p=self.dropout, training=self.training)
        out = self.encoder(x)
        return out[:, : self.n_factors], out[:, self.n_factors :]

    def forward(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits over the catalogue, and the latent mean and log-variance; the latent is
        sampled while training and is the mean otherwise."""
        mu, logvar = self.encode(rows)
        z = mu
        if self.training:
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder(z), mu, logvar


@register("mult-vae")
class MultVAE(TorchRecommender):
    """Variational autoencoder with a multinomial likelihood (Liang et al. 2018).

    Each user is a row of the interaction matrix. The encoder maps the row (binary,
    L2-normalised, with dropout while training) to a Gaussian over a latent user; the
    decoder maps a draw from it to a softmax over the catalogue. Training maximises the
    multinomial log-likelihood of the row minus ``beta`` times the KL divergence from a
    standard normal prior, with ``beta`` annealed linearly from 0 to ``beta_max`` over
    ``total_anneal_steps`` mini-batches (the paper's KL annealing). A batch is a set of
    users (``batch_size`` rows).

    The model scores any history: the encoder reads the query's rows, so users given by
    a history (``recommend_history``, ``fold_in``) are ranked without retraining, and
    ``update`` only adds the events to ``seen_`` (the rows scoring reads): the new events
    take effect at once, the weights stay as fitted. Users without history get the
    popularity fallback; items without training interactions rank after the others.

    Parameters
    ----------
    n_hidden : int, default=600
        Width of the hidden layer of the encoder and of the decoder.
    n_factors : int, default=200
        Size of the latent user.
    dropout : float, default=0.5
        Dropout of the normalised input row while training.
    beta_max : float, default=0.2
        The largest weight of the KL term (the paper's anneal cap).
    total_anneal_steps : int, default=2000
        Mini-batches over which ``beta`` grows from 0 to 1 (capped at ``beta_max``).
    n_epochs, batch_size, learning_rate, weight_decay, optimizer, schedule, clip_norm,
    patience, validation, device, n_threads, random_state
        Training (see :class:`~tastemaker.models.TorchRecommender`); ``batch_size``
        counts users.

    Attributes
    ----------
    history_ : dict
        Training history (see :class:`~tastemaker.models.TorchRecommender`); the
        examples of the throughput are users (rows).

    References
    ----------
    Liang, Krishnan, Hoffman & Jebara (2018). Variational autoencoders for collaborative
    filtering. WWW.
    """

    matrix_values = "binary"
    search_space: ClassVar[dict[str, tuple]] = {
        "n_hidden": ("int", 100, 1000, "log"),
        "n_factors": ("int", 32, 400, "log"),
        "dropout": ("float", 0.0, 0.8),
        "beta_max": ("float", 0.0, 1.0),
        "learning_rate": ("float", 1e-4, 1e-2, "log"),
        "weight_decay": ("float", 1e-8, 1e-3, "log"),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **TRAINING_CONSTRAINTS,
        "n_hidden": Interval("int", 1),
        "n_factors": Interval("int", 1),
        "dropout": Interval("real", 0, 1, closed="left"),
        "beta_max": Interval("real", 0),
        "total_anneal_steps": Interval("int", 1),
    }

    def __init__(
        self,
        n_hidden: int = 600,
        n_factors: int = 200,
        dropout: float = 0.5,
        beta_max: float = 0.2,
        total_anneal_steps: int = 2000,
        n_epochs: int = 200,
        batch_size: int = 100,
        learning_rate: float = 0.001,
        weight_decay: float = 0.0,
        optimizer: str = "adam",
        schedule: str = "constant",
        clip_norm: float = 0.0,
        patience: int = 20,
        validation: float = 0.1,
        device: str = "auto",
        n_threads: int = 0,
        random_state: int | None = 42,
    ) -> None:
        self.n_hidden = n_hidden
        self.n_factors = n_factors
        self.dropout = dropout
        self.beta_max = beta_max
        self.total_anneal_steps = total_anneal_steps
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
        return replace(super().__tastemaker_tags__(), folds_in=True, updates=True)

    def _build_module(self) -> MultVAEModule:
        return MultVAEModule(
            self.n_items, int(self.n_hidden), int(self.n_factors), float(self.dropout)
        )

    def _prepare(self, train: TrainingPart) -> None:
        train.cache["step"] = 0

    def _batches(self, train: TrainingPart, rng: np.random.Generator) -> Iterator[dict]:
        X = train.X
        users = np.flatnonzero(np.diff(X.indptr) > 0)
        order = users[rng.permutation(len(users))]
        size = int(self.batch_size)
        for start in range(0, len(order), size):
            rows = X[np.sort(order[start : start + size])].toarray().astype(np.float32)
            step = train.cache["step"]
            train.cache["step"] = step + 1
            beta = min(float(self.beta_max), step / int(self.total_anneal_steps))
            yield {"rows": rows, "beta": beta}

    def _loss(self, module: MultVAEModule, batch: dict) -> torch.Tensor:
        rows = batch["rows"]
        logits, mu, logvar = module(rows)
        kl = -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1).mean()
        return losses.multinomial(logits, rows) + batch["beta"] * kl

    def _module_scores(self, module: MultVAEModule, query: Query) -> torch.Tensor:
        rows = torch.from_numpy(query.X.toarray().astype(np.float32))
        return module(rows)[0]

    def _update(self, users: np.ndarray) -> None:
        pass  # scores are read from the (updated) history rows; weights stay as fitted
