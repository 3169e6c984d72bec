"""Distributed data-parallel training on ``torch.distributed``.

Each process builds the same module and the same batches (same seed); the loop wraps
the module in :class:`~torch.nn.parallel.DistributedDataParallel`, every process trains
on its share of the batches and gradients are averaged after each step, so all
processes hold the same weights. Backends: gloo on CPU, NCCL on GPU.

Two ways to start: :func:`launch` spawns ``nproc`` processes on this machine
(``tastemaker train --nproc N``); under ``torchrun`` (several nodes) the processes
find each other through the environment it sets (``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``, ``MASTER_PORT``) and :func:`init_from_env` joins them.
:func:`fit_distributed` does either for a neural model and returns it fitted.

Each process trains on every ``world_size``-th batch, so one optimizer step sees
``world_size`` batches (their gradients averaged): the effective batch size is
``batch_size * world_size`` and an epoch has ``1 / world_size`` as many steps.

``nproc`` is limited to the CPU cores this process may use (on CPU) or to the CUDA
devices (on GPU): more processes than that never train faster (they share cores, and
NCCL refuses two processes on one device), so it is an error rather than a warning.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
import torch.distributed as dist

logger = logging.getLogger(__name__)

__all__ = [
    "agree",
    "check_nproc",
    "fit_distributed",
    "init_from_env",
    "is_leader",
    "launch",
    "rank_and_size",
    "shard",
    "under_launcher",
    "wrap",
]


def rank_and_size() -> tuple[int, int]:
    """This process's rank and the world size (0 and 1 when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_leader() -> bool:
    """Whether this process writes results: rank 0 of the group or of the launcher (the
    only process when not distributed)."""
    rank, _ = rank_and_size()
    return rank == 0 and os.environ.get("RANK", "0") == "0"


def under_launcher() -> bool:
    """Whether torchrun (or another launcher) started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ


def backend_for(device: str) -> str:
    return "nccl" if device.startswith("cuda") and torch.cuda.is_available() else "gloo"


def init_from_env(device: str = "cpu") -> None:
    """Join the process group described by the launcher's environment variables."""
    if not dist.is_initialized():
        dist.init_process_group(backend_for(device), init_method="env://")


def wrap(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)


def shard(batches: Iterable[Any], rank: int, world_size: int) -> Iterator[Any]:
    """This rank's share: every ``world_size``-th batch, the same count on every rank.

    When the batches do not divide evenly, the first ones are repeated to fill the
    last round (as ``DistributedSampler`` pads), so that no batch is left out and an
    epoch with fewer batches than processes still trains every rank.
    """
    items = list(batches)
    if not items:
        return iter(())
    n_rounds = -(-len(items) // world_size)
    padded = itertools.islice(itertools.cycle(items), n_rounds * world_size)
    return itertools.islice(padded, rank, None, world_size)


def agree(value: float) -> float:
    """Rank 0's ``value`` on every rank (so that all stop on the same epoch)."""
    _, world_size = rank_and_size()
    if world_size == 1:
        return value
    tensor = torch.tensor([value], dtype=torch.float64)
    dist.broadcast(tensor, src=0)
    return float(tensor.item())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _worker(
    rank: int, world_size: int, port: int, backend: str, fn, args, errors: str | None
) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size),
    )
    dist.init_process_group(backend, rank=rank, world_size=world_size)
    try:
        fn(rank, *args)
    except BaseException as err:
        if errors is not None:  # before the group goes: the others fail once it does
            _report(errors, rank, err)
        raise
    finally:
        dist.destroy_process_group()


def _report(folder: str, rank: int, err: BaseException) -> None:
    """Tell the parent what went wrong, in words it can raise again."""
    report = {
        "time": time.time(),
        "type": type(err).__name__,
        "message": str(err),
        "traceback": traceback.format_exc(),
    }
    with open(os.path.join(folder, f"{rank}.json"), "w", encoding="utf-8") as fh:
        json.dump(report, fh)


def launch(fn: Callable[..., None], nproc: int, args: tuple = (), device: str = "cpu") -> None:
    """Run ``fn(rank, *args)`` in ``nproc`` processes joined in one process group
    (gloo on CPU, NCCL on GPU); returns when all have finished.

    ``fn`` must be importable (a module-level function) and ``args`` picklable. When a
    process fails the others are stopped and its error is raised here: a
    :class:`~tastemaker.errors.UserError` as the same class and message, anything else
    as a :class:`~tastemaker.errors.TastemakerError` naming the rank and the error (its
    traceback in the debug log).
    """
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory(prefix="tastemaker-ddp-") as errors:
        try:
            mp.spawn(
                _worker,
                args=(nproc, _free_port(), backend_for(device), fn, args, errors),
                nprocs=nproc,
                join=True,
            )
        except Exception as err:
            raise _worker_error(errors, err) from None


def _worker_error(folder: str, err: Exception) -> Exception:
    """The error of the rank that failed first, rebuilt from its report (else ``err``)."""
    from tastemaker import errors as errors_module
    from tastemaker.errors import TastemakerError, UserError

    reports = []
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            reports.append((json.load(fh), int(name.split(".")[0])))
    if not reports:
        return TastemakerError(f"a training process died without a Python error: {err}")
    # the first to fail is the cause; the others then lost their peer
    report, rank = min(reports, key=lambda pair: (pair[0]["time"], pair[1]))
    logger.debug("training process %d failed:\n%s", rank, report["traceback"])
    cls = getattr(errors_module, report["type"], None)
    if isinstance(cls, type) and issubclass(cls, UserError):
        return cls(report["message"])
    return TastemakerError(
        f"training process {rank} of the data-parallel group failed: {report['type']}: "
        f"{report['message']} (run with --verbose for its traceback)"
    )


