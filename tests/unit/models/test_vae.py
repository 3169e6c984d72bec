"""mult-vae and recvae: conformance, the multinomial loss by hand, KL annealing, fold-in,
update; RecVAE's alternating passes, composite prior and KL weight."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tastemaker.errors import ParameterError
from tastemaker.models import MultVAE, RecVAE, create_model
from tastemaker.models._neural import TrainingPart
from tastemaker.models.vae import RecVAEModule, _log_normal
from tastemaker.nn import losses
from tastemaker.testing._checks import RecommenderChecks
from tastemaker.testing._synthetic import two_blocks

SMALL = dict(n_hidden=16, n_factors=4, dropout=0.2, batch_size=4, validation=0.0, n_threads=1)
"""What both autoencoders' tiny settings share."""


def tiny(**params) -> MultVAE:
    settings = dict(SMALL, n_epochs=60, learning_rate=0.01, total_anneal_steps=50)
    return MultVAE(**{**settings, **params})


def tiny_recvae(**params) -> RecVAE:
    settings = dict(
        SMALL,
        n_layers=2,
        gamma=0.05,  # a firm prior: the tiny latent keeps the block structure
        n_encoder_passes=1,
        n_epochs=40,
        learning_rate=0.02,
    )
    return RecVAE(**{**settings, **params})


TINY = {"mult-vae": tiny, "recvae": tiny_recvae}


def _part(model, data) -> TrainingPart:
    """The training part of a fitted model's whole training data (no validation)."""
    part = TrainingPart(model.seen_, None, np.zeros(0), np.zeros(0), data)
    model._prepare(part)
    return part


class TestMultVAE(RecommenderChecks):
    make_model = staticmethod(tiny)


@pytest.mark.parametrize(("name", "cls"), [("mult-vae", MultVAE), ("recvae", RecVAE)])
def test_registered_with_tags(name, cls):
    model = create_model(name)
    assert isinstance(model, cls)
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
    part = _part(model, data)
    rng = np.random.default_rng(0)
    betas = [b["beta"] for _ in range(3) for b in model._batches(part, rng)]
    # 12 users in batches of 5: 3 batches per epoch, 9 in all; beta = min(0.3, step / 4)
    assert betas == pytest.approx([0.0, 0.25, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])
    rows = [b["rows"] for b in model._batches(part, rng)]
    assert sum(len(r) for r in rows) == 12 and all(r.dtype == np.float32 for r in rows)


@pytest.mark.parametrize("make", ["mult-vae", "recvae"])
def test_new_user_history_is_folded_in(make):
    """The encoder reads the given history: two items of a block bring its other items."""
    blocks = two_blocks()
    model = TINY[make]().fit(blocks.train)
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


@pytest.mark.parametrize(("make", "n_epochs"), [("mult-vae", 8), ("recvae", 6)])
def test_validation_picks_the_best_epoch(make, n_epochs):
    blocks = two_blocks(n_users_per_block=20)
    model = TINY[make](validation=0.5, n_epochs=n_epochs, patience=0).fit(blocks.train)
    metrics = [e["metric"] for e in model.history_["epochs"]]
    assert len(metrics) == n_epochs and all(m is not None for m in metrics)
    assert model.history_["best_epoch"] == int(np.argmax(metrics)) + 1
    assert model.history_["throughput"] > 0


@pytest.mark.parametrize(
    ("make", "param", "value"),
    [
        ("mult-vae", "dropout", 1.0),
        ("mult-vae", "n_factors", 0),
        ("mult-vae", "beta_max", -0.1),
        ("mult-vae", "total_anneal_steps", 0),
        ("recvae", "dropout", 1.0),
        ("recvae", "n_layers", 0),
        ("recvae", "gamma", -0.1),
        ("recvae", "mixture_previous", 0.0),
        ("recvae", "mixture_wide", 1.0),
        ("recvae", "n_encoder_passes", 0),
    ],
)
def test_bad_parameters_are_refused(make, param, value):
    with pytest.raises(ParameterError, match=param):
        TINY[make](**{param: value}).fit(two_blocks().train)


# -- recvae ----------------------------------------------------------------------------


class TestRecVAE(RecommenderChecks):
    make_model = staticmethod(tiny_recvae)


