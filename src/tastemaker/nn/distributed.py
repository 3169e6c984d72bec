"""Distributed data-parallel training on ``torch.distributed``.

Each process builds the same module and the same batches (same seed); the loop wraps
the module in :class:`~torch.nn.parallel.DistributedDataParallel`, every process trains
on its share of the batches and gradients are averaged after each step, so all
processes hold the same weights. Backends: gloo on CPU, NCCL on GPU.

Two ways to start: :func:`launch` spawns ``nproc`` processes on this machine
(``tastemaker train --nproc N``); under ``torchrun`` (several nodes) the processes
find each other through the environment it sets (``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``, ``MASTER_PORT``) and :func:`init_from_env` joins them.
:func:`tastemaker.models.fit_distributed` does either for a neural model and returns it
fitted.

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
    "cores",
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


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
