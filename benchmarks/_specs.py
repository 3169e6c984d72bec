"""What is benchmarked: the systems, their grids and the pairs, for each suite.

``peers``
    Every system tuned on validation data over a small grid (the same values within a
    pair, each system also trying its own library's defaults first), then compared on
    the test data: :func:`peer_suite`.
``neural``
    The neural models against the strongest classic ones on the same splits, each tuned
    on validation data over a small grid: :func:`neural_suite`.
``matched``
    No tuning: ours and the peer at the same, fixed settings (the same neighbourhood
    size, the same factors, rates and penalties, the same confidence definition), plus
    textbook references for the exact models (EASE's closed form, SLIM by scikit-learn's
    elastic net): :func:`matched_suite`.

Imports only the standard library, numpy and tastemaker (the peer libraries are
optional, see ``_peers``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import _peers

__all__ = [
    "SUITES",
    "Pair",
    "Rel",
    "SystemSpec",
    "matched_suite",
    "neural_suite",
    "peer_suite",
]

SUITES = ("peers", "matched", "neural")


@dataclass(frozen=True)
class Rel:
    """A grid value for one of our models: ``factor`` times the model's default."""

    factor: float


@dataclass(frozen=True)
class SystemSpec:
    """One system and how it is tuned.

    ``fixed`` holds the settings that set the cost (factors, iterations) and are equal
    across a pair; ``grid`` the configurations tried on validation data (laid over
    ``fixed``; the first, ``{}``, is the system's own defaults and the only one in
    ``--quick`` mode).
    """

    key: str
    label: str
    family: str
    adapter: str
    fixed: dict[str, Any] = field(default_factory=dict)
    grid: tuple[dict[str, Any], ...] = ({},)
    protocols: tuple[str, ...] = ("holdout",)
    model: str | None = None  # ours: the registry name
    require: tuple[str, ...] = ()  # ours: parameters the model must accept
    threads: int | None = None  # fixed thread count (Surprise pairs: 1)
    max_items: int | None = None  # skipped on larger catalogs
    datasets: tuple[str, ...] | None = None  # only these datasets (None: every one)
    note: str = ""

    @property
    def library(self) -> str:
        return _peers.PEER_CLASSES[self.adapter].library

    @property
    def is_ours(self) -> bool:
        return self.adapter == "ours"


@dataclass(frozen=True)
class Pair:
    """Ours against the peer's implementation of the same algorithm."""

    ours: str
    peer: str
    protocol: str
    metric: str  # "ndcg@10" (higher is better) or "rmse" (lower is better)
    speed_aim: float | None = None  # a stricter fit-time ratio to aim for
    label: str = ""  # matched suite: what is compared


# -- the peer suite -----------------------------------------------------------------------

# Grids shared by a pair, as value tuples named per library by _grid. The values did well
# for the peers on ML-100K validation data.
ALS_GRID = ((20.0, 2.0), (20.0, 1.0), (10.0, 1.0), (40.0, 4.0))  # regularization, alpha
BPR_GRID = ((0.003, 0.001), (0.01, 0.001), (0.003, 0.01), (0.01, 0.01))  # learning rate, reg
SVD_GRID = ((0.005, 0.02), (0.01, 0.02), (0.005, 0.1), (0.01, 0.1))  # learning rate, reg
SVDPP_GRID = ((0.007, 0.02), (0.007, 0.05))  # learning rate, reg
KNN = ((50,), (20,), (100,), (200,))  # neighbours
KNN_EXPLICIT = ((40,), (20,), (80,))  # neighbours
BM25_GRID = ((50, 0.75), (200, 0.75), (50, 0.3), (200, 0.3))  # neighbours, BM25 B
# Surprise's lr_all / reg_all in our terms: one rate and one penalty for every parameter
SURPRISE_LIKE = {
    "bias_learning_rate": None,
    "bias_regularization": None,
    "learning_rate_decay": 1.0,
}
SURPRISE_LIKE_PP = {
    **SURPRISE_LIKE,
    "implicit_learning_rate": None,
    "implicit_regularization": None,
}
ALS_FIXED = {"n_factors": 64, "n_epochs": 15}
BPR_FIXED = {"n_factors": 64, "n_epochs": 100}
SVD_FIXED = {"n_factors": 100, "n_epochs": 20}  # Surprise's defaults
SVDPP_FIXED = {"n_factors": 20, "n_epochs": 20}  # Surprise's defaults