def test_an_epoch_alternates_encoder_and_decoder_passes():
    data = two_blocks().train
    model = tiny_recvae(n_epochs=1, batch_size=5, n_encoder_passes=2, n_decoder_passes=2).fit(data)
    batches = list(model._batches(_part(model, data), np.random.default_rng(0)))
    # 12 users in batches of 5: 3 batches a pass; 2 encoder passes, then 2 decoder passes
    assert [b["part"] for b in batches] == ["encoder"] * 6 + ["decoder"] * 6
    assert [b["refresh"] for b in batches] == [False] * 6 + [True] + [False] * 5
    assert sum(len(b["rows"]) for b in batches[:3]) == 12


def test_each_pass_trains_its_own_part_only():
    data = two_blocks().train
    model = tiny_recvae(n_epochs=1).fit(data)
    module = model.module_
    module.train()
    rows = torch.from_numpy(model.seen_[:4].toarray().astype(np.float32))
    for part, trained, frozen in (
        ("encoder", "encoder", "decoder"),
        ("decoder", "decoder", "encoder"),
    ):
        module.zero_grad(set_to_none=True)
        model._loss(module, {"rows": rows, "part": part, "refresh": False}).backward()
        assert all(p.grad is not None for p in getattr(module, trained).parameters())
        assert all(p.grad is None for p in getattr(module, frozen).parameters())
        assert all(p.grad is None for p in module.old.parameters())


def test_decoder_pass_refreshes_the_prior_encoder():
    module = RecVAEModule(6, 8, 3, 2, 0.0, (0.15, 0.75, 0.1))
    with torch.no_grad():
        for p in module.encoder.parameters():
            p.add_(1.0)
    rows = torch.eye(6)[:2]
    assert not torch.allclose(module.old(rows, 0.0)[0], module.encoder(rows, 0.0)[0])
    model = tiny_recvae()
    model._loss(module, {"rows": rows, "part": "decoder", "refresh": True})
    torch.testing.assert_close(module.old(rows, 0.0)[0], module.encoder(rows, 0.0)[0])


def test_composite_prior_by_hand():
    module = RecVAEModule(4, 8, 2, 1, 0.0, (0.2, 0.5, 0.3))
    rows = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    z = torch.tensor([[0.3, -1.2]])
    old_mu, old_logvar = module.old(rows, 0.0)
    log_pdf = lambda x, m, v: -0.5 * (np.log(2 * np.pi * v) + (x - m) ** 2 / v)  # noqa: E731
    expected = np.log(
        0.2 * np.exp(log_pdf(z.numpy(), 0.0, 1.0))
        + 0.5
        * np.exp(log_pdf(z.numpy(), old_mu.detach().numpy(), np.exp(old_logvar.detach().numpy())))
        + 0.3 * np.exp(log_pdf(z.numpy(), 0.0, np.exp(10.0)))
    )
    np.testing.assert_allclose(module.log_prior(rows, z).detach().numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(
        _log_normal(z, torch.zeros(1), torch.zeros(1)).numpy(), log_pdf(z.numpy(), 0.0, 1.0)
    )


def test_kl_weight_grows_with_the_users_interactions():
    """The encoder loss is the multinomial NLL plus gamma * |row| * KL: doubling gamma
    adds exactly the weighted KL term once more."""
    data = two_blocks().train
    model = tiny_recvae(n_epochs=1).fit(data)
    module = model.module_
    module.train()
    rows = torch.from_numpy(model.seen_[:4].toarray().astype(np.float32))
    batch = {"rows": rows, "part": "encoder", "refresh": False}

    def loss(gamma):
        model.set_params(gamma=gamma)
        with torch.random.fork_rng():
            torch.manual_seed(0)
            return model._loss(module, batch).item()

    nll, once, twice = loss(0.0), loss(0.01), loss(0.02)
    assert once != pytest.approx(nll)
    assert twice - nll == pytest.approx(2 * (once - nll), rel=1e-4)


def test_mixture_must_leave_the_standard_normal_a_share():
    with pytest.raises(ParameterError, match="mixture_wide"):
        tiny_recvae(mixture_previous=0.8, mixture_wide=0.2).fit(two_blocks().train)
