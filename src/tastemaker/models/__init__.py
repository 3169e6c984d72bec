"""Models: the Recommender protocol, the registry and one module per family."""

from tastemaker.models import baselines
from tastemaker.models._artifacts import load
from tastemaker.models.base import Recommender
from tastemaker.models.baselines import Bias, Popular, Random
from tastemaker.models.registry import create_model, get_model_class, list_models, register

__all__ = [
    "Bias",
    "Popular",
    "Random",
    "Recommender",
    "baselines",
    "create_model",
    "get_model_class",
    "list_models",
    "load",
    "register",
]
