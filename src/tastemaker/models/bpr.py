"""Bayesian personalised ranking: matrix factorisation trained on pairwise preferences."""

from __future__ import annotations

import logging
import math
from typing import Any, ClassVar

import numpy as np

from tastemaker._progress import progress
from tastemaker._typing import Scores
from tastemaker._validation import SEED, Interval
from tastemaker.data import Dataset
from tastemaker.models import _bpr_kernels
from tastemaker.models._common import csr_parts, numba_threads, serial_below
from tastemaker.models._query import Query
from tastemaker.models.base import DEFAULT_SEED, Recommender
from tastemaker.models.registry import register

__all__ = ["BPR"]

logger = logging.getLogger(__name__)

MAX_NEGATIVE_TRIES = 16
"""Uniform draws for a negative item before a triple is skipped."""


def n_blocks_for(n_items: int, n_interactions: int) -> int:
    """Strata per side for the parallel epochs, from the data alone (so that results do
    not depend on the thread count): at most 8; each item block keeps >= 64 negative
    candidates and each block >= ~20,000 interactions, so that the work between two
    synchronisations of the threads outweighs their cost."""
    by_items = n_items // 64
    by_work = math.isqrt(n_interactions // 20_000)
    return int(max(1, min(8, by_items, by_work)))


@register("bpr")
class BPR(Recommender):
    """Bayesian personalised ranking (BPR-MF) trained by stochastic gradient ascent.

    Rendle et al.'s pairwise objective: for a user ``u``, an item ``i`` the user
    interacted with and an item ``j`` they did not, maximise ``ln σ(x_ui - x_uj)`` with
    ``x_ui = p_u · q_i + b_i`` (an item bias, as implicit's BPR), minus L2 penalties.
    Each epoch draws as many triples as there are interactions: the positive pair
    uniformly from the interactions, the negative item uniformly from the items the
    user has not interacted with. Interaction weights are ignored (any stored
    interaction is a positive).

    Epochs are stratified so that threads never share factors (DSGD, Gemulla et al.
    2011): users and items are dealt at random, every epoch, into ``B`` blocks each (``B``
    from 1 to 8, by ``n_blocks_for(n_items, n_interactions)``; 1 below 80,000
    interactions, 2 for MovieLens-100K, 8 from 1.28 million); blocks that share no user
    and no item run in parallel, each with its own random stream, and a positive's
    negative is drawn from its item block. The result is therefore the same for every
    ``n_threads``: a fixed ``random_state`` gives the same model whatever the thread
    count (on one CPU type; other CPUs may round differently).

    Unknown users, and users without training interactions, get the popularity
    fallback. Fold-in is not supported: a user's vector is the product of stochastic
    updates interleaved with the item updates, so no computation from the user's
    history alone reproduces it, and the exact per-user optimum (a convex problem over
    every positive-negative pair) costs O(n_interactions x n_items x n_factors) per
    step; for the same reason it cannot ``update``. Items without training
    interactions rank after every scored item.

    Parameters
    ----------
    n_factors : int, default=143
        Number of latent factors.
    n_epochs : int, default=184
        Passes of ``n_interactions`` sampled triples.
    learning_rate : float, default=0.0415
        SGD step size.
    regularization : float, default=0.0219
        L2 penalty on the user, positive and negative item factors and item biases at
        every update (implicit's convention).
    n_threads : int, default=0
        Threads (0: all cores; at most ``B``, one per block). Results do not depend on
        it. Each epoch synchronises the threads ``B`` times, so on a machine whose cores
        are busy with other work ``n_threads=1`` can be faster.
    random_state : int or None, default=42
        Seed of the initialisation, the strata and the samples (None: a fresh one).

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users, n_factors), float32
    item_factors_ : ndarray of shape (n_items, n_factors), float32
    item_bias_ : ndarray of shape (n_items,), float32

    References
    ----------
    Rendle, Freudenthaler, Gantner & Schmidt-Thieme (2009). BPR: Bayesian personalized
    ranking from implicit feedback. UAI. Gemulla, Nijkamp, Haas & Sismanis (2011).
    Large-scale matrix factorization with distributed stochastic gradient descent. KDD.
    """

    matrix_values = "binary"
    search_space: ClassVar[dict[str, tuple]] = {
        "n_factors": ("int", 16, 256, "log"),
        "n_epochs": ("int", 20, 300, "log"),
        "learning_rate": ("float", 1e-3, 0.3, "log"),
        "regularization": ("float", 1e-4, 0.3, "log"),
    }

    def __init__(
        self,
        n_factors: int = 143,
        n_epochs: int = 184,
        learning_rate: float = 0.0415,
        regularization: float = 0.0219,
        n_threads: int = 0,
        random_state: int | None = DEFAULT_SEED,
    ) -> None:
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.n_threads = n_threads
        self.random_state = random_state

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "n_factors": Interval("int", 1),
        "n_epochs": Interval("int", 1),
        "learning_rate": Interval("real", 0, closed="neither"),
        "regularization": Interval("real", 0),
        "n_threads": Interval("int", 0),
        "random_state": [SEED, None],
    }

    def _fit(self, data: Dataset) -> None:
        rng = np.random.default_rng(self.random_state)
        n_users, n_items, k = self.n_users, self.n_items, self.n_factors
        scale = np.float32(0.1)
        P = rng.standard_normal((n_users, k), dtype=np.float32) * scale
        Q = rng.standard_normal((n_items, k), dtype=np.float32) * scale
        bias = np.zeros(n_items, dtype=np.float32)
        indptr, indices, _ = csr_parts(self.seen_)
        user_of = np.repeat(np.arange(n_users, dtype=np.int32), np.diff(indptr))
        n_blocks = n_blocks_for(n_items, len(indices))
        seen_bits = _seen_bits(indptr, indices, n_items)
        skipped = 0
        n_threads = n_blocks if self.n_threads == 0 else min(self.n_threads, n_blocks)
        with numba_threads(serial_below(len(indices), n_threads)):
            for _ in progress(range(self.n_epochs), total=self.n_epochs, desc="epochs"):
                pos_order, pos_ptr, item_order, item_ptr = _strata(
                    rng, n_blocks, user_of, indices, n_users, n_items
                )
                seeds = rng.integers(0, 2**64, size=n_blocks * n_blocks, dtype=np.uint64)
                skipped += _bpr_kernels.bpr_epoch(
                    indptr,
                    indices,
                    user_of,
                    P,
                    Q,
                    bias,
                    pos_order,
                    pos_ptr,
                    item_order,
                    item_ptr,
                    seeds,
                    float(self.learning_rate),
                    float(self.regularization),
                    MAX_NEGATIVE_TRIES,
                    seen_bits,
                )
        if skipped:
            logger.debug("BPR skipped %d triples without a negative item", skipped)
        P[np.diff(indptr) == 0] = 0.0  # users never sampled keep no random vector
        self.user_factors_ = P
        self.item_factors_ = Q
        self.item_bias_ = bias

    def _score(self, query: Query) -> Scores:
        items = query.columns(self.item_factors_.T)
        bias = query.columns(self.item_bias_[None, :])
        return self.user_factors_[query.user_idx] @ items + bias


