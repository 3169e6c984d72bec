"""Adapters that give every benchmarked system one interface: ours and the peer libraries.

A :class:`System` is built from one parameter configuration and used as::

    system.prepare(train)             # convert the data to the library's format (untimed)
    system.fit()                      # the library's own training call (timed)
    system.recommend(users, k)        # DataFrame user, item, rank: top-k, train items excluded
    system.predict(pairs)             # predicted ratings for (user, item) rows (rating systems)

Every system ranks the same catalog (the items of the dataset's item map, which train and
test share) and excludes each user's training items, so the lists differ only in the
algorithm. Peer libraries (implicit, LensKit, Surprise, and scikit-learn for the SLIM
reference) are the ``bench`` extra and are imported only inside the adapter that uses
them: this module imports with numpy, pandas and tastemaker alone. The "reference"
systems are textbook implementations (EASE's closed form in NumPy, SLIM by
scikit-learn's elastic net) for the matched suite.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.data import Dataset
from tastemaker.models._topk import topk

__all__ = [
    "PEER_CLASSES",
    "System",
    "available",
    "library_version",
    "thread_limits",
]


_MODULES = {
    "implicit": "implicit",
    "lenskit": "lenskit",
    "surprise": "surprise",
    "scikit-learn": "sklearn",
    "reference": "numpy",
}


def available(library: str) -> tuple[bool, str]:
    """Whether a peer library imports, and why not."""
    module = _MODULES[library]
    try:
        importlib.import_module(module)
    except Exception as err:  # ImportError, or a broken install raising anything else
        return False, f"{library} is not importable ({type(err).__name__}: {err}); install .[bench]"
    return True, ""


def library_version(distribution: str) -> str | None:
    """The installed version of a distribution (without importing it), None if absent."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


@contextlib.contextmanager
def thread_limits(threads: int, blas: int | None = None) -> Iterator[None]:
    """Limit numba, torch and BLAS/OpenMP threads inside the block (restored afterwards).

    ``blas`` defaults to ``threads``; implicit asks for single-threaded BLAS, since its own
    threads do the parallel work.
    """
    import numba

    blas = threads if blas is None else blas
    old_numba = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    old_torch = None
    torch = _loaded("torch")
    if torch is not None:
        old_torch = torch.get_num_threads()
        torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        limiter: Any = contextlib.nullcontext()
    else:
        limiter = threadpool_limits(limits=blas)
    try:
        with limiter:
            yield
    finally:
        numba.set_num_threads(old_numba)
        if torch is not None and old_torch is not None:
            torch.set_num_threads(old_torch)


def _loaded(module: str) -> Any:
    import sys

    return sys.modules.get(module)


def _frame(users: np.ndarray, items: np.ndarray, valid: np.ndarray | None = None) -> pd.DataFrame:
    """A recommendations frame from per-row user ids and an (n, k) array of item ids."""
    n, k = items.shape
    ranks = np.broadcast_to(np.arange(1, k + 1), (n, k))
    user_col = np.repeat(np.asarray(users, dtype=object), k).reshape(n, k)
    if valid is None:
        valid = np.ones((n, k), dtype=bool)
    return pd.DataFrame(
        {
            "user": user_col[valid],
            "item": items[valid],
            "rank": ranks[valid].astype(np.int64),
        }
    )


