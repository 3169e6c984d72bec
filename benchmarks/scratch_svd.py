"""SVD and SVD++ against scikit-surprise on MovieLens-100K, scored by our metric code.

1. The official folds u1-u5 (train on each .base, test on .test): RMSE and fit seconds
   of our models and Surprise's ``SVD``/``SVDpp`` with equal factors, epochs, learning
   rates and penalties (Surprise's defaults), and of our defaults (tuned), each with and
   without ``refine_users``.
2. The random 80/20 per-user split (seed 42): NDCG@10, recall@20 and RMSE of ours and
   of Surprise's (its lists: unclipped estimates over every unseen item it knows).

Fit times are medians of ``--repeats`` fits (Surprise's SVDpp: one fit); the machine
is shared, so they are noisy. RMSE is that of the seed-0 fit. Run::

    TASTEMAKER_DATA_DIR=/work/shared/data python benchmarks/scratch_svd.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from tastemaker.data import RandomHoldout, load_dataset, ml100k_folds
from tastemaker.evaluate import evaluate_model, evaluate_recommendations
from tastemaker.evaluate.metrics import rmse
from tastemaker.models import SVD, SVDpp

# Our defaults were tuned on a per-user 80/20 validation split of u1.base (seed 0) with
# Optuna TPE, never on a test fold; "defaults" below means those.
# Surprise's defaults (lr_all, reg_all, init_std_dev=0.1, no decay), given to both.
SURPRISE_LIKE = {
    "bias_learning_rate": None,
    "bias_regularization": None,
    "learning_rate_decay": 1.0,
    "init_std": 0.1,
}
EQUAL = {
    "svd": {
        "n_factors": 100,
        "n_epochs": 20,
        "learning_rate": 0.005,
        "regularization": 0.02,
        **SURPRISE_LIKE,
    },
    "svdpp": {
        "n_factors": 20,
        "n_epochs": 20,
        "learning_rate": 0.007,
        "regularization": 0.02,
        "implicit_learning_rate": None,
        "implicit_regularization": None,
        **SURPRISE_LIKE,
    },
}


def surprise_trainset(frame: pd.DataFrame):
    from surprise import Dataset as SurpriseDataset
    from surprise import Reader

    data = SurpriseDataset.load_from_df(
        frame[["user", "item", "rating"]], Reader(rating_scale=(1, 5))
    )
    return data.build_full_trainset()


def surprise_model(name: str, params: dict, seed: int):
    from surprise import SVD as SurpriseSVD
    from surprise import SVDpp as SurpriseSVDpp

    cls = SurpriseSVD if name == "svd" else SurpriseSVDpp
    return cls(
        n_factors=params["n_factors"],
        n_epochs=params["n_epochs"],
        lr_all=params["learning_rate"],
        reg_all=params["regularization"],
        random_state=seed,
    )


def timed(fit) -> tuple[float, float]:
    """Wall and CPU seconds of ``fit()`` (CPU time is steadier on a shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fit()
    return time.perf_counter() - wall, time.process_time() - cpu


def folds_table(repeats: int, folds: list, with_surprise: bool) -> pd.DataFrame:
    rows = []
    for name, cls in [("svd", SVD), ("svdpp", SVDpp)]:
        configs = [
            ("tastemaker equal", EQUAL[name]),
            ("tastemaker equal + refine", {**EQUAL[name], "refine_users": True}),
            ("tastemaker defaults", {}),
            ("tastemaker defaults + refine", {"refine_users": True}),
        ]
        for label, params in configs:
            errors, times = [], []
            for split in folds:
                test = split.test.interactions
                fits = []
                for seed in range(repeats):
                    model = cls(**params, random_state=seed)
                    fits.append(timed(lambda m=model, d=split.train: m.fit(d)))
                    if seed == 0:
                        pred = model.predict(test[["user", "item"]])
                        errors.append(rmse(pred, test["rating"]))
                times.append(np.median(fits, axis=0))
            rows.append(_row(name, label, errors, times))
        if with_surprise:
            errors, times = [], []
            for split in folds:
                trainset = surprise_trainset(split.train.interactions)
                test = split.test.interactions
                fits = []
                for seed in range(repeats if name == "svd" else 1):  # SVDpp: minutes
                    algo = surprise_model(name, EQUAL[name], seed)
                    fits.append(timed(lambda a=algo, d=trainset: a.fit(d)))
                    if seed == 0:
                        pred = [algo.predict(u, i).est for u, i in zip(test["user"], test["item"])]
                        errors.append(rmse(pred, test["rating"]))
                times.append(np.median(fits, axis=0))
            rows.append(_row(name, "surprise equal", errors, times))
    return pd.DataFrame(rows)


def _row(name, label, errors, times) -> dict:
    return {
        "model": name,
        "config": label,
        "rmse_mean": round(float(np.mean(errors)), 4),
        "rmse_folds": " ".join(f"{e:.4f}" for e in errors),
        "fit_s": round(float(np.median(np.asarray(times)[:, 0])), 3),
        "fit_cpu_s": round(float(np.median(np.asarray(times)[:, 1])), 3),
    }


def surprise_recommendations(algo, trainset, users, item_ids, k: int) -> pd.DataFrame:
    """Top-k of Surprise's unclipped estimates over every unseen item it knows."""
    inner_items = np.array([trainset.to_inner_iid(i) for i in item_ids])
    rows = []
    for user in users:
        inner_u = trainset.to_inner_uid(user)
        rated = np.array([j for j, _ in trainset.ur[inner_u]])
        user_vector = algo.pu[inner_u]
        if hasattr(algo, "yj"):  # SVD++: the implicit term
            user_vector = user_vector + algo.yj[rated].sum(axis=0) / np.sqrt(len(rated))
        est = (
            trainset.global_mean
            + algo.bu[inner_u]
            + algo.bi[inner_items]
            + algo.qi[inner_items] @ user_vector
        )
        est[np.isin(inner_items, rated)] = -np.inf
        top = np.argsort(-est, kind="stable")[:k]
        rows += [{"user": user, "item": item_ids[t], "rank": r + 1} for r, t in enumerate(top)]
    return pd.DataFrame(rows)


def random_split_table(repeats: int) -> pd.DataFrame:
    split = RandomHoldout(test_size=0.2, random_state=42)(load_dataset("ml-100k"))
    train, test = split.train.interactions, split.test.interactions
    rows = []
    for name, cls in [("svd", SVD), ("svdpp", SVDpp)]:
        for label, params in [("tastemaker equal", EQUAL[name]), ("tastemaker defaults", {})]:
            fits = []
            for seed in range(repeats):
                model = cls(**params, random_state=seed)
                fits.append(timed(lambda m=model: m.fit(split.train)))
                if seed == 0:
                    metrics = ["ndcg@10", "recall@20", "rmse"]
                    summary = evaluate_model(model, split.train, split.test, metrics).summary
            wall, cpu = np.median(fits, axis=0)
            rows.append(
                {"model": name, "config": label, **summary, "fit_s": wall, "fit_cpu_s": cpu}
            )
        trainset = surprise_trainset(train)
        algo = surprise_model(name, EQUAL[name], 0)
        wall, cpu = timed(lambda a=algo, d=trainset: a.fit(d))
        item_ids = train["item"].unique()
        recs = surprise_recommendations(algo, trainset, test["user"].unique(), item_ids, 20)
        summary = evaluate_recommendations(
            recs, test, ["ndcg@10", "recall@20"], train=train
        ).summary
        pred = [algo.predict(u, i).est for u, i in zip(test["user"], test["item"])]
        summary["rmse"] = rmse(pred, test["rating"])
        rows.append(
            {"model": name, "config": "surprise equal", **summary, "fit_s": wall, "fit_cpu_s": cpu}
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fits per timing")
    parser.add_argument("--quick", action="store_true", help="fold u1 only, no Surprise")
    args = parser.parse_args()
    folds = ml100k_folds()
    pd.set_option("display.width", 200)
    table = folds_table(args.repeats, folds[:1] if args.quick else folds, not args.quick)
    print("ML-100K official folds u1-u5 (RMSE by tastemaker.evaluate.metrics.rmse)")
    print(table.to_string(index=False))
    if not args.quick:
        print("\nML-100K random 80/20 per user, seed 42")
        print(random_split_table(args.repeats).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
