"""mult-vae: conformance, the multinomial loss by hand, KL annealing, fold-in, update."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tastemaker.errors import ParameterError
from tastemaker.models import MultVAE, create_model
from tastemaker.models._neural import TrainingPart
from tastemaker.nn import losses
from tastemaker.testing._checks import RecommenderChecks
from tastemaker.testing._synthetic import two_blocks


def tiny(**params) -> MultVAE:
    settings = dict(
        n_hidden=16,
        n_factors=4,
        dropout=0.2,
        n_epochs=60,
        batch_size=4,
        learning_rate=0.01,
        total_anneal_steps=50,
        validation=0.0,
        n_threads=1,
    )
    return MultVAE(**{**settings, **params})


class TestMultVAE(RecommenderChecks):
    make_model = staticmethod(tiny)


def test_registered_with_tags():
    model = create_model("mult-vae")
    assert isinstance(model, MultVAE)
    assert model.tags.folds_in and model.tags.updates
    assert not model.tags.scores_cold_users and not model.tags.uses_features


def test_multinomial_loss_by_hand():
    logits = torch.tensor([[0.0, np.log(3.0)], [0.0, 0.0]])
    counts = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    # row 0: softmax = (1/4, 3/4): -(log 1/4 + log 3/4); row 1: -log 1/2
    expected = (-(np.log(0.25) + np.log(0.75)) - np.log(0.5)) / 2
    assert losses.multinomial(logits, counts).item() == pytest.approx(expected, rel=1e-6)


def test_kl_weight_is_annealed_per_batch_to_beta_max():
    data = two_blocks().train
    model = tiny(batch_size=5, beta_max=0.3, total_anneal_steps=4)
    model.fit(data)  # sets the maps the batches read
    part = TrainingPart(model.seen_, None, np.zeros(0), np.zeros(0), data)
    model._prepare(part)
    rng = np.random.default_rng(0)
    betas = [b["beta"] for _ in range(3) for b in model._batches(part, rng)]
    # 12 users in batches of 5: 3 batches per epoch, 9 in all; beta = min(0.3, step / 4)
    assert betas == pytest.approx([0.0, 0.25, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])
    rows = [b["rows"] for b in model._batches(part, rng)]
    assert sum(len(r) for r in rows) == 12 and all(r.dtype == np.float32 for r in rows)


def test_new_user_history_is_folded_in():
    """The encoder reads the given history: two items of a block bring its other items."""
    blocks = two_blocks()
    model = tiny().fit(blocks.train)
    ids = blocks.train.item_map.ids.tolist()
    first, second = ids[:5], ids[5:]  # the two item blocks
    for block, other in ((first, second), (second, first)):
        history = pd.DataFrame({"user": "new", "item": block[:2]})
        recs = model.recommend_history(history, k=3).to_frame()
        assert set(recs["item"]) == set(block[2:]), recs
        assert not set(recs["item"]) & set(other)


def test_update_takes_effect_without_retraining():
    blocks = two_blocks()
    model = tiny().fit(blocks.train)
    user = blocks.users[0]
    weights = {k: v.clone() for k, v in model.module_.state_dict().items()}
    events = pd.DataFrame({"user": [user], "item": [blocks.held_out[0]]})
    train = blocks.train.interactions[["user", "item"]]
    expected = model.fold_in(pd.concat([train[train["user"] == user], events]))
    assert not np.allclose(model.score([user]), expected, atol=1e-3)  # the event matters
    model.update(events)
    np.testing.assert_allclose(model.score([user]), expected, rtol=1e-5, atol=1e-6)
    for name, value in model.module_.state_dict().items():
        torch.testing.assert_close(value, weights[name])


def test_validation_picks_the_best_epoch():
    blocks = two_blocks(n_users_per_block=20)
    model = tiny(validation=0.5, n_epochs=8, patience=0).fit(blocks.train)
    metrics = [e["metric"] for e in model.history_["epochs"]]
    assert len(metrics) == 8 and all(m is not None for m in metrics)
    assert model.history_["best_epoch"] == int(np.argmax(metrics)) + 1
    assert model.history_["throughput"] > 0


@pytest.mark.parametrize(
    ("param", "value"),
    [("dropout", 1.0), ("n_factors", 0), ("beta_max", -0.1), ("total_anneal_steps", 0)],
)
def test_bad_parameters_are_refused(param, value):
    with pytest.raises(ParameterError, match=param):
        tiny(**{param: value}).fit(two_blocks().train)
