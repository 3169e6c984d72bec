"""tastemaker: recommender systems from raw event logs to a live, explainable service."""

from __future__ import annotations

import logging
from typing import Any

from tastemaker._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__", "load"]


def load(path: Any):
    """Load a model directory written by ``model.save`` (JSON + safetensors, no pickle)."""
    from tastemaker.models import load as _load

    return _load(path)
