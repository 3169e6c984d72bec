"""TF-IDF of the text columns of an item or user table (titles, tags, descriptions)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._validation import Interval, Options
from tastemaker.features._base import (
    COLUMNS,
    LIST_TYPES,
    TableEncoder,
    is_blank,
    list_items,
)

__all__ = ["TfidfEncoder"]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def tokens(cell: Any) -> list[str]:
    """Lower-case words of two or more letters or digits; a list cell is its items' text."""
    if isinstance(cell, LIST_TYPES):
        cell = " ".join(list_items(cell))
    elif is_blank(cell):
        return []
    return _TOKEN.findall(str(cell).lower())


def values(cell: Any, sep: str = "|") -> list[str]:
    """The values of a categorical cell (a list, or a ``sep``-delimited string), stripped."""
    if isinstance(cell, LIST_TYPES):
        raw = list_items(cell)
    elif is_blank(cell):
        return []
    else:
        raw = str(cell).split(sep)
    return [v.strip() for v in raw if v.strip()]


class TfidfEncoder(TableEncoder):
    """Text columns as TF-IDF vectors, one block per column, each row L2-normalised.

    A column's vocabulary is the words (lower case, two or more letters or digits) in
    at least ``min_df`` rows of the fitting table, and only those: words first seen
    when transforming are ignored, so a test set cannot leak vocabulary. The weight of a
    word in a row is ``tf · idf`` with ``tf = 1 + log(count)`` (``sublinear_tf``, else
    the count) and the smoothed ``idf = ln((1 + n) / (1 + df)) + 1`` of the fitting
    table's ``n`` rows; each column's block is then scaled to unit length (rows without
    a known word stay zero).

    Parameters
    ----------
    columns : str, sequence of str or None, default=None
        Columns to encode. None: every column that is not numeric, except the key.
    key : str, default="item"
    min_df : int, default=1
        Keep words that occur in at least this many fitting rows.
    max_features : int or None, default=None
        Keep at most this many words per column, the most frequent (ties by word).
    sublinear_tf : bool, default=True
    norm : {"l2"} or None, default="l2"
        Scale each column's block to unit length, or keep the raw ``tf · idf`` weights
        (for a caller that normalises a wider vector itself).
    analyzer : {"word", "value"}, default="word"
        ``"word"``: the terms are words; ``"value"``: each value of a categorical cell
        (a list item, or a ``|``-delimited part, case kept) is one term, which makes
        an idf-weighted multi-hot encoding of genres or tags.
    dtype : numpy dtype, default=np.float32

    Attributes
    ----------
    columns_ : list of str
    vocabulary_ : dict of str -> list of str
        Each column's words, sorted; their features are in this order.
    idf_ : dict of str -> list of float
        Each column's inverse document frequencies, in vocabulary order.
    feature_names_ : list of str
        ``"<column>=<word>"``.

    Examples
    --------
    >>> items = pd.DataFrame({"item": [1, 2], "title": ["Toy Story", "Toy Soldiers"]})
    >>> TfidfEncoder().fit(items).feature_names_
    ['title=soldiers', 'title=story', 'title=toy']
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "columns": [COLUMNS, None],
        "key": str,
        "min_df": Interval("int", 1),
        "max_features": [Interval("int", 1), None],
        "analyzer": Options(("word", "value")),
        "norm": [Options(("l2",)), None],
    }
    _state = ("columns_", "vocabulary_", "idf_", "feature_names_")

    def __init__(
        self,
        columns: str | Sequence[str] | None = None,
        *,
        key: str = "item",
        min_df: int = 1,
        max_features: int | None = None,
        sublinear_tf: bool = True,
        analyzer: str = "word",
        norm: str | None = "l2",
        dtype: Any = np.float32,
    ):
        self.columns = columns
        self.key = key
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.analyzer = analyzer
        self.norm = norm
        self.dtype = dtype

    def _terms(self, cell: Any) -> list[str]:
        return tokens(cell) if self.analyzer == "word" else values(cell)

    def fit(self, table: pd.DataFrame) -> TfidfEncoder:
        """Learn each column's vocabulary and idf from ``table`` (and only from it)."""
        keyed, _, columns = self._fit_columns(table, numeric=False)
        n = len(keyed)
        vocabulary, idf = {}, {}
        for col in columns:
            df = Counter(w for cell in keyed[col].tolist() for w in set(self._terms(cell)))
            words = sorted(w for w, c in df.items() if c >= self.min_df)
            if self.max_features is not None and len(words) > self.max_features:
                words = sorted(sorted(words, key=lambda w: (-df[w], w))[: self.max_features])
            vocabulary[col] = words
            idf[col] = [float(np.log((1 + n) / (1 + df[w])) + 1.0) for w in words]
        self.columns_ = columns
        self.vocabulary_ = vocabulary
        self.idf_ = idf
        self.feature_names_ = [f"{c}={w}" for c in columns for w in vocabulary[c]]
        return self

    def transform(self, table: pd.DataFrame, ids: Any = None) -> sp.csr_array:
        """TF-IDF rows, one per table row or id (see :meth:`MultiHotEncoder.transform`
        for ``ids``); unknown words are ignored."""
        keyed, _, n_rows, row_of = self._rows(table, ids)
        keep = row_of >= 0
        blocks = []
        for col in self.columns_:
            index = {w: j for j, w in enumerate(self.vocabulary_[col])}
            idf = np.asarray(self.idf_[col], dtype=np.float64)
            rows, cols, vals = [], [], []
            for r, cell in zip(row_of[keep].tolist(), keyed[col][keep].tolist(), strict=True):
                counts = Counter(w for w in self._terms(cell) if w in index)
                for w, c in counts.items():
                    rows.append(r)
                    cols.append(index[w])
                    vals.append(1.0 + np.log(c) if self.sublinear_tf else float(c))
            block = sp.csr_array(
                (np.asarray(vals, dtype=np.float64), (rows, cols)), shape=(n_rows, len(index))
            )
            block = block @ sp.diags_array(idf) if len(index) else block
            if self.norm == "l2":
                norms = np.sqrt(np.asarray(block.multiply(block).sum(axis=1))).ravel()
                block = sp.diags_array(1.0 / np.where(norms > 0, norms, 1.0)) @ block
            blocks.append(sp.csr_array(block))
        out = sp.csr_array(sp.hstack(blocks, format="csr"), dtype=self.dtype)
        out.sort_indices()
        return out

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(columns={self.columns!r}, key={self.key!r}, "
            f"min_df={self.min_df!r})"
        )
