"""Poster embeddings for ML-latest-small items: a table ``item, img_0 .. img_k``.

The posters are ``<movieId>.jpg`` thumbnails (``$TASTEMAKER_DATA_DIR/movielens-posters/
MovieImages``, 2,947 of ML-latest-small's 9,742 items; ML-1M ids, which ML-latest
shares). No pretrained image network is available offline here (torchvision 0.28.0
installs with torch 2.13.0, but its weights are downloaded from a hub that is not
reachable), so the embeddings come from a small :class:`~tastemaker.features.ImageEncoder`
CNN trained on this data, in one of two ways (``--targets``):

- ``genres``: multi-label genres of every item with a poster (item metadata, known for
  cold items too); the table holds the CNN's pooled features (``output="embed"``);
- ``als``: each warm item's ALS factors, fitted on the training events of the cold-item
  split of ``benchmarks/cold_item_content.py`` with the same ``--seed`` (the held-out
  items' interactions are never seen); the table holds the predicted factors
  (``output="transform"``), a collaborative vector for any poster.

Items without a poster are left out of the table (``content`` then gives them zeros).

    TASTEMAKER_DATA_DIR=... python benchmarks/poster_embeddings.py --targets als \\
        --seed 42 --out /tmp/posters-als-42.parquet
    python benchmarks/cold_item_content.py --seed 42 --hybrid none \\
        --posters /tmp/posters-als-42.parquet --poster-weight 0.5

Measured (seed 42, ``--targets als``, 15 epochs, about 8 min on 2 busy cores; the
validation MSE barely moved, 0.0048 -> 0.0047): content on the cold split 0.1228,
content+posters 0.1314 at ``--poster-weight 1``, but a constant vector for every item
with a poster gives 0.1316: the block helps as a "has a poster" flag, not through the
picture (details in ``benchmarks/cold_item_content.py``'s docstring).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tastemaker.data import Dataset, load_dataset
from tastemaker.features import ImageEncoder, ImageFeatures, MultiHotEncoder
from tastemaker.models import create_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="ml-latest-small")
    parser.add_argument("--posters", default="")
    parser.add_argument("--targets", choices=["genres", "als"], default="als")
    parser.add_argument("--seed", type=int, default=42, help="the cold-item split (als)")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--n-factors", type=int, default=32)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    folder = Path(
        args.posters
        or Path(os.environ["TASTEMAKER_DATA_DIR"]) / "movielens-posters" / "MovieImages"
    )
    data = load_dataset(args.dataset)
    items = data.items[["genres"]].copy()
    has_poster = np.array([(folder / f"{i}.jpg").is_file() for i in items.index])
    print(f"{int(has_poster.sum())} of {len(items)} items have a poster")

    if args.targets == "genres":
        train_items = items[has_poster]
        targets = MultiHotEncoder("genres").fit_transform(train_items.reset_index())
        output = "embed"
    else:
        from cold_item_content import cold_split

        train_events, _, cold_ids = cold_split(data, args.seed)
        als = create_model("als", n_factors=args.n_factors, random_state=args.seed)
        als.fit(Dataset(train_events, name="warm"))
        warm = items.index[has_poster & ~items.index.isin(cold_ids)]
        warm = warm[als.items_.index_of(warm, missing="mask") >= 0]
        train_items = items.loc[warm]
        targets = als.item_factors_[als.items_.index_of(warm)]
        output = "transform"
    paths = [str(folder / f"{i}.jpg") for i in train_items.index]
    start = time.perf_counter()
    encoder = ImageEncoder(size=args.size, n_epochs=args.epochs, random_state=args.seed)
    encoder.fit(paths, targets)
    print(
        f"ImageEncoder on {len(paths)} posters ({args.targets}): best epoch "
        f"{encoder.history_.get('best_epoch')}, {time.perf_counter() - start:.0f}s"
    )
    features = ImageFeatures(folder=str(folder), encoder=encoder, output=output)
    table = items.reset_index()[["item"]]
    vectors = features.fit(table).transform(table)
    keep = vectors.any(axis=1)
    out = pd.DataFrame(vectors[keep], columns=[f"img_{k}" for k in range(vectors.shape[1])])
    out.insert(0, "item", table["item"].to_numpy()[keep])
    out.to_parquet(args.out, index=False)
    print(f"wrote {len(out)} rows x {vectors.shape[1]} dims to {args.out}")


if __name__ == "__main__":
    main()
