"""Implicit-feedback matrix factorisation by alternating least squares (Hu et al. 2008)."""

from __future__ import annotations

import logging
from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sp

from tastemaker._progress import progress
from tastemaker._typing import Index, Scores
from tastemaker._validation import Interval, check
from tastemaker.data import Dataset
from tastemaker.errors import DataError, ParameterError, TastemakerError
from tastemaker.models import _als_kernels
from tastemaker.models._common import (
    check_float,
    check_int,
    check_seed,
    numba_threads,
    serial_below,
)
from tastemaker.models.base import Recommender
from tastemaker.models.registry import register

__all__ = ["ALS"]

logger = logging.getLogger(__name__)

LOWEST_SCORE = float(np.finfo(np.float32).min)
"""Score of items without training interactions: ranked last, still finite."""


def rank_cold_items_last(
    scores: np.ndarray, item_popularity: np.ndarray, item_idx: Index | None
) -> Scores:
    """Give items without training interactions (popularity 0) ``LOWEST_SCORE``, in
    place; ``item_idx`` names the columns of ``scores`` (None: all items)."""
    cold = item_popularity == 0
    if item_idx is not None:
        cold = cold[item_idx]
    if cold.any():
        scores[:, cold] = LOWEST_SCORE
    return scores.astype(np.float32, copy=False)


