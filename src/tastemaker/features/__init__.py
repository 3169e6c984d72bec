"""Features: encoders that turn item and user tables into feature matrices.

Each encoder is fitted on a table (its vocabulary or statistics come from the fitting
data only) and transforms tables into float32 matrices with one row per id. Encoders
live in private modules and are re-exported here.
"""

from tastemaker.features._multihot import MultiHotEncoder
from tastemaker.features._numeric import NumericEncoder
from tastemaker.features._tfidf import TfidfEncoder
from tastemaker.features._union import ItemFeatures
from tastemaker.features._users import UserProfileEncoder

__all__ = [
    "ImageEncoder",
    "ItemFeatures",
    "MultiHotEncoder",
    "NumericEncoder",
    "TfidfEncoder",
    "UserProfileEncoder",
]


def __getattr__(name: str):
    if name == "ImageEncoder":  # imports torch on use: not at ``import tastemaker.features``
        from tastemaker.features._image import ImageEncoder

        return ImageEncoder
    raise AttributeError(name)