def _grid(
    names: tuple[str, ...],
    values: tuple[tuple[Any, ...], ...],
    extra: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], ...]:
    """The system's defaults (``{}``), then one configuration per value tuple, the
    values named ``names`` (``extra`` laid under each)."""
    configs = tuple({**(extra or {}), **dict(zip(names, v, strict=True))} for v in values)
    return ({}, *configs)


def peer_suite() -> tuple[list[SystemSpec], tuple[Pair, ...]]:
    """Every system of the tuned comparison, ours first, and the pairs.

    Paired systems share the cost settings (``fixed``) and the grid values, and each
    also tries its own library's defaults first (ours: tastemaker's defaults; implicit,
    LensKit, Surprise: theirs), so that every system of a pair tries the same number of
    configurations. Unpaired models (EASE, SLIM) vary their defaults (``Rel``). Against
    implicit's ``BM25Recommender`` our item-knn takes its definition (dot product of the
    BM25-weighted vectors, no shrinkage, each history item voting for its own neighbours:
    ``neighbors_of="history"``): with our default cosine, which normalises the
    vectors, BM25's length normalisation ``B`` has almost no effect (none on binary
    data), so the shared ``B`` grid would not be shared at all. Our ALS appears twice:
    with Hu et al.'s confidence ``c = 1 + alpha w`` (tastemaker's and LensKit's
    definition) against LensKit, and with ``c = alpha w`` (``confidence_offset=0``,
    implicit's definition) against implicit, so that each pair tunes the same models.
    """
    both = ("holdout", "folds")
    specs = [
        # ours
        SystemSpec(
            "ours-popular",
            "tastemaker popular",
            "popular",
            "ours",
            model="popular",
            protocols=("holdout", "next"),
        ),
        SystemSpec(
            "ours-popular-segments",
            "tastemaker popular by age, gender",
            "popular",
            "ours",
            model="popular",
            fixed={"segment_by": "age,gender"},
            grid=({}, {"shrinkage": 1.0}, {"shrinkage": 100.0}),
            require=("segment_by",),
            datasets=("ml-100k",),  # the only one with demographics
        ),
        SystemSpec(
            "ours-markov",
            "tastemaker markov",
            "markov",
            "ours",
            model="markov",
            grid=({}, {"window": 2}, {"window": 3}, {"window": 5, "decay": 0.7}),
            protocols=("holdout", "next"),
        ),
        SystemSpec("ours-bias", "tastemaker bias", "bias", "ours", model="bias", protocols=both),
        SystemSpec(
            "ours-item-knn",
            "tastemaker item-knn (cosine)",
            "item-knn",
            "ours",
            model="item-knn",
            fixed={"similarity": "cosine", "weighting": "none"},
            grid=_grid(("n_neighbors",), KNN),
            require=("similarity", "weighting"),
        ),
        SystemSpec(
            "ours-item-knn-bm25",
            "tastemaker item-knn (bm25, dot)",
            "item-knn",
            "ours",
            model="item-knn",
            fixed={
                "similarity": "dot",
                "weighting": "bm25",
                "shrinkage": 0.0,
                "neighbors_of": "history",
            },
            grid=_grid(("n_neighbors", "bm25_b"), BM25_GRID),
            require=("similarity", "weighting", "bm25_b", "neighbors_of"),
        ),
        SystemSpec(
            "ours-item-knn-defaults",
            "tastemaker item-knn (defaults: bm25, cosine)",
            "item-knn",
            "ours",
            model="item-knn",
            grid=_grid(("n_neighbors",), KNN),
            protocols=("holdout", "next"),
        ),
        SystemSpec(
            "ours-knn-explicit",
            "tastemaker item-knn (ratings)",
            "item-knn",
            "ours",
            model="item-knn-explicit",
            fixed={"similarity": "pearson-baseline"},
            grid=_grid(("n_neighbors",), KNN_EXPLICIT),
            protocols=("folds",),
            require=("similarity",),
            threads=1,
        ),
        SystemSpec(
            "ours-user-knn",
            "tastemaker user-knn",
            "user-knn",
            "ours",
            model="user-knn",
            grid=_grid(("n_neighbors",), KNN),
        ),
        SystemSpec(
            "ours-als",
            "tastemaker ALS",
            "als",
            "ours",
            model="als",
            fixed=ALS_FIXED,
            grid=_grid(("regularization", "alpha"), ALS_GRID),
            protocols=("holdout", "next"),
        ),
        SystemSpec(
            "ours-als-c0",
            "tastemaker ALS, c = alpha w",
            "als",
            "ours",
            model="als",
            fixed={**ALS_FIXED, "confidence_offset": 0.0},
            grid=_grid(("regularization", "alpha"), ALS_GRID),
            require=("confidence_offset",),
        ),
        SystemSpec(
            "ours-bpr",
            "tastemaker BPR",
            "bpr",
            "ours",
            model="bpr",
            fixed=BPR_FIXED,
            grid=_grid(("learning_rate", "regularization"), BPR_GRID),
        ),
        SystemSpec(
            "ours-svd",
            "tastemaker SVD",
            "svd",
            "ours",
            model="svd",
            fixed=SVD_FIXED,
            grid=_grid(("learning_rate", "regularization"), SVD_GRID, SURPRISE_LIKE),
            protocols=both,
            threads=1,
        ),
        SystemSpec(
            "ours-svdpp",
            "tastemaker SVD++",
            "svdpp",
            "ours",
            model="svdpp",
            fixed=SVDPP_FIXED,
            grid=_grid(("learning_rate", "regularization"), SVDPP_GRID, SURPRISE_LIKE_PP),
            protocols=both,
            threads=1,
        ),
        # unpaired: the rating models with their tuned defaults (more factors and epochs
        # than the Surprise-equal settings above), for the best-RMSE target on u1-u5
        SystemSpec(
            "ours-svd-defaults",
            "tastemaker SVD (defaults)",
            "svd",
            "ours",
            model="svd",
            protocols=both,
            threads=1,
        ),
        SystemSpec(
            "ours-svdpp-defaults",
            "tastemaker SVD++ (defaults)",
            "svdpp",
            "ours",
            model="svdpp",
            protocols=both,
            threads=1,
        ),
        SystemSpec(
            "ours-ease",
            "tastemaker EASE",
            "ease",
            "ours",
            model="ease",
            grid=({}, {"regularization": Rel(0.25)}, {"regularization": Rel(4.0)}),
            max_items=12_000,
            protocols=("holdout", "next"),
        ),
        SystemSpec(
            "ours-slim",
            "tastemaker SLIM",
            "slim",
            "ours",
            model="slim",
            grid=({}, {"regularization": Rel(0.25)}, {"regularization": Rel(4.0)}),
            max_items=5_000,  # ~2 min per fit on ML-latest-small (9,742 items) on 2 cores
        ),
        # implicit
        SystemSpec(
            "implicit-als",
            "implicit ALS",
            "als",
            "implicit-als",
            fixed={"factors": 64, "iterations": 15},
            grid=_grid(("regularization", "alpha"), ALS_GRID),
        ),
        SystemSpec(
            "implicit-bpr",
            "implicit BPR",
            "bpr",
            "implicit-bpr",
            fixed={"factors": 64, "iterations": 100},
            grid=_grid(("learning_rate", "regularization"), BPR_GRID),
        ),
        SystemSpec(
            "implicit-cosine",
            "implicit CosineRecommender",
            "item-knn",
            "implicit-cosine",
            grid=_grid(("K",), KNN),
        ),
        SystemSpec(
            "implicit-bm25",
            "implicit BM25Recommender",
            "item-knn",
            "implicit-bm25",
            grid=_grid(("K", "B"), BM25_GRID),
        ),
        # LensKit
        SystemSpec(
            "lenskit-itemknn",
            "LensKit ItemKNN (implicit)",
            "item-knn",
            "lenskit-itemknn",
            grid=_grid(("max_nbrs",), KNN),
        ),
        SystemSpec(
            "lenskit-implicitmf",
            "LensKit ImplicitMF",
            "als",
            "lenskit-implicitmf",
            fixed={"embedding_size": 64, "epochs": 15},
            grid=_grid(("regularization", "weight"), ALS_GRID),
        ),
        # Surprise
        SystemSpec(
            "surprise-baselineonly",
            "Surprise BaselineOnly",
            "bias",
            "surprise-baselineonly",
            protocols=("folds",),
            threads=1,
        ),
        SystemSpec(
            "surprise-svd",
            "Surprise SVD",
            "svd",
            "surprise-svd",
            fixed={"n_factors": 100, "n_epochs": 20},
            grid=_grid(("lr_all", "reg_all"), SVD_GRID),
            protocols=both,
            threads=1,
        ),
        SystemSpec(
            "surprise-svdpp",
            "Surprise SVD++",
            "svdpp",
            "surprise-svdpp",
            fixed={"n_factors": 20, "n_epochs": 20},
            grid=_grid(("lr_all", "reg_all"), SVDPP_GRID),
            protocols=both,
            threads=1,
        ),
        SystemSpec(
            "surprise-knnbaseline",
            "Surprise KNNBaseline",
            "item-knn",
            "surprise-knnbaseline",
            grid=_grid(("k",), KNN_EXPLICIT),
            protocols=("folds",),
            threads=1,
            note="rating prediction only (no vectorised top-k)",
        ),
    ]
    pairs = (
        Pair("ours-als-c0", "implicit-als", "holdout", "ndcg@10"),
        Pair("ours-als", "lenskit-implicitmf", "holdout", "ndcg@10"),
        Pair("ours-bpr", "implicit-bpr", "holdout", "ndcg@10"),
        Pair("ours-item-knn", "implicit-cosine", "holdout", "ndcg@10"),
        Pair("ours-item-knn", "lenskit-itemknn", "holdout", "ndcg@10"),
        Pair("ours-item-knn-bm25", "implicit-bm25", "holdout", "ndcg@10"),
        Pair("ours-svd", "surprise-svd", "holdout", "ndcg@10", speed_aim=0.5),
        Pair("ours-svdpp", "surprise-svdpp", "holdout", "ndcg@10"),
        Pair("ours-svd", "surprise-svd", "folds", "rmse", speed_aim=0.5),
        Pair("ours-svdpp", "surprise-svdpp", "folds", "rmse"),
        Pair("ours-knn-explicit", "surprise-knnbaseline", "folds", "rmse"),
        Pair("ours-bias", "surprise-baselineonly", "folds", "rmse"),
    )
    return specs, pairs


