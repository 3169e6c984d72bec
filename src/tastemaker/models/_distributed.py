"""Fitting a neural model in several processes: data-parallel training.

The processes themselves, their group and the sharding of batches are
:mod:`tastemaker.nn.distributed`'s; here a model is fitted by them and saved by rank 0.
"""

from __future__ import annotations

import logging
import os
import tempfile
from contextlib import nullcontext
from typing import Any

import torch
import torch.distributed as dist

from tastemaker._validation import Interval, check
from tastemaker.errors import ParameterError, cli_interface, hint, in_cli
from tastemaker.models._artifacts import load
from tastemaker.models._neural import TorchRecommender
from tastemaker.nn.distributed import cores, init_from_env, is_leader, launch, under_launcher
from tastemaker.nn.loop import resolve_device

__all__ = ["check_nproc", "fit_distributed"]


def check_nproc(model: Any, nproc: Any, device: torch.device | None = None) -> None:
    """Refuse an ``nproc`` that :func:`fit_distributed` cannot use for ``model``: not a
    positive integer, a model that is not neural, more processes than CPU cores (on
    CPU) or CUDA devices (on GPU; ``device``: the model's)."""
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
    elif device.type == "cpu" and nproc > cores():
        raise ParameterError(
            f"{flag}={nproc} asks for more training processes than the {cores()} CPU "
            f"core(s) this process may use; they would share cores and train slower than "
            f"fewer; use {flag} {cores()} or less"
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

    settings = {
        "level": logging.getLogger("tastemaker").getEffectiveLevel(),
        "cli": in_cli(),
        "threads": max(1, cores() // nproc) if device.type == "cpu" else 0,
    }
    with tempfile.TemporaryDirectory(prefix="tastemaker-ddp-model-") as tmp:
        target = str(out) if out is not None else os.path.join(tmp, "model")
        spec = (type(model), model.get_params(), data, target, settings)
        launch(_fit_rank, nproc, args=spec, device=str(device))
        return load(target)


def _fit_rank(rank: int, cls: type, params: dict, data: Any, target: str, settings: dict):
    """One process of :func:`fit_distributed`: fit, and save on rank 0."""
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
