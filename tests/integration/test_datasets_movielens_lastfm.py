"""The real MovieLens 100K, MovieLens latest-small and HetRec Last.fm 2K files.

Reads ``$TASTEMAKER_DATA_DIR`` (``../shared/data`` on the development machines). When it
is not set or a dataset is missing, the tests are skipped, except under CI (``CI=true``),
where missing data fails the run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tastemaker.data._dataset import Dataset
from tastemaker.data._movielens import ml100k_folds


def _pairs(data: Dataset) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([data.interactions["user"], data.interactions["item"]])


@pytest.fixture(scope="module")
def ml100k(real_data) -> Dataset:
    return real_data.load("ml-100k")


@pytest.fixture(scope="module")
def ml_latest_small(real_data) -> Dataset:
    return real_data.load("ml-latest-small")


@pytest.fixture(scope="module")
def lastfm(real_data) -> Dataset:
    return real_data.load("lastfm-2k")


# -- MovieLens 100K -----------------------------------------------------------------------


@pytest.mark.integration
def test_ml100k_sizes_and_ratings(ml100k):
    assert (ml100k.n_interactions, ml100k.n_users, ml100k.n_items) == (100_000, 943, 1682)
    counts = ml100k.interactions["rating"].value_counts().sort_index()
    assert counts.to_dict() == {1.0: 6110, 2.0: 11370, 3.0: 27145, 4.0: 34174, 5.0: 21201}
    ts = ml100k.interactions["timestamp"]
    assert (int(ts.min()), int(ts.max())) == (874724710, 893286638)
    assert ml100k.report.n_read == 100_000 and ml100k.report.n_dropped == 0
    assert ml100k.user_item_matrix("count").nnz == 100_000  # no repeated pairs


@pytest.mark.integration
def test_ml100k_items_and_users(ml100k):
    items, users = ml100k.items, ml100k.users
    assert len(items) == 1682 and len(users) == 943
    assert items.loc[1, "genres"] == ["Animation", "Children's", "Comedy"]
    assert items.loc[1, "title"] == "Toy Story (1995)"
    assert items.loc[1, "release_date"] == pd.Timestamp("1995-01-01")
    assert items.loc[1, "year"] == 1995
    assert items.loc[543, "title"] == "Misérables, Les (1995)"  # latin-1 decoded
    assert items.loc[267, "title"] == "unknown" and pd.isna(items.loc[267, "release_date"])
    assert int(items["release_date"].isna().sum()) == 1
    assert all(len(g) >= 1 for g in items["genres"])
    user = users.loc[1]
    assert (user["age"], user["gender"], user["occupation"]) == (24, "M", "technician")
    assert user["zip_code"] == "85711"
    assert users["gender"].value_counts().to_dict() == {"M": 670, "F": 273}
    assert users["occupation"].nunique() == 21


@pytest.mark.integration
def test_ml100k_official_five_folds(ml100k, real_data):
    folder = real_data.folder("ml-100k")
    if not all(
        (folder / f"u{k}.{part}").exists() for k in range(1, 6) for part in ("base", "test")
    ):
        real_data.missing("the ml-100k fold files u1.base ... u5.test are missing")
    folds = ml100k_folds(folder, which="u")
    assert len(folds) == 5
    all_pairs = _pairs(ml100k)
    tests = []
    for split in folds:
        assert len(split.train) == 80_000 and len(split.test) == 20_000
        assert split.train.item_map == ml100k.item_map
        assert split.test.user_map == ml100k.user_map
        train, test = _pairs(split.train), _pairs(split.test)
        assert train.intersection(test).empty
        assert train.append(test).sort_values().equals(all_pairs.sort_values())
        tests.append(test)
    union = tests[0].append(tests[1:])
    assert not union.has_duplicates
    assert union.sort_values().equals(all_pairs.sort_values())


@pytest.mark.integration
def test_ml100k_ua_ub_have_ten_test_ratings_per_user(ml100k, real_data):
    folder = real_data.folder("ml-100k")
    if not all(
        (folder / f"{w}.{part}").exists() for w in ("ua", "ub") for part in ("base", "test")
    ):
        real_data.missing("the ml-100k fold files ua/ub are missing")
    for which in ("ua", "ub"):
        (split,) = ml100k_folds(folder, which=which)
        assert len(split.train) == 90_570 and len(split.test) == 9430
        per_user = split.test.interactions.groupby("user").size()
        assert len(per_user) == 943 and set(per_user) == {10}


# -- MovieLens latest-small ---------------------------------------------------------------


@pytest.mark.integration
def test_ml_latest_small(ml_latest_small):
    data = ml_latest_small
    assert (data.n_interactions, data.n_users, data.n_items) == (100_836, 610, 9742)
    assert data.describe()["n_items_with_interactions"] == 9724
    ratings = data.interactions["rating"]
    assert ratings.min() == 0.5 and ratings.max() == 5.0
    assert set(np.unique(ratings * 2)) <= set(range(1, 11))
    items = data.items
    assert len(items) == 9742
    assert items.loc[1, "genres"] == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]
    assert items.loc[1, "tags"] == ["pixar", "fun"]
    assert (items.loc[1, "imdb_id"], items.loc[1, "tmdb_id"]) == ("0114709", 862)
    assert int((items["genres"].str.len() == 0).sum()) == 34  # "(no genres listed)"
    assert int(items["tmdb_id"].isna().sum()) == 8
    assert int((items["tags"].str.len() > 0).sum()) == 1572
    assert items.loc[11, "title"] == "American President, The (1995)"
    tags = data.extras["tags"]
    assert len(tags) == 3683 and tags["user"].nunique() == 58
    assert data.report.n_dropped == 0


# -- HetRec Last.fm 2K --------------------------------------------------------------------


@pytest.mark.integration
def test_lastfm_2k(lastfm):
    data = lastfm
    assert (data.n_interactions, data.n_users, data.n_items) == (92_834, 1892, 17_632)
    assert list(data.interactions.columns) == ["user", "item", "weight"]
    assert not data.has_timestamps
    assert data.interactions["weight"].max() == 352_698
    assert data.report.n_read == 92_834 and data.report.n_dropped == 0
    items = data.items
    assert len(items) == 17_632 and items["name"].notna().all()
    assert items.loc[51, "name"] == "Duran Duran"
    assert items.loc[51, "tags"][:2] == ["80s", "new wave"]
    assert max(len(t) for t in items["tags"]) == 10
    assert int((items["tags"].str.len() > 0).sum()) == 12_133
    tags = data.extras["tag_assignments"]
    assert len(tags) == 186_479 and tags["tag"].notna().all()
    assert tags["tag"].nunique() == 9749 and tags["item"].nunique() == 12_523
    assert tags["date"].min() == pd.Timestamp("1956-06-01")
    assert tags["date"].max() == pd.Timestamp("2011-05-09")
    friends = data.extras["friends"]
    assert len(friends) == 25_434
    forward = pd.MultiIndex.from_frame(friends[["user", "friend"]])
    backward = pd.MultiIndex.from_frame(friends[["friend", "user"]])
    assert forward.sort_values().equals(backward.sort_values())  # symmetric
    notes = " ".join(data.report.notes)
    assert "1538 tag assignment(s) on 390 artist(s)" in notes


@pytest.mark.integration
def test_lastfm_2k_all_tags(lastfm, real_data):
    data = real_data.load("lastfm-2k", max_tags=None)
    assert max(len(t) for t in data.items["tags"]) > 10
    assert data.items.loc[51, "tags"][:10] == lastfm.items.loc[51, "tags"]
