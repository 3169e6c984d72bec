"""A small convolutional network over images, and image loading for it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["SmallCNN", "image_array"]


class SmallCNN(nn.Module):
    """Blocks of 3x3 convolution, ReLU and 2x2 max-pooling (one per entry of
    ``channels``), global average pooling, then a linear head to ``n_outputs``.

    ``embed`` gives the pooled features (``channels[-1]`` wide), ``forward`` the head's
    output.
    """

    def __init__(self, channels: Sequence[int], n_outputs: int):
        super().__init__()
        layers: list[nn.Module] = []
        d_in = 3
        for d_out in channels:
            layers += [nn.Conv2d(d_in, d_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            d_in = d_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(d_in, n_outputs)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(images).mean(dim=(2, 3))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(images))


def image_array(images: Any, size: int) -> np.ndarray:
    """Images as one float32 array ``(n, 3, size, size)`` with values in [0, 1].

    ``images``: image files (paths, read with Pillow), or arrays ``(height, width, 3)``
    or ``(height, width)`` (grey), uint8 (0-255) or float (0-1), one per image or
    stacked. Each is resized to ``size x size`` (bilinear, antialiased).
    """
    import torch.nn.functional as F

    from tastemaker.errors import DataError

    if isinstance(images, np.ndarray) and images.ndim in (3, 4) and images.dtype != object:
        images = list(images)
    out = np.empty((len(images), 3, size, size), dtype=np.float32)
    for i, image in enumerate(images):
        if isinstance(image, (str, Path)):
            image = _read(Path(image))
        array = np.asarray(image)
        if array.ndim == 2:
            array = np.repeat(array[:, :, None], 3, axis=2)
        if array.ndim != 3 or array.shape[2] not in (3, 4):
            raise DataError(
                f"image {i} has shape {array.shape}; expected (height, width, 3) or (height, width)"
            )
        array = array[:, :, :3]
        scale = 255.0 if array.dtype == np.uint8 else 1.0
        tensor = torch.from_numpy(array.astype(np.float32) / scale).permute(2, 0, 1)[None]
        if tensor.shape[2:] != (size, size):
            tensor = F.interpolate(
                tensor, size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )
        out[i] = tensor[0].clamp(0.0, 1.0).numpy()
    return out


def _read(path: Path) -> np.ndarray:
    from tastemaker.errors import DataError

    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - pillow is a dependency
        raise DataError(
            f"reading {path} needs Pillow: pip install pillow (or pass arrays)"
        ) from err
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read image {path}: {err}") from err