class System:
    """One configured system: fit on a training set, then rank or predict.

    Subclasses set ``library`` and the capabilities ``ranks`` / ``rates`` and implement
    ``_prepare``, ``fit`` and ``recommend`` (and ``predict`` when ``rates``).
    """

    library: ClassVar[str] = ""
    title: ClassVar[str] = ""  # the library's name for the algorithm
    ranks: ClassVar[bool] = True
    rates: ClassVar[bool] = False
    needs_ratings: ClassVar[bool] = False
    seeded: ClassVar[bool] = False  # results depend on the seed (random initialisation)

    def __init__(self, params: dict[str, Any], threads: int, seed: int) -> None:
        self.params = dict(params)
        self.threads = threads
        self.seed = seed
        self.train: Dataset | None = None

    target: ClassVar[str] = ""  # "module:Class" of the library's algorithm

    @classmethod
    def library_defaults(cls) -> dict[str, Any]:
        """The library's defaults for this system's parameters ({} where unknown)."""
        return {}

    @classmethod
    def _class(cls) -> Any:
        """The library's class for the algorithm (imported on first use)."""
        module, name = cls.target.split(":")
        return getattr(importlib.import_module(module), name)

    def prepare(self, train: Dataset) -> None:
        """Convert ``train`` for the library (not timed)."""
        self.train = train
        self._prepare(train)

    def _prepare(self, train: Dataset) -> None:
        pass

    def fit(self) -> None:
        raise NotImplementedError

    def recommend(self, users: np.ndarray, k: int) -> pd.DataFrame:
        raise NotImplementedError

    def predict(self, pairs: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not predict ratings")

    # shared helpers
    def _user_idx(self, users: np.ndarray) -> np.ndarray:
        return self.train.user_map.index_of(list(users), what="user").astype(np.int64)

    def _seen(self) -> sp.csr_array:
        return self.train.user_item_matrix("binary")


# -- ours ----------------------------------------------------------------------------------


class Ours(System):
    """A tastemaker model from the registry (``params["model"]`` names it)."""

    library = "tastemaker"
    title = "tastemaker"

    def __init__(self, params: dict[str, Any], threads: int, seed: int) -> None:
        super().__init__(params, threads, seed)
        from tastemaker.models import create_model

        self.name = self.params.pop("model")
        # capabilities may depend on parameters: ask an instance
        probe = create_model(self.name, **self.params)
        if "random_state" in probe.get_params():  # every seeded model gets the run's seed
            self.params["random_state"] = seed
            probe.set_params(random_state=seed)
        self.rates = bool(probe.tags.predicts_ratings)
        self.needs_ratings = probe.matrix_values == "rating"
        self.seeded = "random_state" in probe.get_params()

    def fit(self) -> None:
        from tastemaker.models import create_model

        with thread_limits(self.threads):
            self.model = create_model(self.name, **self.params).fit(self.train)

    def recommend(self, users: np.ndarray, k: int) -> pd.DataFrame:
        with thread_limits(self.threads):
            recs = self.model.recommend(list(users), k=k).to_frame()
        return recs[["user", "item", "rank"]]

    def predict(self, pairs: pd.DataFrame) -> np.ndarray:
        with thread_limits(self.threads):
            return np.asarray(self.model.predict(pairs[["user", "item"]]), dtype=np.float64)


# -- implicit ------------------------------------------------------------------------------


def _signature_defaults(make: Callable[..., Any]) -> dict[str, Any]:
    return {
        name: p.default
        for name, p in inspect.signature(make).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


class _Implicit(System):
    library = "implicit"

    @classmethod
    def library_defaults(cls) -> dict[str, Any]:
        return _signature_defaults(cls._class())

    def _build(self) -> Any:
        seed = {"random_state": self.seed} if self.seeded else {}
        return self._class()(num_threads=self.threads, **seed, **self.params)

    def _prepare(self, train: Dataset) -> None:
        self.user_items = sp.csr_matrix(train.user_item_matrix("weight"), dtype=np.float32)

    def fit(self) -> None:
        # implicit asks for single-threaded BLAS: its own threads do the parallel work
        with thread_limits(self.threads, blas=1), warnings.catch_warnings():
            # the item-item models convert internally and warn about it
            warnings.filterwarnings("ignore", message="Method expects CSR input")
            self.model = self._build()
            self.model.fit(self.user_items, show_progress=False)

    def recommend(self, users: np.ndarray, k: int) -> pd.DataFrame:
        idx = self._user_idx(users)
        with thread_limits(self.threads, blas=1):
            ids, scores = self.model.recommend(
                idx, self.user_items[idx], N=k, filter_already_liked_items=True
            )
        ids = np.asarray(ids)
        valid = (ids >= 0) & np.isfinite(np.asarray(scores))
        items = self.train.item_map.ids_of(np.where(valid, ids, 0).ravel()).reshape(ids.shape)
        return _frame(np.asarray(users, dtype=object), np.asarray(items, dtype=object), valid)


class ImplicitALS(_Implicit):
    """implicit.cpu.als.AlternatingLeastSquares (conjugate gradient, its default)."""

    title = "implicit ALS"
    seeded = True

    target = "implicit.cpu.als:AlternatingLeastSquares"


class ImplicitBPR(_Implicit):
    """implicit.cpu.bpr.BayesianPersonalizedRanking."""

    title = "implicit BPR"
    seeded = True

    target = "implicit.cpu.bpr:BayesianPersonalizedRanking"


class ImplicitCosine(_Implicit):
    """implicit.nearest_neighbours.CosineRecommender (item-item cosine, top-K kept)."""

    title = "implicit CosineRecommender"

    target = "implicit.nearest_neighbours:CosineRecommender"


class ImplicitBM25(_Implicit):
    """implicit.nearest_neighbours.BM25Recommender (item-item on BM25-weighted data)."""

    title = "implicit BM25Recommender"

    target = "implicit.nearest_neighbours:BM25Recommender"


class ImplicitTFIDF(_Implicit):
    """implicit.nearest_neighbours.TFIDFRecommender (cosine of TF-IDF-weighted items)."""

    title = "implicit TFIDFRecommender"

    target = "implicit.nearest_neighbours:TFIDFRecommender"


# -- LensKit -------------------------------------------------------------------------------

_LENSKIT_THREADS: int | None = None


def _lenskit_init(threads: int) -> None:
    """Configure LensKit's thread pools once per process (it cannot be reconfigured)."""
    global _LENSKIT_THREADS
    if _LENSKIT_THREADS is not None:
        return
    os.environ.setdefault("LK_NUM_PROCS", "1")
    from lenskit.parallel import initialize

    initialize(processes=1, threads=threads, backend_threads=1)
    _LENSKIT_THREADS = threads


class _LensKit(System):
    library = "lenskit"

    @classmethod
    def library_defaults(cls) -> dict[str, Any]:
        config = cls._class().config_class()()
        return dict(config.model_dump() if hasattr(config, "model_dump") else vars(config))

    def _prepare(self, train: Dataset) -> None:
        from lenskit.data import from_interactions_df

        _lenskit_init(self.threads)
        frame = train.interactions[["user", "item"]].copy()
        self.data = from_interactions_df(frame, items=train.item_map.ids)

    def _scorer(self) -> Any:
        raise NotImplementedError

    def fit(self) -> None:
        from lenskit.pipeline import topn_pipeline
        from lenskit.training import TrainingOptions

        with thread_limits(self.threads, blas=1):
            self.pipeline = topn_pipeline(self._scorer())
            self.pipeline.train(self.data, TrainingOptions(rng=self.seed))

    def recommend(self, users: np.ndarray, k: int) -> pd.DataFrame:
        from lenskit import batch

        with thread_limits(self.threads, blas=1), warnings.catch_warnings():
            # users whose items have no neighbours get empty lists (scored as such)
            warnings.filterwarnings("ignore", message="item list collection has empty lists")
            out = batch.recommend(self.pipeline, list(users), n=k, n_jobs=1)
        frame = out.to_df().rename(columns={"user_id": "user", "item_id": "item"})
        return frame[["user", "item", "rank"]]


class LensKitItemKNN(_LensKit):
    """lenskit.knn.ItemKNNScorer in implicit-feedback mode (cosine item-item)."""

    title = "LensKit ItemKNN (implicit)"

    target = "lenskit.knn:ItemKNNScorer"

    def _scorer(self) -> Any:
        return self._class()(feedback="implicit", **self.params)


class LensKitImplicitMF(_LensKit):
    """lenskit.als.ImplicitMFScorer (Hu et al. implicit ALS, Cholesky solver)."""

    title = "LensKit ImplicitMF"
    seeded = True

    target = "lenskit.als:ImplicitMFScorer"

    def _scorer(self) -> Any:
        return self._class()(**self.params)


# -- Surprise ------------------------------------------------------------------------------


class _Surprise(System):
    """Surprise learns from ratings; top-k and predictions use its fitted arrays.

    Surprise has no top-k call: ``recommend`` scores every catalog item with the model's
    own estimate (``mu + b_u + b_i + q_i . p_u``, plus the implicit term for SVD++; items
    unknown to the trainset get ``mu + b_u`` as in ``estimate``), unclipped so that
    scores above the rating scale do not tie. ``predict`` is the same formula clipped
    to the rating scale, as ``algo.predict`` does.
    """

    library = "surprise"
    rates = True
    needs_ratings = True

    @classmethod
    def library_defaults(cls) -> dict[str, Any]:
        return _signature_defaults(cls._class())

    def _prepare(self, train: Dataset) -> None:
        from surprise import Dataset as SDataset
        from surprise import Reader

        frame = train.interactions[["user", "item", "rating"]]
        self.scale = (float(frame["rating"].min()), float(frame["rating"].max()))
        reader = Reader(rating_scale=self.scale)
        self.trainset = SDataset.load_from_df(frame, reader).build_full_trainset()

    def _build(self) -> Any:
        raise NotImplementedError

    def fit(self) -> None:
        self.algo = self._build()
        self.algo.fit(self.trainset)

    def _inner(self, ids: list[Any], kind: str) -> np.ndarray:
        to_inner = self.trainset.to_inner_uid if kind == "user" else self.trainset.to_inner_iid
        out = np.full(len(ids), -1, dtype=np.int64)
        for j, raw in enumerate(ids):
            with contextlib.suppress(ValueError):
                out[j] = to_inner(raw)
        return out

    def _user_vectors(self, inner_users: np.ndarray) -> np.ndarray:
        return self.algo.pu[inner_users]

    def _estimate(self, inner_users: np.ndarray, inner_items: np.ndarray) -> np.ndarray:
        """Scores of users (rows, all known) for items (columns; -1: unknown)."""
        algo = self.algo
        known = inner_items >= 0
        safe = np.where(known, inner_items, 0)
        scores = np.full((len(inner_users), len(inner_items)), self.trainset.global_mean)
        scores += algo.bu[inner_users][:, None]
        scores += np.where(known, algo.bi[safe], 0.0)[None, :]
        dot = self._user_vectors(inner_users) @ algo.qi[safe].T
        scores += np.where(known[None, :], dot, 0.0)
        return scores

    def recommend(self, users: np.ndarray, k: int) -> pd.DataFrame:
        users = np.asarray(users, dtype=object)
        inner_users = self._inner(users.tolist(), "user")
        if (inner_users < 0).any():
            raise ValueError("Surprise adapter: every test user must be in the trainset")
        catalog = self.train.item_map.ids
        inner_items = self._inner(list(catalog), "item")
        seen = self._seen()
        rows = self._user_idx(users)
        parts = []
        for start in range(0, len(users), 1024):
            block = slice(start, start + 1024)
            scores = self._estimate(inner_users[block], inner_items).astype(np.float32)
            sub = seen[rows[block]]
            r, c = sub.nonzero()
            scores[r, c] = -np.inf
            top, _ = topk(scores, k)
            valid = top >= 0
            items = np.asarray(catalog, dtype=object)[np.where(valid, top, 0)]
            parts.append(_frame(users[block], items, valid))
        return pd.concat(parts, ignore_index=True)

    def predict(self, pairs: pd.DataFrame) -> np.ndarray:
        u = self._inner(pairs["user"].tolist(), "user")
        i = self._inner(pairs["item"].tolist(), "item")
        algo = self.algo
        est = np.full(len(pairs), self.trainset.global_mean)
        ku, ki = u >= 0, i >= 0
        est[ku] += algo.bu[u[ku]]
        est[ki] += algo.bi[i[ki]]
        both = ku & ki
        if both.any():
            uv = self._user_vectors(u[both])
            est[both] += np.einsum("ij,ij->i", uv, algo.qi[i[both]])
        return np.clip(est, *self.scale)


class SurpriseSVD(_Surprise):
    """surprise.SVD (biased matrix factorisation by SGD, Funk / Koren)."""

    title = "Surprise SVD"
    seeded = True

    target = "surprise:SVD"

    def _build(self) -> Any:
        return self._class()(random_state=self.seed, **self.params)


class SurpriseSVDpp(_Surprise):
    """surprise.SVDpp (SVD++, Koren 2008)."""

    title = "Surprise SVD++"
    seeded = True

    target = "surprise:SVDpp"

    def _build(self) -> Any:
        return self._class()(random_state=self.seed, cache_ratings=True, **self.params)

    def fit(self) -> None:
        super().fit()
        self._implicit: dict[int, np.ndarray] = {}

    def _user_vectors(self, inner_users: np.ndarray) -> np.ndarray:
        # p_u + |I_u|^-1/2 sum_{j in I_u} y_j, as in SVDpp.estimate
        algo, ur = self.algo, self.trainset.ur
        out = np.empty((len(inner_users), algo.pu.shape[1]))
        for row, u in enumerate(inner_users.tolist()):
            vec = self._implicit.get(u)
            if vec is None:
                items = np.fromiter((j for j, _ in ur[u]), dtype=np.int64)
                vec = algo.pu[u] + algo.yj[items].sum(axis=0) / np.sqrt(len(items))
                self._implicit[u] = vec
            out[row] = vec
        return out


class _SurpriseNoRank(_Surprise):
    """Surprise algorithms predicted through ``algo.test`` (no vectorised form)."""

    ranks = False

    def recommend(self, users: np.ndarray, k: int) -> pd.DataFrame:
        raise NotImplementedError(f"{type(self).__name__}: rating prediction only")

    def predict(self, pairs: pd.DataFrame) -> np.ndarray:
        testset = [(u, i, 0.0) for u, i in zip(pairs["user"], pairs["item"], strict=True)]
        return np.array([p.est for p in self.algo.test(testset)], dtype=np.float64)


class SurpriseKNNBaseline(_SurpriseNoRank):
    """surprise.KNNBaseline with pearson_baseline similarity (its recommended setting),
    item-based unless ``user_based=True``. Rating prediction only: a full-catalog top-k
    would need one Python-level ``estimate`` call per (user, item) pair."""

    title = "Surprise KNNBaseline"

    target = "surprise:KNNBaseline"

    def _build(self) -> Any:
        params = dict(self.params)
        sim = {
            "name": params.pop("sim", "pearson_baseline"),
            "user_based": params.pop("user_based", False),
        }
        if "shrinkage" in params:
            sim["shrinkage"] = params.pop("shrinkage")
        return self._class()(
            sim_options=sim, bsl_options={"method": "als"}, verbose=False, **params
        )


class SurpriseBaselineOnly(_SurpriseNoRank):
    """surprise.BaselineOnly (mu + b_u + b_i by ALS)."""

    title = "Surprise BaselineOnly"

    target = "surprise:BaselineOnly"

    def _build(self) -> Any:
        return self._class()(bsl_options={"method": "als", **self.params}, verbose=False)


# -- textbook references --------------------------------------------------------------------


class _ItemItem(System):
    """A reference that learns an item-item weight matrix ``W``: scores are ``X W``."""

    def _prepare(self, train: Dataset) -> None:
        self.X = sp.csr_array(train.user_item_matrix("binary"), dtype=np.float64)

    def fit(self) -> None:
        with thread_limits(self.threads):
            self.weights = self._weights()

    def _weights(self) -> np.ndarray | sp.csr_array:
        raise NotImplementedError

    def recommend(self, users: np.ndarray, k: int) -> pd.DataFrame:
        users = np.asarray(users, dtype=object)
        rows = self._user_idx(users)
        catalog = np.asarray(self.train.item_map.ids, dtype=object)
        parts = []
        for start in range(0, len(users), 1024):
            block = rows[start : start + 1024]
            seen = self.X[block]
            scores = seen @ self.weights
            scores = np.asarray(scores.toarray() if sp.issparse(scores) else scores)
            scores = scores.astype(np.float32)
            r, c = seen.nonzero()
            scores[r, c] = -np.inf
            top, _ = topk(scores, k)
            valid = top >= 0
            parts.append(
                _frame(users[start : start + 1024], catalog[np.where(valid, top, 0)], valid)
            )
        return pd.concat(parts, ignore_index=True)


class ReferenceEASE(_ItemItem):
    """EASE by Steck's closed form, verbatim in NumPy (Steck 2019, Algorithm 1):
    ``P = (XᵀX + λI)⁻¹``, ``B = -P / diag(P)``, ``diag(B) = 0``."""

    library = "reference"
    title = "NumPy EASE (closed form)"

    @classmethod
    def library_defaults(cls) -> dict[str, Any]:
        return {}

    def _weights(self) -> np.ndarray:
        G = (self.X.T @ self.X).toarray()
        G[np.diag_indices_from(G)] += float(self.params["regularization"])
        P = np.linalg.inv(G)
        B = P / (-np.diag(P))
        B[np.diag_indices_from(B)] = 0.0
        return B


class ReferenceSLIM(_ItemItem):
    """SLIM by scikit-learn: one ``ElasticNet(positive=True, fit_intercept=False)`` per
    target item on ``X`` with that item's column zeroed (the usual Python SLIM, as in
    RecBole); single-threaded."""

    library = "scikit-learn"
    title = "scikit-learn SLIM (ElasticNet per item)"

    def _weights(self) -> sp.csr_array:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import ElasticNet

        Xc = sp.csc_matrix(self.X)
        net = ElasticNet(
            positive=True, fit_intercept=False, copy_X=False, selection="cyclic", **self.params
        )
        rows, cols, vals = [], [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for j in range(Xc.shape[1]):
                lo, hi = Xc.indptr[j], Xc.indptr[j + 1]
                if lo == hi:
                    continue
                y = np.zeros(Xc.shape[0])
                y[Xc.indices[lo:hi]] = Xc.data[lo:hi]
                saved = Xc.data[lo:hi].copy()
                Xc.data[lo:hi] = 0.0
                net.fit(Xc, y)
                Xc.data[lo:hi] = saved
                nz = np.flatnonzero(net.coef_)
                rows.append(nz)
                cols.append(np.full(len(nz), j))
                vals.append(net.coef_[nz])
        n = Xc.shape[1]
        if not rows:
            return sp.csr_array((n, n))
        return sp.csr_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
        )


PEER_CLASSES: dict[str, type[System]] = {
    "ours": Ours,
    "implicit-als": ImplicitALS,
    "implicit-bpr": ImplicitBPR,
    "implicit-cosine": ImplicitCosine,
    "implicit-bm25": ImplicitBM25,
    "implicit-tfidf": ImplicitTFIDF,
    "lenskit-itemknn": LensKitItemKNN,
    "lenskit-implicitmf": LensKitImplicitMF,
    "surprise-svd": SurpriseSVD,
    "surprise-svdpp": SurpriseSVDpp,
    "surprise-knnbaseline": SurpriseKNNBaseline,
    "surprise-baselineonly": SurpriseBaselineOnly,
    "reference-ease": ReferenceEASE,
    "reference-slim": ReferenceSLIM,
}


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``fn()`` and its wall-clock seconds."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start
