"""A CNN image encoder: item vectors from item images (an item tower for cold start)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tastemaker._files import write_directory
from tastemaker._validation import SEED, Interval, Options, validate
from tastemaker.errors import (
    DataError,
    MissingDependencyError,
    ModelFileError,
    NotFittedError,
    ParameterError,
)
from tastemaker.features._base import TableEncoder, unit_dense

__all__ = ["ImageEncoder", "ImageFeatures"]

CONFIG = "encoder.json"
WEIGHTS = "weights.safetensors"
FORMAT = 1


class ImageEncoder:
    """A small CNN that maps an image to a vector, trained on targets the data has.

    Targets, one row per image, pick the objective (``objective="auto"``):

    - a float matrix, e.g. each item's collaborative factors (``ALS().item_factors_``):
      regression (mean squared error). ``transform`` then gives a vector in that space
      for any image, so that an item nobody has interacted with yet can be ranked from
      its picture (cold start);
    - a 0/1 matrix, e.g. multi-hot genres (:class:`MultiHotEncoder`): multi-label
      (binary cross-entropy); ``transform`` gives each label's probability;
    - a 1-D array of integer classes: cross-entropy; ``transform`` gives class
      probabilities.

    Images are resized to ``size x size`` and standardised per channel (the means and
    deviations of the fitting images). Training runs in :func:`tastemaker.nn.train`
    (Adam, early stopping on a held-out share, best weights restored), with random
    horizontal flips.

    Parameters
    ----------
    size : int, default=64
        Side of the square the images are resized to.
    channels : sequence of int, default=(16, 32, 64)
        Width of each convolution block (each halves the resolution).
    objective : {"auto", "regression", "multilabel", "classes"}, default="auto"
    n_epochs : int, default=30
    batch_size : int, default=64
    learning_rate : float, default=0.002
    weight_decay : float, default=0.0
    patience : int, default=5
        Epochs without a better validation score before stopping (0: every epoch).
    validation : float, default=0.1
        Share of the images held out for early stopping (0: none, the last epoch kept).
    flip : bool, default=True
        Flip training images left-right at random (augmentation).
    n_threads : int, default=0
        CPU threads for torch (0: torch's default).
    random_state : int or None, default=42

    Attributes
    ----------
    objective_ : str
        The objective used.
    n_outputs_ : int
        Width of ``transform``'s vectors.
    mean_, std_ : ndarray of float32, shape (3,)
        Per-channel statistics of the fitting images.
    history_ : dict
        The training history (:class:`tastemaker.nn.History` as a dict).

    Examples
    --------
    >>> enc = ImageEncoder(n_epochs=5).fit(poster_paths, als.item_factors_)  # doctest: +SKIP
    >>> vectors = enc.transform(new_poster_paths)  # doctest: +SKIP
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "size": Interval("int", 8),
        "objective": Options(("auto", "regression", "multilabel", "classes")),
        "n_epochs": Interval("int", 1),
        "batch_size": Interval("int", 1),
        "learning_rate": Interval("real", 0, closed="neither"),
        "weight_decay": Interval("real", 0),
        "patience": Interval("int", 0),
        "validation": Interval("real", 0, 0.5),
        "flip": bool,
        "n_threads": Interval("int", 0),
        "random_state": [SEED, None],
    }

    def __init__(
        self,
        size: int = 64,
        channels: Sequence[int] = (16, 32, 64),
        objective: str = "auto",
        n_epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 0.002,
        weight_decay: float = 0.0,
        patience: int = 5,
        validation: float = 0.1,
        flip: bool = True,
        n_threads: int = 0,
        random_state: int | None = 42,
    ):
        self.size = size
        self.channels = channels
        self.objective = objective
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.patience = patience
        self.validation = validation
        self.flip = flip
        self.n_threads = n_threads
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*self._parameter_constraints, "channels")}

    def _check_params(self) -> None:
        owner = type(self).__name__
        validate(owner, self.get_params(), self._parameter_constraints)
        channels = self.channels
        if (
            isinstance(channels, (str, bytes))
            or not isinstance(channels, Sequence)
            or not channels
            or not all(isinstance(c, (int, np.integer)) and c >= 1 for c in channels)
        ):
            raise ParameterError(f"{owner}: channels must be a non-empty list of positive ints")
        if int(self.size) >> len(channels) < 1:
            raise ParameterError(
                f"{owner}: size {self.size} is too small for {len(channels)} blocks "
                f"(each halves it); use size >= {2 ** len(channels)}"
            )

    # -- fitting ------------------------------------------------------------------------
    def _objective(self, targets: np.ndarray) -> str:
        if self.objective != "auto":
            return self.objective
        if targets.ndim == 1:
            return "classes"
        if np.isin(targets, (0.0, 1.0)).all():
            return "multilabel"
        return "regression"

    def _targets(self, targets: Any, n: int) -> np.ndarray:
        array = np.asarray(targets.toarray() if hasattr(targets, "toarray") else targets)
        if len(array) != n:
            raise DataError(f"{n} images but {len(array)} targets; give one target per image")
        if array.ndim not in (1, 2):
            raise DataError(f"targets must be 1-D (classes) or 2-D, got shape {array.shape}")
        if not np.isfinite(array.astype(np.float64)).all():
            raise DataError("targets hold NaN or infinite values")
        return array

    def fit(self, images: Any, targets: Any) -> ImageEncoder:
        """Train on ``images`` (paths or arrays, see :func:`tastemaker.nn.image.image_array`)
        and one target row per image."""
        import torch

        from tastemaker.nn import TrainConfig, seeded, train
        from tastemaker.nn.image import SmallCNN, image_array

        self._check_params()
        pixels = image_array(images, int(self.size))
        array = self._targets(targets, len(pixels))
        objective = self._objective(array)
        if objective == "classes":
            if array.ndim != 1 or not np.array_equal(array, np.round(array)):
                raise DataError("objective 'classes' needs one integer class per image")
            self.classes_, y = np.unique(array, return_inverse=True)
            y = y.astype(np.int64)
            n_outputs = len(self.classes_)
        else:
            y = array.reshape(len(array), -1).astype(np.float32)
            n_outputs = y.shape[1]
        self.objective_, self.n_outputs_ = objective, int(n_outputs)
        self.mean_ = pixels.mean(axis=(0, 2, 3)).astype(np.float32)
        self.std_ = (pixels.std(axis=(0, 2, 3)) + 1e-6).astype(np.float32)
        x = (pixels - self.mean_[:, None, None]) / self.std_[:, None, None]

        rng = np.random.default_rng(self.random_state)
        seed = int(rng.integers(2**31 - 1))
        n_val = round(float(self.validation) * len(x)) if len(x) >= 4 else 0
        order = rng.permutation(len(x))
        val, fit_rows = order[:n_val], order[n_val:]

        def batches(epoch: int):
            pick = rng.permutation(fit_rows)
            for start in range(0, len(pick), int(self.batch_size)):
                rows = pick[start : start + int(self.batch_size)]
                block = x[rows]
                if self.flip:
                    flips = rng.random(len(rows)) < 0.5
                    block = block.copy()
                    block[flips] = block[flips, :, :, ::-1]
                yield {"images": np.ascontiguousarray(block), "targets": y[rows]}

        def validate(module) -> float:
            out = module(torch.from_numpy(x[val]))
            return -float(self._loss_of(out, torch.from_numpy(y[val])))

        config = TrainConfig(
            n_epochs=int(self.n_epochs),
            learning_rate=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            patience=int(self.patience) if n_val else 0,
            device="cpu",
            label="image encoder",
        )
        with seeded(seed, int(self.n_threads)):
            module = SmallCNN([int(c) for c in self.channels], self.n_outputs_)
            history = train(
                module,
                batches,
                lambda m, batch: self._loss_of(m(batch["images"]), batch["targets"]),
                config,
                validate=validate if n_val else None,
                metric=f"-{self._loss_name()}",
            )
        self._module = module
        self.history_ = history.to_dict()
        return self

    def _loss_name(self) -> str:
        return {"regression": "mse", "multilabel": "bce", "classes": "cross_entropy"}[
            self.objective_
        ]

    def _loss_of(self, out, y):
        import torch.nn.functional as F

        if self.objective_ == "regression":
            return F.mse_loss(out, y)
        if self.objective_ == "multilabel":
            return F.binary_cross_entropy_with_logits(out, y)
        return F.cross_entropy(out, y)

    # -- transforming -------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "_module"):
            raise NotFittedError("this ImageEncoder is not fitted yet; call fit first")

    def _forward(self, images: Any, embed: bool) -> np.ndarray:
        import torch

        from tastemaker.nn import threads
        from tastemaker.nn.image import image_array

        self._check_fitted()
        pixels = image_array(images, int(self.size))
        x = (pixels - self.mean_[:, None, None]) / self.std_[:, None, None]
        outs = []
        with torch.no_grad(), threads(int(self.n_threads)):
            for start in range(0, len(x), 256):
                block = torch.from_numpy(np.ascontiguousarray(x[start : start + 256]))
                out = self._module.embed(block) if embed else self._module(block)
                if not embed and self.objective_ == "multilabel":
                    out = torch.sigmoid(out)
                elif not embed and self.objective_ == "classes":
                    out = torch.softmax(out, dim=1)
                outs.append(out.numpy())
        width = self._module.head.in_features if embed else self.n_outputs_
        return np.concatenate(outs).astype(np.float32) if outs else np.zeros((0, width), "f4")

    def transform(self, images: Any) -> np.ndarray:
        """One float32 vector per image: the predicted target (regression), label
        probabilities (multilabel) or class probabilities (classes)."""
        return self._forward(images, embed=False)

    def embed(self, images: Any) -> np.ndarray:
        """The CNN's pooled features (``channels[-1]`` wide), before the head."""
        return self._forward(images, embed=True)

    def fit_transform(self, images: Any, targets: Any) -> np.ndarray:
        return self.fit(images, targets).transform(images)

    # -- persistence --------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted encoder to directory ``path`` atomically: ``encoder.json``
        (parameters and fitted values) and ``weights.safetensors`` (no pickle)."""
        from safetensors.torch import save_file

        self._check_fitted()
        path = Path(path)
        if path.exists() and not (path / CONFIG).exists() and any(path.iterdir()):
            raise DataError(f"{path} exists and is not an ImageEncoder directory")
        meta = {
            "class": "ImageEncoder",
            "format": FORMAT,
            "params": {**self.get_params(), "channels": [int(c) for c in self.channels]},
            "objective_": self.objective_,
            "n_outputs_": self.n_outputs_,
            "mean_": self.mean_.tolist(),
            "std_": self.std_.tolist(),
            "history_": self.history_,
        }
        if self.objective_ == "classes":
            meta["classes_"] = self.classes_.tolist()
        with write_directory(path) as tmp:
            weights = {k: v.clone() for k, v in self._module.state_dict().items()}
            save_file(weights, str(tmp / WEIGHTS), metadata={"format": str(FORMAT)})
            (tmp / CONFIG).write_text(json.dumps(meta, indent=2))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ImageEncoder:
        """Read an encoder written by :meth:`save` (JSON and safetensors only)."""
        from safetensors.torch import load_file

        from tastemaker.nn.image import SmallCNN

        path = Path(path)
        try:
            meta = json.loads((path / CONFIG).read_text())
            weights = load_file(str(path / WEIGHTS))
        except (OSError, ValueError) as err:
            raise ModelFileError(f"{path} is not a readable ImageEncoder directory: {err}") from err
        if meta.get("class") != "ImageEncoder" or meta.get("format") != FORMAT:
            raise ModelFileError(f"{path} holds no ImageEncoder of format {FORMAT}")
        encoder = cls(**meta["params"])
        encoder.objective_, encoder.n_outputs_ = meta["objective_"], meta["n_outputs_"]
        encoder.mean_ = np.asarray(meta["mean_"], dtype=np.float32)
        encoder.std_ = np.asarray(meta["std_"], dtype=np.float32)
        encoder.history_ = meta["history_"]
        if "classes_" in meta:
            encoder.classes_ = np.asarray(meta["classes_"])
        module = SmallCNN(encoder.channels, encoder.n_outputs_)
        module.load_state_dict(weights)
        module.eval()
        encoder._module = module
        return encoder

    def __repr__(self) -> str:
        return f"ImageEncoder(size={self.size}, channels={list(self.channels)})"


_IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
IMAGE_INSTALL = "pip install 'tastemaker[image]'"


class ImageFeatures(TableEncoder):
    """Item images as one embedding per row (dense, L2-normalised): an item-feature block.

    The images are the files named in ``column`` of the table (paths), or, with
    ``folder``, ``<folder>/<item>.jpg`` (``pattern``). A row without an image file gets
    zeros (counted in ``n_missing_images_``). The embedding comes from one of:

    - ``encoder``: a fitted :class:`ImageEncoder` (or the directory it was saved to):
      its pooled CNN features (``output="embed"``) or its predictions
      (``output="transform"``, e.g. collaborative factors it was trained to predict);
    - ``weights``: a local torchvision weights file (``.pth`` read with
      ``weights_only=True``, or ``.safetensors``) for the ``backbone`` architecture:
      its pooled features before the classifier, on 224 x 224 ImageNet-standardised
      images. Needs torchvision (``pip install 'tastemaker[image]'``); nothing is
      downloaded.

    Nothing is learned from the table: ``fit`` loads the model and reads the width.
    :meth:`to_dict` keeps the settings and paths (an encoder given as an object must be
    saved first and given as its directory).

    Parameters
    ----------
    column : str, default="image"
        The column of image paths (ignored with ``folder``).
    folder : str or None, default=None
        A folder of images named after the key: ``pattern.format(id)``.
    pattern : str, default="{}.jpg"
    encoder : ImageEncoder, str or None, default=None
    output : {"embed", "transform"}, default="embed"
        With ``encoder``: pooled features or the encoder's outputs.
    backbone : str, default="resnet18"
        A torchvision model name, with ``weights``.
    weights : str or None, default=None
    key : str, default="item"
    batch_size : int, default=64
    n_threads : int, default=0

    Attributes
    ----------
    dim_ : int
    feature_names_ : list of str
        ``"image=<k>"``.
    n_missing_images_ : int
        Rows of the last ``transform`` without an image file.
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "column": str,
        "key": str,
        "output": Options(("embed", "transform")),
        "batch_size": Interval("int", 1),
        "n_threads": Interval("int", 0),
    }
    _state = ("dim_",)

    @property
    def feature_names_(self) -> list[str]:
        """``"image=<k>"`` for each of the ``dim_`` dimensions."""
        return [f"image={k}" for k in range(self.dim_)]

    def __init__(
        self,
        column: str = "image",
        *,
        folder: str | None = None,
        pattern: str = "{}.jpg",
        encoder: Any = None,
        output: str = "embed",
        backbone: str = "resnet18",
        weights: str | None = None,
        key: str = "item",
        batch_size: int = 64,
        n_threads: int = 0,
    ):
        self.column = column
        self.folder = folder
        self.pattern = pattern
        self.encoder = encoder
        self.output = output
        self.backbone = backbone
        self.weights = weights
        self.key = key
        self.batch_size = batch_size
        self.n_threads = n_threads

    def _check_params(self) -> None:
        super()._check_params()
        if self.encoder is None and self.weights is None:
            raise ParameterError(
                "ImageFeatures: needs an image model: encoder=<a fitted ImageEncoder or the "
                f"directory it was saved to>, or weights=<a local torchvision weights file "
                f"for backbone {self.backbone!r}> (with torchvision: {IMAGE_INSTALL})"
            )

    # -- the model ------------------------------------------------------------------------
    def _load(self) -> None:
        if self.encoder is not None:
            encoder = self.encoder
            if not isinstance(encoder, ImageEncoder):
                encoder = ImageEncoder.load(encoder)
            encoder._check_fitted()
            self._model = encoder
        else:
            self._model = _torchvision_backbone(str(self.backbone), Path(self.weights))

    def _embed(self, paths: Any) -> np.ndarray:
        """The model's vectors of ``paths`` (image files, or arrays as ``image_array``
        takes them)."""
        if isinstance(self._model, ImageEncoder):
            if self.output == "embed":
                return self._model.embed(paths)
            return self._model.transform(paths)
        import torch

        from tastemaker.nn import threads
        from tastemaker.nn.image import image_array

        outs = []
        with torch.no_grad(), threads(int(self.n_threads)):
            for start in range(0, len(paths), int(self.batch_size)):
                pixels = image_array(paths[start : start + int(self.batch_size)], 224)
                x = (pixels - _IMAGENET_MEAN[:, None, None]) / _IMAGENET_STD[:, None, None]
                outs.append(self._model(torch.from_numpy(np.ascontiguousarray(x))).numpy())
        return np.concatenate(outs) if outs else np.zeros((0, self.dim_), np.float32)

    def fit(self, table: pd.DataFrame) -> ImageFeatures:
        """Check ``table`` and load the image model (nothing is learned)."""
        self._check_params()
        keyed, label = self._keyed(table)
        if self.folder is None:
            self._missing_columns(keyed, label, [self.column])
        elif not Path(self.folder).is_dir():
            raise DataError(f"ImageFeatures: image folder {self.folder} does not exist")
        self._load()
        grey = np.full((1, 8, 8, 3), 128, dtype=np.uint8)  # its vector's width is dim_
        self.dim_ = int(self._embed(grey).shape[1])
        return self

    def _read_columns(self) -> list[str]:
        return [] if self.folder is not None else [self.column]

    def paths(self, keyed: pd.DataFrame) -> list[str | None]:
        """Each row's image file, None where there is none."""
        if self.folder is not None:
            cells = [str(Path(self.folder) / self.pattern.format(i)) for i in keyed.index]
        else:
            cells = [c if isinstance(c, (str, Path)) else None for c in keyed[self.column]]
        return [str(c) if c is not None and Path(c).is_file() else None for c in cells]

    def transform(self, table: pd.DataFrame, ids: Any = None) -> np.ndarray:
        """Embeddings, one row per table row or id (see :meth:`MultiHotEncoder.transform`
        for ``ids``), float32 of shape ``(n, dim_)``, rows of unit length."""
        keyed, _, n_rows, row_of = self._rows(table, ids)
        if not hasattr(self, "_model"):
            self._load()
        keep = np.flatnonzero(row_of >= 0)
        paths = self.paths(keyed.iloc[keep])
        found = [j for j, p in enumerate(paths) if p is not None]
        out = np.zeros((n_rows, self.dim_), dtype=np.float32)
        if found:
            out[row_of[keep[found]]] = self._embed([paths[j] for j in found])
        self.n_missing_images_ = int(n_rows - len(found))
        return unit_dense(out)

    def to_dict(self) -> dict[str, Any]:
        if isinstance(self.encoder, ImageEncoder):
            raise DataError(
                "ImageFeatures: an ImageEncoder given as an object is not saved with the "
                "features; save it (encoder.save(directory)) and pass encoder=directory"
            )
        return super().to_dict()

    def __repr__(self) -> str:
        return f"ImageFeatures(column={self.column!r}, folder={self.folder!r})"


def _torchvision_backbone(name: str, weights: Path) -> Any:
    """torchvision's ``name`` with the weights in ``weights``, its classifier removed."""
    import torch

    try:
        import torchvision
    except ImportError as err:
        raise MissingDependencyError(
            f"ImageFeatures with weights= needs torchvision, which is not installed; "
            f"install it with {IMAGE_INSTALL} (or pass encoder=<a fitted ImageEncoder>)"
        ) from err
    if not weights.is_file():
        raise DataError(
            f"ImageFeatures: weights file {weights} does not exist; give the path of a "
            f"local {name} weights file (.pth or .safetensors), since nothing is downloaded"
        )
    builder = getattr(torchvision.models, name, None)
    if builder is None or not callable(builder):
        raise ParameterError(f"ImageFeatures: torchvision has no model {name!r}")
    module = builder(weights=None)
    if weights.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(weights))
    else:
        state = torch.load(str(weights), map_location="cpu", weights_only=True)
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        raise DataError(f"ImageFeatures: {weights} holds no {name} weights: {err}") from err
    for head in ("fc", "classifier", "head", "heads"):
        if hasattr(module, head):
            setattr(module, head, torch.nn.Identity())
            break
    return module.eval()
