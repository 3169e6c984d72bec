"""Features: encoders that turn item and user tables into feature matrices.

Each encoder is fitted on a table (its vocabulary or statistics come from the fitting
data only) and transforms tables into float32 matrices with one row per id. Encoders
live in private modules and are re-exported here.
"""

from tastemaker.features._multihot import MultiHotEncoder

__all__ = ["MultiHotEncoder"]
