"""The training loop: early stopping, best-weight restore, seeding, schedules, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tastemaker.errors import ParameterError, TastemakerError
from tastemaker.nn import TrainConfig, seeded, train


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5], dtype=np.float32)).astype(np.float32)

    def batches(epoch):
        for start in range(0, 64, 16):
            yield {"x": x[start : start + 16], "y": y[start : start + 16]}

    def loss(module, batch):
        return torch.nn.functional.mse_loss(module(batch["x"]).squeeze(-1), batch["y"])

    return batches, loss


def test_learns_a_linear_map():
    batches, loss = _problem()
    with seeded(0):
        module = torch.nn.Linear(3, 1)
    history = train(module, batches, loss, TrainConfig(n_epochs=60, learning_rate=0.05))
    np.testing.assert_allclose(module.weight.detach().numpy()[0], [1.0, -2.0, 0.5], atol=0.05)
    assert history.epochs[-1]["loss"] < 0.01 < history.epochs[0]["loss"]
    assert history.best_epoch == 60 and history.metric is None
    assert history.examples == 60 * 64 and history.throughput > 0
    json.dumps(history.to_dict())
    assert not module.training  # left in eval mode, on CPU
    assert module.weight.device.type == "cpu"


def test_early_stopping_restores_the_best_epoch():
    batches, loss = _problem()
    script = iter([0.1, 0.3, 0.2, 0.25, 0.1, 0.9, 0.9])
    snapshots = []

    def validate(module):
        snapshots.append(module.weight.detach().clone())
        return next(script)

    with seeded(0):
        module = torch.nn.Linear(3, 1)
    config = TrainConfig(n_epochs=7, learning_rate=0.05, patience=3)
    history = train(module, batches, loss, config, validate=validate)
    # best at epoch 2 (0.3); epochs 3-5 no better: stopped after 5 of 7
    assert [e["metric"] for e in history.epochs] == [0.1, 0.3, 0.2, 0.25, 0.1]
    assert history.best_epoch == 2 and history.best_metric == 0.3
    assert history.stopped_early
    torch.testing.assert_close(module.weight.detach(), snapshots[1])
    assert not torch.equal(module.weight.detach(), snapshots[-1])


def test_without_patience_every_epoch_runs_and_the_best_is_kept():
    batches, loss = _problem()
    values = iter([0.5, 0.1, 0.2])
    with seeded(0):
        module = torch.nn.Linear(3, 1)
    history = train(
        module,
        batches,
        loss,
        TrainConfig(n_epochs=3, learning_rate=0.05),
        validate=lambda m: next(values),
    )
    assert len(history.epochs) == 3 and history.best_epoch == 1 and not history.stopped_early


def test_same_seed_same_weights_and_global_state_untouched():
    batches, loss = _problem()
    before = torch.random.get_rng_state()
    weights = []
    for _ in range(2):
        with seeded(7):
            module = torch.nn.Sequential(torch.nn.Dropout(0.2), torch.nn.Linear(3, 1))
            train(module, batches, loss, TrainConfig(n_epochs=3, learning_rate=0.01))
        weights.append(module[1].weight.detach().clone())
    torch.testing.assert_close(weights[0], weights[1], rtol=0, atol=0)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_schedules_set_the_learning_rate_per_epoch():
    batches, loss = _problem()
    module = torch.nn.Linear(3, 1)
    cosine = TrainConfig(n_epochs=4, learning_rate=0.1, schedule="cosine")
    rates = [e["learning_rate"] for e in train(module, batches, loss, cosine).epochs]
    np.testing.assert_allclose(rates, [0.1 * 0.5 * (1 + np.cos(np.pi * e / 4)) for e in range(4)])
    linear = TrainConfig(n_epochs=4, learning_rate=0.1, schedule="linear", optimizer="adamw")
    rates = [e["learning_rate"] for e in train(module, batches, loss, linear).epochs]
    np.testing.assert_allclose(rates, [0.1, 0.075, 0.05, 0.025])


def test_a_diverging_loss_says_what_to_do():
    def batches(epoch):
        yield {"x": np.ones((2, 1), dtype=np.float32)}

    def loss(module, batch):
        return module(batch["x"]).sum() * float("inf")

    with pytest.raises(TastemakerError, match="lower learning_rate"):
        train(torch.nn.Linear(1, 1), batches, loss, TrainConfig(n_epochs=1, learning_rate=0.1))


def test_bad_settings_are_refused():
    batches, loss = _problem()
    with pytest.raises(ParameterError, match="optimizer"):
        train(torch.nn.Linear(3, 1), batches, loss, TrainConfig(1, 0.1, optimizer="sgd"))
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="no CUDA device"):
            train(torch.nn.Linear(3, 1), batches, loss, TrainConfig(1, 0.1, device="cuda"))


def test_clipping_bounds_the_gradient_norm():
    def batches(epoch):
        yield {"x": np.full((1, 2), 1e3, dtype=np.float32)}

    def loss(module, batch):
        return module(batch["x"]).sum()

    for clip, bounded in ((0.0, False), (0.5, True)):
        module = torch.nn.Linear(2, 1)
        train(module, batches, loss, TrainConfig(n_epochs=1, learning_rate=0.01, clip_norm=clip))
        grads = torch.cat([p.grad.ravel() for p in module.parameters()])  # the last step's
        assert (grads.norm().item() <= 0.5 + 1e-6) == bounded


def test_validation_ndcg_by_hand_and_against_evaluate():
    """The early-stopping metric equals tastemaker.evaluate's ndcg@10 on the same lists."""
    import pandas as pd
    import scipy.sparse as sp

    from tastemaker.evaluate import evaluate_recommendations
    from tastemaker.models._neural import ndcg_at_10

    rng = np.random.default_rng(3)
    n_rows, n_items = 6, 30
    scores = rng.normal(size=(n_rows, n_items)).astype(np.float32)
    scores[0, :] = 0.0  # ties: lower item position first
    seen = sp.random_array((n_rows, n_items), density=0.2, format="csr", random_state=4)
    seen.sort_indices()
    rows, targets = [], []
    for r in range(n_rows - 1):  # the last row has no targets
        unseen = np.setdiff1d(np.arange(n_items), seen[[r]].indices)
        picked = rng.choice(unseen, size=1 + r % 3, replace=False)
        rows += [r] * len(picked)
        targets += sorted(picked.tolist())
    rows, targets = np.array(rows), np.array(targets)
    got = ndcg_at_10(scores.copy(), seen, rows, targets)
    # by hand, row 0: every score ties, so the ranking is the unseen items in order
    unseen0 = np.setdiff1d(np.arange(n_items), seen[[0]].indices)
    ranks = [int(np.flatnonzero(unseen0 == t)[0]) + 1 for t in targets[rows == 0]]
    dcg = sum(1 / np.log2(r + 1) for r in ranks if r <= 10)
    ideal = sum(1 / np.log2(j + 2) for j in range(min(len(ranks), 10)))
    assert got[0] == pytest.approx(dcg / ideal)
    assert got[-1] == 0.0
    # against evaluate: the top-10 lists the same scores give
    masked = scores.copy()
    masked[np.repeat(np.arange(n_rows), np.diff(seen.indptr)), seen.indices] = -np.inf
    order = np.lexsort((np.broadcast_to(np.arange(n_items), masked.shape), -masked), axis=1)
    recs = pd.DataFrame(
        [(r, int(i), k + 1) for r in range(n_rows - 1) for k, i in enumerate(order[r, :10])],
        columns=["user", "item", "rank"],
    )
    truth = pd.DataFrame({"user": rows, "item": targets})
    expected = evaluate_recommendations(recs, truth, ["ndcg@10"]).summary["ndcg@10"]
    assert got[:-1].mean() == pytest.approx(expected)
