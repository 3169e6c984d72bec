"""Models: the Recommender protocol, the registry and one module per family."""

from tastemaker.models import baselines
from tastemaker.models._artifacts import load
from tastemaker.models._query import Query, Sequences
from tastemaker.models._recommendations import SOURCES, Recommendations
from tastemaker.models._tags import Tags
from tastemaker.models.als import ALS
from tastemaker.models.base import Recommender
from tastemaker.models.baselines import Bias, Popular, Random
from tastemaker.models.bpr import BPR
from tastemaker.models.ease import EASE
from tastemaker.models.knn import ItemKNN, ItemKNNExplicit, UserKNN, UserKNNExplicit
from tastemaker.models.markov import Markov
from tastemaker.models.registry import create_model, get_model_class, list_models, register
from tastemaker.models.slim import SLIM
from tastemaker.models.svd import SVD, SVDpp

__all__ = [
    "ALS",
    "BPR",
    "EASE",
    "SLIM",
    "SOURCES",
    "SVD",
    "Bias",
    "ItemKNN",
    "ItemKNNExplicit",
    "Markov",
    "Popular",
    "Query",
    "Random",
    "Recommendations",
    "Recommender",
    "SVDpp",
    "Sequences",
    "Tags",
    "UserKNN",
    "UserKNNExplicit",
    "baselines",
    "create_model",
    "get_model_class",
    "list_models",
    "load",
    "register",
]
