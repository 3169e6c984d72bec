"""MovieLens readers: ``ml-100k`` (with its official folds) and ``ml-latest-small``."""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from tastemaker._validation import Options, check
from tastemaker.data._catalog import ML100K_URL
from tastemaker.data._dataset import Dataset, LoadReport
from tastemaker.data._loading import (
    blank_to_na,
    drop_duplicate_keys,
    list_column,
    note_missing,
    note_unmatched,
    ranked_tags,
    read_raw_table,
    warn_dropped,
)
from tastemaker.data._splits import Split
from tastemaker.errors import DataError

__all__ = ["load_ml100k", "load_ml_latest_small", "ml100k_folds"]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------
# MovieLens 100K
# --------------------------------------------------------------------------------------


_ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
_TITLE_YEAR = re.compile(r"\((\d{4})(?:\s*[-–]\s*\d{0,4})?\)\s*$")
_RATING_COLUMNS = ["user", "item", "rating", "timestamp"]
_RATING_TYPES = {"user": "int64", "item": "int64", "rating": "float32", "timestamp": "int64"}


def _read_ratings(path: Path, report: LoadReport) -> tuple[pd.DataFrame, int]:
    return read_raw_table(path, _RATING_COLUMNS, report, sep="\t", numeric=_RATING_TYPES)


def _read_pipe_file(
    path: Path, names: list[str], report: LoadReport, numeric: dict[str, str]
) -> pd.DataFrame:
    """A ``|``-separated latin-1 file of ml-100k without a header (u.genre, u.item, u.user)."""
    frame, _ = read_raw_table(path, names, report, sep="|", encoding="latin-1", numeric=numeric)
    return frame


def _read_genres(path: Path, report: LoadReport) -> list[str]:
    frame = _read_pipe_file(path, ["genre", "index"], report, {"index": "int64"})
    frame = frame.sort_values("index")
    if frame["index"].tolist() != list(range(len(frame))):
        raise DataError(
            f"{path}: genre indices must run 0..n-1 in u.item's flag order; "
            f"found {frame['index'].tolist()}"
        )
    return [g.strip() for g in frame["genre"].tolist()]


def _title_year(titles: pd.Series) -> pd.Series:
    return pd.to_numeric(titles.str.extract(_TITLE_YEAR, expand=False), errors="coerce")


def _read_ml100k_items(folder: Path, report: LoadReport) -> pd.DataFrame:
    genre_path = folder / "u.genre"
    if genre_path.exists():
        genres = _read_genres(genre_path, report)
    else:
        genres = list(_ML100K_GENRES)
        note_missing(report, genre_path, "used the 19 genre names of the MovieLens README")
    path = folder / "u.item"
    flags = [f"genre_{i}" for i in range(len(genres))]
    names = ["item", "title", "release_date", "video_release_date", "imdb_url", *flags]
    frame = _read_pipe_file(path, names, report, {"item": "int64"})
    frame = drop_duplicate_keys(frame, "item", report, path.name)

    dates = blank_to_na(frame["release_date"])
    release = pd.to_datetime(dates, format="%d-%b-%Y", errors="coerce")
    n_bad_dates = int((dates.notna() & release.isna()).sum())
    note_unmatched(report, n_bad_dates, "u.item: {n} release date(s) unreadable; left missing")
    title = frame["title"].str.strip()
    year = _title_year(title).fillna(release.dt.year)
    is_set = frame[flags].to_numpy() == "1"
    genre_names = np.asarray(genres, dtype=object)
    return pd.DataFrame(
        {
            "item": frame["item"].to_numpy(),
            "title": title.to_numpy(),
            "release_date": release.to_numpy(),
            "year": pd.array(year.to_numpy(), dtype="Int32"),
            "imdb_url": blank_to_na(frame["imdb_url"]).to_numpy(),
            "genres": [genre_names[row].tolist() for row in is_set],
        }
    )


def _read_ml100k_users(folder: Path, report: LoadReport) -> pd.DataFrame:
    path = folder / "u.user"
    names = ["user", "age", "gender", "occupation", "zip_code"]
    frame = _read_pipe_file(path, names, report, {"user": "int64", "age": "int64"})
    frame = drop_duplicate_keys(frame, "user", report, path.name)
    for col in ("gender", "occupation", "zip_code"):
        frame[col] = blank_to_na(frame[col])
    return frame


