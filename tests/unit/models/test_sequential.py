"""Neural sequence models (gru4rec, lstm, sasrec, caser): conformance, planted order,
real-time ranking, updates, SASRec's attention, training windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import EASE, LSTM, Caser, GRU4Rec, Popular, SASRec, create_model
from tastemaker.models._query import Sequences
from tastemaker.models.sequential import training_windows
from tastemaker.testing._checks import RecommenderChecks

TINY = {"n_factors": 8, "max_length": 8, "n_epochs": 2, "batch_size": 8, "device": "cpu"}
TINY_THREADS = {**TINY, "n_threads": 1}


class TestGRU4Rec(RecommenderChecks):
    make_model = staticmethod(lambda: GRU4Rec(**TINY_THREADS))
    learns_blocks = False  # two_blocks has no order to learn


class TestLSTM(RecommenderChecks):
    make_model = staticmethod(lambda: LSTM(**TINY_THREADS, loss="bpr", n_negatives=2))
    learns_blocks = False


class TestSASRec(RecommenderChecks):
    make_model = staticmethod(lambda: SASRec(**TINY_THREADS, n_heads=2, loss="sampled-softmax"))
    learns_blocks = False


class TestCaser(RecommenderChecks):
    make_model = staticmethod(lambda: Caser(**TINY_THREADS, window=3, loss="bce", n_negatives=1))
    learns_blocks = False


# -- a planted order: users walk a cycle ---------------------------------------------------
N_CYCLE = 10


def _walks(n_users: int = 80, seed: int = 0) -> tuple[Dataset, dict[str, str]]:
    """Each user walks i0 -> i1 -> ... -> i9 -> i0 from a random start for 3..8 steps;
    the item after the walk's last (never seen by the user) is the answer."""
    rng = np.random.default_rng(seed)
    rows, answer = [], {}
    for u in range(n_users):
        start, length = int(rng.integers(N_CYCLE)), int(rng.integers(3, 9))
        user = f"u{u}"
        for step in range(length):
            rows.append((user, f"i{(start + step) % N_CYCLE}", 100 + step))
        answer[user] = f"i{(start + length) % N_CYCLE}"
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    return Dataset(frame, name="cycles"), answer


CYCLE = {
    "n_factors": 16,
    "max_length": 10,
    "n_epochs": 40,
    "batch_size": 16,
    "learning_rate": 0.01,
    "dropout": 0.0,
    "validation": 0.0,
    "device": "cpu",
    "n_threads": 1,
}
SEQUENCE_MODELS = {
    "gru4rec": {},
    "lstm": {},
    "sasrec": {"n_layers": 1},
    "caser": {"window": 2},
}


def _hits(model, answer: dict[str, str]) -> float:
    users = list(answer)
    top = model.recommend(users, k=1).to_frame()["item"].tolist()
    return float(np.mean([a == b for a, b in zip(top, [answer[u] for u in users])]))


@pytest.fixture(scope="module")
def walks():
    return _walks()


@pytest.fixture(scope="module")
def trained(walks):
    data, _ = walks
    return {
        name: create_model(name, **CYCLE, **extra).fit(data)
        for name, extra in SEQUENCE_MODELS.items()
    }


@pytest.mark.parametrize("name", list(SEQUENCE_MODELS))
def test_learns_the_planted_order_that_bags_of_items_miss(walks, trained, name):
    data, answer = walks
    hits = _hits(trained[name], answer)
    bag = max(_hits(EASE(regularization=1.0).fit(data), answer), _hits(Popular().fit(data), answer))
    # a bag of items sees an arc of the cycle, not which end is the latest
    assert hits >= 0.9
    assert hits >= bag + 0.3


@pytest.mark.parametrize("loss", ["sampled-softmax", "bce", "bpr"])
def test_every_loss_learns_the_order(walks, loss):
    data, answer = walks
    model = GRU4Rec(**CYCLE, loss=loss, n_negatives=4, sampler="popularity").fit(data)
    assert _hits(model, answer) >= 0.8


@pytest.mark.parametrize("name", list(SEQUENCE_MODELS))
def test_the_latest_event_changes_the_list(trained, name):
    """Any history is ranked as given, without retraining: one more event moves the
    list one step along the cycle."""
    model = trained[name]
    session = pd.DataFrame({"user": ["s", "s"], "item": ["i2", "i3"], "timestamp": [1, 2]})
    first = model.recommend_history(session, k=1).to_frame()["item"].tolist()
    longer = pd.concat([session, pd.DataFrame({"user": ["s"], "item": ["i4"], "timestamp": [3]})])
    then = model.recommend_history(longer, k=1).to_frame()["item"].tolist()
    assert first == ["i4"] and then == ["i5"]
    # the timestamps, not the row order, say which event is the latest
    again = model.recommend_history(longer.iloc[::-1], k=1).to_frame()["item"].tolist()
    assert again == ["i5"]


def test_update_appends_events_and_keeps_the_weights(walks):
    data, answer = walks
    model = GRU4Rec(**{**CYCLE, "n_epochs": 15}).fit(data)
    before = {k: v.clone() for k, v in model.module_.state_dict().items()}
    user = next(iter(answer))
    step = pd.DataFrame({"user": [user], "item": [answer[user]], "timestamp": [1000]})
    expected = model.recommend_history(step, k=3).to_frame()["item"].tolist()
    model.update(step)
    assert model.recommend([user], k=3).to_frame()["item"].tolist() == expected
    assert (
        model.sequences_.take(model.users_.index_of([user])).items[-1]
        == (model.items_.index_of([answer[user]])[0])
    )
    for key, value in model.module_.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)


