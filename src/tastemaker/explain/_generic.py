"""A model-agnostic explainer: the history item that co-occurs most with the pick."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tastemaker.data import aligned_rows

__all__ = ["CoOccurrenceExplainer"]


class CoOccurrenceExplainer:
    """Explain each recommendation by the model's own reasons, or by the user's history.

    A model that explains itself (its ``_explain(user_idx, item_idx)`` hook returns one
    string per pair, e.g. ``popular``, ``markov``) is asked first; rows that did not
    come from the model (``source``: a fallback, a cold or unknown item) say so.

    For a recommended item *i* and a user with training history *H*, the explanation
    names the item *j* in *H* that the most training users interacted with together
    with *i* ("because you liked *j*: 41 users liked both"). When no history item
    co-occurs with *i* (or the user is unknown), it says how popular *i* is. Works
    with any fitted model: it reads only ``seen_``, ``items_`` and ``item_table_``.

    Parameters
    ----------
    model : Recommender
        A fitted model.
    title_column : str, default="title"
        Item table column used to name items (falls back to the item id).
    features : DataFrame, optional
        Features of users the model has not seen (``user`` column or index), for
        models that ranked them by their features.
    history : DataFrame, optional
        Events (``user``, ``item``) the lists were ranked from (``recommend_history``):
        the history items the explanations may name, instead of the training ones.
    """

    def __init__(
        self, model, title_column: str = "title", features: Any = None, history: Any = None
    ):
        self.model = model
        self.title_column = title_column
        self.features = features
        self.history = history

    def _name(self, item_pos: int) -> str:
        item_id = self.model.items_.ids[item_pos]
        table = getattr(self.model, "item_table_", None)
        if table is not None and self.title_column in table.columns and item_id in table.index:
            title = table.at[item_id, self.title_column]
            if isinstance(title, str) and title:
                return title
        return str(item_id)

    def __call__(self, recs: Any) -> pd.DataFrame:
        """``recs`` (Recommendations, or a frame with user, item, rank, score and
        optionally source) with an ``explanation`` column added."""
        if not isinstance(recs, pd.DataFrame):
            recs = recs.to_frame()
        model = self.model
        binary = model.seen_.copy()
        binary.data[:] = 1.0
        by_item = binary.T.tocsr()
        given = self._given_history()
        user_idx = model.users_.index_of(recs["user"], missing="mask", what="user")
        item_idx = model.items_.index_of(recs["item"], missing="mask", what="item")
        texts = model._explain(user_idx, item_idx, self._features_of(recs["user"]))
        if texts is None:
            texts = [
                self._explain(binary, by_item, u, i, given.get(user))
                for u, i, user in zip(user_idx.tolist(), item_idx.tolist(), recs["user"].tolist())
            ]
        texts = list(texts)
        if "source" in recs.columns:
            for row, source in enumerate(recs["source"].tolist()):
                if source in _NOT_THE_MODEL:
                    texts[row] = _NOT_THE_MODEL[source](model, item_idx[row])
        out = recs.copy()
        out["explanation"] = texts
        return out

    def _features_of(self, users: pd.Series) -> pd.DataFrame | None:
        """The features of each row's user (NaN where none were given)."""
        if self.features is None:
            return None
        return aligned_rows(self.features, users.to_numpy(dtype=object), "user", "features")

    def _given_history(self) -> dict[Any, np.ndarray]:
        """Item positions of each user of ``history`` (items the model knows)."""
        if self.history is None:
            return {}
        items = self.model.items_.index_of(self.history["item"], missing="mask", what="item")
        out: dict[Any, np.ndarray] = {}
        for user, rows in pd.Series(items).groupby(self.history["user"].to_numpy()):
            known = rows.to_numpy()
            out[user] = np.unique(known[known >= 0])
        return out

    def _explain(self, binary, by_item, u: int, i: int, given: np.ndarray | None = None) -> str:
        if i < 0:
            return "not in the training catalog"
        pop = int(self.model.item_popularity_[i])
        if u >= 0 or given is not None:
            history = given if given is not None else np.zeros(0, dtype=np.int64)
            if u >= 0:
                own = binary.indices[binary.indptr[u] : binary.indptr[u + 1]]
                history = np.union1d(history, own)
            if len(history):
                users_i = by_item.indices[by_item.indptr[i] : by_item.indptr[i + 1]]
                co = np.asarray(binary[users_i][:, history].sum(axis=0)).ravel()
                if co.size and co.max() > 0:
                    j = int(history[int(np.argmax(co))])
                    return f"because you liked {self._name(j)}: {int(co.max())} users liked both"
        return f"popular: {pop} users interacted with it"


def _popular_fallback(model: Any, item: int) -> str:
    pop = int(model.item_popularity_[item]) if item >= 0 else 0
    return f"popular: {pop} users interacted with it (the model does not know you yet)"


_NOT_THE_MODEL = {
    "fallback:popular": _popular_fallback,
    "cold-item": lambda model, item: "new: no interactions yet, so the model cannot score it",
    "unknown-item": lambda model, item: "not in the model's catalog",
}
