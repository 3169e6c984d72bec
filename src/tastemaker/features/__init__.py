"""Features: encoders that turn item and user tables into feature matrices.

Each encoder is fitted on a table (its vocabulary or statistics come from the fitting
data only) and transforms tables into float32 matrices with one row per id. Encoders
live in private modules and are re-exported here.
"""

from tastemaker.features._embedding import EmbeddingEncoder
from tastemaker.features._multihot import MultiHotEncoder
from tastemaker.features._numeric import NumericEncoder
from tastemaker.features._tfidf import TfidfEncoder
from tastemaker.features._union import ItemFeatures
from tastemaker.features._users import UserProfileEncoder

__all__ = [
    "EmbeddingEncoder",
    "ImageEncoder",
    "ImageFeatures",
    "ItemFeatures",
    "MultiHotEncoder",
    "NumericEncoder",
    "SentenceEncoder",
    "TfidfEncoder",
    "UserProfileEncoder",
]


def __getattr__(name: str):
    # these import torch (or sentence-transformers) on use: not at ``import tastemaker.features``
    if name in ("ImageEncoder", "ImageFeatures"):
        from tastemaker.features import _image

        return getattr(_image, name)
    if name == "SentenceEncoder":
        from tastemaker.features._sentence import SentenceEncoder

        return SentenceEncoder
    raise AttributeError(name)
