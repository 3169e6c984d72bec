"""Model artifacts: a directory of JSON and safetensors. Loading never executes code.

Layout::

    model-dir/
    ├── model.json           class, format, versions, params, fitted scalars, checksums
    │                        of every file and of its own content
    ├── arrays.safetensors   every array attribute ending in "_" (a CSR as three arrays,
    │                        a ragged array as its offsets and values)
    ├── tensors.safetensors  torch tensors and state dicts (neural models), when any
    └── users.json items.json ...   id maps in position order; tables as Parquet

What a model saves: every public attribute ending in ``_`` plus ``_extra_state()``;
``load`` sets them back after ``_restore_state``. Values may be NumPy arrays, SciPy
sparse arrays, id maps, data frames, :class:`~tastemaker.models._query.Sequences`,
lists of 1-D arrays (ragged), torch tensors or dicts of them (a ``state_dict``), and
JSON values.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._files import write_directory
from tastemaker.data import IdMap
from tastemaker.errors import ModelFileError, ParameterError, TastemakerError

__all__ = ["FORMAT", "load", "save_model"]

logger = logging.getLogger(__name__)

FORMAT = 2
"""Artifact format written by this version; :func:`load` reads formats MIN_FORMAT..FORMAT."""
MIN_FORMAT = 2
"""Format 1 had no checksum of model.json itself, so its parameters cannot be trusted."""

ARRAYS = "arrays.safetensors"
TENSORS = "tensors.safetensors"
META = "model.json"
SELF_CHECKSUM = "checksum"


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


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _is_state_dict(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(_is_tensor(v) for v in value.values())


def _is_ragged(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype != object for v in value)
    )


class _State:
    """A model's fitted state sorted by how each kind of value is stored."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.tensors: dict[str, Any] = {}
        self.scalars: dict[str, Any] = {}
        self.maps: dict[str, IdMap] = {}
        self.frames: dict[str, pd.DataFrame] = {}
        self.layout: dict[str, dict[str, Any]] = {}  # name -> how to rebuild it

    def add(self, name: str, value: Any) -> None:
        from tastemaker.models._query import Sequences

        if isinstance(value, IdMap):
            self.maps[name] = value
        elif isinstance(value, pd.DataFrame):
            self.frames[name] = value
        elif sp.issparse(value):
            csr = sp.csr_array(value)
            for part in ("data", "indices", "indptr"):
                self.arrays[f"{name}.{part}"] = np.ascontiguousarray(getattr(csr, part))
            self.layout[name] = {"kind": "csr", "shape": list(csr.shape)}
        elif isinstance(value, Sequences):
            arrays = value.to_arrays()
            for part, array in arrays.items():
                self.arrays[f"{name}.{part}"] = np.ascontiguousarray(array)
            self.layout[name] = {"kind": "sequences", "parts": sorted(arrays)}
        elif _is_ragged(value):
            offsets = np.zeros(len(value) + 1, dtype=np.int64)
            np.cumsum([len(v) for v in value], out=offsets[1:])
            self.arrays[f"{name}.offsets"] = offsets
            self.arrays[f"{name}.values"] = np.ascontiguousarray(np.concatenate(value))
            self.layout[name] = {"kind": "ragged"}
        elif _is_tensor(value):
            self.tensors[name] = value.detach().cpu().contiguous()
            self.layout[name] = {"kind": "tensor"}
        elif _is_state_dict(value):
            for key, tensor in value.items():
                self.tensors[f"{name}.{key}"] = tensor.detach().cpu().contiguous()
            self.layout[name] = {"kind": "state_dict", "keys": list(value)}
        elif isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TastemakerError(f"cannot save object array attribute {name!r}")
            self.arrays[name] = np.ascontiguousarray(value)
        elif isinstance(value, np.generic):
            self.scalars[name] = value.item()
        elif _json_value(value):
            self.scalars[name] = value
        else:
            raise TastemakerError(
                f"cannot save attribute {name!r} of type {type(value).__name__}; models keep "
                "fitted state in arrays, sparse arrays, sequences, tensors, id maps, tables "
                "and JSON values"
            )


def _state(model: Any) -> _State:
    state = _State()
    values = {k: v for k, v in vars(model).items() if k.endswith("_") and not k.startswith("_")}
    values.update(model._extra_state())
    for name, value in values.items():
        state.add(name, value)
    return state