def test_same_seed_same_scores_and_another_seed_differs(walks):
    data, answer = walks
    users = list(answer)[:5]
    params = {**CYCLE, "n_epochs": 3}
    a = SASRec(**params, random_state=1).fit(data).score(users)
    b = SASRec(**params, random_state=1).fit(data).score(users)
    c = SASRec(**params, random_state=2).fit(data).score(users)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_padding_does_not_change_the_scores(trained):
    """A history scored alone (no padding) and beside a longer one (left-padded) gets
    the same scores, for every model."""
    short = pd.DataFrame({"user": ["a", "a"], "item": ["i1", "i2"], "timestamp": [1, 2]})
    long = pd.DataFrame({"user": ["b"] * 6, "item": [f"i{j}" for j in range(6)], "timestamp": 1})
    for model in trained.values():
        alone = model.fold_in(short)
        beside = model.fold_in(pd.concat([short, long]))[:1]
        np.testing.assert_allclose(alone, beside, rtol=1e-5, atol=1e-5)


def test_caser_scores_what_its_whole_window_gives(trained):
    """Caser reads only the last ``window`` items to score: the same scores as its
    module run over the last ``max_length`` items."""
    model = trained["caser"]
    items = [f"i{j}" for j in range(9)]
    history = pd.DataFrame({"user": "a", "item": items, "timestamp": range(9)})
    full = model._history_query(history, None, None, None, combine=False).sequences
    inputs = torch.from_numpy(full.last_items(int(model.max_length)).astype(np.int64) + 1)
    with torch.no_grad():
        hidden = model.module_(inputs)[:, -1]
        expected = (hidden @ model.module_.item_vectors().T).numpy()
    np.testing.assert_allclose(model.fold_in(history), expected, rtol=1e-5, atol=1e-6)


# -- SASRec's attention ---------------------------------------------------------------------
def test_sasrec_attention_is_causal_and_sums_to_one(trained):
    model = trained["sasrec"]
    history = pd.DataFrame(
        {
            "user": ["a", "a", "a", "b", "b"],
            "item": ["i1", "i2", "i3", "i7", "i8"],
            "timestamp": [1, 2, 3, 1, 2],
        }
    )
    maps = model.attention(history)
    assert list(maps) == ["a", "b"]
    items, weights = maps["a"]
    assert items.tolist() == ["i1", "i2", "i3"]
    assert weights.shape == (1, 1, 3, 3)  # layers, heads, positions, positions
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    assert np.all(weights[..., np.triu_indices(3, k=1)[0], np.triu_indices(3, k=1)[1]] == 0)
    assert weights[0, 0, 0, 0] == pytest.approx(1.0)  # the first item sees only itself
    items, weights = maps["b"]  # padded beside a's longer history: none on the padding
    assert items.tolist() == ["i7", "i8"] and weights.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)


def test_sasrec_attention_shapes_with_layers_and_heads(walks):
    data, _ = walks
    model = SASRec(**{**CYCLE, "n_epochs": 1}, n_layers=2, n_heads=4).fit(data)
    history = pd.DataFrame({"user": ["a"] * 12, "item": [f"i{j % 10}" for j in range(12)]})
    items, weights = model.attention(history)["a"]
    assert len(items) == 10  # the last max_length items
    assert weights.shape == (2, 4, 10, 10)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)


def test_sequence_models_share_the_training_defaults_the_base_documents():
    """SequentialRecommender's docstring states the training defaults once for all."""
    documented = {
        "n_epochs": 100,
        "batch_size": 64,
        "learning_rate": 0.002,
        "clip_norm": 5.0,
        "patience": 10,
        "validation": 0.5,
    }
    for name in SEQUENCE_MODELS:
        params = create_model(name).get_params()
        assert {k: params[k] for k in documented} == documented, name


# -- training windows by hand ---------------------------------------------------------------
def test_training_windows_by_hand():
    # row 0: items 5 6 7 8 9 (n=5), row 1: 3 (n=1, no target), row 2: 1 2
    seq = Sequences(
        np.array([0, 5, 6, 8]),
        np.array([5, 6, 7, 8, 9, 3, 1, 2], dtype=np.int32),
        None,
        np.ones(8, dtype=np.float32),
    )
    inputs, targets = training_windows(seq, 3)
    # row 0 ends at 5: inputs 6 7 8 -> targets 7 8 9; then ends at 2: inputs 5 -> 6
    np.testing.assert_array_equal(inputs, [[7, 8, 9], [0, 0, 6], [0, 0, 2]])
    np.testing.assert_array_equal(targets, [[7, 8, 9], [-1, -1, 6], [-1, -1, 2]])


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("sasrec", {"n_factors": 10, "n_heads": 3}, "must be a multiple of n_heads"),
        ("gru4rec", {"loss": "mse"}, '"loss" must be one of'),
        ("caser", {"window": 0}, '"window" must be an int in'),
        ("lstm", {"dropout": 1.0}, '"dropout" must be a number in'),
    ],
)
def test_bad_params(walks, name, params, message):
    with pytest.raises(ParameterError, match=message):
        create_model(name, **params).fit(walks[0])
