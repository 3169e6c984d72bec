"""markov: conformance, hand-counted transitions, order, real time, update."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tastemaker
from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import Markov, create_model
from tastemaker.testing._checks import RecommenderChecks


class TestMarkov(RecommenderChecks):
    make_model = staticmethod(Markov)
    learns_blocks = False  # two_blocks has no order to learn


# a -> b twice, a -> c once, b -> c once; d never leads anywhere
EVENTS = pd.DataFrame(
    {
        "user": ["u1", "u1", "u1", "u2", "u2", "u3", "u3", "u4"],
        "item": ["a", "b", "c", "a", "b", "a", "c", "d"],
        "timestamp": [1, 2, 3, 1, 2, 1, 2, 1],
    }
)


def test_transitions_by_hand():
    model = Markov(smoothing=1.0).fit(Dataset(EVENTS))
    T = pd.DataFrame(model.transitions_.toarray(), index=model.items_.ids, columns=model.items_.ids)
    assert T.loc["a", "b"] == 2 and T.loc["a", "c"] == 1 and T.loc["b", "c"] == 1
    assert T.to_numpy().sum() == 4
    shares = np.array([3, 2, 2, 1]) / 8  # a, b, c, d among 8 events
    np.testing.assert_allclose(model.event_share_, shares, rtol=1e-6)
    # a user whose last item is a: P(j | a) = (T_aj + p_j) / (3 + 1)
    folded = model.fold_in(pd.DataFrame({"user": ["x"], "item": ["a"]}))
    np.testing.assert_allclose(folded[0], (T.loc["a"].to_numpy() + shares) / 4, rtol=1e-6)


def test_order_comes_from_timestamps_not_rows():
    model = Markov().fit(Dataset(EVENTS.sample(frac=1.0, random_state=1)))
    reference = Markov().fit(Dataset(EVENTS))
    np.testing.assert_array_equal(model.transitions_.toarray(), reference.transitions_.toarray())


def test_the_latest_event_changes_the_list():
    """A sequence model ranks from the latest history it is given, without retraining."""
    model = Markov().fit(Dataset(EVENTS))
    session = pd.DataFrame({"user": ["s", "s"], "item": ["d", "a"], "timestamp": [10, 11]})
    after_a = model.recommend_history(session, k=1, exclude_seen=False).to_frame()
    assert after_a["item"].tolist() == ["b"]  # a -> b is the most frequent transition
    later = pd.concat([session, pd.DataFrame({"user": ["s"], "item": ["b"], "timestamp": [12]})])
    after_b = model.recommend_history(later, k=1, exclude_seen=False).to_frame()
    assert after_b["item"].tolist() == ["c"]
    # the same events in another order: the timestamps decide which is last
    shuffled = later.iloc[::-1]
    again = model.recommend_history(shuffled, k=1, exclude_seen=False).to_frame()
    assert again["item"].tolist() == ["c"]


def test_known_user_with_latest_events():
    model = Markov().fit(Dataset(EVENTS))
    # u4 ended on d (no transitions); a new event a makes b the next item
    latest = pd.DataFrame({"user": ["u4"], "item": ["a"], "timestamp": [5]})
    recs = model.recommend_history(latest, k=1).to_frame()
    assert recs["item"].tolist() == ["b"] and recs["source"].tolist() == ["model"]
    # alone (combine=False) the history is just [a]: the same answer here
    alone = model.recommend_history(latest, k=1, combine=False).to_frame()
    assert alone["item"].tolist() == ["b"]


def test_update_equals_a_refit_on_all_events():
    first, later = EVENTS.iloc[:5], EVENTS.iloc[5:]
    base = Dataset(EVENTS)  # the catalog and user maps of everything
    updated = Markov().fit(base.replace(first)).update(later)
    refit = Markov().fit(base.replace(EVENTS))
    np.testing.assert_array_equal(updated.transitions_.toarray(), refit.transitions_.toarray())
    np.testing.assert_allclose(updated.event_share_, refit.event_share_)
    np.testing.assert_allclose(updated.score(["u1", "u3"]), refit.score(["u1", "u3"]))


def test_update_adds_new_items_and_users():
    model = Markov().fit(Dataset(EVENTS))
    model.update(pd.DataFrame({"user": ["u9", "u9"], "item": ["c", "zz"], "timestamp": [1, 2]}))
    assert "zz" in model.items_ and "u9" in model.users_
    assert model.transitions_.shape == (5, 5)
    column = model.items_.index_of(["zz"])[0]
    assert model.transitions_[model.items_.index_of(["c"])[0], column] == 1


def test_window_reads_several_recent_items():
    model = Markov(window=2, decay=0.5).fit(Dataset(EVENTS))
    one = Markov(window=1).fit(Dataset(EVENTS))
    history = pd.DataFrame({"user": ["x", "x"], "item": ["a", "b"], "timestamp": [1, 2]})
    both = model.fold_in(history)[0]
    last = one.fold_in(history.iloc[1:])[0]
    first = one.fold_in(history.iloc[:1])[0]
    np.testing.assert_allclose(both, last + 0.5 * first, rtol=1e-6)


def test_save_load_keeps_sequences(tmp_path):
    model = Markov().fit(Dataset(EVENTS))
    loaded = tastemaker.load(model.save(tmp_path / "m"))
    session = pd.DataFrame({"user": ["s"], "item": ["a"]})
    np.testing.assert_array_equal(loaded.fold_in(session), model.fold_in(session))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"smoothing": 0}, '"smoothing" must be a number > 0'),
        ({"window": 0}, '"window" must be an int in'),
        ({"decay": 2.0}, '"decay" must be a number in'),
    ],
)
def test_bad_params(params, message):
    with pytest.raises(ParameterError, match=message):
        create_model("markov", **params)


def test_explains_by_the_transition_counted():
    from tastemaker.explain import CoOccurrenceExplainer

    model = Markov().fit(Dataset(EVENTS))
    # u2 ended on b; b -> c once of one transition leaving b
    recs = model.recommend(["u2"], k=1)
    assert recs.to_frame()["item"].tolist() == ["c"]
    text = CoOccurrenceExplainer(model)(recs)["explanation"].iloc[0]
    assert text == "often next after b: 1 of 1 times"