def csr_parts(X: sp.csr_array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``indptr`` (int64), ``indices`` (int32) and ``data`` (float32) of a CSR matrix,
    contiguous: one dtype signature for the kernels."""
    return (
        np.ascontiguousarray(X.indptr, dtype=np.int64),
        np.ascontiguousarray(X.indices, dtype=np.int32),
        np.ascontiguousarray(X.data, dtype=np.float32),
    )


@register("als")
class ALS(Recommender):
    """Implicit-feedback matrix factorisation by alternating least squares.

    Hu, Koren & Volinsky's weighted matrix factorisation: every user-item pair is a
    preference ``p_ui`` (1 where the user interacted, 0 elsewhere) observed with
    confidence ``c_ui = confidence_offset + alpha * r_ui`` where the user interacted
    (``1 + alpha * r_ui`` by default) and 1 elsewhere, ``r_ui`` being the interaction
    weight (play counts, event weights; 1 per interaction without a ``weight`` column). ALS
    minimises ``Σ_ui c_ui (p_ui - x_uᵀ y_i)² + regularization (Σ_u |x_u|² + Σ_i |y_i|²)``
    over all pairs by alternating least-squares sweeps over items and users; the cost of
    a sweep grows with the number of interactions, not with users x items.

    Each epoch updates the items, then the users, so the last update of a fit is a user
    sweep. With ``solver="cg"`` the sweeps run ``cg_steps`` conjugate-gradient steps
    warm-started from the previous factors (implicit's ``use_cg=True``), and the final
    user sweep is solved exactly (Cholesky), so the user factors are exactly what
    fold-in computes for the same history. Scores are ``user_factors_ @ item_factors_.T``.

    Unknown users, and users without training interactions, get the popularity
    fallback; :meth:`fold_in` gives new users their least-squares factors instead
    (closed form, no retraining). Items without training interactions cannot be scored
    and are ranked last (score ``LOWEST_SCORE``, the lowest finite float32).

    Parameters
    ----------
    n_factors : int, default=64
        Number of latent factors.
    n_epochs : int, default=15
        Number of epochs (an item sweep followed by a user sweep).
    regularization : float, default=50.0
        L2 penalty ``λ`` on user and item factors (not scaled by counts; implicit's
        and LensKit's scale). Larger than those libraries' defaults: on binary data
        (MovieLens-100K validation) 25-100 does best.
    alpha : float, default=5.0
        Confidence slope: ``c_ui = confidence_offset + alpha * r_ui``.
    confidence_offset : float, default=1.0
        Confidence of an interaction of weight 0 (unobserved pairs have confidence 1).
        1 is Hu et al.'s ``c_ui = 1 + alpha * r_ui`` (and LensKit's); 0 is implicit's
        ``c_ui = alpha * r_ui``, under which an interaction with ``alpha * r_ui < 1``
        counts less than an unobserved pair. On binary data offset 0 with ``alpha=a`` is
        offset 1 with ``alpha=a - 1``.
    solver : {"cg", "cholesky"}, default="cg"
        Conjugate gradient (fast, approximate per sweep) or an exact Cholesky solve per
        row (O(k³) per row).
    cg_steps : int, default=3
        Conjugate-gradient steps per row and sweep (``solver="cg"``).
    n_threads : int, default=0
        Threads for the sweeps (0: all cores; data under 20,000 interactions use one).
        Results do not depend on it.
    random_state : int or None, default=None
        Seed of the factor initialisation.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users, n_factors), float32
    item_factors_ : ndarray of shape (n_items, n_factors), float32

    References
    ----------
    Hu, Koren & Volinsky (2008). Collaborative filtering for implicit feedback datasets.
    ICDM. Takács, Pilászy & Tikk (2011). Applications of the conjugate gradient method
    for implicit feedback collaborative filtering. RecSys.
    """

    supports_fold_in = True
    matrix_values = "weight"
    search_space: ClassVar[dict[str, tuple]] = {
        "n_factors": ("int", 16, 256, "log"),
        "n_epochs": ("int", 5, 30),
        "regularization": ("float", 0.1, 1000.0, "log"),
        "alpha": ("float", 0.1, 100.0, "log"),
        "confidence_offset": ("float", 0.0, 1.0),
    }

    def __init__(
        self,
        n_factors: int = 64,
        n_epochs: int = 15,
        regularization: float = 50.0,
        alpha: float = 5.0,
        solver: Literal["cg", "cholesky"] = "cg",
        cg_steps: int = 3,
        n_threads: int = 0,
        random_state: int | None = None,
        confidence_offset: float = 1.0,
    ) -> None:
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.regularization = regularization
        self.alpha = alpha
        self.solver = solver
        self.cg_steps = cg_steps
        self.n_threads = n_threads
        self.random_state = random_state
        self.confidence_offset = confidence_offset

    def _check_params(self) -> None:
        label = "ALS"
        check_int(label, "n_factors", self.n_factors, 1)
        check_int(label, "n_epochs", self.n_epochs, 1)
        check_float(label, "regularization", self.regularization, 0.0, strict=True)
        check_float(label, "alpha", self.alpha, 0.0)
        if self.solver not in ("cg", "cholesky"):
            raise ParameterError(
                f'{label}: parameter "solver" must be "cg" or "cholesky", got {self.solver!r}.'
            )
        check_int(label, "cg_steps", self.cg_steps, 1)
        check_int(label, "n_threads", self.n_threads, 0)
        check_seed(label, self.random_state)
        check(label, "confidence_offset", self.confidence_offset, Interval("real", 0.0))

    def _fit(self, data: Dataset) -> None:
        X = self.seen_
        if X.nnz and float(X.data.min()) < 0:
            raise DataError(
                f"ALS needs non-negative interaction weights; {data.name} has a weight of "
                f"{float(X.data.min())}. Drop or rescale negative weights when loading."
            )
        rng = np.random.default_rng(self.random_state)
        k = self.n_factors
        users = rng.standard_normal((self.n_users, k), dtype=np.float32) * np.float32(0.01)
        items = rng.standard_normal((self.n_items, k), dtype=np.float32) * np.float32(0.01)
        by_user = csr_parts(X)
        by_item = csr_parts(sp.csr_array(X.T))
        alpha = float(self.alpha)
        with numba_threads(serial_below(X.nnz, self.n_threads)):
            for epoch in progress(range(self.n_epochs), total=self.n_epochs, desc="epochs"):
                last = epoch == self.n_epochs - 1
                self._sweep(by_item, items, users, alpha, exact=self.solver == "cholesky")
                self._sweep(by_user, users, items, alpha, exact=last or self.solver == "cholesky")
        self.user_factors_ = users
        self.item_factors_ = items

    def _sweep(self, csr, X: np.ndarray, Y: np.ndarray, alpha: float, exact: bool) -> None:
        gram = _als_kernels.gram_matrix(Y, float(self.regularization))
        shift = float(self.confidence_offset) - 1.0  # w_ui = c_ui - 1 = alpha r_ui + shift
        if not exact:
            _als_kernels.cg_sweep(*csr, X, Y, gram, alpha, shift, int(self.cg_steps))
            return
        failed = _als_kernels.cholesky_sweep(*csr, X, Y, gram, alpha, shift)
        if failed:
            raise TastemakerError(
                f"ALS: {failed} least-squares systems were not positive definite; "
                "increase regularization."
            )

    def _score(self, user_idx: Index, item_idx: Index | None) -> Scores:
        items = self.item_factors_ if item_idx is None else self.item_factors_[item_idx]
        scores = self.user_factors_[user_idx] @ items.T
        return rank_cold_items_last(scores, self.item_popularity_, item_idx)

    def _fold_in(self, X: sp.csr_array) -> Scores:
        """Exact least-squares user factors from the rows of ``X`` with the item factors
        fixed: the same solve as the final user sweep of ``fit``."""
        factors = np.zeros((X.shape[0], self.n_factors), dtype=np.float32)
        # loaded artifacts may be read-only: one array type keeps one compiled kernel
        items = np.require(self.item_factors_, np.float32, ["C_CONTIGUOUS", "WRITEABLE"])
        with numba_threads(serial_below(X.nnz, self.n_threads)):
            self._sweep(csr_parts(X), factors, items, float(self.alpha), exact=True)
        scores = factors @ self.item_factors_.T
        return rank_cold_items_last(scores, self.item_popularity_, None)
