"""Named datasets: registry, resolution order, downloads and the readers on tiny files."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import _named
from tastemaker.data._download import download, extract, sha256_of
from tastemaker.data._lastfm import load_lastfm_2k
from tastemaker.data._movielens import load_ml100k, load_ml_latest_small, ml100k_folds
from tastemaker.data._spec import DatasetSpec, RemoteFile
from tastemaker.errors import DataError, DataWarning, ParameterError

# -- tiny files in the real formats -------------------------------------------------------

GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip


def _flags(*names: str) -> str:
    return "|".join("1" if g in names else "0" for g in GENRES)


U_DATA = "1\t1\t5\t874965758\n1\t2\t3\t876893171\n2\t1\t4\t888550871\n3\t3\t1\t889237455\n"
U_ITEM = (
    "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|"
    + _flags("Animation", "Children's", "Comedy")
    + "\n2|GoldenEye (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?GoldenEye|"
    + _flags("Action", "Adventure", "Thriller")
    + "\n3|Café au lait (Métisse) (1993)|||http://us.imdb.com/M/title-exact?Metisse|"
    + _flags("Comedy")
    + "\n4|unknown||||"
    + _flags("unknown")
    + "\n"
)
U_USER = "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|T8H1N\n"
U_GENRE = "".join(f"{g}|{i}\n" for i, g in enumerate(GENRES)) + "\n"


def write_ml100k(folder: Path) -> Path:
    """A four-rating ml-100k folder: u.item is latin-1 with accented titles."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "u.data").write_text(U_DATA, encoding="ascii")
    (folder / "u.item").write_bytes(U_ITEM.encode("latin-1"))
    (folder / "u.user").write_text(U_USER, encoding="ascii")
    (folder / "u.genre").write_text(U_GENRE, encoding="ascii")
    return folder


def write_lastfm(folder: Path) -> Path:
    """A tiny HetRec Last.fm folder: CRLF files, latin-1 tags, LF artists with a gap."""
    folder.mkdir(parents=True, exist_ok=True)

    def crlf(text: str, encoding: str = "utf-8") -> bytes:
        return text.replace("\n", "\r\n").encode(encoding)

    (folder / "user_artists.dat").write_bytes(
        crlf("userID\tartistID\tweight\n2\t51\t13883\n2\t52\t11690\n3\t51\t5\n3\t99\t7\n")
    )
    (folder / "artists.dat").write_bytes(
        b"id\tname\turl\tpictureURL\n"
        b'51\tDuran "Duran"\thttp://www.last.fm/music/Duran+Duran\thttp://pic/51.jpg\n'
        b"52\tMorcheeba\thttp://www.last.fm/music/Morcheeba\t\n"
        + "53\tBjörk\thttp://www.last.fm/music/Bj%C3%B6rk\thttp://pic/53.jpg\n".encode()
    )
    (folder / "tags.dat").write_bytes(
        crlf("tagID\ttagValue\n1\tnew wave\n2\tchillout\n3\télectronique\n", "latin-1")
    )
    (folder / "user_taggedartists.dat").write_bytes(
        crlf(
            "userID\tartistID\ttagID\tday\tmonth\tyear\n"
            "2\t51\t1\t1\t4\t2009\n3\t51\t1\t1\t5\t2009\n2\t51\t3\t1\t4\t2009\n"
            "2\t52\t2\t1\t4\t2009\n3\t77\t2\t1\t13\t2010\n"
        )
    )
    (folder / "user_friends.dat").write_bytes(crlf("userID\tfriendID\n2\t3\n3\t2\n"))
    return folder


def write_ml_latest_small(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)

    def crlf(text: str) -> bytes:
        return text.replace("\n", "\r\n").encode("utf-8")

    (folder / "ratings.csv").write_bytes(
        crlf("userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,0.5,964981247\n")
    )
    (folder / "movies.csv").write_bytes(
        crlf(
            "movieId,title,genres\n"
            "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
            '3,"American President, The (1995)",Comedy|Drama|Romance\n'
            "4,Black Mirror,(no genres listed)\n"
        )
    )
    (folder / "tags.csv").write_bytes(
        crlf(
            "userId,movieId,tag,timestamp\n"
            "2,1,pixar,1445714994\n5,1,fun,1445714995\n7,1,pixar,1445714996\n"
        )
    )
    (folder / "links.csv").write_bytes(
        crlf("movieId,imdbId,tmdbId\n1,0114709,862\n3,0112346,9087\n4,2085059,\n")
    )
    return folder


