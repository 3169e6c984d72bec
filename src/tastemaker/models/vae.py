"""Variational autoencoders of user rows: Mult-VAE and RecVAE."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tastemaker._validation import Interval, param_error
from tastemaker.models._neural import TRAINING_CONSTRAINTS, TorchRecommender, TrainingPart
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.registry import register
from tastemaker.nn import losses

__all__ = ["MultVAE", "MultVAEModule", "RecVAE", "RecVAEModule"]


def _user_rows(X, rng: np.random.Generator, size: int) -> Iterator[np.ndarray]:
    """One pass over the users with interactions in ``X``, shuffled: dense float32 rows,
    ``size`` users at a time."""
    users = np.flatnonzero(np.diff(X.indptr) > 0)
    order = users[rng.permutation(len(users))]
    for start in range(0, len(order), size):
        yield X[np.sort(order[start : start + size])].toarray().astype(np.float32)


class _RowAutoencoder(TorchRecommender):
    """What the autoencoders share: a user is a row of the interaction matrix, read by
    the encoder at scoring time (fold-in and ``update`` need no retraining)."""

    matrix_values = "binary"

    def __tastemaker_tags__(self) -> Tags:
        return replace(super().__tastemaker_tags__(), folds_in=True, updates=True)

    def _module_scores(self, module: nn.Module, query: Query) -> torch.Tensor:
        rows = torch.from_numpy(query.X.toarray().astype(np.float32))
        return module(rows)[0]

    def _update(self, users: np.ndarray) -> None:
        pass  # scores are read from the (updated) history rows; weights stay as fitted


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
class MultVAE(_RowAutoencoder):
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

    def _build_module(self) -> MultVAEModule:
        return MultVAEModule(
            self.n_items, int(self.n_hidden), int(self.n_factors), float(self.dropout)
        )

    def _prepare(self, train: TrainingPart) -> None:
        train.cache["step"] = 0

    def _batches(self, train: TrainingPart, rng: np.random.Generator) -> Iterator[dict]:
        for rows in _user_rows(train.X, rng, int(self.batch_size)):
            step = train.cache["step"]
            train.cache["step"] = step + 1
            beta = min(float(self.beta_max), step / int(self.total_anneal_steps))
            yield {"rows": rows, "beta": beta}

    def _loss(self, module: MultVAEModule, batch: dict) -> torch.Tensor:
        rows = batch["rows"]
        logits, mu, logvar = module(rows)
        kl = -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1).mean()
        return losses.multinomial(logits, rows) + batch["beta"] * kl


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Log density of ``z`` under independent normals, per coordinate."""
    return -0.5 * (logvar + np.log(2 * np.pi) + (z - mu).pow(2) / logvar.exp())


class RecVAEEncoder(nn.Module):
    """``n_layers`` dense layers of width ``n_hidden`` (swish, then layer norm; each layer
    also gets the sum of the earlier layers' outputs), then the latent mean and
    log-variance. The input row is L2-normalised and dropped out with ``dropout``."""

    def __init__(self, n_items: int, n_hidden: int, n_factors: int, n_layers: int):
        super().__init__()
        widths = [n_items] + [n_hidden] * (n_layers - 1)
        self.layers = nn.ModuleList(nn.Linear(w, n_hidden) for w in widths)
        self.norms = nn.ModuleList(nn.LayerNorm(n_hidden, eps=0.1) for _ in widths)
        self.mu = nn.Linear(n_hidden, n_factors)
        self.logvar = nn.Linear(n_hidden, n_factors)

    def forward(self, rows: torch.Tensor, dropout: float) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.dropout(F.normalize(rows, dim=-1), p=dropout, training=self.training)
        total = None
        for layer, norm in zip(self.layers, self.norms, strict=True):
            out = layer(x) if total is None else layer(x) + total
            x = norm(F.silu(out))
            total = x if total is None else total + x
        return self.mu(x), self.logvar(x)


