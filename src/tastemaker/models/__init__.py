"""Models: the Recommender protocol, the registry and one module per family.

Model families are imported on first use (a registry name, or a class name imported
from here), so that ``import tastemaker.models`` and a command that trains one model do
not pay for every family's imports.
"""

from __future__ import annotations

import importlib
from typing import Any

from tastemaker.models._artifacts import load
from tastemaker.models._query import Query, Sequences
from tastemaker.models._recommendations import SOURCES, Recommendations
from tastemaker.models._tags import Tags
from tastemaker.models.base import Recommender
from tastemaker.models.registry import (
    create_model,
    get_model_class,
    list_models,
    register,
    register_lazy,
)

_FAMILIES: dict[str, tuple[str, ...]] = {
    # module: (registry names, class names)
    "baselines": ("popular", "random", "bias", "Popular", "Random", "Bias"),
    "knn": (
        "item-knn",
        "user-knn",
        "item-knn-explicit",
        "user-knn-explicit",
        "ItemKNN",
        "UserKNN",
        "ItemKNNExplicit",
        "UserKNNExplicit",
    ),
    "markov": ("markov", "Markov"),
    "svd": ("svd", "svdpp", "SVD", "SVDpp"),
    "als": ("als", "ALS"),
    "bpr": ("bpr", "BPR"),
    "ease": ("ease", "EASE"),
    "slim": ("slim", "SLIM"),
    "ncf": ("ncf", "NCF"),
    "vae": ("mult-vae", "recvae", "MultVAE", "RecVAE"),
    "ctr": ("deepfm", "DeepFM"),
    "content": ("content", "Content"),
    "hybrid": ("hybrid", "Hybrid"),
    "two_tower": ("two-tower", "TwoTower"),
    "social": ("social", "Social"),
    "sequential": (
        "gru4rec",
        "lstm",
        "sasrec",
        "caser",
        "GRU4Rec",
        "LSTM",
        "SASRec",
        "Caser",
    ),
}
"""Where each model lives: registry names are lower case, class names CapWords."""

_CLASS_MODULE: dict[str, str] = {}
for _module, _names in _FAMILIES.items():
    for _name in _names:
        if _name[0].isupper():
            _CLASS_MODULE[_name] = _module
        else:
            register_lazy(_name, f"tastemaker.models.{_module}")


_NEURAL: dict[str, str] = {
    "TorchRecommender": "_neural",
    "fit_distributed": "_distributed",
    "check_nproc": "_distributed",
}
"""Neural building blocks (they import torch), loaded on first use."""


def __getattr__(name: str) -> Any:
    if name in _NEURAL:
        return getattr(importlib.import_module(f"tastemaker.models.{_NEURAL[name]}"), name)
    if name in _CLASS_MODULE:
        module = importlib.import_module(f"tastemaker.models.{_CLASS_MODULE[name]}")
        return getattr(module, name)
    if name in _FAMILIES:  # the family modules themselves (tastemaker.models.knn)
        return importlib.import_module(f"tastemaker.models.{name}")
    raise AttributeError(f"module 'tastemaker.models' has no attribute {name!r}")


__all__ = [
    "ALS",
    "BPR",
    "EASE",
    "LSTM",
    "NCF",
    "SLIM",
    "SOURCES",
    "SVD",
    "Bias",
    "Caser",
    "Content",
    "DeepFM",
    "GRU4Rec",
    "Hybrid",
    "ItemKNN",
    "ItemKNNExplicit",
    "Markov",
    "MultVAE",
    "Popular",
    "Query",
    "Random",
    "RecVAE",
    "Recommendations",
    "Recommender",
    "SASRec",
    "SVDpp",
    "Sequences",
    "Social",
    "Tags",
    "TorchRecommender",
    "TwoTower",
    "UserKNN",
    "UserKNNExplicit",
    "check_nproc",
    "create_model",
    "fit_distributed",
    "get_model_class",
    "list_models",
    "load",
    "register",
]