# -- fitting a model in several processes ----------------------------------------------
def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def check_nproc(model: Any, nproc: Any, device: torch.device | None = None) -> None:
    """Refuse an ``nproc`` that :func:`fit_distributed` cannot use for ``model``: not a
    positive integer, a model that is not neural, more processes than CPU cores (on
    CPU) or CUDA devices (on GPU; ``device``: the model's)."""
    from tastemaker._validation import Interval, check
    from tastemaker.errors import ParameterError, hint
    from tastemaker.models._neural import TorchRecommender
    from tastemaker.nn.loop import resolve_device

    flag = hint("nproc", "--nproc")
    check(None, "nproc", nproc, Interval("int", 1), flag="--nproc")
    if nproc == 1:
        return
    if not isinstance(model, TorchRecommender):
        raise ParameterError(
            f"{flag}={nproc} trains a neural model in several processes, but "
            f"{model.name} has no torch training loop; drop {flag} or choose a neural model "
            "(see `tastemaker models`)"
        )
    if device is None:
        device = resolve_device(model.device)
    if device.type == "cuda":
        n_gpus = torch.cuda.device_count()
        if nproc > n_gpus:
            raise ParameterError(
                f"{flag}={nproc} asks for more processes than the {n_gpus} CUDA device(s) "
                f"here (one process per device); use {flag} {n_gpus} or less"
            )
    elif device.type == "cpu" and nproc > _cores():
        raise ParameterError(
            f"{flag}={nproc} asks for more training processes than the {_cores()} CPU "
            f"core(s) this process may use; they would share cores and train slower than "
            f"fewer; use {flag} {_cores()} or less"
        )


def fit_distributed(model: Any, data: Any, nproc: int = 1, *, out: Any = None) -> Any:
    """Fit a neural ``model`` on ``data`` with data-parallel training; return it fitted.

    Parameters
    ----------
    model : TorchRecommender
        An unfitted neural model (:class:`~tastemaker.models.TorchRecommender`); its
        ``device`` picks the backend (gloo on CPU, NCCL on GPU).
    data : Dataset
    nproc : int, default=1
        Processes to spawn on this machine, at most the CPU cores (on CPU) or the CUDA
        devices (on GPU). 1: ``model.fit(data)`` in this process. Under ``torchrun``
        leave it at 1: the launcher started the processes, and each joins the group.
    out : path, optional
        Directory the fitted model is saved to, by rank 0 only (atomically).

    Returns
    -------
    Recommender
        With ``nproc > 1``, a new object: rank 0's model, saved and loaded back (every
        rank holds the same weights). Under ``torchrun``, ``model`` itself on every rank.

    Raises
    ------
    ParameterError
        ``nproc`` is not a positive integer, exceeds the cores or devices, is given
        under ``torchrun``, or ``model`` is not neural.
    """
    from tastemaker.errors import ParameterError, hint, in_cli
    from tastemaker.nn.loop import resolve_device

    device = resolve_device(getattr(model, "device", "cpu"))
    check_nproc(model, nproc, device)
    if under_launcher():
        if nproc != 1:
            raise ParameterError(
                f"{hint('nproc', '--nproc')}={nproc} with torchrun: the launcher already "
                f"started {os.environ['WORLD_SIZE']} processes; drop {hint('nproc', '--nproc')}"
            )
        check_nproc(model, int(os.environ["WORLD_SIZE"]), torch.device("meta"))
        started = not dist.is_initialized()
        init_from_env(str(device))
        root = logging.getLogger("tastemaker")
        level = root.level
        if not is_leader():  # rank 0 tells how training goes
            root.setLevel(max(level, logging.WARNING))
        try:
            model.fit(data)
            if out is not None and is_leader():
                model.save(out)
        finally:
            root.setLevel(level)
            if started:
                dist.destroy_process_group()
        return model
    if nproc == 1:
        model.fit(data)
        if out is not None:
            model.save(out)
        return model
    model._check_params()  # a bad parameter is reported before any process starts
    from tastemaker.models import load

    settings = {
        "level": logging.getLogger("tastemaker").getEffectiveLevel(),
        "cli": in_cli(),
        "threads": max(1, _cores() // nproc) if device.type == "cpu" else 0,
    }
    with tempfile.TemporaryDirectory(prefix="tastemaker-ddp-model-") as tmp:
        target = str(out) if out is not None else os.path.join(tmp, "model")
        spec = (type(model), model.get_params(), data, target, settings)
        launch(_fit_rank, nproc, args=spec, device=str(device))
        return load(target)


def _fit_rank(rank: int, cls: type, params: dict, data: Any, target: str, settings: dict):
    """One process of :func:`fit_distributed`: fit, and save on rank 0."""
    from contextlib import nullcontext

    from tastemaker.errors import cli_interface

    if settings["threads"]:
        torch.set_num_threads(settings["threads"])
    if rank == 0:  # the others train silently
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        root = logging.getLogger("tastemaker")
        root.handlers = [handler]
        root.setLevel(settings["level"])
        root.propagate = False
    with cli_interface() if settings["cli"] else nullcontext():
        model = cls(**params)
        model.fit(data)
        if rank == 0:
            model.save(target)
