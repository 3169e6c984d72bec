"""Named e-commerce datasets: Amazon reviews (2018), DIGINETICA (CIKM Cup 2016) and OTTO.

Each loader reads a dataset folder as distributed (see :mod:`tastemaker.data._catalog` for the files
and their checksums) and returns a :class:`~tastemaker.data.Dataset`. What loading did to the
rows is in ``Dataset.report``.
"""

from __future__ import annotations

import gzip
import html
import json
import logging
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from tastemaker._validation import Options, check, validate
from tastemaker.data._dataset import Dataset, LoadReport
from tastemaker.data._loading import require_file
from tastemaker.errors import DataError

__all__ = [
    "load_amazon_fashion",
    "load_amazon_gift_cards",
    "load_amazon_magazines",
    "load_diginetica",
    "load_otto",
]

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------
# shared helpers


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-empty line of a (gzipped) JSON-lines file."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise DataError(
                        f"{path.name}, line {number}: not valid JSON ({err.msg}); expected "
                        "one JSON object per line. The file may be damaged; fetch it again."
                    ) from err
                if not isinstance(record, dict):
                    raise DataError(
                        f"{path.name}, line {number}: found a JSON {type(record).__name__}, "
                        "expected an object"
                    )
                yield number, record
    except (OSError, EOFError, UnicodeDecodeError) as err:  # BadGzipFile is an OSError
        raise DataError(
            f"{path.name}: cannot be read ({err}); expected gzipped UTF-8 JSON lines as "
            "distributed. The file may be truncated; fetch it again."
        ) from err


_SCRIPT = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[A-Za-z/!][^<>]*(?:>|$)")  # also a tag cut off at the end
_TAG_TAIL = re.compile(r'^[^<>"]*"\s*/?>')  # the end of a tag cut off at the start
_WHITESPACE = re.compile(r"\s+")
_PRICE = re.compile(r"^\$\s*(\d[\d,]*(?:\.\d+)?)$")


