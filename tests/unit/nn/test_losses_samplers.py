"""Losses by hand, samplers' distributions and rejection."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from tastemaker.nn import losses
from tastemaker.nn.samplers import (
    NegativeSampler,
    contains,
    in_batch_negatives,
    sample_negatives,
    seen_keys,
)


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_bce_by_hand():
    pos, neg = torch.tensor([2.0]), torch.tensor([[0.5, -1.0]])
    expected = -(math.log(_sig(2.0)) + math.log(1 - _sig(0.5)) + math.log(1 - _sig(-1.0))) / 3
    assert losses.bce(pos, neg).item() == pytest.approx(expected, rel=1e-6)


def test_bpr_by_hand():
    pos, neg = torch.tensor([1.0, 0.0]), torch.tensor([[0.0, 2.0], [1.0, -1.0]])
    pairs = [1.0 - 0.0, 1.0 - 2.0, 0.0 - 1.0, 0.0 + 1.0]
    expected = -sum(math.log(_sig(d)) for d in pairs) / 4
    assert losses.bpr(pos, neg).item() == pytest.approx(expected, rel=1e-6)


def test_sampled_softmax_by_hand_and_log_q():
    pos, neg = torch.tensor([1.0]), torch.tensor([[0.0, 2.0]])
    expected = -math.log(math.exp(1) / (math.exp(1) + math.exp(0) + math.exp(2)))
    assert losses.sampled_softmax(pos, neg).item() == pytest.approx(expected, rel=1e-6)
    # the logQ correction subtracts log q from each negative's logit
    log_q = torch.tensor([[math.log(0.5), math.log(0.25)]])
    corrected = [0.0 - math.log(0.5), 2.0 - math.log(0.25)]
    expected = -math.log(math.exp(1) / (math.exp(1) + sum(math.exp(c) for c in corrected)))
    assert losses.sampled_softmax(pos, neg, log_q).item() == pytest.approx(expected, rel=1e-6)


def test_full_cross_entropy_ignores_padding():
    logits = torch.tensor([[1.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    target = torch.tensor([0, -1])
    expected = -math.log(math.e / (math.e + 2))
    assert losses.cross_entropy(logits, target).item() == pytest.approx(expected, rel=1e-6)


def test_mse_by_hand():
    assert losses.mse(torch.tensor([1.0, 3.0]), torch.tensor([2.0, 3.0])).item() == 0.5


def test_uniform_and_popularity_samplers_follow_their_distributions():
    rng = np.random.default_rng(0)
    uniform = NegativeSampler(4).draw((40_000,), rng)
    np.testing.assert_allclose(np.bincount(uniform, minlength=4) / 40_000, 0.25, atol=0.01)
    counts = np.array([1.0, 0.0, 16.0, 81.0])
    pop = NegativeSampler(4, counts, alpha=0.5)
    drawn = pop.draw((40_000,), rng)
    expected = np.sqrt(counts) / np.sqrt(counts).sum()  # 1, 0, 4, 9 over 14
    np.testing.assert_allclose(np.bincount(drawn, minlength=4) / 40_000, expected, atol=0.01)
    assert not (drawn == 1).any()  # an item never seen is never drawn
    np.testing.assert_allclose(np.exp(pop.log_q(np.array([0, 3]))), expected[[0, 3]], rtol=1e-5)
    assert NegativeSampler.named("uniform", 4, counts).probabilities is None


def test_rejection_redraws_seen_items():
    X = sp.csr_array(np.array([[1, 1, 1, 0, 0], [0, 0, 0, 1, 1]], dtype=np.float32))
    keys = seen_keys(X)
    assert contains(keys, 5, np.array([0, 0, 1]), np.array([2, 3, 4])).tolist() == [
        True,
        False,
        True,
    ]
    rng = np.random.default_rng(1)
    users = np.array([0, 1] * 50)
    plain = sample_negatives(NegativeSampler(5), users, 3, rng)
    assert contains(keys, 5, np.repeat(users, 3), plain.ravel()).mean() > 0.3
    # redrawn up to max_tries times: with 3 of 5 items seen, a slot keeps a seen item
    # with probability 0.6 ** 21; none of 300 slots does
    neg = sample_negatives(NegativeSampler(5), users, 3, rng, reject_seen=keys, max_tries=20)
    assert neg.shape == (100, 3)
    assert not contains(keys, 5, np.repeat(users, 3), neg.ravel()).any()


def test_in_batch_negatives_are_the_other_positives():
    neg = in_batch_negatives(np.array([7, 8, 9]))
    assert neg.tolist() == [[8, 9], [7, 9], [7, 8]]
    assert in_batch_negatives(np.array([5])).shape == (1, 0)


def test_in_batch_negatives_drawn_are_other_rows_positives():
    positives = np.array([10, 11, 12, 13])
    neg = in_batch_negatives(positives, n=50, rng=np.random.default_rng(0))
    assert neg.shape == (4, 50)
    for row, item in enumerate(positives):
        assert item not in neg[row]
        assert set(neg[row]) == set(positives) - {item}  # 50 draws from 3 reach each
