"""Behaviour profiles: a user's events as a vector in the item-feature space."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker._validation import Check, Interval, validate
from tastemaker.data import Dataset, event_weights, recency_decay
from tastemaker.data._idmap import IdMap
from tastemaker.errors import DataError, DataWarning, NotFittedError
from tastemaker.features._table import infer_columns, table_features, unit_rows
from tastemaker.features._union import ItemFeatures

__all__ = ["UserProfileEncoder"]


def _is_weight_table(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and Interval("real").accepts(v) for k, v in value.items()
    )


_CONSTRAINTS = {
    "items": [Check(lambda v: isinstance(v, ItemFeatures), "an ItemFeatures"), None],
    "event_weights": [bool, Check(_is_weight_table, "a mapping of event type -> number")],
    "half_life_days": [Interval("real", 0, closed="neither"), None],
    "item_norm": bool,
}


class UserProfileEncoder:
    """Each user's events as a profile in the item-feature space.

    A user's profile is the weighted mean of the feature rows of the items they
    interacted with, ``sum_e w_e x_item(e) / sum_e w_e``, where an event's weight is
    its ``weight`` (1 without one; a play count, say) times its event type's weight
    (:func:`~tastemaker.data.event_weights`: ``view 1, click 2, cart 4, purchase 8`` by
    default) times its recency decay ``0.5 ** (age_days / half_life_days)``
    (:func:`~tastemaker.data.recency_decay`), the age counted from a reference time,
    the latest training timestamp. Everything the encoder learns (the item encoders'
    vocabularies, the event-type weights, the reference time) comes from the fitting
    data only, so profiles of later events (a validation or test period, a live
    session) are built the same way without looking ahead.

    Parameters
    ----------
    items : ItemFeatures or None, default=None
        The encoders of the item table (fitted in :meth:`fit` on ``data.items``). None:
        the item table's columns as the ``content`` model reads them (multi-valued
        columns as idf-weighted values, the other text columns as TF-IDF).
    event_weights : bool or mapping of str -> float, default=True
        True: weigh events by type with the defaults when the data has an ``event``
        column (and not at all without one); a mapping: these weights, one per event
        type of the training data; False: ignore event types.
    half_life_days : float or None, default=None
        Age at which an event counts half; None: no decay. Needs timestamps.
    item_norm : bool, default=True
        Scale each item's feature row to unit length before averaging, so that every
        item counts by its weight, not by its number of features.

    Attributes
    ----------
    items_ : ItemFeatures
        The fitted item encoders.
    feature_names_ : list of str
        The profile's features: the item features' names.
    event_weights_ : dict of str -> float or None
        The weight of each event type (None: events are not weighted by type).
    reference_time_ : float or None
        Unix seconds the ages are counted from (the latest training timestamp); None
        without decay.
    n_unknown_items_ : int
        Set by :meth:`transform`: events naming items absent from the item table (left
        out of the profiles; a :class:`~tastemaker.errors.DataWarning` says so).

    Examples
    --------
    >>> events = pd.DataFrame({"user": ["a", "a"], "item": [1, 2],
    ...                        "event": ["view", "purchase"]})
    >>> items = pd.DataFrame({"item": [1, 2], "genres": ["Comedy|x", "Drama|x"]})
    >>> enc = UserProfileEncoder(item_norm=False).fit(Dataset(events, items=items))
    >>> enc.feature_names_  # genres as idf-weighted values: "x" is in every item
    ['categorical:genres=Comedy', 'categorical:genres=Drama', 'categorical:genres=x']
    >>> profile = enc.transform(events, items).toarray().astype(float)
    >>> profile.round(3).tolist()  # (1 x item 1 + 8 x item 2) / 9 (a purchase weighs 8)
    [[0.156, 1.249, 1.0]]
    """

    def __init__(
        self,
        items: ItemFeatures | None = None,
        event_weights: bool | Mapping[str, float] = True,
        half_life_days: float | None = None,
        item_norm: bool = True,
    ):
        self.items = items
        self.event_weights = event_weights
        self.half_life_days = half_life_days
        self.item_norm = item_norm

    def _params(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "event_weights": self.event_weights,
            "half_life_days": self.half_life_days,
            "item_norm": self.item_norm,
        }

    def fit(self, data: Dataset) -> UserProfileEncoder:
        """Fit the item encoders on ``data.items`` and learn the event weighting from
        ``data.interactions``.

        Raises
        ------
        DataError
            No item table (or one without feature columns); decay without timestamps;
            event weights without an ``event`` column, or for data already weighted by
            event type (``extras["event_weights"]``: the types would count twice).
        ParameterError
            A parameter out of range.
        """
        validate("UserProfileEncoder", self._params(), _CONSTRAINTS)
        if not isinstance(data, Dataset):
            raise DataError(f"UserProfileEncoder.fit expects a Dataset, got {type(data).__name__}")
        if data.items is None:
            raise DataError(
                f"{data.name} has no item table; user profiles live in the item-feature "
                "space, so give the Dataset items=..."
            )
        union = self.items
        if union is None:
            columns = infer_columns(data.items, what=f"{data.name}: the item table")
            union = table_features(columns)
            if union is None:
                raise DataError(f"{data.name}: the item table has no feature columns to encode")
        union.fit(data.items)
        table = None
        has_events = "event" in data.interactions.columns
        if self.event_weights is not False and (has_events or self.event_weights is not True):
            if "event_weights" in data.extras:
                raise DataError(
                    f"{data.name} is already weighted by event type (extras['event_weights']);"
                    " pass the unweighted data, or event_weights=False"
                )
            spec = None if self.event_weights is True else dict(self.event_weights)
            with warnings.catch_warnings():  # types without a default weight: warned below
                warnings.simplefilter("ignore", DataWarning)
                table = event_weights(data, spec).extras["event_weights"]
        reference = None
        if self.half_life_days is not None:
            recency_decay(data, self.half_life_days)  # checks the data has timestamps
            reference = float(data.interactions["timestamp"].max())
        self.items_ = union
        self.feature_names_ = list(union.feature_names_)
        self.event_weights_ = table
        self.reference_time_ = reference
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "items_"):
            raise NotFittedError("UserProfileEncoder is not fitted; call fit(data) first.")

    def _weighted(self, events: pd.DataFrame) -> Dataset:
        """The events as a Dataset whose ``weight`` is each event's profile weight."""
        frame = events
        if not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"UserProfileEncoder.transform expects a DataFrame of events, got "
                f"{type(frame).__name__}"
            )
        data = Dataset(frame, name="events")
        if self.event_weights_ is not None:
            if "event" not in frame.columns:
                raise DataError(
                    "the events have no 'event' column; the encoder was fitted with event "
                    f"weights for {sorted(self.event_weights_)}"
                )
            types = set(frame["event"].astype(str))
            unknown = sorted(types - set(self.event_weights_))
            if unknown:
                raise DataError(
                    f"events of types {unknown} have no weight: the encoder was fitted with "
                    f"event weights for {sorted(self.event_weights_)}"
                )
            data = event_weights(data, {t: self.event_weights_[t] for t in sorted(types)})
        if self.reference_time_ is not None:
            data = recency_decay(data, self.half_life_days, now=self.reference_time_)
        return data

    def transform(self, events: pd.DataFrame, items: pd.DataFrame, ids: Any = None) -> sp.csr_array:
        """Profiles of the users in ``events``.

        Parameters
        ----------
        events : DataFrame
            ``user, item`` and, as fitted, ``event``, ``timestamp``, ``weight``.
        items : DataFrame
            The item table (keyed by ``item``), encoded with the fitted encoders; it may
            hold items the fitting table did not (their values are encoded with the
            fitted vocabularies).
        ids : IdMap or array-like of user ids, optional
            Rows of the result, in this order (an IdMap: its position order); users
            without events get a zero row. Default: the users of ``events``, sorted.

        Returns
        -------
        csr_array of shape (n_rows, len(feature_names_)), float32
        """
        self._check_fitted()
        data = self._weighted(events)
        keyed = items.set_index("item") if "item" in items.columns else items
        known = data.item_map.index_of(pd.Index(keyed.index), missing="mask")
        has_row = np.zeros(data.n_items, dtype=bool)
        has_row[known[known >= 0]] = True
        unknown_events = ~has_row[data.item_idx]
        self.n_unknown_items_ = int(unknown_events.sum())
        if self.n_unknown_items_:
            example = data.interactions["item"].iloc[int(np.flatnonzero(unknown_events)[0])]
            warnings.warn(
                f"{self.n_unknown_items_} events name items absent from the item table "
                f"(e.g. {example!r}); they are left out of the profiles",
                DataWarning,
                stacklevel=2,
            )
        weights = data.user_item_matrix("weight")
        weights = sp.csr_array(weights @ sp.diags_array(has_row.astype(np.float32)))
        vectors = self.items_.transform(items, ids=data.item_map)
        if self.item_norm:
            vectors = unit_rows(vectors)
        totals = np.asarray(weights.sum(axis=1), dtype=np.float64).ravel()
        scale = np.where(totals > 0, 1.0 / np.where(totals > 0, totals, 1.0), 0.0)
        profiles = sp.diags_array(scale.astype(np.float32)) @ (weights @ vectors)
        profiles = sp.csr_array(profiles, dtype=np.float32)
        if ids is None:
            return profiles
        wanted = ids if isinstance(ids, IdMap) else None
        rows = (
            data.user_map.index_of(wanted.ids, missing="mask")
            if wanted is not None
            else data.user_map.index_of(np.asarray(list(ids), dtype=object), missing="mask")
        )
        picked = profiles[np.maximum(rows, 0)]
        keep = sp.diags_array((rows >= 0).astype(np.float32))
        return sp.csr_array(keep @ picked, dtype=np.float32)

    def fit_transform(self, data: Dataset) -> sp.csr_array:
        """:meth:`fit`, then the profiles of ``data``'s users (rows in ``user_map`` order)."""
        return self.fit(data).transform(data.interactions, data.items, ids=data.user_map)

    # -- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Parameters and fitted state as JSON values (:meth:`from_dict` reads them)."""
        self._check_fitted()
        weights = self.event_weights
        return {
            "class": type(self).__name__,
            "params": {
                "event_weights": dict(weights) if isinstance(weights, Mapping) else weights,
                "half_life_days": self.half_life_days,
                "item_norm": self.item_norm,
            },
            "state": {
                "items": self.items_.to_dict(),
                "event_weights": self.event_weights_,
                "reference_time": self.reference_time_,
            },
        }

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> UserProfileEncoder:
        """The fitted encoder :meth:`to_dict` described."""
        if spec.get("class") != cls.__name__:
            raise DataError(f"not a {cls.__name__} description: class {spec.get('class')!r}")
        state = spec["state"]
        items = ItemFeatures.from_dict(state["items"])
        encoder = cls(items=items, **spec["params"])
        encoder.items_ = items
        encoder.feature_names_ = list(items.feature_names_)
        encoder.event_weights_ = state["event_weights"]
        encoder.reference_time_ = state["reference_time"]
        return encoder

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"UserProfileEncoder({args})"