# -- environment --------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Data dir and cache in tmp_path, and a private copy of the registry."""
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    monkeypatch.setenv("TASTEMAKER_DATA_DIR", str(data))
    monkeypatch.setenv("TASTEMAKER_CACHE_DIR", str(cache))
    monkeypatch.setattr(_named, "_REGISTRY", dict(_named._REGISTRY))
    monkeypatch.setattr(_named, "_ALIASES", dict(_named._ALIASES))
    return {"data": data, "cache": cache, "tmp": tmp_path}


def _zip_spec(tmp_path: Path, name: str = "tiny-ml", *, bad: str | None = None) -> DatasetSpec:
    """A spec whose files come from a zip (file:// URL) of a tiny ml-100k folder."""
    src = write_ml100k(tmp_path / "src" / "ml-100k")
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(src.iterdir()):
            zf.write(path, f"ml-100k/{path.name}")
    files = []
    for path in sorted(src.iterdir()):
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if path.name == bad:
            sha = "0" * 64
        files.append(RemoteFile(path.name, sha, archive.as_uri(), f"ml-100k/{path.name}"))
    return DatasetSpec(name=name, description="tiny", loader=load_ml100k, files=tuple(files))


# -- registry -----------------------------------------------------------------------------


def test_builtin_datasets_are_registered_and_sorted():
    names = [spec.name for spec in _named.list_datasets()]
    assert {"ml-100k", "ml-latest-small", "lastfm-2k"} <= set(names)
    assert names == sorted(names)


def test_get_spec_accepts_aliases():
    assert _named.get_spec("hetrec2011-lastfm-2k").name == "lastfm-2k"
    assert _named.get_spec("ML-100K").name == "ml-100k"


def test_unknown_name_lists_known_names_and_suggests_closest():
    with pytest.raises(ParameterError) as info:
        _named.get_spec("ml100k")
    message = str(info.value)
    assert "'ml100k'" in message
    assert "did you mean 'ml-100k'" in message
    assert "ml-latest-small" in message and "lastfm-2k" in message


def test_register_refuses_taken_names_and_aliases(env):
    spec = DatasetSpec(name="ml-100k", description="other", loader=load_ml100k)
    with pytest.raises(ParameterError, match="already registered"):
        _named.register_dataset(spec)
    clash = DatasetSpec(
        name="x", description="", loader=load_ml100k, aliases=("hetrec2011-lastfm-2k",)
    )
    with pytest.raises(ParameterError, match="lastfm-2k"):
        _named.register_dataset(clash)
    _named.register_dataset(spec, replace=True)
    assert _named.get_spec("ml-100k") is spec


def test_dataset_info_describes_files_options_and_location(env):
    info = _named.dataset_info("lastfm-2k")
    assert info["options"] == {"max_tags": 10}
    assert info["location"] is None
    assert "hetrec2011-lastfm-2k" in info["aliases"]
    paths = {f["path"]: f for f in info["files"]}
    assert paths["user_artists.dat"]["required"]
    assert paths["user_artists.dat"]["url"].endswith("hetrec2011-lastfm-2k.zip")
    assert len(paths["user_artists.dat"]["sha256"]) == 64
    assert info["license"] and info["citation"] and info["homepage"]
    folder = write_lastfm(env["data"] / "hetrec2011-lastfm-2k")
    assert _named.dataset_info("lastfm-2k")["location"] == str(folder)


# -- resolution ---------------------------------------------------------------------------


def test_data_dir_comes_before_cache(env):
    in_cache = write_ml100k(env["cache"] / "ml-100k")
    assert _named.locate("ml-100k") == in_cache
    in_data = write_ml100k(env["data"] / "ml-100k")
    assert _named.locate("ml-100k") == in_data
    assert _named.fetch("ml-100k", download=False) == in_data


def test_incomplete_folder_does_not_count(env):
    partial = env["data"] / "ml-100k"
    partial.mkdir()
    (partial / "u.data").write_text(U_DATA)
    assert _named.locate("ml-100k") is None
    in_cache = write_ml100k(env["cache"] / "ml-100k")
    assert _named.locate("ml-100k") == in_cache


def test_alias_folder_is_found(env):
    folder = write_lastfm(env["data"] / "hetrec2011-lastfm-2k")
    assert _named.locate("lastfm-2k") == folder


