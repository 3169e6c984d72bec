"""Which columns of an item (or user) table to encode, and the encoders for them.

Shared by the models that build feature vectors from a table (``content``, ``hybrid``):
column roles are inferred when not named, and each role gets its encoder and weight.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.errors import DataError, ParameterError
from tastemaker.features._base import LIST_TYPES, is_numeric
from tastemaker.features._embedding import EmbeddingEncoder, expand_columns
from tastemaker.features._multihot import MultiHotEncoder
from tastemaker.features._numeric import NumericEncoder
from tastemaker.features._sentence import SentenceEncoder
from tastemaker.features._tfidf import TfidfEncoder, tokens
from tastemaker.features._union import ItemFeatures

__all__ = ["column_names", "infer_columns", "table_features", "unit_rows"]


def column_names(value: str | list[str] | None) -> list[str] | None:
    """``"a, b"`` or a list as a list of names; None stays None."""
    if value is None:
        return None
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [p.strip() for p in parts if p.strip()]


def is_multi_valued(series: pd.Series) -> bool:
    cells = series.dropna().tolist()
    return any(isinstance(c, LIST_TYPES) or (isinstance(c, str) and "|" in c) for c in cells)


def is_identifier(series: pd.Series) -> bool:
    """Links (in 90% of the cells or more), or single-token values that differ on every
    row (imdb_id): nothing to match on."""
    cells = series.dropna().tolist()
    if not cells:
        return False
    links = sum(isinstance(c, str) and c.startswith(("http://", "https://")) for c in cells)
    if links >= 0.9 * len(cells):
        return True
    return len(set(map(str, cells))) == len(cells) and all(len(tokens(c)) <= 1 for c in cells)


def infer_columns(
    table: pd.DataFrame,
    categorical: Any = None,
    text: Any = None,
    numeric: Any = None,
    what: str = "the table",
    single_valued: str = "text",
    embedding: Any = None,
) -> dict[str, list[str]]:
    """The categorical, text, numeric and embedding columns of ``table``.

    Named columns are kept as given (a missing one is a :class:`DataError`). With
    ``categorical`` and ``text`` both None, every non-numeric, non-date column with
    values is inferred: multi-valued ones (a list cell or ``"a|b"``) are categorical;
    the others, except links and identifiers, are text (``single_valued="text"``) or
    categorical (``"categorical"``: demographics such as gender or occupation).
    ``numeric`` None: none (``single_valued="categorical"``: every numeric column).
    ``embedding``: columns of precomputed vectors, never inferred (``"img_*"``: every
    column starting with ``img_``).
    """
    categorical, text = column_names(categorical), column_names(text)
    numeric = column_names(numeric)
    wanted = column_names(embedding)
    embedding = expand_columns(wanted or [], [str(c) for c in table.columns])
    if wanted and not embedding:
        raise DataError(f"{what} has no column matching {wanted}; found {list(table.columns)}")
    if numeric is None:
        numeric = (
            [
                c
                for c in table.columns
                if c not in embedding and is_numeric(table[c]) and table[c].notna().any()
            ]
            if single_valued == "categorical" and categorical is None and text is None
            else []
        )
    if categorical is None and text is None:
        others = [
            c
            for c in table.columns
            if c not in numeric
            and not is_numeric(table[c])
            and not pd.api.types.is_datetime64_any_dtype(table[c])
            and table[c].notna().any()
        ]
        categorical = [c for c in others if is_multi_valued(table[c])]
        rest = [c for c in others if c not in categorical and not is_identifier(table[c])]
        if single_valued == "categorical":
            categorical, text = categorical + rest, []
        else:
            text = rest
    named = (categorical or []) + (text or []) + numeric + embedding
    missing = [c for c in named if c not in table.columns]
    if missing:
        raise DataError(f"{what} has no column(s) {missing}; found columns {list(table.columns)}")
    return {
        "categorical": categorical or [],
        "text": text or [],
        "numeric": numeric,
        "embedding": embedding,
    }


TEXT_ENCODERS = ("tfidf", "sentence")
"""What ``table_features(text_encoder=...)`` accepts."""


def table_features(
    columns: dict[str, list[str]],
    categorical_weight: float = 1.0,
    text_weight: float = 1.0,
    numeric_weight: float = 1.0,
    min_df: int = 1,
    categorical_idf: bool = True,
    norm: str | None = None,
    key: str = "item",
    categorical_min_df: int = 1,
    text_encoder: str = "tfidf",
    embedding_weight: float = 1.0,
) -> ItemFeatures | None:
    """An unfitted :class:`ItemFeatures` over ``columns`` (:func:`infer_columns`):
    categorical values as idf-weighted terms (``categorical_idf``) or multi-hot, text
    as TF-IDF (``text_encoder="tfidf"``) or one sentence embedding of all the text
    columns (``"sentence"``: :class:`SentenceEncoder`, dense, unit length), numeric
    columns standardised, and ``columns["embedding"]`` (precomputed vectors such as
    ``img_*``) as one unit-length :class:`EmbeddingEncoder` block; None when there is
    no column. ``key``: the id column (``"item"``, ``"user"``); ``categorical_min_df``:
    a categorical value enters the vocabulary when at least this many rows use it (a
    value of one row only, such as a zip code, says nothing about other rows)."""
    if text_encoder not in TEXT_ENCODERS:
        raise ParameterError(
            f"table_features: text_encoder must be one of {list(TEXT_ENCODERS)}, "
            f"got {text_encoder!r}"
        )
    parts: list[tuple] = []
    if columns.get("categorical"):
        encoder = (
            TfidfEncoder(
                columns["categorical"],
                analyzer="value",
                norm=norm,
                key=key,
                min_df=categorical_min_df,
            )
            if categorical_idf
            else MultiHotEncoder(columns["categorical"], key=key)
        )
        parts.append(("categorical", encoder, categorical_weight))
    if columns.get("text"):
        text = (
            TfidfEncoder(columns["text"], min_df=min_df, norm=norm, key=key)
            if text_encoder == "tfidf"
            else SentenceEncoder(columns["text"], key=key)
        )
        parts.append(("text", text, text_weight))
    if columns.get("numeric"):
        parts.append(("numeric", NumericEncoder(columns["numeric"], key=key), numeric_weight))
    if columns.get("embedding"):
        parts.append(
            ("embedding", EmbeddingEncoder(columns["embedding"], key=key), embedding_weight)
        )
    return ItemFeatures(parts) if parts else None


def unit_rows(matrix: sp.csr_array) -> sp.csr_array:
    """``matrix`` (float32 CSR) with every non-zero row scaled to unit length."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float64)).ravel()
    scale = np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1.0), 0.0)
    return sp.csr_array(sp.diags_array(scale.astype(np.float32)) @ matrix, dtype=np.float32)