def load_ml100k(folder: Path) -> Dataset:
    """Read MovieLens 100K from a folder holding the unzipped ``ml-100k`` files.

    Parameters
    ----------
    folder : Path
        Holds ``u.data``, ``u.item``, ``u.user`` and ``u.genre`` (``u.item`` is latin-1).

    Returns
    -------
    Dataset
        Interactions ``user, item, rating, timestamp`` (ids as the integers given,
        ratings 1-5, unix seconds). Items: ``title, release_date`` (datetime, missing
        allowed), ``year`` (from the title, else the release date), ``imdb_url``,
        ``genres`` (list of genre names). Users: ``age, gender, occupation, zip_code``.
    """
    folder = Path(folder)
    report = LoadReport(source="ml-100k")
    ratings, report.n_read = _read_ratings(folder / "u.data", report)
    items = _read_ml100k_items(folder, report)
    users = _read_ml100k_users(folder, report)
    note_unmatched(
        report,
        int((~ratings["item"].isin(items["item"])).sum()),
        "u.data: {n} rating(s) of movies absent from u.item (kept; no movie data)",
    )
    note_unmatched(
        report,
        int((~ratings["user"].isin(users["user"])).sum()),
        "u.data: {n} rating(s) by users absent from u.user (kept; no demographics)",
    )
    warn_dropped(report)
    data = Dataset(ratings, items=items, users=users, name="ml-100k", report=report)
    logger.info(
        "loaded ml-100k: %d ratings, %d users x %d items",
        data.n_interactions,
        data.n_users,
        data.n_items,
    )
    return data


def _fold_rows(full: Dataset, path: Path) -> np.ndarray:
    """Positions in ``full.interactions`` of the ratings listed in a fold file."""
    scratch = LoadReport(source=path.name)
    fold, _ = _read_ratings(path, scratch)
    if scratch.n_dropped:
        raise DataError(f"{path}: {scratch.summary()}; the official fold files are clean")
    inter = full.interactions
    keys = pd.MultiIndex.from_arrays([inter["user"].to_numpy(), inter["item"].to_numpy()])
    if keys.has_duplicates:
        raise DataError("u.data repeats a (user, item) pair; folds cannot be matched to rows")
    rows = keys.get_indexer(pd.MultiIndex.from_arrays([fold["user"], fold["item"]]))
    unknown = int((rows < 0).sum())
    same = rows >= 0
    differs = int(
        (
            (inter["rating"].to_numpy()[rows[same]] != fold["rating"].to_numpy()[same])
            | (inter["timestamp"].to_numpy()[rows[same]] != fold["timestamp"].to_numpy()[same])
        ).sum()
    )
    if unknown or differs:
        raise DataError(
            f"{path}: {unknown} rating(s) not in u.data and {differs} with another rating or "
            "timestamp; the fold files do not belong to this u.data"
        )
    return rows


def ml100k_folds(
    folder: str | Path | None = None, which: Literal["u", "ua", "ub"] = "u"
) -> list[Split]:
    """The official MovieLens 100K splits.

    Parameters
    ----------
    folder : path, optional
        The ``ml-100k`` folder; by default the named dataset is located (or downloaded)
        as :func:`tastemaker.data.load_dataset` does.
    which : {"u", "ua", "ub"}, default="u"
        ``"u"``: the five-fold cross-validation ``u1.base/u1.test`` ... ``u5`` (disjoint
        tests of 20,000 ratings); ``"ua"``/``"ub"``: one split with exactly 10 test ratings
        per user.

    Returns
    -------
    list of Split
        Five splits for ``"u"``, one for ``"ua"``/``"ub"``. Train and test share the full
        dataset's id maps, item and user tables and load report.

    Raises
    ------
    ParameterError
        For another ``which``.
    DataError
        When a fold file is missing or does not match ``u.data``.
    """
    check("ml100k_folds", "which", which, Options(("u", "ua", "ub")))
    if folder is None:
        from tastemaker.data._named import fetch

        folder = fetch("ml-100k")
    folder = Path(folder)
    prefixes = [f"u{k}" for k in range(1, 6)] if which == "u" else [which]
    for prefix in prefixes:
        for part in ("base", "test"):
            if not (folder / f"{prefix}.{part}").exists():
                raise DataError(
                    f"{folder / f'{prefix}.{part}'} not found; the official ml-100k folds need "
                    f"{', '.join(f'{p}.base/{p}.test' for p in prefixes)} from {ML100K_URL}"
                )
    full = load_ml100k(folder)
    splits = []
    for prefix in prefixes:
        train = full.subset(_fold_rows(full, folder / f"{prefix}.base"), f"ml-100k/{prefix}.base")
        test = full.subset(_fold_rows(full, folder / f"{prefix}.test"), f"ml-100k/{prefix}.test")
        splits.append(Split(train=train, test=test, name=f"ml-100k-{prefix}"))
    logger.info("ml-100k: %d official split(s) %s", len(splits), which)
    return splits