def test_cache_follows_xdg_then_home(env, monkeypatch):
    monkeypatch.delenv("TASTEMAKER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(env["tmp"] / "xdg"))
    assert _named.cache_dir() == env["tmp"] / "xdg" / "tastemaker"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(env["tmp"] / "home"))
    assert _named.cache_dir() == env["tmp"] / "home" / ".cache" / "tastemaker"
    folder = write_ml100k(env["tmp"] / "home" / ".cache" / "tastemaker" / "ml-100k")
    monkeypatch.delenv("TASTEMAKER_DATA_DIR")
    assert _named.locate("ml-100k") == folder


def test_absent_and_offline_error_says_where_to_put_what(env):
    with pytest.raises(DataError) as info:
        _named.fetch("ml-100k", download=False)
    message = str(info.value)
    assert "'ml-100k'" in message
    assert str(env["data"] / "ml-100k") in message
    assert str(env["cache"] / "ml-100k") in message
    assert "u.data, u.item, u.user, u.genre" in message
    assert "https://files.grouplens.org/datasets/movielens/ml-100k.zip" in message


def test_failed_download_error_gives_the_reason(env, monkeypatch):
    def offline(url, dest, sha256=None, **kwargs):
        raise DataError(f"could not download {url}: Name or service not known")

    from tastemaker.data import _download

    monkeypatch.setattr(_download, "download", offline)
    with pytest.raises(DataError) as info:
        _named.load_dataset("ml-100k")
    message = str(info.value)
    assert "Name or service not known" in message
    assert "u.data" in message and str(env["cache"] / "ml-100k") in message
    assert not (env["cache"] / "ml-100k").exists()


def test_unreachable_file_url_gives_a_clear_error(env):
    spec = _zip_spec(env["tmp"])
    missing = (env["tmp"] / "nowhere.zip").as_uri()
    spec = DatasetSpec(
        name="tiny-ml",
        description="",
        loader=load_ml100k,
        files=tuple(RemoteFile(f.path, f.sha256, missing, f.member) for f in spec.files),
    )
    _named.register_dataset(spec)
    with pytest.raises(DataError, match=r"could not download file://.*nowhere\.zip"):
        _named.fetch("tiny-ml")


# -- download -----------------------------------------------------------------------------


def test_fetch_downloads_zip_checks_and_loads(env):
    _named.register_dataset(_zip_spec(env["tmp"]))
    folder = _named.fetch("tiny-ml")
    assert folder == env["cache"] / "tiny-ml"
    assert sorted(p.name for p in folder.iterdir()) == ["u.data", "u.genre", "u.item", "u.user"]
    assert all(_named.verify("tiny-ml").values())
    data = _named.load_dataset("tiny-ml")
    assert data.n_interactions == 4
    assert not [p for p in env["cache"].iterdir() if p.name.startswith(".")]


def test_fetch_with_bad_checksum_leaves_nothing(env):
    _named.register_dataset(_zip_spec(env["tmp"], bad="u.item"))
    with pytest.raises(DataError) as info:
        _named.fetch("tiny-ml")
    message = str(info.value)
    assert "checksum mismatch" in message and "0" * 64 in message
    found = hashlib.sha256(U_ITEM.encode("latin-1")).hexdigest()
    assert found in message
    assert list(env["cache"].rglob("*")) == []


def test_download_file_url_with_checksum(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"hello tastemaker\n")
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    dest = download(source.as_uri(), tmp_path / "out" / "copy.bin", sha256=sha)
    assert dest.read_bytes() == source.read_bytes()
    assert sha256_of(dest) == sha


def test_download_bad_checksum_removes_the_file(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"hello tastemaker\n")
    with pytest.raises(DataError, match="expected sha256 " + "a" * 64):
        download(source.as_uri(), tmp_path / "out" / "copy.bin", sha256="a" * 64)
    assert list((tmp_path / "out").iterdir()) == []


