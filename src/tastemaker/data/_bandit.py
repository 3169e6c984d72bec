"""Named bandit datasets: the Open Bandit Dataset (ZOZOTOWN), small version.

The loader reads a dataset folder as distributed (see :mod:`tastemaker.data._catalog` for the files
and their checksums) and returns a :class:`~tastemaker.data.Dataset` whose ``extras["log"]``
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
from tastemaker.errors import DataError

__all__ = ["load_open_bandit"]

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