def _clean_text(value: Any) -> str | None:
    """Text without HTML tags, scripts and entities, whitespace collapsed; None when empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = _SCRIPT.sub(" ", str(value))
    text = _TAG.sub(" ", _TAG_TAIL.sub(" ", text))
    text = html.unescape(text)
    text = _WHITESPACE.sub(" ", text).strip()
    return text or None


def _parse_price(value: Any) -> float:
    """``"$12.99"`` / ``"$1,299.00"`` -> float; anything else (ranges, HTML, "") -> NaN."""
    if not isinstance(value, str):
        return float(value) if isinstance(value, (int, float)) else math.nan
    match = _PRICE.match(value.strip())
    return float(match.group(1).replace(",", "")) if match else math.nan


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


# ---------------------------------------------------------------------------------------
# Amazon reviews (2018)

_REVIEW_KEYS = {"reviewerID": "user", "asin": "item", "overall": "rating"}


def _style_text(style: Any) -> str | None:
    """``{"Size:": " Big Boys", "Color:": " Blue"}`` -> ``"Size: Big Boys; Color: Blue"``."""
    if not isinstance(style, dict) or not style:
        return None
    parts = [f"{str(k).strip().rstrip(':').strip()}: {str(v).strip()}" for k, v in style.items()]
    return "; ".join(parts)


def _vote(value: Any, where: str) -> int:
    if value is None or value == "":
        return 0
    try:
        return int(str(value).replace(",", "").strip())
    except ValueError as err:
        raise DataError(f"{where}, field vote: {value!r} is not a count of helpful votes") from err


def _amazon_reviews(path: Path, report: LoadReport) -> pd.DataFrame:
    rows: list[tuple[Any, ...]] = []
    n_read = 0
    missing: dict[str, int] = {}
    for number, record in _json_lines(path):
        n_read += 1
        where = f"{path.name}, line {number}"
        absent = [
            key
            for key in ("reviewerID", "asin", "overall", "unixReviewTime")
            if record.get(key) is None or record.get(key) == ""
        ]
        if absent:
            missing[absent[0]] = missing.get(absent[0], 0) + 1
            continue
        try:
            rating = float(record["overall"])
            timestamp = int(record["unixReviewTime"])
        except (TypeError, ValueError) as err:
            raise DataError(
                f"{where}: overall={record['overall']!r}, unixReviewTime="
                f"{record['unixReviewTime']!r}; expected a number and unix seconds"
            ) from err
        rows.append(
            (
                str(record["reviewerID"]),
                str(record["asin"]),
                rating,
                timestamp,
                record.get("reviewText"),
                record.get("summary"),
                bool(record.get("verified", False)),
                _vote(record.get("vote"), where),
                _style_text(record.get("style")),
                [str(url) for url in _as_list(record.get("image"))],
            )
        )
    report.n_read = n_read
    for key, n in missing.items():
        report.drop(f"{path.name}: review without {key}", n)
    columns = [
        "user",
        "item",
        "rating",
        "timestamp",
        "review_text",
        "summary",
        "verified",
        "vote",
        "style",
        "image_url",
    ]
    reviews = pd.DataFrame(rows, columns=columns)
    reviews["timestamp"] = reviews["timestamp"].astype(np.int64)
    reviews["vote"] = reviews["vote"].astype(np.int64)
    reviews["verified"] = reviews["verified"].astype(bool)
    n_repeat = int(reviews.duplicated(["user", "item", "timestamp", "review_text"]).sum())
    if n_repeat:
        report.notes.append(
            f"{n_repeat} reviews repeat another one (same user, item, time and text, often one "
            "review shown for several product variants); kept as distributed"
        )
    return reviews


_ITEM_COLUMNS = [
    "title",
    "description",
    "category",
    "brand",
    "price",
    "also_buy",
    "also_view",
    "image_url",
]


def _amazon_items(
    path: Path, reviewed: pd.Series, report: LoadReport, full_catalog: bool
) -> pd.DataFrame:
    rows: dict[str, dict[str, Any]] = {}
    n_repeat = 0
    n_no_asin = 0
    html_titles: set[str] = set()
    for _, record in _json_lines(path):
        asin = record.get("asin")
        if not asin:
            n_no_asin += 1
            continue
        asin = str(asin)
        if asin in rows:
            n_repeat += 1
            continue
        description = record.get("description")
        texts = [_clean_text(part) for part in _as_list(description)]
        categories = [_clean_text(part) for part in _as_list(record.get("category"))]
        images = (
            _as_list(record.get("imageURLHighRes"))
            or _as_list(record.get("imageURL"))
            or _as_list(record.get("image"))
        )
        title = _clean_text(record.get("title"))
        if title is None and str(record.get("title") or "").strip():
            html_titles.add(asin)
        rows[asin] = {
            "item": asin,
            "title": title,
            "description": " ".join(t for t in texts if t) or None,
            "category": _unique([c for c in categories if c]),
            "brand": _clean_text(record.get("brand")),
            "price": _parse_price(record.get("price")),
            "also_buy": [str(a) for a in _as_list(record.get("also_buy"))],
            "also_view": [str(a) for a in _as_list(record.get("also_view"))],
            "image_url": [str(url) for url in images],
        }
    report.merge(f"{path.name}: repeated asin (first line kept)", n_repeat)
    report.drop(f"{path.name}: product without asin", n_no_asin)

    reviewed_ids = pd.unique(reviewed)
    no_meta = [asin for asin in reviewed_ids if asin not in rows]
    for asin in no_meta:
        rows[asin] = {"item": asin, "title": None, "description": None, "brand": None}
        rows[asin].update(category=[], price=math.nan, also_buy=[], also_view=[], image_url=[])
    if no_meta:
        report.notes.append(
            f"{len(no_meta)} reviewed items have no line in {path.name} (empty item rows added)"
        )
    items = pd.DataFrame(list(rows.values()), columns=["item", *_ITEM_COLUMNS])
    items["price"] = items["price"].astype(np.float64)
    if not full_catalog:
        keep = items["item"].isin(set(reviewed_ids))
        n_unreviewed = int((~keep).sum())
        items = items.loc[keep].reset_index(drop=True)
        if n_unreviewed:
            report.notes.append(
                f"{n_unreviewed} products of {path.name} without reviews left out of the item "
                "table (full_catalog=True keeps them)"
            )
    n_html = int(items["item"].isin(html_titles).sum())
    report.notes.append(
        f"item table from {path.name}: HTML removed from text ({n_html} titles were only an "
        "HTML fragment and are NaN), price parsed from '$12.99' (else NaN)"
    )
    return items


def _load_amazon(
    folder: Path,
    name: str,
    reviews_file: str,
    meta_file: str | None,
    full_catalog: bool,
) -> Dataset:
    folder = Path(folder)
    report = LoadReport(source=name)
    reviews = _amazon_reviews(require_file(folder, reviews_file, name), report)
    items = None
    if meta_file is not None:
        meta = folder / meta_file
        if meta.is_file():
            items = _amazon_items(meta, reviews["item"], report, full_catalog)
        else:
            report.notes.append(f"{meta_file} not found: no item table")
            logger.info("%s: %s not found in %s; loading without metadata", name, meta_file, folder)
    logger.info(
        "loaded %s: %d reviews, %d users, %d items%s",
        name,
        len(reviews),
        reviews["user"].nunique(),
        reviews["item"].nunique(),
        "" if items is None else f", {len(items)} in the item table",
    )
    return Dataset(reviews, items=items, name=name, report=report)


_AMAZON_DOC = """Load the {title} 5-core reviews of the Amazon review data (2018).

    ``{reviews}`` (gzipped JSON lines){meta_sentence}

    Parameters
    ----------
    folder : Path
        The dataset folder.{full_catalog_doc}

    Returns
    -------
    Dataset
        Interactions: one row per review (explicit feedback, kept as distributed, repeated
        reviews included and counted in the report notes), columns ``user``
        (``reviewerID``), ``item`` (``asin``), ``rating`` (``overall``, 1-5), ``timestamp``
        (``unixReviewTime``, unix seconds, day resolution), ``review_text``, ``summary``
        (str, missing as NaN), ``verified`` (bool), ``vote`` (int64 helpful votes, 0 when
        absent), ``style`` (the product variant as text, e.g. ``"Size: 8; Color: Blue"``)
        and ``image_url`` (list of the reviewer's photo URLs). Reviews without reviewer,
        asin, rating or time are dropped and counted. Reviewer names and the date string
        ``reviewTime`` are not kept.{items_doc}

    Raises
    ------
    DataError
        When the review file is missing or a line is not a JSON object.
    """

_ITEMS_DOC = """

        Items, from ``{meta}`` (repeated product lines are dropped by asin and counted as
        merged; products without reviews are left out unless ``full_catalog``; reviewed
        products without metadata get an empty row): ``title``, ``description`` (the list
        joined into one text), ``brand`` (HTML tags and entities removed from all three;
        NaN when empty), ``category`` (list, the category path without repeats),
        ``price`` (float from ``"$12.99"``, NaN when absent or not a single price),
        ``also_buy``, ``also_view`` (lists of asins) and ``image_url`` (list of product
        image URLs, high resolution when given)."""

_FULL_CATALOG_DOC = """
    full_catalog : bool, default=False
        Keep every product of the metadata file in the item table, also those nobody
        reviewed (models then rank them too)."""


def _amazon_doc(title: str, reviews: str, meta: str | None) -> str:
    if meta is None:
        return _AMAZON_DOC.format(
            title=title,
            reviews=reviews,
            meta_sentence=". There is no product metadata, so there is no item table.",
            full_catalog_doc="",
            items_doc="",
        )
    return _AMAZON_DOC.format(
        title=title,
        reviews=reviews,
        meta_sentence=f" and the product metadata ``{meta}`` (optional; gzipped JSON lines).",
        full_catalog_doc=_FULL_CATALOG_DOC,
        items_doc=_ITEMS_DOC.format(meta=meta),
    )


def load_amazon_fashion(folder: Path) -> Dataset:
    return _load_amazon(folder, "amazon-fashion", "AMAZON_FASHION_5.json.gz", None, False)


def load_amazon_magazines(folder: Path, *, full_catalog: bool = False) -> Dataset:
    check("amazon-magazines", "full_catalog", full_catalog, bool)
    return _load_amazon(
        folder,
        "amazon-magazines",
        "Magazine_Subscriptions_5.json.gz",
        "meta_Magazine_Subscriptions.json.gz",
        bool(full_catalog),
    )


def load_amazon_gift_cards(folder: Path, *, full_catalog: bool = False) -> Dataset:
    check("amazon-gift-cards", "full_catalog", full_catalog, bool)
    return _load_amazon(
        folder,
        "amazon-gift-cards",
        "Gift_Cards_5.json.gz",
        "meta_Gift_Cards.json.gz",
        bool(full_catalog),
    )


load_amazon_fashion.__doc__ = _amazon_doc("AMAZON_FASHION", "AMAZON_FASHION_5.json.gz", None)
load_amazon_magazines.__doc__ = _amazon_doc(
    "Magazine_Subscriptions",
    "Magazine_Subscriptions_5.json.gz",
    "meta_Magazine_Subscriptions.json.gz",
)
load_amazon_gift_cards.__doc__ = _amazon_doc(
    "Gift_Cards", "Gift_Cards_5.json.gz", "meta_Gift_Cards.json.gz"
)

# ---------------------------------------------------------------------------------------
# DIGINETICA (CIKM Cup 2016)

_DIGINETICA = "diginetica"
_DAY_MS = 86_400_000
_PURCHASE_COLUMNS = ["sessionId", "userId", "timeframe", "eventdate", "ordernumber", "itemId"]
_VIEW_COLUMNS = ["sessionId", "userId", "itemId", "timeframe", "eventdate"]
# SR-GNN's sample renamed the header of train-item-views.csv
_VIEW_RENAMES = {"session_id": "sessionId", "user_id": "userId", "item_id": "itemId"}


def _read_semicolon(path: Path, columns: list[str], renames: dict[str, str]) -> pd.DataFrame:
    """A `;`-separated DIGINETICA file; the literal ``NA`` (or nothing) is a missing id."""
    dtypes = {
        c: "Int64" if c == "userId" else ("str" if c == "eventdate" else np.int64) for c in columns
    }
    dtypes.update({old: dtypes[new] for old, new in renames.items() if new in dtypes})
    try:
        frame = pd.read_csv(
            path, sep=";", na_values=["NA", ""], keep_default_na=False, dtype=dtypes
        )
    except (ValueError, OSError) as err:
        raise DataError(
            f"{path.name}: cannot be read as ';'-separated columns {';'.join(columns)} with "
            f"integer ids ({err}). The file may be damaged; fetch it again."
        ) from err
    frame = frame.rename(columns=renames)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path.name}: columns {missing} are missing; found {list(frame.columns)}, "
            f"expected {';'.join(columns)}"
        )
    for column in columns:
        if column != "userId" and frame[column].isna().any():
            row = int(np.flatnonzero(frame[column].isna().to_numpy())[0])
            raise DataError(f"{path.name}, data row {row + 1}, column {column}: value missing")
    return frame[columns]


def _session_timestamps(frame: pd.DataFrame, report: LoadReport) -> np.ndarray:
    """Unix seconds from the event's date and its ms offset since the session start.

    ``eventdate`` is the day of the event and ``timeframe`` the milliseconds since its
    session started; sessions can span days (and the two do not always agree), so adding
    the whole offset to the date would move events off their day. The day is kept exactly;
    the time of day is the offset since the session's first event of that day, capped at
    23:59:59.999.
    """
    day = pd.to_datetime(frame["eventdate"], format="%Y-%m-%d", errors="coerce")
    if day.isna().any():
        row = int(np.flatnonzero(day.isna().to_numpy())[0])
        raise DataError(
            f"{_DIGINETICA}: eventdate {frame['eventdate'].iloc[row]!r} is not a date "
            "(expected YYYY-MM-DD)"
        )
    midnight = day.to_numpy().astype("datetime64[ms]").astype(np.int64)
    timeframe = frame["timeframe"].to_numpy(np.int64)
    first = (
        pd.Series(timeframe).groupby([frame["sessionId"].to_numpy(), midnight]).transform("min")
    ).to_numpy(np.int64)
    offset = timeframe - first
    n_capped = int((offset >= _DAY_MS).sum())
    if n_capped:
        report.notes.append(
            f"{n_capped} events lie more than a day after their session's first event of the "
            "same date; their time of day was capped at 23:59:59"
        )
    return (midnight + np.minimum(offset, _DAY_MS - 1)) // 1000


def load_diginetica(
    folder: Path,
    *,
    user: Literal["known", "session"] = "known",
    full_catalog: bool = False,
) -> Dataset:
    """Load the DIGINETICA e-commerce log of the CIKM Cup 2016 (partial copy).

    Files (``;``-separated, header row, missing user ids written ``NA``):
    ``train-purchases.csv`` (every purchase), ``sample_train-item-views.csv`` (SR-GNN's
    sample of the item views, sessions 1-3999, renamed header, no trailing newline; the
    full ``train-item-views.csv`` is used instead when present) and
    ``product-categories.csv`` (the category of every product).

    Parameters
    ----------
    folder : Path
        The dataset folder.
    user : {"known", "session"}, default="known"
        Who the ``user`` of an event is. Most events come from anonymous sessions (no
        user id); none is dropped. ``"known"``: the shop's user id where the row has one,
        else the session stands in as its own user, ``"session:<sessionId>"`` (all user
        ids are then strings, known ones as ``"18278"``). ``"session"``: the session id
        (int) for every row, the usual choice for session-based models.
    full_catalog : bool, default=False
        Keep all 184,047 products of ``product-categories.csv`` in the item table, also
        those never viewed or bought (models then rank them too).

    Returns
    -------
    Dataset
        Interactions: views and purchases (implicit feedback), columns ``user``,
        ``item``, ``event`` (``"view"`` or ``"purchase"``), ``timestamp`` (unix seconds;
        the day is the row's ``eventdate``, the time of day is the milliseconds since the
        session's first event of that day, because the data has no clock time),
        ``session`` (int), ``shop_user`` (the shop's user id, nullable Int64, NA for
        anonymous rows), ``order`` (the purchase's ``ordernumber``, nullable Int64, NA for
        views) and ``timeframe`` (ms since the session started, as given). Rows are sorted
        by session and time. Items: ``category`` (int).

    Raises
    ------
    ParameterError
        When ``user`` is not "known" or "session".
    DataError
        When a file is missing or malformed.
    """
    validate(
        _DIGINETICA,
        {"user": user, "full_catalog": full_catalog},
        {"user": Options(("known", "session")), "full_catalog": bool},
    )
    folder = Path(folder)
    purchases_path = require_file(folder, "train-purchases.csv", _DIGINETICA)
    categories_path = require_file(folder, "product-categories.csv", _DIGINETICA)
    full_views = folder / "train-item-views.csv"
    views_path = (
        full_views
        if full_views.is_file()
        else require_file(folder, "sample_train-item-views.csv", _DIGINETICA)
    )

    purchases = _read_semicolon(purchases_path, _PURCHASE_COLUMNS, {})
    views = _read_semicolon(views_path, _VIEW_COLUMNS, _VIEW_RENAMES)
    purchases["event"] = "purchase"
    views["event"] = "view"
    views["ordernumber"] = pd.array([pd.NA] * len(views), dtype="Int64")
    purchases["ordernumber"] = purchases["ordernumber"].astype("Int64")
    log = pd.concat([views, purchases], ignore_index=True)

    report = LoadReport(source=_DIGINETICA, n_read=len(log))
    timestamp = _session_timestamps(log, report)
    known = log["userId"].notna().to_numpy()
    if user == "session":
        users: Any = log["sessionId"].to_numpy(np.int64)
    else:
        session_users = "session:" + log["sessionId"].astype(str)
        users = np.where(known, log["userId"].astype(str), session_users).astype(object)
    interactions = pd.DataFrame(
        {
            "user": users,
            "item": log["itemId"].to_numpy(np.int64),
            "event": log["event"].to_numpy(),
            "timestamp": timestamp.astype(np.int64),
            "session": log["sessionId"].to_numpy(np.int64),
            "shop_user": log["userId"].astype("Int64").to_numpy(),
            "order": log["ordernumber"].to_numpy(),
            "timeframe": log["timeframe"].to_numpy(np.int64),
        }
    )
    interactions["shop_user"] = interactions["shop_user"].astype("Int64")
    interactions["order"] = interactions["order"].astype("Int64")
    interactions = interactions.sort_values(["session", "timestamp"], kind="stable")
    interactions = interactions.reset_index(drop=True)

    n_anonymous = int((~known).sum())
    has_user = pd.Series(known).groupby(log["sessionId"].to_numpy())
    mixed = has_user.any() & ~has_user.all()
    report.notes.append(
        f"{n_anonymous} of {len(log)} events have no user id (NA); "
        + (
            "their session stands in as the user ('session:<id>')"
            if user == "known"
            else "every event's user is its session"
        )
    )
    if user == "known" and int(mixed.sum()):
        report.notes.append(
            f"{int(mixed.sum())} sessions mix events with and without a user id; the "
            "anonymous events of those sessions belong to the session's pseudo-user"
        )
    n_repeat = int(log.duplicated().sum())
    if n_repeat:
        report.notes.append(f"{n_repeat} events repeat another row exactly; kept as distributed")
    if views_path.name.startswith("sample_"):
        report.notes.append(
            f"views: {len(views)} rows of SR-GNN's sample (sessions 1-3999; the last session "
            "may be cut short); purchases are complete"
        )

    categories = _read_semicolon(categories_path, ["itemId", "categoryId"], {})
    n_repeat_items = int(categories["itemId"].duplicated().sum())
    report.merge(f"{categories_path.name}: repeated itemId (first kept)", n_repeat_items)
    categories = categories.drop_duplicates("itemId")
    items = pd.DataFrame(
        {
            "item": categories["itemId"].to_numpy(np.int64),
            "category": categories["categoryId"].to_numpy(np.int64),
        }
    )
    used = pd.unique(interactions["item"])
    n_uncategorised = int((~pd.Series(used).isin(items["item"])).sum())
    if n_uncategorised:
        report.notes.append(f"{n_uncategorised} items of the events have no category")
    if not full_catalog:
        keep = items["item"].isin(used)
        report.notes.append(
            f"{int((~keep).sum())} products never viewed or bought left out of the item table "
            "(full_catalog=True keeps them)"
        )
        items = items.loc[keep].reset_index(drop=True)
    logger.info(
        "loaded %s: %d events (%d views, %d purchases), %d users, %d items",
        _DIGINETICA,
        len(interactions),
        len(views),
        len(purchases),
        interactions["user"].nunique(),
        len(used),
    )
    return Dataset(interactions, items=items, name=_DIGINETICA, report=report)


# ---------------------------------------------------------------------------------------
# OTTO

_OTTO = "otto"
_OTTO_EVENTS = {"clicks": "click", "carts": "cart", "orders": "purchase"}


def load_otto(folder: Path) -> Dataset:
    """Load the OTTO session dataset (here its publisher's 20-session sample).

    ``train.jsonl``: one JSON object per session, ``{"session": int, "events": [{"aid":
    int, "ts": int, "type": "clicks" | "carts" | "orders"}, ...]}``.

    Parameters
    ----------
    folder : Path
        The dataset folder.

    Returns
    -------
    Dataset
        Interactions: every event (implicit feedback), columns ``user`` (the session: the
        data has no user ids), ``item`` (``aid``), ``event`` (``"click"``, ``"cart"`` or
        ``"purchase"`` for OTTO's clicks, carts and orders), ``timestamp`` (unix seconds;
        ``ts`` is in milliseconds in the official files and in seconds in some Kaggle
        copies, told apart by size) and ``session``. No item or user tables.

    Raises
    ------
    DataError
        When the file is missing or an event is malformed.
    """
    path = require_file(Path(folder), "train.jsonl", _OTTO)
    sessions: list[int] = []
    aids: list[int] = []
    stamps: list[int] = []
    types: list[str] = []
    n_sessions = 0
    for number, record in _json_lines(path):
        where = f"{path.name}, line {number}"
        events = record.get("events")
        if "session" not in record or not isinstance(events, list):
            raise DataError(
                f"{where}: expected an object with 'session' and a list 'events', found keys "
                f"{sorted(record)}"
            )
        n_sessions += 1
        for event in events:
            try:
                kind = _OTTO_EVENTS[event["type"]]
                aids.append(int(event["aid"]))
                stamps.append(int(event["ts"]))
            except (KeyError, TypeError, ValueError) as err:
                raise DataError(
                    f"{where}: event {event!r} is malformed; expected aid (int), ts (int) and "
                    f"type in {sorted(_OTTO_EVENTS)}"
                ) from err
            types.append(kind)
            sessions.append(int(record["session"]))
    ts = np.asarray(stamps, dtype=np.int64)
    in_ms = bool(len(ts)) and int(ts.max()) > 100_000_000_000  # > year 5138 in seconds
    interactions = pd.DataFrame(
        {
            "user": np.asarray(sessions, dtype=np.int64),
            "item": np.asarray(aids, dtype=np.int64),
            "event": types,
            "timestamp": ts // 1000 if in_ms else ts,
            "session": np.asarray(sessions, dtype=np.int64),
        }
    )
    report = LoadReport(source=_OTTO, n_read=len(interactions))
    report.notes.append(
        f"{n_sessions} sessions; user = session (no user ids); ts in "
        f"{'milliseconds' if in_ms else 'seconds'}; events clicks/carts/orders -> "
        "click/cart/purchase"
    )
    logger.info(
        "loaded %s: %d events in %d sessions, %d items",
        _OTTO,
        len(interactions),
        n_sessions,
        interactions["item"].nunique(),
    )
    return Dataset(interactions, name=_OTTO, report=report)


# ---------------------------------------------------------------------------------------
# specs
