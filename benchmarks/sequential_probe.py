"""Next-item probe of the neural sequence models (and markov for reference).

The protocol of ``run.py --protocol next``: leave-last-1 by time, validation carved the
same way from the training part, full ranking with seen items excluded, NDCG@10 and
Recall@20 by :func:`tastemaker.evaluate.evaluate_recommendations`.

    TASTEMAKER_DATA_DIR=... python benchmarks/sequential_probe.py ml-100k sasrec \
        '{"n_layers": 2}' [--test]

Prints validation NDCG@10 (model fitted on the inner training part), and with
``--test`` also the test metrics of the same parameters refitted on the training part,
fit seconds, epochs and training throughput (interactions/s).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd

from tastemaker.data import LeaveLastOut, load_dataset
from tastemaker.evaluate import evaluate_recommendations
from tastemaker.models import create_model


def scores(model, train, test) -> dict:
    users = np.asarray(pd.unique(test.interactions["user"]), dtype=object)
    recs = model.recommend(users, 20).to_frame()
    result = evaluate_recommendations(
        recs,
        test.interactions[["user", "item"]],
        ["ndcg@10", "recall@20"],
        train=train.interactions[["user", "item"]],
    )
    return dict(result.summary)


def fit(name: str, params: dict, data) -> tuple:
    model = create_model(name, **params)
    start = time.perf_counter()
    model.fit(data)
    seconds = time.perf_counter() - start
    history = getattr(model, "history_", {})
    return model, seconds, history


def main() -> None:
    dataset, name = sys.argv[1], sys.argv[2]
    params = json.loads(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "--test" else {}
    data = load_dataset(dataset)
    split = LeaveLastOut(n=1)(data)
    inner = LeaveLastOut(n=1)(split.train)
    model, seconds, history = fit(name, params, inner.train)
    val = scores(model, inner.train, inner.test)
    line = {"dataset": dataset, "model": name, "params": params, "val_ndcg@10": val["ndcg@10"]}
    line["val_fit_s"] = round(seconds, 1)
    if history:
        line["val_epochs"] = len(history["epochs"])
        line["val_best_epoch"] = history["best_epoch"]
    if "--test" in sys.argv:
        model, seconds, history = fit(name, params, split.train)
        test = scores(model, split.train, split.test)
        line.update({f"test_{k}": v for k, v in test.items()})
        line["fit_s"] = round(seconds, 1)
        if history:
            line["epochs"] = len(history["epochs"])
            line["best_epoch"] = history["best_epoch"]
            line["throughput"] = round(history["throughput"])
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