def _seen_bits(indptr: np.ndarray, indices: np.ndarray, n_items: int) -> np.ndarray:
    """Membership bits for the negative check when they take no more memory than the
    CSR's column indices (4 bytes per interaction), else an empty array (binary search)."""
    n_users = len(indptr) - 1
    if n_users * ((n_items + 63) // 64) * 8 <= 4 * len(indices):
        return _bpr_kernels.seen_bitset(indptr, indices, n_items)
    return np.zeros((0, 0), dtype=np.uint64)


def _strata(
    rng: np.random.Generator,
    n_blocks: int,
    user_of: np.ndarray,
    indices: np.ndarray,
    n_users: int,
    n_items: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Interactions grouped by (user block, item block) and items grouped by item
    block, for a fresh random deal of users and items into ``n_blocks`` blocks each."""
    if n_blocks == 1:
        nnz = len(indices)
        return (
            np.arange(nnz, dtype=np.int64),
            np.array([0, nnz], dtype=np.int64),
            np.arange(n_items, dtype=np.int64),
            np.array([0, n_items], dtype=np.int64),
        )
    user_block = np.empty(n_users, dtype=np.int64)
    user_block[rng.permutation(n_users)] = np.arange(n_users) % n_blocks
    item_block = np.empty(n_items, dtype=np.int64)
    item_block[rng.permutation(n_items)] = np.arange(n_items) % n_blocks
    keys = user_block[user_of] * n_blocks + item_block[indices]
    pos_order, pos_ptr = _bpr_kernels.group_by_key(keys, n_blocks * n_blocks)
    item_order, item_ptr = _bpr_kernels.group_by_key(item_block, n_blocks)
    return pos_order, pos_ptr, item_order, item_ptr
