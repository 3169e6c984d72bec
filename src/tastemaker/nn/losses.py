"""Losses of the training loop: each takes scores (logits) and returns a scalar mean.

Positives are scored against negatives in one of four ways, plus MSE for ratings:

=================  ================================================================
``bce``            binary cross-entropy: positives labelled 1, sampled negatives 0
``bpr``            Bayesian personalised ranking: ``-log sigmoid(pos - neg)``
``sampled-softmax`` cross-entropy over the positive and its sampled negatives, with
                   the logQ correction when the negatives' sampling probabilities are
                   given (Jean et al. 2015; Yi et al. 2019)
``cross-entropy``  softmax over the whole catalogue (full cross-entropy)
``multinomial``    negative multinomial log-likelihood of a user's whole row under a
                   softmax over the catalogue (Liang et al. 2018; autoencoders)
``mse``            squared error against ratings
=================  ================================================================
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "bce", "bpr", "cross_entropy", "mse", "multinomial", "sampled_softmax"]


def bce(positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy: ``positive`` (shape ``(n,)``) labelled 1, ``negative``
    (shape ``(n, m)``: ``m`` sampled negatives per positive) labelled 0. Each positive
    and each negative counts once."""
    pos = F.binary_cross_entropy_with_logits(positive, torch.ones_like(positive), reduction="sum")
    neg = F.binary_cross_entropy_with_logits(negative, torch.zeros_like(negative), reduction="sum")
    return (pos + neg) / (positive.numel() + negative.numel())


def bpr(positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """``mean(-log sigmoid(positive - negative))`` over every (positive, negative) pair;
    ``negative`` is ``(n, m)``."""
    return -F.logsigmoid(positive.unsqueeze(-1) - negative).mean()


def sampled_softmax(
    positive: torch.Tensor, negative: torch.Tensor, log_q: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy of the positive among itself and its ``m`` negatives (``(n, m)``).

    ``log_q`` (``(n, m)``, optional): log sampling probability of each negative; it is
    subtracted from the negative's logit, so that popular negatives sampled often do
    not dominate (the logQ correction). Negatives equal to the positive should be
    masked by the caller with ``-inf``.
    """
    if log_q is not None:
        negative = negative - log_q
    logits = torch.cat([positive.unsqueeze(-1), negative], dim=-1)
    return -F.log_softmax(logits, dim=-1)[..., 0].mean()


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Full cross-entropy: ``logits`` ``(n, n_items)``, ``target`` ``(n,)`` item
    positions (-1: ignored, e.g. padding)."""
    return F.cross_entropy(logits, target.long(), ignore_index=-1)


def multinomial(logits: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """Negative multinomial log-likelihood per row, averaged over rows: ``logits`` and
    ``counts`` are ``(n, n_items)``; row ``u`` scores ``-sum_i counts[u, i] *
    log_softmax(logits[u])_i`` (Liang et al. 2018, eq. 2)."""
    return -(F.log_softmax(logits, dim=-1) * counts).sum(dim=-1).mean()


def mse(prediction: torch.Tensor, rating: torch.Tensor) -> torch.Tensor:
    """Mean squared error of predicted ratings."""
    return F.mse_loss(prediction, rating)


LOSSES = ("bce", "bpr", "sampled-softmax", "cross-entropy", "multinomial", "mse")
"""Loss names as models' ``loss`` parameters take them."""
