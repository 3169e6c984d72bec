"""UserProfileEncoder: event weights and recency decay by hand, fitted on training data
only, JSON round trip, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.errors import DataError, DataWarning, NotFittedError, ParameterError
from tastemaker.features import MultiHotEncoder, UserProfileEncoder
from tastemaker.features._union import ItemFeatures

DAY = 86_400
ITEMS = pd.DataFrame({"item": ["a", "b", "c"], "genres": ["Comedy", "Drama", "Horror"]})
EVENTS = pd.DataFrame(
    {
        "user": ["u1", "u1", "u2", "u2"],
        "item": ["a", "b", "b", "c"],
        "event": ["view", "purchase", "click", "click"],
        "timestamp": [10 * DAY, 10 * DAY, 0, 10 * DAY],
    }
)


def _multihot() -> ItemFeatures:
    return ItemFeatures([("g", MultiHotEncoder("genres"))])


def _fit(**params) -> UserProfileEncoder:
    return UserProfileEncoder(items=_multihot(), **params).fit(Dataset(EVENTS, items=ITEMS))


def test_event_weights_by_hand():
    enc = _fit()  # default weights: view 1, purchase 8, click 2
    assert enc.event_weights_ == {"view": 1.0, "purchase": 8.0, "click": 2.0}
    profiles = enc.transform(EVENTS, ITEMS, ids=["u1", "u2"]).toarray()
    np.testing.assert_allclose(profiles, [[1 / 9, 8 / 9, 0], [0, 0.5, 0.5]], rtol=1e-6)


def test_explicit_weights_and_no_weights():
    explicit = _fit(event_weights={"view": 3, "purchase": 1, "click": 1})
    u1 = explicit.transform(EVENTS, ITEMS, ids=["u1"]).toarray()
    np.testing.assert_allclose(u1, [[0.75, 0.25, 0]], rtol=1e-6)
    plain = _fit(event_weights=False)
    assert plain.event_weights_ is None
    np.testing.assert_allclose(
        plain.transform(EVENTS, ITEMS, ids=["u1"]).toarray(), [[0.5, 0.5, 0]]
    )


def test_recency_decay_by_hand():
    enc = _fit(event_weights=False, half_life_days=5.0)
    assert enc.reference_time_ == 10 * DAY  # the latest training timestamp
    # u2: b is 10 days old (2 half-lives: weight 1/4), c is new (weight 1)
    u2 = enc.transform(EVENTS, ITEMS, ids=["u2"]).toarray()
    np.testing.assert_allclose(u2, [[0, 0.25 / 1.25, 1 / 1.25]], rtol=1e-6)


def test_reference_time_comes_from_training_only():
    enc = _fit(event_weights=False, half_life_days=1.0)
    later = pd.DataFrame(
        {"user": ["x", "x"], "item": ["a", "c"], "timestamp": [11 * DAY, 12 * DAY]}
    )
    # both after the reference time: age 0, equal weights (no look-ahead re-centering)
    np.testing.assert_allclose(enc.transform(later, ITEMS).toarray(), [[0.5, 0, 0.5]])


def test_weight_column_multiplies_and_item_rows_are_unit_length():
    items = pd.DataFrame({"item": ["a", "b"], "genres": ["Comedy|Drama", "Drama"]})
    events = pd.DataFrame({"user": ["u", "u"], "item": ["a", "b"], "weight": [3.0, 1.0]})
    enc = UserProfileEncoder(items=_multihot()).fit(Dataset(events, items=items))
    profile = enc.transform(events, items).toarray()
    r = 1 / np.sqrt(2)
    np.testing.assert_allclose(profile, [[3 * r / 4, (3 * r + 1) / 4]], rtol=1e-6)


def test_default_items_encoder_and_fit_transform_rows():
    items = ITEMS.assign(genres=["Comedy|Romance", "Drama", "Horror|Romance"])
    data = Dataset(EVENTS, items=items)
    profiles = UserProfileEncoder().fit_transform(data)  # genres inferred as in content
    assert profiles.shape == (2, 4) and profiles.dtype == np.float32
    assert (
        profiles.toarray()[data.user_map.index_of(["u1"])[0]] > 0
    ).sum() == 3  # Comedy, Drama, Romance


def test_json_round_trip():
    enc = _fit(half_life_days=3.0)
    again = UserProfileEncoder.from_dict(json.loads(json.dumps(enc.to_dict())))
    assert again.event_weights_ == enc.event_weights_
    np.testing.assert_array_equal(
        again.transform(EVENTS, ITEMS).toarray(), enc.transform(EVENTS, ITEMS).toarray()
    )


def test_unknown_items_are_reported_and_left_out():
    enc = _fit(event_weights=False)
    events = pd.DataFrame({"user": ["x", "x"], "item": ["a", "zzz"]})
    with pytest.warns(DataWarning, match="1 events name items absent.*'zzz'"):
        profile = enc.transform(events, ITEMS).toarray()
    np.testing.assert_allclose(profile, [[1, 0, 0]])
    assert enc.n_unknown_items_ == 1


def test_errors():
    with pytest.raises(NotFittedError):
        UserProfileEncoder().transform(EVENTS, ITEMS)
    with pytest.raises(ParameterError, match="half_life_days"):
        _fit(half_life_days=0)
    with pytest.raises(DataError, match="no item table"):
        UserProfileEncoder().fit(Dataset(EVENTS))
    with pytest.raises(DataError, match="timestamp"):
        UserProfileEncoder(_multihot(), half_life_days=1.0).fit(
            Dataset(EVENTS.drop(columns="timestamp"), items=ITEMS)
        )
    enc = _fit()
    with pytest.raises(DataError, match=r"types \['share'\] have no weight"):
        enc.transform(EVENTS.assign(event="share"), ITEMS)
    with pytest.raises(DataError, match="no 'event' column"):
        enc.transform(EVENTS.drop(columns="event"), ITEMS)
    from tastemaker.data import event_weights

    weighted = event_weights(Dataset(EVENTS, items=ITEMS))
    with pytest.raises(DataError, match="already weighted by event type"):
        UserProfileEncoder(_multihot()).fit(weighted)
