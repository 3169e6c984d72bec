"""Data: datasets, id maps, readers, named datasets, cleaning and splits."""

from tastemaker.data._dataset import INTERACTION_COLUMNS, Dataset, LoadReport
from tastemaker.data._idmap import IdMap

__all__ = ["INTERACTION_COLUMNS", "Dataset", "IdMap", "LoadReport"]