# --------------------------------------------------------------------------------------
# MovieLens latest-small
# --------------------------------------------------------------------------------------


def _read_csv(
    path: Path, names: list[str], report: LoadReport, numeric: dict[str, str]
) -> tuple[pd.DataFrame, int]:
    """A CSV file of ml-latest-small: a header line, fields quoted where needed."""
    return read_raw_table(
        path, names, report, sep=",", header=True, quoting=csv.QUOTE_MINIMAL, numeric=numeric
    )


def load_ml_latest_small(folder: Path) -> Dataset:
    """Read MovieLens latest-small (2018 release) from its unzipped folder.

    Parameters
    ----------
    folder : Path
        Holds ``ratings.csv`` and ``movies.csv`` and optionally ``tags.csv`` and
        ``links.csv`` (CRLF line endings are fine).

    Returns
    -------
    Dataset
        Interactions ``user, item, rating, timestamp`` (half stars 0.5-5). Items: every
        movie of ``movies.csv``, rated or not, with ``title`` (as given, with the year),
        ``year`` (from the title; missing when it has none), ``genres`` (list; empty for
        "(no genres listed)"), ``tags`` (distinct user tags, most used first), ``imdb_id``
        (str, as given with its leading zeros) and ``tmdb_id`` (nullable int). Extras:
        ``"tags"``, the raw tag applications ``user, item, tag, timestamp``.
    """
    folder = Path(folder)
    report = LoadReport(source="ml-latest-small")
    path = folder / "ratings.csv"
    ratings, report.n_read = _read_csv(path, _RATING_COLUMNS, report, _RATING_TYPES)

    path = folder / "movies.csv"
    movies, _ = _read_csv(path, ["item", "title", "genres"], report, {"item": "int64"})
    movies = drop_duplicate_keys(movies, "item", report, path.name)
    title = movies["title"].str.strip()
    genre_text = movies["genres"].fillna("").str.strip()
    items = pd.DataFrame(
        {
            "item": movies["item"].to_numpy(),
            "title": title.to_numpy(),
            "year": pd.array(_title_year(title).to_numpy(), dtype="Int32"),
            "genres": [
                [] if g in ("", "(no genres listed)") else g.split("|") for g in genre_text.tolist()
            ],
        }
    )

    extras: dict[str, pd.DataFrame] = {}
    path = folder / "tags.csv"
    if path.exists():
        tags, _ = _read_csv(
            path,
            ["user", "item", "tag", "timestamp"],
            report,
            {"user": "int64", "item": "int64", "timestamp": "int64"},
        )
        tags["tag"] = blank_to_na(tags["tag"])
        tags = tags[["user", "item", "tag", "timestamp"]]
        extras["tags"] = tags
        items["tags"] = list_column(items["item"], ranked_tags(tags, "item", "tag"))
        note_unmatched(
            report,
            int((~tags["item"].isin(items["item"])).sum()),
            "tags.csv: {n} tag application(s) on movies absent from movies.csv "
            "(kept in extras['tags'] only)",
        )
    else:
        note_missing(report, path, "items have no 'tags' column and extras has no 'tags'")

    path = folder / "links.csv"
    if path.exists():
        links, _ = _read_csv(path, ["item", "imdb_id", "tmdb_id"], report, {"item": "int64"})
        links = drop_duplicate_keys(links, "item", report, path.name)
        links["imdb_id"] = blank_to_na(links["imdb_id"])
        links["tmdb_id"] = pd.array(
            pd.to_numeric(blank_to_na(links["tmdb_id"]), errors="coerce"), dtype="Int64"
        )
        note_unmatched(
            report,
            int((~links["item"].isin(items["item"])).sum()),
            "links.csv: {n} link(s) for movies absent from movies.csv (ignored)",
        )
        items = items.merge(links, on="item", how="left", validate="one_to_one")
    else:
        note_missing(report, path, "items have no 'imdb_id' / 'tmdb_id' columns")

    missing = int((~ratings["item"].isin(items["item"])).sum())
    note_unmatched(
        report, missing, "ratings.csv: {n} rating(s) of movies absent from movies.csv (kept)"
    )
    n_unrated = int((~items["item"].isin(ratings["item"])).sum())
    note_unmatched(
        report, n_unrated, "movies.csv: {n} movie(s) have no rating (kept in the catalog)"
    )
    warn_dropped(report)
    data = Dataset(ratings, items=items, name="ml-latest-small", report=report, extras=extras)
    logger.info(
        "loaded ml-latest-small: %d ratings, %d users x %d items",
        data.n_interactions,
        data.n_users,
        data.n_items,
    )
    return data
