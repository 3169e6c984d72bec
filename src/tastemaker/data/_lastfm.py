"""HetRec 2011 Last.fm 2K reader (``lastfm-2k``): play counts, artists, tags, friends."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from tastemaker._validation import Interval, check
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

__all__ = ["load_lastfm_2k"]

logger = logging.getLogger(__name__)


def _read_dat(
    path: Path,
    names: list[str],
    report: LoadReport,
    numeric: dict[str, str],
    encoding: str = "utf-8",
) -> tuple[pd.DataFrame, int]:
    """A ``.dat`` file of the dataset: tab-separated with a header line."""
    return read_raw_table(
        path, names, report, sep="\t", header=True, numeric=numeric, encoding=encoding
    )


def _read_artists(folder: Path, report: LoadReport) -> pd.DataFrame | None:
    path = folder / "artists.dat"
    if not path.exists():
        note_missing(report, path, "artists have no name, url or picture_url")
        return None
    frame, _ = _read_dat(path, ["item", "name", "url", "picture_url"], report, {"item": "int64"})
    frame = drop_duplicate_keys(frame, "item", report, path.name)
    for col in ("name", "url", "picture_url"):
        frame[col] = blank_to_na(frame[col])
    return frame


def _read_tag_assignments(folder: Path, report: LoadReport) -> pd.DataFrame | None:
    path = folder / "user_taggedartists.dat"
    if not path.exists():
        note_missing(report, path, "artists have no 'tags'; extras has no 'tag_assignments'")
        return None
    names = ["user", "item", "tag_id", "day", "month", "year"]
    frame, _ = _read_dat(path, names, report, dict.fromkeys(names, "int64"))
    date = pd.to_datetime(frame[["year", "month", "day"]], errors="coerce")
    note_unmatched(
        report,
        int(date.isna().sum()),
        "user_taggedartists.dat: {n} tag assignment(s) with an impossible date (date left missing)",
    )
    out = frame[["user", "item", "tag_id"]].copy()
    out["date"] = date

    tag_path = folder / "tags.dat"
    if tag_path.exists():
        tags, _ = _read_dat(
            tag_path, ["tag_id", "tag"], report, {"tag_id": "int64"}, encoding="latin-1"
        )
        tags = drop_duplicate_keys(tags, "tag_id", report, tag_path.name)
        names_by_id = pd.Series(blank_to_na(tags["tag"]).to_numpy(), index=tags["tag_id"])
        out["tag"] = out["tag_id"].map(names_by_id)
        note_unmatched(
            report,
            int(out["tag"].isna().sum()),
            "user_taggedartists.dat: {n} assignment(s) of tag ids absent from tags.dat "
            "(tag left missing)",
        )
    else:
        note_missing(report, tag_path, "tag assignments carry tag ids only; artists have no 'tags'")
        out["tag"] = pd.Series(pd.NA, index=out.index, dtype="str")
    return out[["user", "item", "tag_id", "tag", "date"]]


def _read_friends(folder: Path, report: LoadReport) -> pd.DataFrame | None:
    path = folder / "user_friends.dat"
    if not path.exists():
        note_missing(report, path, "extras has no 'friends'")
        return None
    frame, _ = _read_dat(path, ["user", "friend"], report, {"user": "int64", "friend": "int64"})
    return frame


def load_lastfm_2k(folder: Path, max_tags: int | None = 10) -> Dataset:
    """Read HetRec 2011 Last.fm 2K from its unzipped folder.

    Parameters
    ----------
    folder : Path
        Holds ``user_artists.dat`` and ``artists.dat``, optionally ``tags.dat``,
        ``user_taggedartists.dat`` and ``user_friends.dat`` (tab-separated with a
        header; CRLF or LF; ``tags.dat`` is latin-1).
    max_tags : int or None, default=10
        Keep at most this many tags per artist in the item column ``tags`` (``None``:
        all of them).

    Returns
    -------
    Dataset
        Interactions ``user, item, weight``: one row per user-artist pair, ``weight`` the
        play count (no timestamps exist). Items: every artist of ``artists.dat`` plus
        any played artist missing from it, with ``name, url, picture_url`` and ``tags``
        (the tag names most users applied to the artist, most used first). Extras:
        ``"tag_assignments"`` (``user, item, tag_id, tag, date``; artists not in the
        item table included) and ``"friends"`` (``user, friend``, directed pairs).
    """
    check("lastfm-2k", "max_tags", max_tags, [Interval("int", 1), None])
    folder = Path(folder)
    report = LoadReport(source="lastfm-2k")
    path = folder / "user_artists.dat"
    plays, report.n_read = _read_dat(
        path,
        ["user", "item", "weight"],
        report,
        {"user": "int64", "item": "int64", "weight": "float32"},
    )
    report.notes.append("user_artists.dat has no timestamps; 'weight' is the play count")

    artists = _read_artists(folder, report)
    extras: dict[str, pd.DataFrame] = {}
    items = None
    if artists is not None:
        unknown = pd.unique(plays.loc[~plays["item"].isin(artists["item"]), "item"])
        note_unmatched(
            report,
            len(unknown),
            "user_artists.dat: {n} played artist(s) absent from artists.dat "
            "(kept, with missing name and url)",
        )
        n_unplayed = int((~artists["item"].isin(plays["item"])).sum())
        note_unmatched(
            report, n_unplayed, "artists.dat: {n} artist(s) never played (kept in the catalog)"
        )
        if len(unknown):
            extra = pd.DataFrame({"item": unknown.astype("int64")})
            artists = pd.concat([artists, extra], ignore_index=True)
        items = artists

    assignments = _read_tag_assignments(folder, report)
    if assignments is not None:
        extras["tag_assignments"] = assignments
        if items is not None:
            outside = ~assignments["item"].isin(items["item"])
            note_unmatched(
                report,
                int(outside.sum()),
                f"user_taggedartists.dat: {{n}} tag assignment(s) on "
                f"{assignments.loc[outside, 'item'].nunique()} artist(s) absent from the item "
                "table (kept in extras['tag_assignments'] only)",
            )
            if assignments["tag"].notna().any():
                lists = ranked_tags(assignments, "item", "tag", max_tags)
                items["tags"] = list_column(items["item"], lists)

    friends = _read_friends(folder, report)
    if friends is not None:
        extras["friends"] = friends
        known = set(plays["user"].tolist())
        n_unknown = int((~friends["user"].isin(known) | ~friends["friend"].isin(known)).sum())
        note_unmatched(
            report,
            n_unknown,
            "user_friends.dat: {n} pair(s) involve users without plays (kept in extras)",
        )

    warn_dropped(report)
    data = Dataset(plays, items=items, name="lastfm-2k", report=report, extras=extras)
    logger.info(
        "loaded lastfm-2k: %d user-artist pairs, %d users x %d artists",
        data.n_interactions,
        data.n_users,
        data.n_items,
    )
    return data