def test_download_unreachable_url(tmp_path):
    with pytest.raises(DataError, match="could not download"):
        download((tmp_path / "absent.zip").as_uri(), tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_extract_finds_members_by_file_name_and_reports_missing(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("other-top/u.data", "x")
    sha = hashlib.sha256(b"x").hexdigest()
    (out,) = extract(archive, [("ml-100k/u.data", tmp_path / "u.data", sha)])
    assert out.read_bytes() == b"x"
    with pytest.raises(DataError, match="no member 'ml-100k/u.item'"):
        extract(archive, [("ml-100k/u.item", tmp_path / "u.item", None)])


def test_verify_flags_a_changed_file(env):
    folder = write_ml100k(env["data"] / "ml-100k")
    (folder / "u.data").write_text(U_DATA + "4\t1\t2\t889237455\n")
    result = _named.verify("ml-100k")
    assert result["u.data"] is False
    assert result["u1.base"] is False  # optional and absent


def test_unknown_loader_option_is_an_error(env):
    write_ml100k(env["data"] / "ml-100k")
    with pytest.raises(ParameterError, match="max_tags"):
        _named.load_dataset("ml-100k", max_tags=3)


# -- readers ------------------------------------------------------------------------------


def test_ml100k_tiny_folder_loads_with_types_genres_and_demographics(env):
    write_ml100k(env["data"] / "ml-100k")
    data = _named.load_dataset("ml-100k")
    assert (data.n_interactions, data.n_users, data.n_items) == (4, 3, 4)
    inter = data.interactions
    assert list(inter.columns) == ["user", "item", "rating", "timestamp"]
    assert inter["user"].dtype == np.int64 and inter["item"].dtype == np.int64
    assert inter["rating"].dtype == np.float32 and inter["timestamp"].dtype == np.int64
    items = data.items
    assert items.loc[1, "genres"] == ["Animation", "Children's", "Comedy"]
    assert items.loc[4, "genres"] == ["unknown"]
    assert items.loc[3, "title"] == "Café au lait (Métisse) (1993)"
    assert items.loc[1, "release_date"] == pd.Timestamp("1995-01-01")
    assert pd.isna(items.loc[3, "release_date"])
    assert items.loc[3, "year"] == 1993 and pd.isna(items.loc[4, "year"])
    assert items.loc[1, "imdb_url"].startswith("http://us.imdb.com/")
    assert pd.isna(items.loc[4, "imdb_url"])
    users = data.users
    assert users.loc[1].to_dict() == {
        "age": 24,
        "gender": "M",
        "occupation": "technician",
        "zip_code": "85711",
    }
    assert users.loc[3, "zip_code"] == "T8H1N"
    assert users["age"].dtype == np.int64
    assert data.report.n_read == 4 and data.report.n_dropped == 0


def test_ml100k_malformed_lines_are_counted_and_warned(env):
    folder = write_ml100k(env["data"] / "ml-100k")
    (folder / "u.data").write_text(U_DATA + "4\tx\t3\t1\n5\t1\t3\t1\textra\n\n")
    with pytest.warns(DataWarning, match="2 dropped|dropped"):
        data = load_ml100k(folder)
    assert data.n_interactions == 4
    assert data.report.n_read == 6
    assert data.report.dropped == {"u.data: malformed value": 1, "u.data: malformed line": 1}
    assert len(data.report.notes) == 2


def test_ml100k_folds_share_maps_and_tables(tmp_path):
    folder = write_ml100k(tmp_path / "ml-100k")
    lines = U_DATA.splitlines(keepends=True)
    (folder / "ua.base").write_text("".join(lines[:3]))
    (folder / "ua.test").write_text(lines[3])
    (split,) = ml100k_folds(folder, which="ua")
    full = load_ml100k(folder)
    assert len(split.train) == 3 and len(split.test) == 1
    assert split.train.item_map == full.item_map and split.test.user_map == full.user_map
    assert split.test.items is split.train.items
    assert split.test.interactions["item"].tolist() == [3]
    with pytest.raises(DataError, match="u1.base"):
        ml100k_folds(folder)
    with pytest.raises(ParameterError):
        ml100k_folds(folder, which="u9")  # type: ignore[arg-type]


def test_ml100k_fold_not_matching_u_data_is_an_error(tmp_path):
    folder = write_ml100k(tmp_path / "ml-100k")
    (folder / "ub.base").write_text(U_DATA)
    (folder / "ub.test").write_text("9\t9\t1\t1\n")
    with pytest.raises(DataError, match="not in u.data"):
        ml100k_folds(folder, which="ub")


def test_ml_latest_small_tiny_folder(tmp_path):
    data = load_ml_latest_small(write_ml_latest_small(tmp_path / "ml-latest-small"))
    assert (data.n_interactions, data.n_users, data.n_items) == (2, 1, 3)
    items = data.items
    assert items.loc[3, "title"] == "American President, The (1995)"
    assert items.loc[4, "genres"] == [] and pd.isna(items.loc[4, "year"])
    assert items.loc[1, "year"] == 1995
    assert items.loc[1, "tags"] == ["pixar", "fun"]
    assert items.loc[3, "tags"] == []
    assert items.loc[1, "imdb_id"] == "0114709" and items.loc[1, "tmdb_id"] == 862
    assert pd.isna(items.loc[4, "tmdb_id"])
    assert data.interactions["rating"].tolist() == [4.0, 0.5]
    assert list(data.extras["tags"].columns) == ["user", "item", "tag", "timestamp"]
    assert len(data.extras["tags"]) == 3


def test_ml_latest_small_without_optional_files(tmp_path):
    folder = write_ml_latest_small(tmp_path / "ml-latest-small")
    (folder / "tags.csv").unlink()
    (folder / "links.csv").unlink()
    data = load_ml_latest_small(folder)
    assert "tags" not in data.items.columns and "imdb_id" not in data.items.columns
    assert "tags" not in data.extras
    assert any("tags.csv not found" in note for note in data.report.notes)


def test_lastfm_tiny_folder_handles_quirks(tmp_path):
    data = load_lastfm_2k(write_lastfm(tmp_path / "hetrec2011-lastfm-2k"))
    inter = data.interactions
    assert list(inter.columns) == ["user", "item", "weight"]
    assert inter["weight"].tolist() == [13883.0, 11690.0, 5.0, 7.0]
    assert data.n_items == 4  # 51, 52, 53 from artists.dat and 99 played but unlisted
    items = data.items
    assert items.loc[51, "name"] == 'Duran "Duran"' and items.loc[53, "name"] == "Björk"
    assert pd.isna(items.loc[52, "picture_url"]) and pd.isna(items.loc[99, "name"])
    assert items.loc[51, "tags"] == ["new wave", "électronique"]
    assert items.loc[53, "tags"] == []
    tags = data.extras["tag_assignments"]
    assert list(tags.columns) == ["user", "item", "tag_id", "tag", "date"]
    assert tags["date"].iloc[0] == pd.Timestamp("2009-04-01")
    assert pd.isna(tags["date"].iloc[-1])  # month 13
    assert data.extras["friends"].to_dict("list") == {"user": [2, 3], "friend": [3, 2]}
    notes = " ".join(data.report.notes)
    assert "1 played artist(s) absent from artists.dat" in notes
    assert "impossible date" in notes and "absent from the item table" in notes
    assert data.report.n_dropped == 0
    assert load_lastfm_2k(tmp_path / "hetrec2011-lastfm-2k", max_tags=1).items.loc[51, "tags"] == [
        "new wave"
    ]
    with pytest.raises(ParameterError, match="max_tags"):
        load_lastfm_2k(tmp_path / "hetrec2011-lastfm-2k", max_tags=0)


def test_lastfm_loads_through_the_alias_folder_with_options(env):
    write_lastfm(env["data"] / "hetrec2011-lastfm-2k")
    data = _named.load_dataset("lastfm-2k", max_tags=None)
    assert data.name == "lastfm-2k"
    assert data.items.loc[51, "tags"] == ["new wave", "électronique"]


READERS = ("_movielens", "_lastfm", "_news", "_ecommerce", "_bandit", "_loading", "_download")


def test_readers_load_on_first_use():
    import subprocess
    import sys

    code = (
        "import sys, tastemaker.models, tastemaker.data as d\n"
        "names = [s.name for s in d.list_datasets()]\n"
        "assert len(names) == 11 and d.dataset_info('otto')['files'], names\n"
        "print(' '.join(m for m in sys.modules if m.startswith('tastemaker.data._')))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [m for m in loaded if m.rsplit(".", 1)[-1] in READERS]


def test_loader_named_by_path_is_imported_when_loading(tmp_path):
    spec = DatasetSpec(
        name="tiny",
        description="one row",
        loader="tastemaker.data._movielens:load_ml100k",
    )
    assert spec.load_function().__name__ == "load_ml100k"
    broken = DatasetSpec(name="broken", description="", loader="no_colon_here")
    with pytest.raises(ParameterError, match='"package.module:function"'):
        broken.load(tmp_path)
