"""The one training loop every neural model uses.

A model supplies its module, its batches and its loss (see
:class:`tastemaker.models.TorchRecommender`); :func:`train` owns the rest: epochs,
device, the optimizer and its schedule, gradient clipping, early stopping on a
validation metric with the best weights restored, distributed data-parallel training
when a process group is up, progress and logs.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from tastemaker import _progress
from tastemaker.errors import ParameterError, hint
from tastemaker.nn import distributed

__all__ = ["Batch", "History", "TrainConfig", "resolve_device", "seeded", "threads", "train"]

logger = logging.getLogger(__name__)

Batch = Mapping[str, Any]
"""One mini-batch: named NumPy arrays or tensors (moved to the device by the loop)."""

OPTIMIZERS = ("adam", "adamw")
SCHEDULES = ("constant", "cosine", "linear")


@dataclass(frozen=True)
class TrainConfig:
    """How :func:`train` optimises.

    Attributes
    ----------
    n_epochs : int
        Passes over the batches (at most: early stopping may end sooner).
    learning_rate : float
    weight_decay : float
        L2 penalty (Adam) or decoupled weight decay (AdamW).
    optimizer : {"adam", "adamw"}
    schedule : {"constant", "cosine", "linear"}
        The learning rate per epoch: constant, cosine-annealed or linearly decayed to 0.
    clip_norm : float
        Gradients are clipped to this total norm (0: no clipping).
    patience : int
        Stop after this many epochs without a better validation metric (0: run every
        epoch). The best epoch's weights are restored either way.
    device : str
        ``"auto"`` (cuda when present, else cpu), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    label : str
        The model's name in progress, logs and messages.
    """

    n_epochs: int
    learning_rate: float
    weight_decay: float = 0.0
    optimizer: str = "adam"
    schedule: str = "constant"
    clip_norm: float = 0.0
    patience: int = 0
    device: str = "auto"
    label: str = "model"


@dataclass
class History:
    """What training did, epoch by epoch (``history_`` of a neural model).

    ``epochs`` holds one dict per epoch: ``epoch``, ``loss`` (mean over batches),
    ``metric`` (validation, or None), ``learning_rate``, ``seconds``, ``examples``.
    """

    metric: str | None = None
    epochs: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    best_metric: float | None = None
    stopped_early: bool = False
    device: str = "cpu"
    world_size: int = 1

    @property
    def seconds(self) -> float:
        return float(sum(e["seconds"] for e in self.epochs))

    @property
    def examples(self) -> int:
        return int(sum(e["examples"] for e in self.epochs))

    @property
    def throughput(self) -> float:
        """Training examples per second (of this process's share, times the world)."""
        return self.examples * self.world_size / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = self.seconds
        out["throughput"] = self.throughput
        return out


def resolve_device(device: str) -> torch.device:
    """The torch device ``device`` names (``"auto"``: cuda when present, else cpu)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        out = torch.device(device)
    except RuntimeError as err:
        raise ParameterError(
            f"device {device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'"
        ) from err  # (model parameters are checked before: this is the loop's own API)
    if out.type == "cuda" and not torch.cuda.is_available():
        fix = hint("device='cpu' (or 'auto')", "--set device=cpu (or auto)")
        raise ParameterError(
            f"device {device!r} was asked for, but torch sees no CUDA device here; use {fix}"
        )
    return out


@contextmanager
def threads(n_threads: int = 0) -> Iterator[None]:
    """Use ``n_threads`` CPU threads for torch in a block (0: unchanged)."""
    saved = torch.get_num_threads()
    if n_threads:
        torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        if n_threads:
            torch.set_num_threads(saved)


@contextmanager
def seeded(seed: int, n_threads: int = 0) -> Iterator[None]:
    """Seed torch for a block (module initialisation, dropout) without touching the
    caller's global random state, and use ``n_threads`` CPU threads (0: unchanged)."""
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices), threads(n_threads):
        torch.manual_seed(int(seed))
        yield


def _to_device(batch: Batch, device: torch.device) -> dict[str, Any]:
    out = {}
    for key, value in batch.items():
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(value)
        if isinstance(value, torch.Tensor):
            value = value.to(device, non_blocking=True)
        out[key] = value
    return out


def _n_examples(batch: Batch) -> int:
    if "n" in batch:
        return int(batch["n"])
    for value in batch.values():
        if hasattr(value, "shape") and len(value.shape):
            return int(value.shape[0])
    return 0


class _LossModule(torch.nn.Module):
    """The module and its loss as one module, so that data-parallel training
    synchronises gradients whatever methods of the module the loss calls."""

    def __init__(self, module: torch.nn.Module, loss: Callable[[Any, Batch], torch.Tensor]):
        super().__init__()
        self.inner = module
        self._loss = loss

    def forward(self, batch: Batch) -> torch.Tensor:
        return self._loss(self.inner, batch)


