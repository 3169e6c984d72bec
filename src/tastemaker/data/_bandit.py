"""Named bandit datasets: the Open Bandit Dataset (ZOZOTOWN), small version.

The loader reads a dataset folder as distributed (see :data:`SPECS` for the files and
their checksums) and returns a :class:`~tastemaker.data.Dataset` whose ``extras["log"]``
holds the full logged bandit feedback. What loading did to the rows is in
``Dataset.report``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from tastemaker._validation import Options, validate
from tastemaker.data._dataset import Dataset, LoadReport
from tastemaker.data._loading import require_file
from tastemaker.data._spec import DatasetSpec, RemoteFile
from tastemaker.errors import DataError

__all__ = ["SPECS", "load_open_bandit"]

logger = logging.getLogger(__name__)

_OBD = "open-bandit"
_POLICIES = ("random", "bts")
_CAMPAIGNS = ("all", "men", "women")
_LOG_COLUMNS = ["timestamp", "item_id", "position", "click", "propensity_score"]


def _read_indexed_csv(path: Path, what: str) -> tuple[pd.DataFrame, bool]:
    """A CSV whose first column may be a saved pandas index with an empty header.

    Returns the frame (the index as a plain column ``"index"`` when present) and whether
    that unnamed index column was there.
    """
    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError) as err:
        raise DataError(f"{path}: cannot be read as CSV ({err}); fetch the file again") from err
    first = str(frame.columns[0]) if len(frame.columns) else ""
    unnamed = first == "" or first.startswith("Unnamed: 0")
    if unnamed:
        frame = frame.rename(columns={frame.columns[0]: "index"})
    if "item_id" not in frame.columns:
        raise DataError(
            f"{path}: the {what} needs a column 'item_id'; found {list(frame.columns)[:8]}"
        )
    return frame, unnamed


def _unix_seconds(values: pd.Series, path: Path) -> np.ndarray:
    """``"2019-11-24 00:01:03.979311+00:00"`` -> int64 unix seconds (rounded down)."""
    try:
        moments = pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError) as err:
        raise DataError(
            f"{path}, column timestamp: not a date and time ({err}); expected e.g. "
            "'2019-11-24 00:01:03.979311+00:00'"
        ) from err
    if moments.isna().any():
        row = int(np.flatnonzero(moments.isna().to_numpy())[0])
        raise DataError(f"{path}, data row {row + 1}, column timestamp: value missing")
    return ((moments - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)


def load_open_bandit(
    folder: Path,
    *,
    policy: Literal["random", "bts"] = "random",
    campaign: Literal["all", "men", "women"] = "all",
) -> Dataset:
    """Load one log of the Open Bandit Dataset (ZOZOTOWN fashion e-commerce, small version).

    Files ``{policy}/{campaign}/{campaign}.csv`` (10,000 impressions each; the first
    column is a saved pandas index with an empty header) and
    ``{policy}/{campaign}/item_context.csv`` (the items, also with an unnamed index).
    The data has **no user ids**: each row is one impression to an anonymous user,
    described only by hashed user features.

    Parameters
    ----------
    folder : Path
        The dataset folder.
    policy : {"random", "bts"}, default="random"
        The logging policy: uniform random or Bernoulli Thompson Sampling.
    campaign : {"all", "men", "women"}, default="all"
        The campaign (80, 34 or 46 items).

    Returns
    -------
    Dataset
        Interactions: the clicked impressions (implicit feedback), columns ``user`` (the
        impression id, the file's index column: there is no user to follow across
        impressions), ``item`` (``item_id``), ``timestamp`` (unix seconds, from the UTC
        time with microseconds), ``position`` (1-3, left to right) and
        ``propensity_score`` (the logging policy's probability of the item at that
        position).

        Users: ``user_feature_0`` .. ``user_feature_3`` (hashed strings) of the clicked
        impressions. Items: every item of the campaign with ``item_feature_0`` (float) and
        ``item_feature_1`` .. ``item_feature_3`` (hashed strings).

        ``extras["log"]``: every impression, clicked or not, for bandit and off-policy
        evaluation, with columns ``impression``, ``timestamp``, ``item``, ``position``,
        ``click`` (int8), ``propensity_score``, ``user_feature_0..3`` and
        ``user_item_affinity_0..N`` (one per item). ``extras["policy"]`` and
        ``extras["campaign"]`` name the log.

    Raises
    ------
    ParameterError
        When ``policy`` or ``campaign`` is not one of the names above.
    DataError
        When a file is missing or lacks the expected columns.
    """
    validate(
        _OBD,
        {"policy": policy, "campaign": campaign},
        {"policy": Options(_POLICIES), "campaign": Options(_CAMPAIGNS)},
    )
    folder = Path(folder)
    log_path = require_file(folder, f"{policy}/{campaign}/{campaign}.csv", _OBD)
    items_path = require_file(folder, f"{policy}/{campaign}/item_context.csv", _OBD)

    raw, unnamed = _read_indexed_csv(log_path, "log")
    missing = [c for c in _LOG_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{log_path}: columns {missing} are missing; found {list(raw.columns)[:8]}")
    if unnamed:
        impression = raw["index"].to_numpy(np.int64)
        if len(np.unique(impression)) != len(impression):
            raise DataError(f"{log_path}: the index column repeats values; expected row ids")
    else:
        impression = np.arange(len(raw), dtype=np.int64)
    clicks = raw["click"].to_numpy()
    if not np.isin(clicks, (0, 1)).all():
        raise DataError(f"{log_path}, column click: values other than 0 and 1")
    user_features = sorted(
        (c for c in raw.columns if c.startswith("user_feature_")), key=lambda c: int(c[13:])
    )
    affinities = sorted(
        (c for c in raw.columns if c.startswith("user-item_affinity_")),
        key=lambda c: int(c.rsplit("_", 1)[1]),
    )
    log = pd.DataFrame(
        {
            "impression": impression,
            "timestamp": _unix_seconds(raw["timestamp"], log_path),
            "item": raw["item_id"].to_numpy(np.int64),
            "position": raw["position"].to_numpy(np.int64),
            "click": clicks.astype(np.int8),
            "propensity_score": raw["propensity_score"].to_numpy(np.float64),
        }
    )
    for column in user_features:
        log[column] = raw[column].to_numpy()
    log = pd.concat(
        [
            log,
            raw[affinities]
            .rename(columns=lambda c: c.replace("user-item_affinity_", "user_item_affinity_"))
            .reset_index(drop=True),
        ],
        axis=1,
    )

    clicked = log["click"].to_numpy() == 1
    interactions = log.loc[
        clicked, ["impression", "item", "timestamp", "position", "propensity_score"]
    ].rename(columns={"impression": "user"})
    users = log.loc[clicked, ["impression", *user_features]].rename(columns={"impression": "user"})

    item_raw, _ = _read_indexed_csv(items_path, "item table")
    item_features = [c for c in item_raw.columns if c.startswith("item_feature_")]
    items = item_raw[["item_id", *item_features]].rename(columns={"item_id": "item"})
    items["item"] = items["item"].astype(np.int64)
    n_repeat = int(items["item"].duplicated().sum())
    items = items.drop_duplicates("item")
    unknown = np.setdiff1d(log["item"].unique(), items["item"].to_numpy())
    if len(unknown):
        raise DataError(
            f"{log_path}: items {unknown[:5].tolist()} are not in {items_path.name}; the two "
            "files must come from the same policy and campaign"
        )

    report = LoadReport(source=f"{_OBD}/{policy}/{campaign}", n_read=len(log))
    report.drop("impression without a click (kept in extras['log'])", int((~clicked).sum()))
    report.merge(f"{items_path.name}: repeated item_id (first kept)", n_repeat)
    report.notes.append(
        "no user ids: user = impression id"
        + (" (the file's unnamed index column)" if unnamed else " (row number)")
        + "; timestamps converted from UTC date-times to unix seconds"
    )
    logger.info(
        "loaded %s (policy=%s, campaign=%s): %d impressions, %d clicks, %d items",
        _OBD,
        policy,
        campaign,
        len(log),
        int(clicked.sum()),
        len(items),
    )
    return Dataset(
        interactions,
        items=items,
        users=users,
        name=_OBD,
        report=report,
        extras={"log": log, "policy": policy, "campaign": campaign},
    )


_OBD_SHA256 = {
    "README.md": "46bba393a44b63ddbb735d21d48ea447a073261eac93b4f06e1b19e9b41db2fe",
    "README_JN.md": "5cc30018d4c676bf1385ed3d68893cca62c96076ebad16f34db56f148c28d2e9",
    "bts/all/all.csv": "0ad874e4dbf6902f0845dd478ad8dde5ef6903583d3ffaace78411bdad064106",
    "bts/all/item_context.csv": "5d4359ba1cfa3ae88f0f1bae66bd633859fe6323817183632ee57b83539d9153",
    "bts/men/item_context.csv": "3b411ed6b0471316321a6b93f4f756bb25888eac6218cd71d0b603d41d85732d",
    "bts/men/men.csv": "db6d1f7ed2d591ba521533e45286d4c1fba7fe57a8ad2e80342210335f43c527",
    "bts/women/item_context.csv": (
        "a56295bad066a558eb783055afd9279f5f4e209a4776eafc22151c53f0ac89d4"
    ),
    "bts/women/women.csv": "e5d1b49a39b608585a2f3014a3f54970430cd37a495c1b73fceb85cdf428a5b8",
    "random/all/all.csv": "7168295b6e0a9eabcf3392320a5dd434e542b68e705d5cd9491499af589812f1",
    "random/all/item_context.csv": (
        "eba04cc23d5f130a93ff174c5392986882b94c3839433cb8143870eaa6221358"
    ),
    "random/men/item_context.csv": (
        "6d855c2b7e917d0448d71bbe62c023147495882c0fdc8c41e86fef86abf9fe09"
    ),
    "random/men/men.csv": "ede6d08c6877f99cd3770f7d09e26c738e6aa6de4445ccccfb1356ba5d06b1eb",
    "random/women/item_context.csv": (
        "b1ca4905f97703d196004f2ad4552c1e90c2afad8b50688d333b0d2dc0b33147"
    ),
    "random/women/women.csv": "e65f3bd3beb17664fa69cc129bf7bf852a775f8ffa630506e505fc905315bb34",
}
# the files of the obp package, identical (same git blobs) under obd/ in st-tech/zr-obp
_OBD_RAW = (
    "https://raw.githubusercontent.com/st-tech/zr-obp/8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4/obd/"
)

SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name=_OBD,
        description=(
            "E-commerce bandit feedback (ZOZOTOWN fashion, Open Bandit Dataset small): "
            "2 policies x 3 campaigns x 10,000 impressions of 80/34/46 items; implicit clicks "
            "with position and propensity, no user ids."
        ),
        loader=load_open_bandit,
        files=tuple(
            RemoteFile(
                path,
                sha256,
                url=_OBD_RAW + path,
                required=not path.startswith("README"),
            )
            for path, sha256 in _OBD_SHA256.items()
        ),
        aliases=("open-bandit-dataset-small",),
        homepage="https://research.zozo.com/data.html",
        license=(
            "Apache License 2.0 (the small version as distributed in the obp package and "
            "st-tech/zr-obp); the full-size data has its own terms"
        ),
        citation=(
            "Yuta Saito, Shunsuke Aihara, Megumi Matsutani, Yusuke Narita. 2020. Open Bandit "
            "Dataset and Pipeline: Towards Realistic and Reproducible Off-Policy Evaluation. "
            "arXiv:2008.07146. (NeurIPS 2021 Datasets and Benchmarks Track.)"
        ),
        options={"policy": "random", "campaign": "all"},
    ),
]
