"""Models: the Recommender protocol, the registry and one module per family."""

from tastemaker.models import baselines
from tastemaker.models._artifacts import load
from tastemaker.models.als import ALS
from tastemaker.models.base import Recommender
from tastemaker.models.baselines import Bias, Popular, Random
from tastemaker.models.bpr import BPR
from tastemaker.models.ease import EASE
from tastemaker.models.knn import ItemKNN, UserKNN
from tastemaker.models.registry import create_model, get_model_class, list_models, register
from tastemaker.models.slim import SLIM
from tastemaker.models.svd import SVD, SVDpp

__all__ = [
    "ALS",
    "BPR",
    "EASE",
    "SLIM",
    "SVD",
    "Bias",
    "ItemKNN",
    "Popular",
    "Random",
    "Recommender",
    "SVDpp",
    "UserKNN",
    "baselines",
    "create_model",
    "get_model_class",
    "list_models",
    "load",
    "register",
]
