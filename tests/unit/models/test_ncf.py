"""NCF: conformance for each variant, learning planted structure, the training record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import NCF, create_model
from tastemaker.testing._checks import RecommenderChecks

TINY = dict(n_factors=8, n_epochs=5, batch_size=16, learning_rate=0.02, validation=0.0)


class _Checks(RecommenderChecks):
    # two_blocks leaves each user 5 unseen items, the held-out one among them: sampled
    # as a negative a fifth of the time, a lone user's held-out item is learned as
    # disliked. Learning is shown on larger planted groups below.
    learns_blocks = False


class TestNeuMF(_Checks):
    make_model = staticmethod(lambda: NCF(variant="neumf", **TINY))


class TestGMFWithBPR(_Checks):
    make_model = staticmethod(lambda: NCF(variant="gmf", loss="bpr", sampler="popularity", **TINY))


class TestDot(_Checks):
    make_model = staticmethod(lambda: NCF(variant="dot", **TINY))


class TestInBatch(_Checks):
    make_model = staticmethod(lambda: NCF(sampler="in-batch", **TINY))


class TestMLP(_Checks):
    make_model = staticmethod(lambda: NCF(variant="mlp", n_layers=1, **TINY))


def _clusters(n_groups=4, users_per_group=15, items_per_group=12, seed=0):
    """Each user has 8 of their group's items; the rest of the group's items are the
    test set."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for g in range(n_groups):
        items = [f"i{g * items_per_group + j}" for j in range(items_per_group)]
        for u in range(users_per_group):
            user = f"u{g}-{u}"
            picked = rng.permutation(items)
            train += [(user, i) for i in picked[:8]]
            test += [(user, i) for i in picked[8:]]
    return pd.DataFrame(train, columns=["user", "item"]), pd.DataFrame(
        test, columns=["user", "item"]
    )


@pytest.mark.parametrize(
    ("variant", "n_epochs", "learning_rate"),
    [("neumf", 10, 0.01), ("gmf", 10, 0.01), ("mlp", 20, 0.05), ("dot", 20, 0.02)],
)
def test_learns_planted_groups_far_above_random(variant, n_epochs, learning_rate):
    train, test = _clusters()
    model = NCF(
        variant=variant,
        n_factors=8,
        n_epochs=n_epochs,
        batch_size=64,
        learning_rate=learning_rate,
        n_negatives=4,
        validation=0.0,
    )
    model.fit(Dataset(train))
    recs = model.recommend(sorted(set(train["user"])), k=4).to_frame()
    hits = recs.merge(test, on=["user", "item"]).shape[0] / len(recs)
    # random among the 40 unseen items: 4 of them are test items, 10%
    assert hits > 0.8, hits
    assert model.history_["best_epoch"] == n_epochs  # no validation: the last epoch


def test_history_records_validation_and_early_stopping():
    train, _ = _clusters()
    model = NCF(n_factors=8, n_epochs=12, batch_size=64, learning_rate=0.02, patience=2)
    model.fit(Dataset(train))
    history = model.history_
    metrics = [e["metric"] for e in history["epochs"]]
    assert all(m is not None for m in metrics)
    assert history["best_metric"] == max(metrics)
    # stopped exactly `patience` epochs after the best, or ran every epoch
    assert history["stopped_early"] == (len(metrics) < 12)
    if history["stopped_early"]:
        assert len(metrics) - history["best_epoch"] == 2
    assert metrics.index(max(metrics)) + 1 == history["best_epoch"]
    assert history["throughput"] > 0 and history["device"] == "cpu"


def test_bad_parameters_are_refused_with_the_parameter_name():
    data = Dataset(_clusters()[0])
    with pytest.raises(ParameterError, match="variant"):
        NCF(variant="deep").fit(data)
    with pytest.raises(ParameterError, match="validation"):
        NCF(validation=0.9).fit(data)
    with pytest.raises(ParameterError, match="loss"):
        create_model("ncf", loss="cross-entropy")


@pytest.mark.parametrize("variant", ["neumf", "gmf", "mlp", "dot"])
def test_scoring_every_item_equals_scoring_pairs(variant):
    import torch

    model = NCF(variant=variant, n_factors=4, n_epochs=2, validation=0.0)
    model.fit(Dataset(_clusters()[0]))
    users = torch.tensor([0, 5, 7])
    items = torch.arange(model.n_items).expand(3, -1)
    with torch.no_grad():
        torch.testing.assert_close(
            model.module_.score_all(users, model.n_items), model.module_(users, items)
        )


def test_validation_carve_holds_out_a_fifth_of_sampled_users_items():
    train, _ = _clusters()
    model = NCF(validation=0.5, n_epochs=1)
    model.fit(Dataset(train))
    part = model._carve(Dataset(train), np.random.default_rng(0))
    users = np.unique(part.val_users)
    assert len(users) == 30  # half of the 60 users, each with 8 items
    assert np.bincount(part.val_users)[users].tolist() == [2] * 30  # round(0.2 * 8)
    # held-out pairs are gone from the training part, and nothing else is
    assert part.X.nnz == model.seen_.nnz - 60
    assert (np.asarray(part.X[part.val_users, part.val_items]).ravel() == 0).all()
    assert (np.asarray(model.seen_[part.val_users, part.val_items]).ravel() > 0).all()
