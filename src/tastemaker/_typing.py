"""Type aliases shared across the package."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Index = NDArray[np.int32]
"""Dense internal positions (users or items), int32."""

Scores = NDArray[np.float32]
"""A block of scores, users x items, float32; higher is better."""

IdArray = NDArray[Any]
"""External ids as given (ints or strings)."""

__all__ = ["IdArray", "Index", "Scores"]