class RecVAEModule(nn.Module):
    """RecVAE's encoder, a linear decoder and the composite prior: a mixture of the
    standard normal, the posterior under a frozen copy of the encoder (``old``, taken
    before each decoder pass) and a wide normal (log-variance 10)."""

    def __init__(
        self,
        n_items: int,
        n_hidden: int,
        n_factors: int,
        n_layers: int,
        dropout: float,
        mixture: tuple[float, float, float],
    ):
        super().__init__()
        self.dropout = dropout
        self.encoder = RecVAEEncoder(n_items, n_hidden, n_factors, n_layers)
        self.old = RecVAEEncoder(n_items, n_hidden, n_factors, n_layers)
        self.old.requires_grad_(False)
        self.old.load_state_dict(self.encoder.state_dict())
        self.decoder = nn.Linear(n_factors, n_items)
        self.register_buffer("log_mixture", torch.log(torch.tensor(mixture)))

    def forward(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits over the catalogue from the latent mean (no dropout, no sampling), and
        the mean and log-variance."""
        mu, logvar = self.encoder(rows, 0.0)
        return self.decoder(mu), mu, logvar

    def log_prior(self, rows: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Log density of ``z`` under the composite prior of each row, per coordinate."""
        self.old.eval()
        old_mu, old_logvar = self.old(rows, 0.0)
        zero = torch.zeros_like(z)
        parts = torch.stack(
            [
                _log_normal(z, zero, zero),
                _log_normal(z, old_mu, old_logvar),
                _log_normal(z, zero, zero + 10.0),
            ],
            dim=-1,
        )
        return torch.logsumexp(parts + self.log_mixture, dim=-1)

    @torch.no_grad()
    def refresh_prior(self) -> None:
        """Copy the encoder into the prior's frozen encoder."""
        for old, new in zip(self.old.parameters(), self.encoder.parameters(), strict=True):
            old.copy_(new)


@register("recvae")
class RecVAE(_RowAutoencoder):
    """RecVAE: a variational autoencoder with a composite prior and alternating updates
    (Shenbin et al. 2020).

    As :class:`MultVAE`, a user is a row of the interaction matrix, the encoder maps it
    (binary, L2-normalised, dropped out) to a Gaussian latent user and the decoder to a
    softmax over the catalogue, trained on the multinomial log-likelihood less a weighted
    KL term. RecVAE changes four things:

    - the encoder is deeper: ``n_layers`` dense layers with swish activations, layer
      normalisation and connections from every earlier layer;
    - the prior is a mixture of a standard normal, the latent posterior under the
      encoder's weights of the previous epoch (frozen) and a wide normal (log-variance
      10), weighted by ``mixture_previous`` and ``mixture_wide``; the KL term is
      estimated from the sampled latent;
    - the KL weight of a user is ``gamma`` times their number of interactions;
    - the encoder and the decoder are updated in turn: each epoch makes
      ``n_encoder_passes`` passes over the users updating the encoder only (input
      dropout ``dropout``), refreshes the prior's copy of the encoder, then
      ``n_decoder_passes`` passes updating the decoder only (no dropout). Validation and
      early stopping follow whole epochs.

    Scoring decodes the latent mean of the query's rows: new users are folded in from a
    history without retraining, and ``update`` only adds the events to ``seen_``. Users
    without history get the popularity fallback.

    Parameters
    ----------
    n_hidden : int, default=600
        Width of the encoder's layers.
    n_factors : int, default=200
        Size of the latent user.
    n_layers : int, default=5
        Dense layers of the encoder.
    dropout : float, default=0.5
        Dropout of the normalised input row in the encoder passes.
    gamma : float, default=0.005
        KL weight per interaction of the user.
    mixture_previous, mixture_wide : float, default=0.75, 0.1
        Weights of the previous posterior and of the wide normal in the prior; the
        standard normal has the rest (their sum must be below 1).
    n_encoder_passes, n_decoder_passes : int, default=3, 1
        Passes over the users per epoch updating the encoder, then the decoder.
    n_epochs, batch_size, learning_rate, weight_decay, optimizer, schedule, clip_norm,
    patience, validation, device, n_threads, random_state
        Training (see :class:`~tastemaker.models.TorchRecommender`); ``batch_size``
        counts users (default 100: the paper's 500 gave ML-100K's 750 training users two
        updates a pass, and a lower validation NDCG@10). One optimiser holds every
        weight; each pass gives gradients to its own part only, so the other part's
        moments wait.

    Attributes
    ----------
    history_ : dict
        Training history (see :class:`~tastemaker.models.TorchRecommender`); the
        examples of the throughput are user rows over all passes.

    References
    ----------
    Shenbin, Alekseev, Tutubalina, Malykh & Nikolenko (2020). RecVAE: a new variational
    autoencoder for top-N recommendations with implicit feedback. WSDM.
    """

    search_space: ClassVar[dict[str, tuple]] = {
        "n_hidden": ("int", 100, 1000, "log"),
        "n_factors": ("int", 32, 400, "log"),
        "dropout": ("float", 0.0, 0.8),
        "gamma": ("float", 1e-4, 0.05, "log"),
        "learning_rate": ("float", 1e-4, 1e-2, "log"),
        "n_encoder_passes": ("int", 1, 5),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **TRAINING_CONSTRAINTS,
        "n_hidden": Interval("int", 1),
        "n_factors": Interval("int", 1),
        "n_layers": Interval("int", 1),
        "dropout": Interval("real", 0, 1, closed="left"),
        "gamma": Interval("real", 0),
        "mixture_previous": Interval("real", 0, 1, closed="neither"),
        "mixture_wide": Interval("real", 0, 1, closed="neither"),
        "n_encoder_passes": Interval("int", 1),
        "n_decoder_passes": Interval("int", 1),
    }

    def __init__(
        self,
        n_hidden: int = 600,
        n_factors: int = 200,
        n_layers: int = 5,
        dropout: float = 0.5,
        gamma: float = 0.005,
        mixture_previous: float = 0.75,
        mixture_wide: float = 0.1,
        n_encoder_passes: int = 3,
        n_decoder_passes: int = 1,
        n_epochs: int = 100,
        batch_size: int = 100,
        learning_rate: float = 0.0005,
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
        self.n_layers = n_layers
        self.dropout = dropout
        self.gamma = gamma
        self.mixture_previous = mixture_previous
        self.mixture_wide = mixture_wide
        self.n_encoder_passes = n_encoder_passes
        self.n_decoder_passes = n_decoder_passes
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
        if self._mixture()[0] <= 0:
            raise param_error(
                self._label(),
                "mixture_wide",
                "a weight that leaves the standard normal a positive share "
                f"(mixture_previous + mixture_wide < 1; mixture_previous is "
                f"{self.mixture_previous})",
                self.mixture_wide,
            )

    def _mixture(self) -> tuple[float, float, float]:
        """Weights of the standard normal, the previous posterior and the wide normal."""
        previous, wide = float(self.mixture_previous), float(self.mixture_wide)
        return (1.0 - previous - wide, previous, wide)

    def _build_module(self) -> RecVAEModule:
        return RecVAEModule(
            self.n_items,
            int(self.n_hidden),
            int(self.n_factors),
            int(self.n_layers),
            float(self.dropout),
            self._mixture(),
        )

    def _batches(self, train: TrainingPart, rng: np.random.Generator) -> Iterator[dict]:
        size = int(self.batch_size)
        for _ in range(int(self.n_encoder_passes)):
            for rows in _user_rows(train.X, rng, size):
                yield {"rows": rows, "part": "encoder", "refresh": False}
        for k in range(int(self.n_decoder_passes)):
            for i, rows in enumerate(_user_rows(train.X, rng, size)):
                yield {"rows": rows, "part": "decoder", "refresh": k == 0 and i == 0}

    def _loss(self, module: RecVAEModule, batch: dict) -> torch.Tensor:
        """The negative ELBO; an encoder batch leaves the decoder without gradients, a
        decoder batch the encoder (the first decoder batch of an epoch refreshes the
        prior's copy of the encoder)."""
        rows = batch["rows"]
        if batch["part"] == "decoder":
            if batch["refresh"]:
                module.refresh_prior()
            with torch.no_grad():
                mu, logvar = module.encoder(rows, 0.0)
                z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            return losses.multinomial(module.decoder(z), rows)
        mu, logvar = module.encoder(rows, module.dropout)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        logits = F.linear(z, module.decoder.weight.detach(), module.decoder.bias.detach())
        kl = (_log_normal(z, mu, logvar) - module.log_prior(rows, z)).sum(dim=-1)
        weight = float(self.gamma) * rows.sum(dim=-1)
        return losses.multinomial(logits, rows) + (weight * kl).mean()
