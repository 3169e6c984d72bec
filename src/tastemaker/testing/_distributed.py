"""Functions run in the processes of a data-parallel test (importable, so that
:func:`tastemaker.nn.distributed.launch` can start them in fresh processes)."""

from __future__ import annotations

import os
from typing import Any

__all__ = ["fail_on_rank", "fit_every_rank"]


def fit_every_rank(rank: int, cls: type, params: dict, data: Any, folder: str) -> None:
    """Fit ``cls(**params)`` on ``data`` and save it to ``folder/rank<rank>``: every
    rank's model, to compare their weights."""
    model = cls(**params)
    model.fit(data)
    model.save(os.path.join(folder, f"rank{rank}"))


def fail_on_rank(rank: int, failing: int, error: str, message: str) -> None:
    """Raise ``tastemaker.errors.<error>(message)`` on rank ``failing``; the other ranks
    wait at a barrier that the failing rank never reaches."""
    import torch.distributed as dist

    from tastemaker import errors

    if rank == failing:
        if error == "bug":
            raise RuntimeError(message)
        raise getattr(errors, error)(message)
    dist.barrier()