def _self_checksum(meta: dict[str, Any]) -> str:
    """sha256 of model.json's content without its own checksum (canonical JSON)."""
    body = {k: v for k, v in meta.items() if k != SELF_CHECKSUM}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()


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

    from tastemaker._version import __version__

    path = Path(path)
    if path.exists() and not ((path.is_dir() and (path / META).exists()) or _empty_dir(path)):
        raise ParameterError(
            f"{path} exists and is not a tastemaker model directory; "
            "choose another output path or remove it"
        )
    state = _state(model)
    with write_directory(path) as tmp:
        files: dict[str, str] = {}
        save_file(state.arrays, str(tmp / ARRAYS), metadata={"format": str(FORMAT)})
        written = [ARRAYS]
        if state.tensors:
            from safetensors.torch import save_file as save_tensors

            save_tensors(state.tensors, str(tmp / TENSORS), metadata={"format": str(FORMAT)})
            written.append(TENSORS)
        map_files = {}
        for name, id_map in state.maps.items():
            fname = f"{name.rstrip('_')}.json"
            (tmp / fname).write_text(json.dumps(id_map.to_list()))
            map_files[name] = fname
        frame_files = {}
        for name, frame in state.frames.items():
            fname = f"{name.rstrip('_')}.parquet"
            _write_frame(frame, tmp / fname)
            frame_files[name] = fname
        for fname in [*written, *map_files.values(), *frame_files.values()]:
            files[fname] = _sha256(tmp / fname)
        meta = {
            "class": model.name,
            "format": FORMAT,
            "tastemaker_version": __version__,
            "params": model.get_params(),
            "tags": model.tags.to_dict(),
            "fitted": state.scalars,
            "maps": map_files,
            "frames": frame_files,
            "layout": state.layout,
            "sha256": files,
        }
        meta[SELF_CHECKSUM] = _self_checksum(meta)
        (tmp / META).write_text(json.dumps(meta, indent=2, default=_json_default))
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

    Only ``model.json``, JSON id maps, Parquet tables and safetensors files are read; the
    class is looked up in the registry by name, never imported from a string. A
    directory that is missing files, was modified after saving, or was not written
    by tastemaker raises :class:`ModelFileError`.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    from tastemaker._version import __version__
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
    if not isinstance(fmt, int) or not MIN_FORMAT <= fmt <= FORMAT:
        raise ModelFileError(
            f"{META} has format {fmt!r}; tastemaker {__version__} reads "
            f"{MIN_FORMAT}-{FORMAT}. "
            + (
                "Upgrade tastemaker or re-train."
                if isinstance(fmt, int) and fmt > FORMAT
                else "Re-train the model with this version."
            )
        )
    if meta.get(SELF_CHECKSUM) != _self_checksum(meta):
        raise ModelFileError(
            f"{meta_path} does not match its own checksum: it was modified after saving "
            "(an edited parameter is not trusted). Restore it or re-train."
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
        arrays: dict[str, Any] = load_file(str(path / ARRAYS))
        if TENSORS in checksums:
            from safetensors.torch import load_file as load_tensors

            arrays.update(load_tensors(str(path / TENSORS)))
    except (SafetensorError, OSError, ValueError) as err:
        raise ModelFileError(f"{path}: tensors cannot be read ({err}); re-train") from err
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
    for name, layout in meta.get("layout", {}).items():
        try:
            state[name] = _rebuild(name, layout, arrays)
        except (KeyError, ValueError, TypeError) as err:
            raise ModelFileError(f"{path}: saved attribute {name!r} is broken ({err})") from err
    state.update(arrays)
    state = model._restore_state(state)
    for name, value in state.items():
        setattr(model, name, value)
    model._check_fitted()
    return model


def _rebuild(name: str, layout: dict[str, Any], arrays: dict[str, Any]) -> Any:
    """The attribute ``name`` from its saved parts (removed from ``arrays``)."""
    from tastemaker.models._query import Sequences

    kind = layout["kind"]
    if kind == "csr":
        parts = [arrays.pop(f"{name}.{p}") for p in ("data", "indices", "indptr")]
        return sp.csr_array(tuple(parts), shape=tuple(layout["shape"]))
    if kind == "sequences":
        return Sequences.from_arrays({p: arrays.pop(f"{name}.{p}") for p in layout["parts"]})
    if kind == "ragged":
        offsets, values = arrays.pop(f"{name}.offsets"), arrays.pop(f"{name}.values")
        return [values[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]
    if kind == "tensor":
        return arrays.pop(name)
    if kind == "state_dict":
        return {key: arrays.pop(f"{name}.{key}") for key in layout["keys"]}
    raise ValueError(f"unknown layout {kind!r}")
