"""Named news datasets: the Bing News sample of DKN and the Globo.com (G1) click log.

Each loader reads a dataset folder as distributed (see :mod:`tastemaker.data._catalog` for the files
and their checksums) and returns a :class:`~tastemaker.data.Dataset`. What loading did to the
rows is in ``Dataset.report``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from tastemaker._validation import Interval, check
from tastemaker.data._dataset import Dataset, LoadReport
from tastemaker.data._loading import require_file
from tastemaker.errors import DataError

__all__ = ["load_bing_news", "load_globo_news", "news_item_id"]

logger = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------
# Bing News (DKN sample)

_BING = "bing-news"
_BING_SPLITS = (("train", "raw_train.txt"), ("test", "raw_test.txt"))
_WHITESPACE = re.compile(r"\s+")


def news_item_id(title: str) -> str:
    """The stable item id of a Bing News title.

    The title text is the identity of a news item in the DKN sample (there are no news
    ids). The id is ``"n"`` followed by the first 12 hex digits of the SHA-1 of the title
    in UTF-8 with runs of whitespace collapsed to one space and the ends stripped, so the
    same title always gets the same id, on every machine and in every version.

    Parameters
    ----------
    title : str
        The title as written in ``raw_train.txt`` / ``raw_test.txt``.

    Returns
    -------
    str
        For example ``news_item_id("tautog bite coming strong")``.
    """
    text = _WHITESPACE.sub(" ", title).strip()
    return "n" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _parse_entities(info: str, where: str) -> tuple[list[int], list[str]]:
    ids: list[int] = []
    names: list[str] = []
    for pair in info.split(";"):
        if not pair:
            continue
        entity_id, sep, name = pair.partition(":")
        if not sep or not entity_id.strip().isdigit():
            raise DataError(
                f"{where}, column entity_info: {pair!r} is not 'entity_id:entity_name'; "
                "expected pairs like '331:Bruce Springsteen' separated by ';'. "
                "The file may be damaged; fetch it again."
            )
        ids.append(int(entity_id))
        names.append(name.strip())
    return ids, names


def load_bing_news(folder: Path) -> Dataset:
    """Load the Bing News click sample released with DKN (WWW 2018).

    Files ``raw_train.txt`` and ``raw_test.txt`` (UTF-8, CRLF line endings, tab-separated
    ``user_id, news_title, label, entity_info``; no header, no timestamps).

    Parameters
    ----------
    folder : Path
        The dataset folder.

    Returns
    -------
    Dataset
        Interactions: the clicked impressions (``label == 1``) as implicit feedback, columns
        ``user`` (int), ``item`` (str, see :func:`news_item_id`) and ``split`` (``"train"``
        or ``"test"``, the file the row came from). A user who clicked a title twice keeps
        both rows.

        Items, one row per distinct title shown (clicked or not): ``title`` (lower-cased,
        tokenised text as distributed), ``entities`` (list of entity names) and
        ``entity_ids`` (list of int, same order). A title annotated differently in
        different rows gets the union of its entities (counted in the report as merged).

        ``extras["impressions"]``: every row of both files with columns ``user``, ``item``,
        ``click`` (int8, 1 or 0) and ``split``.

    Raises
    ------
    DataError
        When a file is missing or a line does not have four tab-separated fields, a 0/1
        label and ``id:name`` entity pairs.
    """
    folder = Path(folder)
    records: list[tuple[int, str, int, str]] = []
    entities: dict[str, tuple[list[int], list[str]]] = {}
    titles: dict[str, str] = {}
    annotations: set[tuple[str, str]] = set()
    n_crlf = 0
    for split, name in _BING_SPLITS:
        path = require_file(folder, name, _BING)
        # newline="" keeps the "\r\n" so that it can be removed (and counted) exactly
        with path.open(encoding="utf-8", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                if line.endswith("\r\n"):
                    n_crlf += 1
                text = line.rstrip("\r\n")
                if not text:
                    continue
                where = f"{name}, line {number}"
                fields = text.split("\t")
                if len(fields) != 4:
                    raise DataError(
                        f"{where}: found {len(fields)} tab-separated fields, expected 4 "
                        "(user_id, news_title, label, entity_info). The file may be "
                        "damaged; fetch it again."
                    )
                user, title, label, info = fields
                if label not in ("0", "1"):
                    raise DataError(f"{where}, column label: {label!r}; expected 0 or 1")
                if not user.strip().isdigit():
                    raise DataError(f"{where}, column user_id: {user!r} is not an integer id")
                item = news_item_id(title)
                known = titles.setdefault(item, _WHITESPACE.sub(" ", title).strip())
                if known != _WHITESPACE.sub(" ", title).strip():
                    raise DataError(  # pragma: no cover - a 48-bit collision
                        f"{where}: titles {known!r} and {title!r} share the item id {item}"
                    )
                ids, names = _parse_entities(info, where)
                if (item, info) not in annotations:
                    annotations.add((item, info))
                    have_ids, have_names = entities.setdefault(item, ([], []))
                    for entity_id, entity in zip(ids, names):
                        if entity_id not in have_ids:
                            have_ids.append(entity_id)
                            have_names.append(entity)
                records.append((int(user), item, int(label), split))

    impressions = pd.DataFrame(records, columns=["user", "item", "click", "split"])
    impressions["user"] = impressions["user"].astype(np.int64)
    impressions["click"] = impressions["click"].astype(np.int8)
    clicked = impressions["click"].to_numpy() == 1
    interactions = impressions.loc[clicked, ["user", "item", "split"]].reset_index(drop=True)

    items = pd.DataFrame(
        {
            "item": list(titles),
            "title": list(titles.values()),
            "entities": [entities[item][1] for item in titles],
            "entity_ids": [entities[item][0] for item in titles],
        }
    )

    report = LoadReport(source=_BING, n_read=len(impressions))
    report.drop("impression without a click (kept in extras['impressions'])", int((~clicked).sum()))
    report.merge(
        "raw_*.txt: same title with another entity annotation (entities united)",
        len(annotations) - len(titles),
    )
    report.notes.append(
        f"read {n_crlf} CRLF-terminated lines; item ids derived from the title text "
        "(news_item_id: 'n' + 12 hex digits of SHA-1 of the title)"
    )
    n_repeat = int(interactions.duplicated(["user", "item"]).sum())
    if n_repeat:
        report.notes.append(f"{n_repeat} clicks repeat a (user, title) pair; kept as distributed")
    logger.info(
        "loaded %s: %d impressions, %d clicks, %d users, %d titles",
        _BING,
        len(impressions),
        len(interactions),
        impressions["user"].nunique(),
        len(items),
    )
    return Dataset(
        interactions,
        items=items,
        name=_BING,
        report=report,
        extras={"impressions": impressions},
    )


# ---------------------------------------------------------------------------------------
# Globo.com (G1) clicks

_GLOBO = "globo-news"
_GLOBO_COLUMNS = {
    "user_id": "user",
    "click_article_id": "item",
    "click_timestamp": "timestamp",
    "session_id": "session",
    "session_start": "session_start",
    "session_size": "session_size",
    "click_environment": "environment",
    "click_deviceGroup": "device_group",
    "click_os": "os",
    "click_country": "country",
    "click_region": "region",
    "click_referrer_type": "referrer_type",
}
_GLOBO_FILE = re.compile(r"^clicks_hour_(\d+)\.csv(\.gz)?$")


def _globo_files(folder: Path) -> list[Path]:
    clicks = Path(folder) / "clicks"
    if not clicks.is_dir():
        if not Path(folder).is_dir():
            require_file(folder, "clicks", _GLOBO)  # says the folder is missing
        raise DataError(
            f"{_GLOBO}: folder 'clicks' is missing in {folder}; expected the hourly click "
            "files clicks/clicks_hour_NNN.csv.gz of the Globo.com dataset there."
        )
    by_hour: dict[int, Path] = {}
    for path in clicks.iterdir():
        match = _GLOBO_FILE.match(path.name)
        if not match:
            continue
        hour = int(match.group(1))
        # the gzipped copy wins over an uncompressed one of the same hour
        if hour not in by_hour or path.name.endswith(".gz"):
            by_hour[hour] = path
    if not by_hour:
        raise DataError(
            f"{_GLOBO}: no clicks_hour_NNN.csv(.gz) files in {clicks}; expected the hourly "
            "click files of the Globo.com dataset (clicks.zip) there."
        )
    return [by_hour[hour] for hour in sorted(by_hour)]


def load_globo_news(folder: Path, *, max_files: int | None = None) -> Dataset:
    """Load the Globo.com (G1) news portal click log.

    Hourly CSV files ``clicks/clicks_hour_NNN.csv.gz`` (gzipped, as kept in the data
    folder; uncompressed ``.csv`` files as in Kaggle's ``clicks.zip`` work too), read in
    hour order. Some hours hold no clicks (a header-only file).

    Parameters
    ----------
    folder : Path
        The dataset folder.
    max_files : int, optional
        Read only the first ``max_files`` hourly files (quick looks and tests).
        Default: all of them.

    Returns
    -------
    Dataset
        Interactions: every click (implicit feedback), columns ``user``, ``item``
        (``click_article_id``), ``timestamp`` (int64 unix **seconds**, from the milliseconds
        of ``click_timestamp``, rounded down), ``session`` (``session_id``),
        ``session_start`` (int64 unix seconds), ``session_size``, and the click context
        codes ``environment``, ``device_group``, ``os``, ``country``, ``region``,
        ``referrer_type`` (int64 codes without a dictionary). No item or user tables: the
        article metadata is not part of the data here.

    Raises
    ------
    ParameterError
        When ``max_files`` is not a positive integer.
    DataError
        When no hourly files are found or a file lacks the expected columns.
    """
    check(_GLOBO, "max_files", max_files, [Interval("int", 1), None])
    files = _globo_files(Path(folder))
    if max_files is not None:
        files = files[: int(max_files)]
    frames = []
    n_empty = 0
    for path in files:
        try:
            frame = pd.read_csv(path, dtype=np.int64)
        except (ValueError, EOFError, OSError) as err:
            raise DataError(
                f"{_GLOBO}: cannot read {path}: {err}. Expected a (gzipped) CSV with integer "
                f"columns {', '.join(_GLOBO_COLUMNS)}; fetch the file again."
            ) from err
        missing = [c for c in _GLOBO_COLUMNS if c not in frame.columns]
        if missing:
            raise DataError(
                f"{_GLOBO}: {path.name} lacks columns {missing}; found {list(frame.columns)}"
            )
        n_empty += frame.empty
        frames.append(frame[list(_GLOBO_COLUMNS)])
    clicks = pd.concat(frames, ignore_index=True).rename(columns=_GLOBO_COLUMNS)
    clicks = clicks.astype(np.int64)
    clicks["timestamp"] = clicks["timestamp"] // 1000
    clicks["session_start"] = clicks["session_start"] // 1000

    report = LoadReport(source=_GLOBO, n_read=len(clicks))
    report.notes.append(
        f"read {len(files)} hourly files (gzipped CSV); click_timestamp and session_start "
        "converted from milliseconds to seconds"
    )
    if n_empty:
        report.notes.append(f"{n_empty} hourly file(s) hold no clicks (header only)")
    logger.info(
        "loaded %s: %d clicks from %d hourly files, %d users, %d articles",
        _GLOBO,
        len(clicks),
        len(files),
        clicks["user"].nunique(),
        clicks["item"].nunique(),
    )
    return Dataset(clicks, name=_GLOBO, report=report)
