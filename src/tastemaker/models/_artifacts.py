"""Model artifacts: a directory of JSON and safetensors. Loading never executes code.

Layout::

    model-dir/
    ├── model.json          class, format, versions, params, fitted scalars, checksums
    ├── arrays.safetensors  every array attribute ending in "_" (CSR as three arrays)
    └── users.json items.json ...   id maps in position order
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.data import IdMap
from tastemaker.errors import ModelFileError, ParameterError, TastemakerError

__all__ = ["FORMAT", "load", "save_model"]

logger = logging.getLogger(__name__)

FORMAT = 1
"""Artifact format written by this version; :func:`load` reads formats 1..FORMAT."""

ARRAYS = "arrays.safetensors"
META = "model.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _json_value(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _state(model: Any) -> tuple[dict, dict, dict, dict, dict]:
    arrays: dict[str, np.ndarray] = {}
    frames: dict[str, pd.DataFrame] = {}
    scalars: dict[str, Any] = {}
    maps: dict[str, IdMap] = {}
    sparse: dict[str, list[int]] = {}
    state = dict(vars(model))
    state.update(model._extra_state() if hasattr(model, "_extra_state") else {})
    for name, value in state.items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        if isinstance(value, IdMap):
            maps[name] = value
        elif isinstance(value, pd.DataFrame):
            frames[name] = value
        elif sp.issparse(value):
            csr = sp.csr_array(value)
            arrays[f"{name}.data"] = np.ascontiguousarray(csr.data)
            arrays[f"{name}.indices"] = np.ascontiguousarray(csr.indices)
            arrays[f"{name}.indptr"] = np.ascontiguousarray(csr.indptr)
            sparse[name] = list(csr.shape)
        elif isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TastemakerError(f"cannot save object array attribute {name!r}")
            arrays[name] = np.ascontiguousarray(value)
        elif isinstance(value, np.generic):
            scalars[name] = value.item()
        elif _json_value(value):
            scalars[name] = value
        else:
            raise TastemakerError(
                f"cannot save attribute {name!r} of type {type(value).__name__}; "
                "models keep fitted state in arrays, id maps and JSON values"
            )
    return arrays, scalars, maps, sparse, frames


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    try:
        frame.to_parquet(path)
    except (ValueError, TypeError, ImportError):  # mixed object columns: store them as text
        safe = frame.copy()
        for col in safe.columns:
            if safe[col].dtype == object:
                safe[col] = safe[col].map(lambda v: v if isinstance(v, (list, str)) else str(v))
        safe.to_parquet(path)


def save_model(model: Any, path: Path) -> Path:
    """Write ``model`` to directory ``path`` atomically (temp dir, then rename)."""
    from safetensors.numpy import save_file

    from tastemaker import __version__

    path = Path(path)
    if path.exists() and not ((path.is_dir() and (path / META).exists()) or _empty_dir(path)):
        raise ParameterError(
            f"{path} exists and is not a tastemaker model directory; "
            "choose another output path or remove it"
        )
    arrays, scalars, maps, sparse, frames = _state(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        files: dict[str, str] = {}
        save_file(arrays, str(tmp / ARRAYS), metadata={"format": str(FORMAT)})
        map_files = {}
        for name, id_map in maps.items():
            fname = f"{name.rstrip('_')}.json"
            (tmp / fname).write_text(json.dumps(id_map.to_list()))
            map_files[name] = fname
        frame_files = {}
        for name, frame in frames.items():
            fname = f"{name.rstrip('_')}.parquet"
            _write_frame(frame, tmp / fname)
            frame_files[name] = fname
        for fname in [ARRAYS, *map_files.values(), *frame_files.values()]:
            files[fname] = _sha256(tmp / fname)
        meta = {
            "class": model.name,
            "format": FORMAT,
            "tastemaker_version": __version__,
            "params": model.get_params(),
            "fitted": scalars,
            "maps": map_files,
            "frames": frame_files,
            "sparse": sparse,
            "sha256": files,
        }
        (tmp / META).write_text(json.dumps(meta, indent=2, default=_json_default))
        if path.exists():
            trash = path.parent / f".{path.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(path, trash)
            os.replace(tmp, path)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("saved %s to %s", model.name, path)
    return path


def _empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"parameter value {value!r} is not JSON serialisable")


def load(path: str | Path):
    """Load a model saved with ``model.save(path)``.

    Only ``model.json``, id-map JSON files and ``arrays.safetensors`` are read; the
    class is looked up in the registry by name, never imported from a string. A
    directory that is missing files, was modified after saving, or was not written
    by tastemaker raises :class:`ModelFileError`.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from tastemaker import __version__
    from tastemaker.models.registry import get_model_class

    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path} is not a directory; pass a directory written by `train`")
    meta_path = path / META
    if not meta_path.is_file():
        raise ModelFileError(
            f"{path} has no {META}: it is not a tastemaker model directory "
            "(train one with `tastemaker train ... --out DIR`)"
        )
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{meta_path} is not valid JSON ({err}); re-train the model") from err
    if not isinstance(meta, dict) or not {"class", "format", "params", "sha256"} <= set(meta):
        raise ModelFileError(
            f"{meta_path} lacks the keys a tastemaker model has (class, format, params, "
            "sha256); it was not written by tastemaker"
        )
    fmt = meta["format"]
    if not isinstance(fmt, int) or not 1 <= fmt <= FORMAT:
        raise ModelFileError(
            f"{META} has format {fmt!r}; tastemaker {__version__} reads 1-{FORMAT}. "
            "Upgrade tastemaker or re-train."
        )
    try:
        cls = get_model_class(str(meta["class"]))
    except ParameterError as err:
        raise ModelFileError(f"{meta_path}: {err}") from err
    checksums = meta["sha256"]
    if not isinstance(checksums, dict) or ARRAYS not in checksums:
        raise ModelFileError(f"{meta_path} has no checksum for {ARRAYS}; re-train the model")
    for fname, expected in checksums.items():
        fpath = path / fname
        if Path(fname).name != fname or not fpath.is_file():
            raise ModelFileError(f"{path} is missing {fname}; the model directory is incomplete")
        if _sha256(fpath) != expected:
            raise ModelFileError(
                f"{fpath} does not match the checksum in {META}: it was truncated or "
                "modified after saving. Restore it or re-train."
            )
    try:
        arrays = load_file(str(path / ARRAYS))
    except (SafetensorError, OSError, ValueError) as err:
        raise ModelFileError(f"{path / ARRAYS} cannot be read ({err}); re-train") from err
    params = meta["params"]
    if not isinstance(params, dict):
        raise ModelFileError(f"{meta_path}: params must be an object")
    try:
        model = cls(**params)
        model._check_params()
    except (TypeError, ParameterError) as err:
        raise ModelFileError(f"{meta_path}: parameters do not fit {cls.name} ({err})") from err
    state: dict[str, Any] = dict(meta.get("fitted", {}))
    for name, fname in meta.get("maps", {}).items():
        if fname not in checksums:
            raise ModelFileError(f"{meta_path}: id map {fname} has no checksum")
        state[name] = IdMap.from_list(json.loads((path / fname).read_text()))
    for name, fname in meta.get("frames", {}).items():
        if fname not in checksums:
            raise ModelFileError(f"{meta_path}: table {fname} has no checksum")
        try:
            state[name] = pd.read_parquet(path / fname)
        except (OSError, ValueError) as err:
            raise ModelFileError(f"{path / fname} cannot be read ({err}); re-train") from err
    for name, shape in meta.get("sparse", {}).items():
        try:
            state[name] = sp.csr_array(
                (
                    arrays.pop(f"{name}.data"),
                    arrays.pop(f"{name}.indices"),
                    arrays.pop(f"{name}.indptr"),
                ),
                shape=tuple(shape),
            )
        except (KeyError, ValueError) as err:
            raise ModelFileError(f"{path / ARRAYS}: sparse array {name!r} is broken") from err
    state.update(arrays)
    if hasattr(model, "_restore_state"):
        state = model._restore_state(state)
    for name, value in state.items():
        setattr(model, name, value)
    model._check_fitted()
    return model
