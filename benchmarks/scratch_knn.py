"""item-knn / user-knn against peer libraries on MovieLens-100K (scratch benchmark).

Ranking: random 80/20 split (seed 42), NDCG@10 of every peer's top-10 lists (seen items
excluded) computed by our metric code; peers: implicit 0.7 ``CosineRecommender``,
``BM25Recommender``, ``TFIDFRecommender`` (``K`` = ``n_neighbors``) and LensKit's
``ItemKNNScorer`` (implicit feedback). Rating prediction: RMSE averaged over the official
u1-u5 folds; peers: Surprise's ``KNNBaseline`` (pearson_baseline) and ``KNNWithMeans``
(pearson), LensKit's ``ItemKNNScorer`` (explicit feedback, bias fallback).

Fit times are medians over ``--repeats`` fits (ranking) or over the five folds
(rating), after a warm-up fit, single-threaded unless ``n_threads`` says 0 (all cores);
wall and CPU seconds are both shown because other work may share the machine.

Same ``K``, different neighbourhoods: implicit scores item ``i`` by summing ``sim(i, j)``
over the user's items ``j`` that have ``i`` among *their* ``K`` neighbours; item-knn sums
over ``i``'s own ``n_neighbors`` neighbours (Deshpande & Karypis), which ranks better on
ML-100K. LensKit picks, per user, the ``max_nbrs`` most similar items the user has.

    TASTEMAKER_DATA_DIR=../shared/data python benchmarks/scratch_knn.py --part all
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.data import RandomHoldout, load_dataset, ml100k_folds
from tastemaker.evaluate import evaluate_model, evaluate_recommendations
from tastemaker.models import ItemKNN, UserKNN


def timed(fit: Callable[[], object], repeats: int) -> tuple[object, float, float]:
    """Fit once to warm up, then ``repeats`` times; the last model, median wall and CPU s."""
    fit()
    walls, cpus = [], []
    model = None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        model = fit()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return model, float(np.median(walls)), float(np.median(cpus))


def top10_frame(user_ids, item_ids, top: np.ndarray) -> pd.DataFrame:
    n_users, k = top.shape
    valid = top.ravel() >= 0
    return pd.DataFrame(
        {
            "user": np.repeat(np.asarray(user_ids, dtype=object), k)[valid],
            "item": np.asarray(item_ids, dtype=object)[top.ravel()[valid]],
            "rank": np.tile(np.arange(1, k + 1), n_users)[valid],
        }
    )


def ranking(repeats: int) -> list[dict]:
    split = RandomHoldout(test_size=0.2, random_state=42)(load_dataset("ml-100k"))
    train, test = split.train, split.test
    rows = []

    def ours(label: str, make: Callable[[], object], n_threads: int = 1) -> None:
        model, wall, cpu = timed(lambda: make().set_params(n_threads=n_threads).fit(train), repeats)
        ndcg = evaluate_model(model, train, test, ["ndcg@10"]).summary["ndcg@10"]
        rows.append(
            {
                "model": label,
                "ndcg@10": ndcg,
                "fit_wall_s": wall,
                "fit_cpu_s": cpu,
                "n_threads": n_threads,
            }
        )

    ours("tastemaker item-knn (defaults: cosine+bm25, k=50, shrinkage 10)", ItemKNN)
    ours("tastemaker item-knn (defaults), all cores", ItemKNN, n_threads=0)
    for k in (20, 50, 200):
        ours(
            f"tastemaker item-knn cosine, no weighting, k={k}, shrinkage 0",
            lambda k=k: ItemKNN(n_neighbors=k, weighting="none", shrinkage=0.0),
        )
    ours(
        "tastemaker item-knn tfidf+cosine, k=50, shrinkage 0",
        lambda: ItemKNN(weighting="tfidf", shrinkage=0.0),
    )
    for k in (50, 200):
        ours(
            f"tastemaker item-knn dot+bm25, k={k}, shrinkage 0",
            lambda k=k: ItemKNN(n_neighbors=k, similarity="dot", weighting="bm25", shrinkage=0.0),
        )
    ours("tastemaker user-knn (defaults: cosine+bm25, k=100, shrinkage 0)", UserKNN)

    rows += implicit_ranking(train, test, repeats)
    rows += lenskit_ranking(train, test, repeats)
    return rows


def implicit_ranking(train, test, repeats: int) -> list[dict]:
    from implicit.nearest_neighbours import (
        BM25Recommender,
        CosineRecommender,
        TFIDFRecommender,
    )

    X = sp.csr_matrix(train.user_item_matrix("binary"))
    rows = []
    users = np.arange(X.shape[0])
    for cls, k in [
        (CosineRecommender, 20),
        (CosineRecommender, 50),
        (CosineRecommender, 200),
        (TFIDFRecommender, 50),
        (BM25Recommender, 50),
        (BM25Recommender, 200),
    ]:

        def fit(cls=cls, k=k):
            model = cls(K=k, num_threads=1)
            model.fit(X, show_progress=False)
            return model

        model, wall, cpu = timed(fit, repeats)
        top, _ = model.recommend(users, X, N=10, filter_already_liked_items=True)
        recs = top10_frame(train.user_map.ids, train.item_map.ids, top)
        ndcg = evaluate_recommendations(
            recs, test.interactions, ["ndcg@10"], train=train.interactions
        ).summary["ndcg@10"]
        rows.append(
            {
                "model": f"implicit {cls.__name__}(K={k})",
                "ndcg@10": ndcg,
                "fit_wall_s": wall,
                "fit_cpu_s": cpu,
                "n_threads": 1,
            }
        )
    return rows


def lenskit_ranking(train, test, repeats: int) -> list[dict]:
    from lenskit import batch
    from lenskit.data import from_interactions_df
    from lenskit.knn import ItemKNNScorer
    from lenskit.pipeline import topn_pipeline

    data = from_interactions_df(train.interactions[["user", "item"]].copy())
    rows = []
    for k in (20, 50):

        def fit(k=k):
            pipe = topn_pipeline(ItemKNNScorer(max_nbrs=k, feedback="implicit"), n=10)
            pipe.train(data)
            return pipe

        pipe, wall, cpu = timed(fit, repeats)
        users = test.interactions["user"].unique()
        recs = batch.recommend(pipe, users, n=10, n_jobs=1).to_df()
        recs = recs.rename(columns={"user_id": "user", "item_id": "item"})
        ndcg = evaluate_recommendations(
            recs, test.interactions, ["ndcg@10"], train=train.interactions
        ).summary["ndcg@10"]
        rows.append(
            {
                "model": f"lenskit ItemKNNScorer(max_nbrs={k}, implicit)",
                "ndcg@10": ndcg,
                "fit_wall_s": wall,
                "fit_cpu_s": cpu,
                "n_threads": 1,
            }
        )
    return rows


def rating() -> list[dict]:
    folds = ml100k_folds()
    rows = []

    def run(label: str, fit_predict: Callable[[object], tuple[float, float, float]]) -> None:
        results = np.array([fit_predict(fold) for fold in folds])
        rows.append(
            {
                "model": label,
                "rmse": float(results[:, 0].mean()),
                "rmse_folds": " ".join(f"{r:.4f}" for r in results[:, 0]),
                "fit_wall_s": float(np.median(results[:, 1])),
                "fit_cpu_s": float(np.median(results[:, 2])),
            }
        )

    def ours(make: Callable[[], object]):
        make().fit(folds[0].train)  # warm-up (numba)

        def fit_predict(fold):
            model = make()
            wall, cpu = time.perf_counter(), time.process_time()
            model.fit(fold.train)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rmse = evaluate_model(model, fold.train, fold.test, ["rmse"]).summary["rmse"]
            return rmse, wall, cpu

        return fit_predict

    explicit = {"feedback": "explicit", "n_threads": 1}
    run(
        "tastemaker item-knn explicit (defaults: k=50, shrinkage 10)",
        ours(lambda: ItemKNN(**explicit)),
    )
    run(
        "tastemaker item-knn explicit k=40, shrinkage 100",
        ours(lambda: ItemKNN(n_neighbors=40, shrinkage=100.0, **explicit)),
    )
    run(
        "tastemaker user-knn explicit (defaults: k=100, shrinkage 0)",
        ours(lambda: UserKNN(**explicit)),
    )
    run(
        "tastemaker user-knn explicit k=50, shrinkage 25",
        ours(lambda: UserKNN(n_neighbors=50, shrinkage=25.0, **explicit)),
    )
    run(
        "tastemaker user-knn explicit k=40, shrinkage 100",
        ours(lambda: UserKNN(n_neighbors=40, shrinkage=100.0, **explicit)),
    )
    rows += surprise_rating(folds)
    rows += lenskit_rating(folds)
    return rows


def surprise_rating(folds) -> list[dict]:
    from surprise import Dataset, KNNBaseline, KNNWithMeans, Reader, accuracy

    reader = Reader(rating_scale=(1, 5))
    configs = [
        ("KNNBaseline", KNNBaseline, "pearson_baseline", False),
        ("KNNBaseline", KNNBaseline, "pearson_baseline", True),
        ("KNNWithMeans", KNNWithMeans, "pearson", False),
        ("KNNWithMeans", KNNWithMeans, "pearson", True),
    ]
    rows = []
    for name, cls, sim, user_based in configs:
        rmses, walls, cpus = [], [], []
        for fold in folds:
            columns = ["user", "item", "rating"]
            trainset = Dataset.load_from_df(
                fold.train.interactions[columns], reader
            ).build_full_trainset()
            algo = cls(k=40, sim_options={"name": sim, "user_based": user_based}, verbose=False)
            wall, cpu = time.perf_counter(), time.process_time()
            algo.fit(trainset)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            test = list(fold.test.interactions[columns].itertuples(index=False, name=None))
            rmses.append(accuracy.rmse(algo.test(test), verbose=False))
        side = "user" if user_based else "item"
        rows.append(
            {
                "model": f"surprise {name}(k=40, {sim}, {side}-based)",
                "rmse": float(np.mean(rmses)),
                "rmse_folds": " ".join(f"{r:.4f}" for r in rmses),
                "fit_wall_s": float(np.median(walls)),
                "fit_cpu_s": float(np.median(cpus)),
            }
        )
    return rows


def lenskit_rating(folds) -> list[dict]:
    from lenskit import batch
    from lenskit.data import from_interactions_df
    from lenskit.knn import ItemKNNScorer
    from lenskit.pipeline import predict_pipeline

    rows = []
    for k in (20, 40):
        rmses, walls, cpus = [], [], []
        for fold in folds:
            columns = ["user", "item", "rating"]
            data = from_interactions_df(fold.train.interactions[columns].copy())
            pipe = predict_pipeline(ItemKNNScorer(max_nbrs=k, feedback="explicit"))
            wall, cpu = time.perf_counter(), time.process_time()
            pipe.train(data)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            test = fold.test.interactions[columns]
            queries = test.rename(columns={"user": "user_id", "item": "item_id"})
            preds = batch.predict(pipe, queries, n_jobs=1).to_df()
            preds = preds.rename(columns={"user_id": "user", "item_id": "item"})
            merged = test.merge(preds[["user", "item", "score"]], on=["user", "item"])
            if len(merged) != len(test) or merged["score"].isna().any():
                raise RuntimeError("LensKit left test pairs without a prediction")
            err = merged["score"].to_numpy() - merged["rating"].to_numpy()
            rmses.append(float(np.sqrt(np.mean(err**2))))
        rows.append(
            {
                "model": f"lenskit ItemKNNScorer(max_nbrs={k}, explicit) + bias fallback",
                "rmse": float(np.mean(rmses)),
                "rmse_folds": " ".join(f"{r:.4f}" for r in rmses),
                "fit_wall_s": float(np.median(walls)),
                "fit_cpu_s": float(np.median(cpus)),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["ranking", "rating", "all"], default="all")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from lenskit.parallel import initialize

    initialize(threads=1, backend_threads=1)
    pd.set_option("display.width", 200, "display.max_colwidth", 80)
    if args.part in ("ranking", "all"):
        print("## Ranking: ML-100K random 80/20 (seed 42)\n")
        print(
            pd.DataFrame(ranking(args.repeats)).to_string(index=False, float_format="{:.4f}".format)
        )
    if args.part in ("rating", "all"):
        print("\n## Rating prediction: ML-100K u1-u5, mean RMSE\n")
        print(pd.DataFrame(rating()).to_string(index=False, float_format="{:.4f}".format))


if __name__ == "__main__":
    main()
