"""Content-based recommendation: user profiles from the features of consumed items."""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._typing import Index, Scores
from tastemaker._validation import Check, Interval, Options
from tastemaker.data import Dataset
from tastemaker.errors import DataWarning
from tastemaker.features import ItemFeatures
from tastemaker.features._table import infer_columns, table_features, unit_rows
from tastemaker.features._tfidf import values as split_values
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.base import Recommender
from tastemaker.models.registry import register

__all__ = ["Content"]

logger = logging.getLogger(__name__)

_COLUMNS = [
    str,
    Check(
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "a list of column names",
    ),
    None,
]
_N_REASONS = 3
"""Matched features named in an explanation."""


@register("content")
class Content(Recommender):
    """Content-based recommender: cosine between a user's profile and each item's features.

    Each item becomes a feature vector from the item table (``data.items``): a block of
    its categorical columns (genres, tags: each value a term, weighted by its inverse
    document frequency, or plain multi-hot), a block of its text columns (title: TF-IDF,
    or with ``text_encoder="sentence"`` one unit-length all-MiniLM-L6-v2 sentence
    embedding of the text columns together), optionally a standardised block of numeric
    columns and a unit-length block of precomputed vectors (``embedding``, such as poster
    embeddings); each block is multiplied by its weight and the whole vector scaled to
    unit length. The encoders learn their
    vocabularies and statistics from the training item table only. A user's profile is
    the mean of the unit vectors of the items in their history weighted by the
    interaction values; an item's score is the cosine between the profile and its
    vector. Items with features but no interactions (new items) are scored like any
    other, and a history (fold-in, ``update``) is scored the same way as a training
    user's, with nothing kept per user.

    Onboarding: a user without history may come with answers in the item table's
    vocabulary (``recommend(..., features=...)``, or ``recommend --users users.csv``
    with ``user,genres`` and ``genres`` such as ``Comedy|Drama|Horror``): columns named
    as item-table columns are encoded with the fitted item encoders into a profile,
    compared with the items by cosine as a history profile is, and explained by the
    matched answers ("matches your genres: Comedy"). Other columns, and values the item
    table never had (a :class:`~tastemaker.errors.DataWarning` names them), are
    ignored; a user with neither history nor usable answers gets the popularity
    fallback (source ``fallback:popular``). Answers are read only for users without
    history.

    By default (``norm=None``) the idf-weighted terms of every column share one
    normalisation, as in a TF-IDF of one document per item: a rare genre or a year
    in the title weighs more than a common genre. On ML-latest-small cold items
    (genres and titles), that beat normalising each column's block on its own
    (Recall@20 0.123 against 0.078 to 0.102 over ``text_weight`` 1 to 3,
    ``benchmarks/cold_item_content.py``).

    Without an item table, or with one that has no feature columns, each item is its own
    feature: a user then only matches the items they have seen, so the model ranks
    nothing usefully (a warning says so).

    Parameters
    ----------
    categorical : str, list of str or None, default=None
        Categorical (possibly multi-valued: a list cell or ``"a|b"``) columns, each
        value a feature. None with ``text`` None: every non-numeric column holding a
        list or a ``|``; None otherwise: none.
    text : str, list of str or None, default=None
        Text columns to TF-IDF encode. None with ``categorical`` None: the other
        non-numeric columns, except dates, links and identifiers (one distinct token
        per row, such as ``imdb_id``); None otherwise: none.
    numeric : str, list of str or None, default=None
        Numeric columns to standardise (with missing-value indicators); None: none.
    embedding : str, list of str or None, default=None
        Numeric columns holding one precomputed vector per item (``"img_*"``: every
        column starting with ``img_``), taken as they are and scaled to unit length;
        an item without values gets zeros. None: none.
    categorical_weight, text_weight, numeric_weight, embedding_weight : float, default=1.0
        Weight of each block before the item vector is scaled to unit length (>= 0).
    text_encoder : {"tfidf", "sentence"}, default="tfidf"
        ``"tfidf"``: a TF-IDF block per text column; ``"sentence"``: one sentence
        embedding (:class:`~tastemaker.features.SentenceEncoder`, 384 dimensions) of the
        text columns together; needs ``pip install 'tastemaker[text]'``. On
        ML-latest-small cold items, the embedding of "title. genres" alone
        (``categorical=[], text=["title", "genres"]``) beat TF-IDF content: Recall@20
        0.138 against 0.123 (seed 42), 0.162 against 0.158 (seed 7); next to the idf
        genre block it did worse (0.047 to 0.076) (``benchmarks/cold_item_content.py``).
    min_df : int, default=1
        A word enters the TF-IDF vocabulary when at least this many items use it.
    categorical_idf : bool, default=True
        Weight categorical values by their smoothed inverse document frequency (a
        :class:`~tastemaker.features.TfidfEncoder` with ``analyzer="value"``); False:
        plain 0/1 (:class:`~tastemaker.features.MultiHotEncoder`).
    norm : {"l2"} or None, default=None
        ``"l2"``: scale each categorical or text column's block to unit length before
        weighting, so every column weighs the same whatever its number of terms;
        None: one normalisation of the whole vector.

    Attributes
    ----------
    features_ : dict or None
        The fitted encoders (:meth:`ItemFeatures.to_dict`); None when items are their
        own features.
    feature_names_ : list of str
        One name per feature: ``"<block>:<column>=<value>"``.
    item_vectors_ : csr_array of shape (n_items, n_features), float32
        Each item's features, rows of unit length (zero for items without features).

    References
    ----------
    P. Lops, M. de Gemmis, G. Semeraro. Content-based Recommender Systems: State of
    the Art and Trends. Recommender Systems Handbook, 2011.
    """

    search_space: ClassVar[dict[str, tuple]] = {
        "text_weight": ("float", 0.0, 2.0),
        "min_df": ("int", 1, 5),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "categorical": _COLUMNS,
        "text": _COLUMNS,
        "numeric": _COLUMNS,
        "categorical_weight": Interval("real", 0),
        "text_weight": Interval("real", 0),
        "numeric_weight": Interval("real", 0),
        "embedding": _COLUMNS,
        "embedding_weight": Interval("real", 0),
        "text_encoder": Options(["tfidf", "sentence"]),
        "min_df": Interval("int", 1, None),
        "categorical_idf": bool,
        "norm": [Options(["l2"]), None],
    }

    def __init__(
        self,
        categorical: str | list[str] | None = None,
        text: str | list[str] | None = None,
        numeric: str | list[str] | None = None,
        categorical_weight: float = 1.0,
        text_weight: float = 1.0,
        numeric_weight: float = 1.0,
        min_df: int = 1,
        categorical_idf: bool = True,
        norm: str | None = None,
        text_encoder: str = "tfidf",
        embedding: str | list[str] | None = None,
        embedding_weight: float = 1.0,
    ) -> None:
        self.categorical = categorical
        self.text = text
        self.numeric = numeric
        self.categorical_weight = categorical_weight
        self.text_weight = text_weight
        self.numeric_weight = numeric_weight
        self.min_df = min_df
        self.categorical_idf = categorical_idf
        self.norm = norm
        self.text_encoder = text_encoder
        self.embedding = embedding
        self.embedding_weight = embedding_weight

    def __tastemaker_tags__(self) -> Tags:
        answers = getattr(self, "features_", None) is not None  # onboarding answers
        return replace(
            super().__tastemaker_tags__(),
            scores_cold_items=True,
            folds_in=True,
            updates=True,
            uses_features=answers,
            scores_cold_users=answers,
        )

    # -- fitting --------------------------------------------------------------------------
    def _fit(self, data: Dataset) -> None:
        table = data.items
        columns = (
            infer_columns(
                table,
                self.categorical,
                self.text,
                self.numeric,
                "content: the item table",
                embedding=self.embedding,
            )
            if table is not None
            else {}
        )
        union = table_features(
            columns,
            self.categorical_weight,
            self.text_weight,
            self.numeric_weight,
            self.min_df,
            self.categorical_idf,
            self.norm,
            text_encoder=self.text_encoder,
            embedding_weight=self.embedding_weight,
        )
        if union is None:
            logger.warning(
                "content: %s has no item features; each item is its own feature, so the "
                "model can only match items a user has seen",
                data.name,
            )
            self.features_ = None
            self.feature_names_ = [f"item={i}" for i in self.items_.ids.tolist()]
            self.item_vectors_ = sp.csr_array(sp.identity(data.n_items, dtype=np.float32))
            return
        union.fit(table)
        vectors = union.transform(table, ids=self.items_)
        self.features_ = union.to_dict()
        self.feature_names_ = union.feature_names_
        self.item_vectors_ = unit_rows(vectors)
        logger.info(
            "content: %d features (%s) for %d items, %d without any",
            vectors.shape[1],
            ", ".join(f"{k}: {v}" for k, v in columns.items() if v),
            data.n_items,
            int(np.count_nonzero(np.diff(self.item_vectors_.indptr) == 0)),
        )

    # -- scoring --------------------------------------------------------------------------
    def _profiles(self, X: sp.csr_array) -> sp.csr_array:
        """Unit-length weighted means of the history items' vectors, one row per user."""
        return unit_rows(sp.csr_array(sp.csr_array(X, dtype=np.float32) @ self.item_vectors_))

    def _answers(self, features: pd.DataFrame | None, n: int, warn: bool) -> sp.csr_array:
        """Unit-length profiles of onboarding answers (columns named as item-table
        columns) of ``n`` users (``features``: one row each, or None); zero rows
        without usable answers. ``warn``: name the answers the item table never had
        (once per call: the cold-user check of ``recommend``, or ``_explain``)."""
        width = self.item_vectors_.shape[1]
        if self.features_ is None or features is None:
            return sp.csr_array((n, width), dtype=np.float32)
        union = self._cached("union", lambda: ItemFeatures.from_dict(self.features_))
        columns = union.columns_
        given = [c for c in columns if c in features.columns]
        if not given:
            return sp.csr_array((n, width), dtype=np.float32)
        for _, encoder, *_ in union.encoders:
            if getattr(encoder, "analyzer", None) != "value":
                continue  # the multi-hot encoder warns by itself; text has no vocabulary to miss
            for column in [c for c in given if c in encoder.columns_] if warn else []:
                answered = {v for cell in features[column].tolist() for v in split_values(cell)}
                unknown = sorted(answered - set(encoder.vocabulary_[column]))
                if unknown:
                    warnings.warn(
                        f"content: answers {unknown} in column {column!r} are not values of "
                        "the item table; they are ignored",
                        DataWarning,
                        stacklevel=4,
                    )
        table = pd.DataFrame({c: features[c].to_numpy() if c in given else None for c in columns})
        vectors = union.transform(table.assign(item=np.arange(n)), ids=np.arange(n))
        answered = np.isin(self._cached("feature_columns", self._feature_columns), given)
        vectors = sp.csr_array(vectors @ sp.diags_array(answered.astype(np.float32)))
        vectors.eliminate_zeros()  # no "missing" flags of columns not asked about
        return unit_rows(vectors)

    def _feature_columns(self) -> np.ndarray:
        """The item-table column of each feature (``"<block>:<column>=<value>"``, and
        ``"numeric:<column>:missing"``)."""
        source = [name.split(":", 1)[-1].partition("=")[0] for name in self.feature_names_]
        return np.array([s.removesuffix(":missing") for s in source], dtype=object)

    def _query_profiles(
        self, X: sp.csr_array, features: pd.DataFrame | None, warn: bool = False
    ) -> sp.csr_array:
        """History profiles, and answer profiles for the rows without history."""
        profiles = self._profiles(X)
        cold = np.diff(X.indptr) == 0
        if features is None or not cold.any():
            return profiles
        answers = self._answers(features, X.shape[0], warn)
        keep = sp.diags_array((~cold).astype(np.float32))
        out = sp.csr_array(keep @ profiles + sp.diags_array(cold.astype(np.float32)) @ answers)
        out.eliminate_zeros()
        return out

    def _cold_user_support(self, query: Query) -> np.ndarray:
        return np.diff(self._answers(query.features, len(query), warn=True).indptr) > 0

    def _score(self, query: Query) -> Scores:
        vectors = self.item_vectors_
        if query.item_idx is not None:
            vectors = vectors[np.asarray(query.item_idx)]
        scores = (self._query_profiles(query.X, query.features) @ vectors.T).toarray()
        return np.asarray(scores, dtype=np.float32)

    def _update(self, users: np.ndarray) -> None:
        pass  # profiles come from the (updated) history rows; nothing is kept per user

    # -- explanations -----------------------------------------------------------------------
    def _explain(
        self, user_idx: Index, item_idx: Index, features: pd.DataFrame | None = None
    ) -> list[str] | None:
        known = user_idx >= 0
        rows = np.where(known, user_idx, 0)
        X = sp.diags_array(known.astype(np.float32)) @ self.seen_[rows]
        profiles = self._query_profiles(sp.csr_array(X), features, warn=True)
        has_profile = np.diff(profiles.indptr) > 0
        out = []
        for row, i in enumerate(item_idx.tolist()):
            if not has_profile[row] or i < 0:
                out.append("no history or item features to compare")
                continue
            contribution = (profiles[[row]].multiply(self.item_vectors_[[i]])).tocoo()
            order = np.argsort(-contribution.data, kind="stable")[:_N_REASONS]
            picked = [int(contribution.col[k]) for k in order if contribution.data[k] > 0]
            if not picked:
                out.append("shares no features with your history")
                continue
            out.append(self._describe(picked))
        return out

    def _describe(self, features: list[int]) -> str:
        """``"matches your genres: Comedy, Drama; title: toy"`` for feature positions."""
        by_column: dict[str, list[str]] = {}
        for f in features:
            block, _, name = self.feature_names_[f].partition(":")
            column, _, value = name.partition("=")
            if block == "embedding" or column == "sentence":  # dense: no readable term
                by_column.setdefault(f"{block} (similar embedding)", [])
            else:
                by_column.setdefault(column, []).append(value)
        if self.features_ is None:
            return "you interacted with this item"
        return "matches your " + "; ".join(
            f"{c}: {', '.join(v)}" if v else c for c, v in by_column.items()
        )
