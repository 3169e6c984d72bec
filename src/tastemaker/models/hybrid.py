"""Hybrid: an item-item model from interactions, carried to new items and new users by
their features (closed form)."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp

from tastemaker._typing import Index, Scores
from tastemaker._validation import Interval
from tastemaker.data import Dataset
from tastemaker.features import ItemFeatures
from tastemaker.features._table import infer_columns, table_features, unit_rows
from tastemaker.models._common import apply_weighting, described_rows, query_feature_rows
from tastemaker.models._ease_kernels import ease_weights
from tastemaker.models._query import Query
from tastemaker.models._tags import Tags
from tastemaker.models.base import Recommender
from tastemaker.models.registry import register

__all__ = ["Hybrid", "feature_map"]

logger = logging.getLogger(__name__)


def feature_map(known: sp.csr_array, new: sp.csr_array, regularization: float) -> np.ndarray:
    """Ridge weights that express each ``new`` row through the ``known`` rows
    (n_known x n_new, float32): ``known (knownᵀ known + λI)⁻¹ newᵀ``.

    A quantity fitted on the known items (a column of item-item weights, a factor)
    carried to a new item is ``quantity_known.T @ map``: the ridge regression of the
    quantity on the features, evaluated at the new item's features. Solved in the
    smaller of the feature space and the known-item space (the two forms are equal).
    """
    known = sp.csr_array(known, dtype=np.float64)
    new = sp.csr_array(new, dtype=np.float64)
    n_known, n_features = known.shape
    if n_features <= n_known:
        gram = (known.T @ known).toarray()
        gram[np.diag_indices_from(gram)] += regularization
        solved = scipy.linalg.solve(gram, new.T.toarray(), assume_a="pos")
        out = known @ solved
    else:
        gram = (known @ known.T).toarray()
        gram[np.diag_indices_from(gram)] += regularization
        out = scipy.linalg.solve(gram, (known @ new.T).toarray(), assume_a="pos")
    return np.asarray(out, dtype=np.float32)


@register("hybrid")
class Hybrid(Recommender):
    """Hybrid recommender: EASE's item-item weights learned from the interactions,
    extended to items and users without interactions through their features.

    Warm items are scored as EASE scores them: ``score(u, i) = Σ_j x_uj B_ji`` over the
    user's history ``x_u``. An item with features but no training interactions (a new
    item of the item table) gets its column of ``B`` — how much each history item
    adds to its score — and its row (what it adds when it is in a history) by a ridge
    regression on the item features: the new item's column is the feature-weighted
    combination of warm items' columns, ``B[:, new] = B[:, warm] F_w (F_wᵀ F_w + λ_f
    I)⁻¹ F_newᵀ``, plus ``feature_similarity`` times the feature cosine of the two
    items. The map is the mapping of item features onto collaborative item
    representations of Gantner et al. (2010), with EASE's columns as the
    representations: it places new items where the interactions of similar items put
    them; the cosine term adds the direct feature overlap ``content`` ranks by (on
    ML-latest-small cold items the sum beat either part alone).

    With a user table, a ridge regression from the user features (demographics,
    onboarding answers) to the interaction rows, ``R = (F_uᵀ F_u + μI)⁻¹ F_uᵀ X``,
    adds ``user_feature_weight · f_u R`` to every user's scores: a segment-popularity
    prior that matters most when the history is short (its scale does not grow with the
    history, EASE's does). A user with features and no history (new, given by
    ``recommend(users, features=...)``) is scored from the features alone; a history
    (fold-in, ``update``) is scored like a training user's, nothing being kept per
    user.

    Item vectors are encoded as ``content`` encodes them (idf-weighted categorical
    values and TF-IDF text sharing one normalisation, standardised numeric columns);
    user-table columns are categorical (values used by at least two users) or numeric.

    Parameters
    ----------
    regularization : float, default=500.0
        EASE's L2 penalty λ on the item-item weights.
    feature_regularization : float, default=10.0
        Ridge penalty λ_f of the map from item features to item-item weights: larger
        values pull new items toward the average warm item.
    feature_similarity : float, default=0.003
        Weight ``c`` of the feature cosine added to a new item's weights: ``B[j, new] +=
        c · cos(f_j, f_new)``, so that a history item with the same features counts
        directly, as in ``content`` (0: the mapped weights alone). On the scale of EASE's
        weights at the default ``regularization``.
    user_feature_weight : float, default=0.3
        Weight of the user-feature prior ``f_u R`` added to EASE's scores (0: none).
    user_regularization : float, default=10.0
        Ridge penalty μ of the map from user features to interactions.
    user_features : bool, default=True
        Use the user table (``data.users``) when there is one.
    text_weight, min_df
        Item text encoding (as in :class:`~tastemaker.models.Content`).

    Attributes
    ----------
    weights_ : ndarray of shape (n_items, n_items), float32
        Item-item weights: EASE's for warm items, mapped from features for new ones.
    item_encoder_, user_encoder_ : dict or None
        The fitted encoders (:meth:`ItemFeatures.to_dict`); None without such a table.
    item_features_ : csr_array of shape (n_items, n_item_features)
        Unit-length item feature rows (zero for items without features).
    mapped_items_ : ndarray of int
        Positions of the items whose weights were mapped from their features.
    user_features_ : csr_array of shape (n_users, n_user_features) or None
    user_weights_ : ndarray of shape (n_user_features, n_items) or None
        ``R``, from user features to item scores.

    References
    ----------
    H. Steck. Embarrassingly Shallow Autoencoders for Sparse Data. WWW 2019.
    Z. Gantner, L. Drumond, C. Freudenthaler, S. Rendle, L. Schmidt-Thieme. Learning
    Attribute-to-Feature Mappings for Cold-Start Recommendations. ICDM 2010.
    """

    search_space: ClassVar[dict[str, tuple]] = {
        "regularization": ("float", 10.0, 5_000.0, "log"),
        "feature_regularization": ("float", 0.1, 1_000.0, "log"),
        "feature_similarity": ("float", 0.0, 0.03),
        "user_feature_weight": ("float", 0.0, 2.0),
        "user_regularization": ("float", 0.1, 1_000.0, "log"),
    }
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "regularization": Interval("real", 0, closed="neither"),
        "feature_regularization": Interval("real", 0, closed="neither"),
        "feature_similarity": Interval("real", 0),
        "user_feature_weight": Interval("real", 0),
        "user_regularization": Interval("real", 0, closed="neither"),
        "user_features": bool,
        "text_weight": Interval("real", 0),
        "min_df": Interval("int", 1),
    }

    def __init__(
        self,
        regularization: float = 500.0,
        feature_regularization: float = 10.0,
        feature_similarity: float = 0.003,
        user_feature_weight: float = 0.3,
        user_regularization: float = 10.0,
        user_features: bool = True,
        text_weight: float = 1.0,
        min_df: int = 1,
    ) -> None:
        self.regularization = regularization
        self.feature_regularization = feature_regularization
        self.feature_similarity = feature_similarity
        self.user_feature_weight = user_feature_weight
        self.user_regularization = user_regularization
        self.user_features = user_features
        self.text_weight = text_weight
        self.min_df = min_df

    def __tastemaker_tags__(self) -> Tags:
        with_users = getattr(self, "user_weights_", None) is not None  # fitted with users
        return replace(
            super().__tastemaker_tags__(),
            uses_features=True,
            scores_cold_items=True,
            scores_cold_users=with_users,
            folds_in=True,
            updates=True,
        )

    # -- fitting --------------------------------------------------------------------------
    def _fit(self, data: Dataset) -> None:
        X = apply_weighting(self.seen_, "binary")
        self.weights_ = ease_weights(X, float(self.regularization))
        self._fit_items(data)
        self._fit_users(data, X)

    def _fit_items(self, data: Dataset) -> None:
        self.item_encoder_ = None
        self.item_features_ = sp.csr_array((self.n_items, 0), dtype=np.float32)
        self.mapped_items_ = np.zeros(0, dtype=np.int64)
        if data.items is None:
            return
        columns = infer_columns(data.items, what="hybrid: the item table")
        union = table_features(
            columns, text_weight=float(self.text_weight), min_df=int(self.min_df)
        )
        if union is None:
            logger.warning("hybrid: the item table has no feature columns; new items stay cold")
            return
        vectors = union.fit(data.items).transform(data.items, ids=self.items_)
        self.item_encoder_ = union.to_dict()
        self.item_features_ = unit_rows(sp.csr_array(vectors, dtype=np.float32))
        described = np.diff(self.item_features_.indptr) > 0
        warm = np.flatnonzero(described & (self.item_popularity_ > 0))
        new = np.flatnonzero(described & (self.item_popularity_ == 0))
        if len(new) == 0 or len(warm) == 0:
            logger.info("hybrid: %d items without interactions to place by features", len(new))
            return
        mapping = feature_map(
            self.item_features_[warm],
            self.item_features_[new],
            float(self.feature_regularization),
        )
        B = self.weights_
        B[:, new] = B[:, warm] @ mapping  # what each history item adds to a new item
        B[new, :] = mapping.T @ B[warm, :]  # what a new item in a history adds
        if self.feature_similarity > 0:  # plus the items' feature cosine, as content has it
            F = self.item_features_
            c = float(self.feature_similarity)
            B[:, new] += c * (F @ F[new].T).toarray()
            B[new, :] += c * (F[new] @ F.T).toarray()
        B[new, new] = 0.0  # the diagonal: an item adds nothing to itself
        self.mapped_items_ = new
        logger.info(
            "hybrid: placed %d items without interactions by their features (%d features, "
            "mapped from %d items with both)",
            len(new),
            self.item_features_.shape[1],
            len(warm),
        )

    def _fit_users(self, data: Dataset, X: sp.csr_array) -> None:
        self.user_encoder_ = None
        self.user_features_ = None
        self.user_weights_ = None
        if data.users is None or not self.user_features:
            return
        columns = infer_columns(
            data.users, what="hybrid: the user table", single_valued="categorical"
        )
        union = table_features(columns, key="user", categorical_min_df=2)
        if union is None:
            logger.warning("hybrid: the user table has no feature columns; it is not used")
            return
        union.fit(data.users)
        F = unit_rows(sp.csr_array(union.transform(data.users, ids=self.users_), dtype=np.float32))
        gram = (F.T @ F).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += float(self.user_regularization)
        target = (F.T @ sp.csr_array(X, dtype=np.float64)).toarray()
        self.user_weights_ = scipy.linalg.solve(gram, target, assume_a="pos").astype(np.float32)
        self.user_encoder_ = union.to_dict()
        self.user_features_ = F
        logger.info(
            "hybrid: %d user features for %d users (%d without any)",
            F.shape[1],
            F.shape[0],
            int(np.count_nonzero(np.diff(F.indptr) == 0)),
        )

    # -- user features ----------------------------------------------------------------------
    def _user_union(self) -> ItemFeatures:
        return self._cached("user_union", lambda: ItemFeatures.from_dict(self.user_encoder_))

    def _query_user_features(self, query: Query, warn: bool = False) -> sp.csr_array | None:
        """Feature rows of the query's users (:func:`query_feature_rows`); None without
        a user table."""
        if self.user_features_ is None:
            return None
        return query_feature_rows(self.user_features_, self._user_union(), query, "hybrid", warn)

    def _cold_user_support(self, query: Query) -> np.ndarray:
        """Users with a known feature value (one whose features are all missing gets the
        fallback)."""
        features = self._query_user_features(query, warn=True)
        if features is None:
            return np.zeros(len(query), dtype=bool)
        return described_rows(features, self._user_union())

    # -- scoring --------------------------------------------------------------------------
    def _score(self, query: Query) -> Scores:
        rows = apply_weighting(query.X, "binary")
        scores = np.asarray(rows @ query.columns(self.weights_), dtype=np.float32)
        features = self._query_user_features(query)
        if features is not None and self.user_feature_weight > 0:
            prior = features @ query.columns(self.user_weights_)
            scores += float(self.user_feature_weight) * np.asarray(prior, dtype=np.float32)
        return scores

    def _update(self, users: np.ndarray) -> None:
        pass  # scores come from the (updated) history rows; weights stay as fitted

    # -- explanations -----------------------------------------------------------------------
    def _explain(
        self, user_idx: Index, item_idx: Index, features: pd.DataFrame | None = None
    ) -> list[str] | None:
        if features is None and (user_idx < 0).any():
            return None  # users given by a history: the generic explainer names its items
        mapped = np.zeros(self.n_items, dtype=bool)
        mapped[self.mapped_items_] = True
        out = []
        for u, i in zip(user_idx.tolist(), item_idx.tolist(), strict=True):
            if i < 0:
                out.append("not in the model's catalog")
                continue
            how = " (a new item, placed by its features)" if mapped[i] else ""
            lo, hi = self.seen_.indptr[u : u + 2] if u >= 0 else (0, 0)
            history = self.seen_.indices[lo:hi]
            weights = self.weights_[history, i]
            if len(history) and weights.max() > 0:
                j = int(history[int(np.argmax(weights))])
                out.append(f"because you liked {self.items_.ids[j]}{how}")
            elif self.user_weights_ is not None:
                out.append(f"popular with users like you{how}")
            else:
                out.append(f"close to your history{how}")
        return out
