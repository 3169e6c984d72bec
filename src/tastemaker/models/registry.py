"""The model registry: names -> Recommender classes."""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tastemaker.errors import ParameterError

__all__ = ["ModelInfo", "create_model", "get_model_class", "list_models", "register"]

T = TypeVar("T")

_REGISTRY: dict[str, type] = {}
# Models whose modules are heavy (torch) register lazily: name -> module to import.
_LAZY: dict[str, str] = {}


def register(name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: make a Recommender available under ``name``."""

    def decorate(cls: type[T]) -> type[T]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise RuntimeError(f"model name {name!r} registered twice")
        cls.name = name  # type: ignore[attr-defined]
        _REGISTRY[name] = cls
        return cls

    return decorate


def register_lazy(name: str, module: str) -> None:
    """Announce model ``name``, defined in ``module``, imported on first use."""
    _LAZY[name] = module


def _all_names() -> list[str]:
    return sorted(set(_REGISTRY) | set(_LAZY))


def get_model_class(name: str) -> type:
    """The class registered as ``name``; unknown names raise :class:`ParameterError`."""
    if name not in _REGISTRY and name in _LAZY:
        importlib.import_module(_LAZY[name])
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _all_names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(
            f"unknown model {name!r}.{hint} Known models: {', '.join(_all_names())} "
            "(see `tastemaker models`)."
        )
    return _REGISTRY[name]


def create_model(name: str, **params: Any):
    """An unfitted model ``name`` with ``params`` (checked against its signature)."""
    cls = get_model_class(name)
    model = cls()
    model.set_params(**params)
    model._check_params()
    return model


@dataclass(frozen=True)
class ModelInfo:
    """What `tastemaker models` shows about one model: its default instance's tags."""

    name: str
    cls: type
    params: dict[str, Any]
    summary: str
    tags: Any


def list_models() -> list[ModelInfo]:
    """Every registered model, sorted by name."""
    out = []
    for name in _all_names():
        cls = get_model_class(name)
        doc = inspect.getdoc(cls) or ""
        out.append(
            ModelInfo(
                name=name,
                cls=cls,
                params=cls.param_defaults(),
                summary=doc.splitlines()[0] if doc else "",
                tags=cls().tags,
            )
        )
    return out
