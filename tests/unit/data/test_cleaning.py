"""Cleaning steps: counted drops, copied reports, hand-computed weights."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tastemaker.data._cleaning import (
    DEFAULT_EVENT_WEIGHTS,
    binarize,
    event_weights,
    fill_missing,
    k_core,
    recency_decay,
    resolve_duplicates,
    unweighted_events_message,
)
from tastemaker.data._dataset import Dataset, LoadReport
from tastemaker.errors import DataError, DataWarning, ParameterError

DAY = 86_400


def dataset(rows, columns=("user", "item"), name="log"):
    frame = pd.DataFrame(rows, columns=list(columns))
    return Dataset(frame, name=name, report=LoadReport(source=name, n_read=len(frame)))


def pairs(data):
    return data.interactions[["user", "item"]].values.tolist()


class TestResolveDuplicates:
    def test_merge_is_the_default_and_copies_the_report(self):
        data = dataset(
            [("u1", "i1", 3.0, 10), ("u1", "i1", 5.0, 30), ("u2", "i1", 4.0, 5)],
            ("user", "item", "rating", "timestamp"),
        )
        with pytest.warns(DataWarning, match="merged 1 duplicate rows") as record:
            out = resolve_duplicates(data)
        assert len(record) == 1 and record[0].filename == __file__
        assert pairs(out) == [["u1", "i1"], ["u2", "i1"]]
        assert out.interactions["weight"].tolist() == [2.0, 1.0]
        assert out.interactions["rating"].tolist() == [5.0, 4.0]
        assert out.interactions["timestamp"].tolist() == [30, 5]
        assert out.report.merged == {"duplicate": 1}
        assert data.report.merged == {}  # the parent's report is untouched
        assert out.user_map is data.user_map and out.item_map is data.item_map

    def test_error_names_rows(self):
        data = dataset([("u1", "i1"), ("u2", "i1"), ("u1", "i1")])
        with pytest.raises(DataError, match=r"^log, rows 0 and 2: user 'u1' and item 'i1'"):
            resolve_duplicates(data, "error")

    def test_nothing_to_do(self):
        data = dataset([("u1", "i1"), ("u2", "i1")])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert resolve_duplicates(data, "first") is data


class TestKCore:
    def test_iterates_until_stable(self):
        # i3 has one row, so (u3, i3) goes in round 1; that leaves u3 with one row,
        # so (u3, i2) goes in round 2. A single pass would have kept five rows.
        data = dataset(
            [("u1", "i1"), ("u1", "i2"), ("u2", "i1"), ("u2", "i2"), ("u3", "i2"), ("u3", "i3")]
        )
        with pytest.warns(DataWarning, match=r"dropped 2 of 6 interactions in 2 round") as record:
            out = k_core(data, min_user_interactions=2, min_item_interactions=2)
        assert len(record) == 1
        assert pairs(out) == [["u1", "i1"], ["u1", "i2"], ["u2", "i1"], ["u2", "i2"]]
        assert out.report.dropped == {"k-core": 2}
        assert data.report.dropped == {}
        assert out.n_users == 3  # the id maps are kept

    def test_counts_add_up_with_earlier_drops(self):
        data = dataset([("u1", "i1"), ("u1", "i2"), ("u2", "i1")])
        data.report.drop("duplicate", 4)
        with pytest.warns(DataWarning):
            out = k_core(data, 2, 1)
        assert out.report.dropped == {"duplicate": 4, "k-core": 1}
        assert out.report.n_read == 3

    def test_empty_core_and_bad_parameters(self):
        data = dataset([("u1", "i1"), ("u2", "i2")])
        with pytest.raises(DataError, match="k-core is empty"):
            k_core(data, 2, 2)
        with pytest.raises(ParameterError, match="min_user_interactions"):
            k_core(data, -1, 2)


class TestBinarize:
    def test_keeps_high_ratings_as_weight_one(self):
        data = dataset(
            [("u1", "i1", 5.0), ("u1", "i2", 3.5), ("u2", "i1", 4.0)],
            ("user", "item", "rating"),
        )
        with pytest.warns(DataWarning, match="dropped 1 of 3 interactions rated below 4"):
            out = binarize(data)
        assert pairs(out) == [["u1", "i1"], ["u2", "i1"]]
        assert out.interactions["weight"].tolist() == [1.0, 1.0]
        assert out.interactions["rating"].tolist() == [5.0, 4.0]
        assert out.report.dropped == {"below rating threshold": 1}
        with pytest.warns(DataWarning):
            assert "rating" not in binarize(data, 4.0, keep_rating=False).interactions

    def test_needs_ratings(self):
        with pytest.raises(DataError, match="needs a 'rating' column"):
            binarize(dataset([("u1", "i1")]))


class TestEventWeights:
    def test_defaults_and_synonyms(self):
        data = dataset(
            [
                ("u1", "i1", "view", 1.0),
                ("u1", "i2", "Clicks", 1.0),
                ("u1", "i3", "orders", 2.0),
                ("u2", "i1", "addtocart", 1.0),
                ("u2", "i2", "transaction", 1.0),
                ("u2", "i3", "page_view", 0.5),
            ],
            ("user", "item", "event", "weight"),
        )
        out = event_weights(data)
        assert out.interactions["weight"].tolist() == [1.0, 2.0, 16.0, 4.0, 8.0, 0.5]
        assert out.interactions["weight"].dtype == np.float32
        assert data.interactions["weight"].tolist() == [1.0, 1.0, 2.0, 1.0, 1.0, 0.5]
        assert DEFAULT_EVENT_WEIGHTS["purchase"] == 8.0

    def test_given_weights_override_and_extend(self):
        data = dataset([("u1", "i1", "like"), ("u1", "i2", "purchase")], ("user", "item", "event"))
        out = event_weights(data, {"like": 3.0, "purchase": 10.0})
        assert out.interactions["weight"].tolist() == [3.0, 10.0]

    def test_defaults_weigh_unknown_types_one_and_say_so(self):
        data = dataset(
            [("u1", "i1", "view"), ("u1", "i2", "share"), ("u2", "i1", "like")],
            ("user", "item", "event"),
        )
        with pytest.warns(DataWarning) as record:
            out = event_weights(data)
        assert out.interactions["weight"].tolist() == [1.0, 1.0, 1.0]
        assert len(record) == 1
        message = str(record[0].message)
        assert "'share' (1 row), 'like' (1 row) have no default weight; counted as 1" in message
        assert "event_weights={'view': 1, 'share': 1, 'like': 1}" in message
        assert out.report.warnings == [message]
        assert "event weights (default weights): view 1 (1 row), share 1" in out.report.notes[-1]

    def test_given_weights_must_cover_every_type(self):
        data = dataset(
            [("u1", "i1", "view"), ("u1", "i2", "cart"), ("u2", "i1", "purchase")],
            ("user", "item", "event"),
        )
        with pytest.raises(DataError) as info:
            event_weights(data, {"view": 1.0, "cart": 3.0})
        message = str(info.value)
        assert "no weight for event type(s) 'purchase' (1 row)" in message
        assert "event_weights={'view': 1, 'cart': 3, 'purchase': 1}" in message
        assert "event_weights=None" in message

    def test_given_weights_must_name_types_of_the_data(self):
        data = dataset([("u1", "i1", "view"), ("u1", "i2", "purchase")], ("user", "item", "event"))
        with pytest.raises(DataError) as info:
            event_weights(data, {"view": 1.0, "purchase": 8.0, "purchse": 8.0})
        message = str(info.value)
        assert "name 'purchse' (did you mean 'purchase'?), which do not occur" in message
        assert "its event types are 'view' (1 row), 'purchase' (1 row)" in message

    def test_given_weights_match_ignoring_case_not_synonyms(self):
        data = dataset(
            [("u1", "i1", "Add-To-Cart"), ("u1", "i2", "orders")], ("user", "item", "event")
        )
        out = event_weights(data, {"addtocart": 3.0, "Orders": 5.0})
        assert out.interactions["weight"].tolist() == [3.0, 5.0]
        with pytest.raises(DataError, match="'purchase', which do not occur"):
            event_weights(data, {"addtocart": 3.0, "orders": 5.0, "purchase": 8.0})
        with pytest.raises(ParameterError, match="'orders' and 'ORDERS', the same event type"):
            event_weights(data, {"addtocart": 3.0, "orders": 5.0, "ORDERS": 8.0})

    def test_weights_are_finite_numbers(self):
        data = dataset([("u1", "i1", "view")], ("user", "item", "event"))
        with pytest.raises(
            ParameterError,
            match="event_weights: parameter \"weights\\['view'\\]\" must be a number, got nan",
        ):
            event_weights(data, {"view": float("nan")})

    def test_unweighted_events_are_named_with_a_complete_spec(self):
        data = dataset([("u1", "i1", "view"), ("u1", "i2", "like")], ("user", "item", "event"))
        message = unweighted_events_message(data)
        assert "holds event types view (1 row), like (1 row), not used for weights" in message
        assert "event_weights=True" in message
        assert "event_weights={'view': 1, 'like': 1}" in message
        assert unweighted_events_message(dataset([("u1", "i1")])) is None

    def test_needs_events(self):
        with pytest.raises(DataError, match="needs an 'event' column"):
            event_weights(dataset([("u1", "i1")]))


class TestRecencyDecay:
    def test_half_life(self):
        data = dataset(
            [("u1", "i1", 0), ("u1", "i2", 10 * DAY), ("u2", "i1", 20 * DAY)],
            ("user", "item", "timestamp"),
        )
        out = recency_decay(data, half_life_days=10)
        assert out.interactions["weight"].tolist() == [0.25, 0.5, 1.0]
        assert "weight" not in data.interactions

    def test_now_and_existing_weights(self):
        data = dataset(
            [("u1", "i1", 0, 4.0), ("u1", "i2", 40 * DAY, 1.0)],
            ("user", "item", "timestamp", "weight"),
        )
        out = recency_decay(data, 20, now=20 * DAY)
        assert out.interactions["weight"].tolist() == [2.0, 1.0]  # the future counts as age 0
        iso = recency_decay(data, 20, now="1970-01-21T00:00:00Z")
        assert iso.interactions["weight"].tolist() == [2.0, 1.0]

    def test_errors(self):
        with pytest.raises(DataError, match="needs a 'timestamp' column"):
            recency_decay(dataset([("u1", "i1")]), 10)
        data = dataset([("u1", "i1", 0)], ("user", "item", "timestamp"))
        with pytest.raises(ParameterError, match="half_life_days"):
            recency_decay(data, 0)


class TestFillMissing:
    def test_fills_by_kind_and_counts(self):
        table = pd.DataFrame(
            {
                "year": [1990.0, np.nan, 2000.0, 2010.0],
                "genre": ["a", None, None, "b"],
                "tags": [["x"], np.nan, ["y", "z"], np.nan],
                "ok": [1, 2, 3, 4],
            },
            index=pd.Index([10, 11, 12, 13], name="item"),
        )
        out, counts = fill_missing(table)
        assert counts == {"year": 1, "genre": 2, "tags": 2}
        assert out["year"].tolist() == [1990.0, 2000.0, 2000.0, 2010.0]
        assert out["genre"].tolist() == ["a", "unknown", "unknown", "b"]
        assert out["tags"].tolist() == [["x"], [], ["y", "z"], []]
        assert table["year"].isna().sum() == 1  # the input is not changed

    def test_given_values(self):
        table = pd.DataFrame({"price": [1.0, np.nan], "kind": pd.Categorical(["a", None])})
        out, counts = fill_missing(table, numeric=0.0, categorical="other")
        assert out["price"].tolist() == [1.0, 0.0]
        assert out["kind"].tolist() == ["a", "other"]
        assert counts == {"price": 1, "kind": 1}
        with pytest.raises(ParameterError):
            fill_missing(table, numeric="mode")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda d: k_core(d, min_user_interactions=-1),
            'k_core: parameter "min_user_interactions" must be an int >= 0, got -1.',
        ),
        (
            lambda d: binarize(d, threshold="4"),
            "binarize: parameter \"threshold\" must be a number, got '4'.",
        ),
        (
            lambda d: binarize(d, keep_rating="no"),
            "binarize: parameter \"keep_rating\" must be True or False, got 'no'.",
        ),
        (
            lambda d: recency_decay(d, half_life_days=0),
            'recency_decay: parameter "half_life_days" must be a number > 0, got 0.',
        ),
        (
            lambda d: recency_decay(d, 7, now=True),
            'recency_decay: parameter "now" must be unix seconds, an ISO 8601 time '
            "(2024-01-13T08:00:00Z) or a datetime, got True.",
        ),
        (
            lambda d: resolve_duplicates(d, how="newest"),
            "resolve_duplicates: parameter \"how\" must be one of 'keep', 'first', 'last', "
            "'merge', 'error', got 'newest'.",
        ),
        (
            lambda d: fill_missing(pd.DataFrame({"a": [1.0]}), numeric="mode"),
            "fill_missing: parameter \"numeric\" must be one of 'median', 'mean' or a number, "
            "got 'mode'.",
        ),
    ],
    ids=["k-core", "threshold", "keep-rating", "half-life", "now", "duplicates", "fill"],
)
def test_parameters_are_refused_in_the_one_wording(call, message):
    data = dataset([("u1", "i1", 4.0, 0)], ("user", "item", "rating", "timestamp"))
    with pytest.raises(ParameterError) as info:
        call(data)
    assert str(info.value) == message


def test_python_messages_name_python_arguments():
    data = dataset([("u1", "i1")])
    with pytest.raises(DataError, match=r"\(e\.g\. columns=\{'stars': 'rating'\}\)"):
        binarize(data)
    with pytest.raises(DataError, match="or duplicates='keep' to keep them all"):
        resolve_duplicates(dataset([("u1", "i1"), ("u1", "i1")]), how="error")
