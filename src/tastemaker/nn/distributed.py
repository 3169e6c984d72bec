"""Distributed data-parallel training on ``torch.distributed``.

Each process builds the same module and the same batches (same seed); the loop wraps
the module in :class:`~torch.nn.parallel.DistributedDataParallel`, every process trains
on its share of the batches and gradients are averaged after each step, so all
processes hold the same weights. Backends: gloo on CPU, NCCL on GPU.

Two ways to start: :func:`launch` spawns ``nproc`` processes on this machine
(``tastemaker train --nproc N``); under ``torchrun`` (several nodes) the processes
find each other through the environment it sets (``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``, ``MASTER_PORT``) and :func:`init_from_env` joins them.
"""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
import torch.distributed as dist

__all__ = [
    "agree",
    "init_from_env",
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
    """This rank's share: every ``world_size``-th batch, the same count on every rank
    (a remainder of fewer than ``world_size`` batches is left out of the epoch)."""
    items = list(batches)
    usable = len(items) - len(items) % world_size
    return itertools.islice(items, rank, usable, world_size)


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


def _worker(rank: int, world_size: int, port: int, backend: str, fn, args) -> None:
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
    finally:
        dist.destroy_process_group()


def launch(fn: Callable[..., None], nproc: int, args: tuple = (), device: str = "cpu") -> None:
    """Run ``fn(rank, *args)`` in ``nproc`` processes joined in one process group
    (gloo on CPU, NCCL on GPU); returns when all have finished, raises if one failed.
    ``fn`` must be importable (a module-level function)."""
    import torch.multiprocessing as mp

    port = _free_port()
    mp.spawn(
        _worker,
        args=(nproc, port, backend_for(device), fn, args),
        nprocs=nproc,
        join=True,
    )
