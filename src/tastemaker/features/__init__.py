"""Features: encoders that turn item and user tables into feature matrices.

Each encoder is fitted on a table (its vocabulary or statistics come from the fitting
data only) and transforms tables into float32 matrices with one row per id. Encoders
live in private modules and are re-exported here.
"""

from tastemaker.features._multihot import MultiHotEncoder

__all__ = ["ImageEncoder", "MultiHotEncoder"]


def __getattr__(name: str):
    if name == "ImageEncoder":  # imports torch on use: not at ``import tastemaker.features``
        from tastemaker.features._image import ImageEncoder

        return ImageEncoder
    raise AttributeError(name)