# -- the matched suite --------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    """One matched comparison: ours and the peer at fixed settings."""

    key: str
    label: str
    family: str
    model: str
    ours: dict[str, Any]
    peer: str  # adapter
    theirs: dict[str, Any]
    protocols: tuple[str, ...] = ("holdout",)
    threads: int | None = None


SURPRISE_SVD = {"n_factors": 100, "n_epochs": 20, "lr_all": 0.005, "reg_all": 0.02}
SURPRISE_SVDPP = {"n_factors": 20, "n_epochs": 20, "lr_all": 0.007, "reg_all": 0.02}


def _as_ours(surprise: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Surprise's settings in our terms (initial factors N(0, 0.1) as Surprise draws them)."""
    return {
        "n_factors": surprise["n_factors"],
        "n_epochs": surprise["n_epochs"],
        "learning_rate": surprise["lr_all"],
        "regularization": surprise["reg_all"],
        "init_std": 0.1,
        **extra,
    }


def _slim_defaults() -> dict[str, Any]:
    from tastemaker.models import get_model_class

    defaults = get_model_class("slim").param_defaults()
    return {k: defaults[k] for k in ("regularization", "l1_ratio", "n_epochs", "tol")}


def _matches() -> list[_Match]:
    cosine = {"similarity": "cosine", "weighting": "none", "shrinkage": 0.0}
    bm25 = {"similarity": "dot", "weighting": "bm25", "shrinkage": 0.0, "bm25_k1": 1.2}
    baseline = {"similarity": "pearson-baseline", "shrinkage": 100.0}
    slim = _slim_defaults()
    return [
        _Match(
            "knn-cosine-20",
            "item-knn cosine, K=20",
            "item-knn",
            "item-knn",
            {**cosine, "n_neighbors": 20},
            "implicit-cosine",
            {"K": 20},
        ),
        _Match(
            "knn-cosine-200",
            "item-knn cosine, K=200",
            "item-knn",
            "item-knn",
            {**cosine, "n_neighbors": 200},
            "implicit-cosine",
            {"K": 200},
        ),
        _Match(
            "knn-cosine-20-lenskit",
            "item-knn cosine, K=20",
            "item-knn",
            "item-knn",
            {**cosine, "n_neighbors": 20},
            "lenskit-itemknn",
            {"max_nbrs": 20},
        ),
        _Match(
            "knn-tfidf-50",
            "item-knn TF-IDF cosine, K=50",
            "item-knn",
            "item-knn",
            {"similarity": "cosine", "weighting": "tfidf", "shrinkage": 0.0, "n_neighbors": 50},
            "implicit-tfidf",
            {"K": 50},
        ),
        _Match(
            "knn-bm25-50",
            "item-knn BM25 dot, K=50, B=0.75",
            "item-knn",
            "item-knn",
            {**bm25, "n_neighbors": 50, "bm25_b": 0.75},
            "implicit-bm25",
            {"K": 50, "B": 0.75, "K1": 1.2},
        ),
        _Match(
            "knn-bm25-200",
            "item-knn BM25 dot, K=200, B=0.3",
            "item-knn",
            "item-knn",
            {**bm25, "n_neighbors": 200, "bm25_b": 0.3},
            "implicit-bm25",
            {"K": 200, "B": 0.3, "K1": 1.2},
        ),
        _Match(
            "als-c0",
            "ALS c = alpha w, 64 factors, 15 epochs, reg 20, alpha 2",
            "als",
            "als",
            {**ALS_FIXED, "regularization": 20.0, "alpha": 2.0, "confidence_offset": 0.0},
            "implicit-als",
            {"factors": 64, "iterations": 15, "regularization": 20.0, "alpha": 2.0},
        ),
        _Match(
            "als-c1",
            "ALS c = 1 + alpha w, 64 factors, 15 epochs, reg 20, alpha 1",
            "als",
            "als",
            {**ALS_FIXED, "regularization": 20.0, "alpha": 1.0},
            "lenskit-implicitmf",
            {"embedding_size": 64, "epochs": 15, "regularization": 20.0, "weight": 1.0},
        ),
        _Match(
            "bpr",
            "BPR, 64 factors, 100 epochs, rate 0.01, reg 0.01",
            "bpr",
            "bpr",
            {**BPR_FIXED, "learning_rate": 0.01, "regularization": 0.01},
            "implicit-bpr",
            {"factors": 64, "iterations": 100, "learning_rate": 0.01, "regularization": 0.01},
        ),
        _Match(
            "ease",
            "EASE, regularization 500 (closed form in NumPy)",
            "ease",
            "ease",
            {"regularization": 500.0},
            "reference-ease",
            {"regularization": 500.0},
        ),
        _Match(
            "slim",
            "SLIM, our defaults (scikit-learn ElasticNet per item)",
            "slim",
            "slim",
            dict(slim),
            "reference-slim",
            {
                "alpha": slim["regularization"],
                "l1_ratio": slim["l1_ratio"],
                "max_iter": slim["n_epochs"],
                "tol": slim["tol"],
            },
        ),
        _Match(
            "svd",
            "SVD, Surprise's defaults",
            "svd",
            "svd",
            _as_ours(SURPRISE_SVD, SURPRISE_LIKE),
            "surprise-svd",
            dict(SURPRISE_SVD),
            protocols=("holdout", "folds"),
            threads=1,
        ),
        _Match(
            "svd-refine",
            "SVD, Surprise's defaults; ours with refine_users",
            "svd",
            "svd",
            _as_ours(SURPRISE_SVD, {**SURPRISE_LIKE, "refine_users": True}),
            "surprise-svd",
            dict(SURPRISE_SVD),
            protocols=("holdout", "folds"),
            threads=1,
        ),
        _Match(
            "svdpp",
            "SVD++, Surprise's defaults",
            "svdpp",
            "svdpp",
            _as_ours(SURPRISE_SVDPP, SURPRISE_LIKE_PP),
            "surprise-svdpp",
            dict(SURPRISE_SVDPP),
            protocols=("holdout", "folds"),
            threads=1,
        ),
        _Match(
            "knn-baseline-items",
            "item-based kNN on baseline residuals, k=40, shrinkage 100",
            "item-knn",
            "item-knn-explicit",
            {**baseline, "n_neighbors": 40},
            "surprise-knnbaseline",
            {"k": 40, "shrinkage": 100},
            protocols=("folds",),
            threads=1,
        ),
        _Match(
            "knn-baseline-users",
            "user-based kNN on baseline residuals, k=40, shrinkage 100",
            "user-knn",
            "user-knn-explicit",
            {**baseline, "n_neighbors": 40},
            "surprise-knnbaseline",
            {"k": 40, "shrinkage": 100, "user_based": True},
            protocols=("folds",),
            threads=1,
        ),
        _Match(
            "bias",
            "bias baseline, ALS, reg 10 (items) / 15 (users), 10 sweeps",
            "bias",
            "bias",
            {},
            "surprise-baselineonly",
            {},
            protocols=("folds",),
            threads=1,
        ),
    ]


def matched_suite() -> tuple[list[SystemSpec], tuple[Pair, ...]]:
    """Both sides of every matched comparison as systems with one fixed configuration
    (keys ``<match>:ours`` and ``<match>:<peer adapter>``), and the pairs."""
    specs: list[SystemSpec] = []
    pairs: list[Pair] = []
    metric = {"holdout": "ndcg@10", "folds": "rmse"}
    for m in _matches():
        peer_cls = _peers.PEER_CLASSES[m.peer]
        ours = SystemSpec(
            f"{m.key}:ours",
            f"tastemaker {m.model} [{m.key}]",
            m.family,
            "ours",
            fixed=m.ours,
            protocols=m.protocols,
            model=m.model,
            require=tuple(m.ours),
            threads=m.threads,
        )
        peer = replace(
            ours,
            key=f"{m.key}:{m.peer}",
            label=f"{peer_cls.title} [{m.key}]",
            adapter=m.peer,
            fixed=m.theirs,
            model=None,
            require=(),
        )
        specs += [ours, peer]
        pairs += [Pair(ours.key, peer.key, p, metric[p], label=m.label) for p in m.protocols]
    return specs, tuple(pairs)


# -- the neural suite ---------------------------------------------------------------------

NEURAL_SEQUENCE = ("gru4rec", "lstm", "sasrec", "caser")
"""Sequence models: measured on next-item against popular, EASE, ALS and markov."""


def neural_suite() -> tuple[list[SystemSpec], tuple[Pair, ...]]:
    """The neural models and the classic models they must beat, every one tuned on
    validation data. Hold-out: NeuMF against the plain dot product trained the same way
    (Rendle et al. 2020), Mult-VAE and DeepFM against EASE and ALS. Next item: each
    sequence model against popular, EASE, ALS and markov."""
    next_only = ("next",)
    both = ("holdout", "next")
    classic = [
        SystemSpec(
            "ours-popular",
            "tastemaker popular",
            "popular",
            "ours",
            model="popular",
            protocols=both,
        ),
        SystemSpec(
            "ours-markov",
            "tastemaker markov",
            "markov",
            "ours",
            model="markov",
            grid=({}, {"window": 2}, {"window": 3}, {"window": 5, "decay": 0.7}),
            protocols=next_only,
        ),
        SystemSpec(
            "ours-ease",
            "tastemaker EASE",
            "ease",
            "ours",
            model="ease",
            grid=({}, {"regularization": Rel(0.25)}, {"regularization": Rel(2.0)}),
            protocols=both,
        ),
        SystemSpec(
            "ours-als",
            "tastemaker ALS",
            "als",
            "ours",
            model="als",
            fixed=dict(ALS_FIXED),
            grid=_grid(("regularization", "alpha"), ALS_GRID),
            protocols=both,
        ),
    ]
    ml100k = ("ml-100k",)
    neural = [
        SystemSpec(
            "ours-neumf",
            "tastemaker NCF (NeuMF)",
            "ncf",
            "ours",
            model="ncf",
            fixed={"variant": "neumf"},
            grid=({}, {"learning_rate": 0.001}),
            require=("variant",),
            datasets=ml100k,
        ),
        SystemSpec(
            "ours-ncf-dot",
            "tastemaker NCF (dot product)",
            "ncf",
            "ours",
            model="ncf",
            fixed={"variant": "dot"},
            grid=({}, {"n_factors": 128}),
            require=("variant",),
            datasets=ml100k,
        ),
        SystemSpec(
            "ours-mult-vae",
            "tastemaker Mult-VAE",
            "vae",
            "ours",
            model="mult-vae",
            grid=({}, {"n_factors": 50, "dropout": 0.7}),
        ),
        SystemSpec("ours-recvae", "tastemaker RecVAE", "vae", "ours", model="recvae"),
        SystemSpec(
            "ours-deepfm",
            "tastemaker DeepFM (user and item features)",
            "deepfm",
            "ours",
            model="deepfm",
            datasets=ml100k,
        ),
    ]
    wider = {"n_factors": 256, "dropout": 0.5, "validation": 0.0, "n_epochs": 20}
    neural += [
        SystemSpec(
            f"ours-{name}",
            f"tastemaker {name}",
            name,
            "ours",
            model=name,
            grid=({}, wider) if name == "gru4rec" else ({},),
            protocols=next_only,
            datasets=ml100k,
        )
        for name in NEURAL_SEQUENCE
    ]
    return classic + neural, ()