def _schedule(optimizer, name: str, n_epochs: int):
    if name == "cosine":
        lam = lambda e: 0.5 * (1.0 + math.cos(math.pi * e / max(n_epochs, 1)))  # noqa: E731
    elif name == "linear":
        lam = lambda e: max(0.0, 1.0 - e / max(n_epochs, 1))  # noqa: E731
    else:
        lam = lambda e: 1.0  # noqa: E731
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lam)


def train(
    module: torch.nn.Module,
    batches: Callable[[int], Iterable[Batch]],
    loss: Callable[[torch.nn.Module, Batch], torch.Tensor],
    config: TrainConfig,
    validate: Callable[[torch.nn.Module], float] | None = None,
    metric: str = "ndcg@10",
) -> History:
    """Train ``module`` in place and return its :class:`History`.

    Parameters
    ----------
    module : torch.nn.Module
        Built by the model; moved to the device for training, left on CPU in eval mode.
    batches : callable
        ``batches(epoch)`` gives the epoch's mini-batches (named arrays or tensors).
        Under distributed training every process must get the same batches: each
        trains on its share (every ``world_size``-th batch, equal counts).
    loss : callable
        ``loss(module, batch)``: the scalar to minimise.
    config : TrainConfig
    validate : callable, optional
        ``validate(module)``: a validation metric, higher is better, computed after every
        epoch with the module in eval mode under ``no_grad``. Early stopping and
        best-weight restore follow it; without it the last epoch's weights are kept.
    metric : str
        The validation metric's name, for progress and logs.
    """
    if config.optimizer not in OPTIMIZERS:
        raise ParameterError(f"optimizer must be one of {OPTIMIZERS}, got {config.optimizer!r}")
    if config.schedule not in SCHEDULES:
        raise ParameterError(f"schedule must be one of {SCHEDULES}, got {config.schedule!r}")
    device = resolve_device(config.device)
    rank, world_size = distributed.rank_and_size()
    if world_size > 1 and device.type == "cuda":
        device = torch.device("cuda", rank % torch.cuda.device_count())
    module.to(device)
    wrapped: torch.nn.Module = _LossModule(module, loss)
    if world_size > 1:
        wrapped = distributed.wrap(wrapped, device)
    params = [p for p in module.parameters() if p.requires_grad]
    opt_cls = torch.optim.AdamW if config.optimizer == "adamw" else torch.optim.Adam
    optimizer = opt_cls(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = _schedule(optimizer, config.schedule, config.n_epochs)
    history = History(
        metric=metric if validate is not None else None,
        device=str(device),
        world_size=world_size,
    )
    best_state: dict[str, torch.Tensor] | None = None
    best = -math.inf
    bad_epochs = 0
    with _progress.tracker(config.n_epochs, f"{config.label} epochs") as advance:
        for epoch in range(1, config.n_epochs + 1):
            start = time.perf_counter()
            module.train()
            total, n_batches, examples = 0.0, 0, 0
            epoch_batches = batches(epoch)
            if world_size > 1:
                epoch_batches = distributed.shard(epoch_batches, rank, world_size)
            lr = optimizer.param_groups[0]["lr"]
            for batch in epoch_batches:
                batch = _to_device(batch, device)
                optimizer.zero_grad(set_to_none=True)
                value = wrapped(batch)
                if not torch.isfinite(value):
                    fix = hint(
                        f"lower learning_rate (now {config.learning_rate}) or set clip_norm",
                        f"lower it with --set learning_rate=... (now {config.learning_rate}) "
                        "or set --set clip_norm=5",
                    )
                    raise ParameterError(
                        f"{config.label}: the training loss became {value.item()} in epoch "
                        f"{epoch}; {fix}"
                    )
                value.backward()
                if config.clip_norm:
                    torch.nn.utils.clip_grad_norm_(params, config.clip_norm)
                optimizer.step()
                total += float(value.detach())
                n_batches += 1
                examples += _n_examples(batch)
            scheduler.step()
            value = None
            if validate is not None:
                module.eval()
                with torch.no_grad():
                    value = distributed.agree(float(validate(module)))
            record = {
                "epoch": epoch,
                "loss": total / max(n_batches, 1),
                "metric": value,
                "learning_rate": lr,
                "seconds": time.perf_counter() - start,
                "examples": examples,
            }
            history.epochs.append(record)
            improved = value is not None and value > best
            if improved:
                best = value
                best_state = copy.deepcopy(module.state_dict())
                history.best_epoch, history.best_metric = epoch, value
                bad_epochs = 0
            elif value is not None:
                bad_epochs += 1
            note = f"loss {record['loss']:.4f}"
            if value is not None:
                note += f", {metric} {value:.4f}" + (" (best)" if improved else "")
            logger.info(
                "%s epoch %d/%d: %s, %.1fs",
                config.label,
                epoch,
                config.n_epochs,
                note,
                record["seconds"],
            )
            advance(1, f"{config.label} epoch {epoch}: {note}")
            if config.patience and bad_epochs >= config.patience:
                history.stopped_early = epoch < config.n_epochs
                break
    if validate is None:
        history.best_epoch = len(history.epochs)
    elif best_state is not None:
        module.load_state_dict(best_state)
    module.to("cpu")
    module.eval()
    return history
