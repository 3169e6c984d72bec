"""The news, e-commerce and bandit loaders on tiny folders written in the real formats."""

from __future__ import annotations

import gzip
import hashlib
import inspect
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tastemaker.data._bandit import load_open_bandit
from tastemaker.data._catalog import BANDIT as BANDIT_SPECS
from tastemaker.data._catalog import ECOMMERCE as ECOMMERCE_SPECS
from tastemaker.data._catalog import NEWS as NEWS_SPECS
from tastemaker.data._ecommerce import (
    load_amazon_fashion,
    load_amazon_gift_cards,
    load_amazon_magazines,
    load_diginetica,
    load_otto,
)
from tastemaker.data._news import load_bing_news, load_globo_news, news_item_id
from tastemaker.errors import DataError, ParameterError

ALL_SPECS = [*NEWS_SPECS, *ECOMMERCE_SPECS, *BANDIT_SPECS]


def nid(title: str) -> str:
    return "n" + hashlib.sha1(title.encode("utf-8")).hexdigest()[:12]


def write_gzip_lines(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


# -- the specs ----------------------------------------------------------------------------


def test_specs_are_complete_and_options_match_the_loaders():
    names = [spec.name for spec in ALL_SPECS]
    assert names == [
        "bing-news",
        "globo-news",
        "amazon-fashion",
        "amazon-magazines",
        "amazon-gift-cards",
        "diginetica",
        "otto",
        "open-bandit",
    ]
    for spec in ALL_SPECS:
        assert spec.description and spec.homepage and spec.license and spec.citation
        assert len(spec.aliases) == 1 and spec.aliases[0] != spec.name
        assert spec.files and any(f.required for f in spec.files)
        paths = [f.path for f in spec.files]
        assert len(set(paths)) == len(paths)
        for f in spec.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), (spec.name, f.path)
            assert f.url is None or f.url.startswith("https://")
        keywords = {
            p.name: p.default
            for p in inspect.signature(spec.load_function()).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        assert keywords == spec.options, spec.name


def test_globo_spec_lists_the_168_hourly_files_in_order():
    globo = NEWS_SPECS[1]
    assert [f.path for f in globo.files[:2]] == [
        "clicks/clicks_hour_000.csv.gz",
        "clicks/clicks_hour_001.csv.gz",
    ]
    assert len(globo.files) == 168 and globo.files[-1].path.endswith("_167.csv.gz")
    assert globo.files[0].sha256.startswith("a7f3ec7b9fb4")


# -- Bing News (DKN) ----------------------------------------------------------------------


@pytest.fixture
def bing(tmp_path: Path) -> Path:
    folder = tmp_path / "bing-news-dkn-sample"
    folder.mkdir()
    train = (
        "1\tbig news today\t1\t10:Big;11:News\r\n"
        "1\tsmall  story\t0\t12:Story\r\n"
        "2\tbig news today\t1\t13:Today\r\n"
        "2\tbig news today\t1\t10:Big;11:News\r\n"
        "3\tweather report\t0\t14:Weather: Storm\r\n"
    )
    (folder / "raw_train.txt").write_bytes(train.encode("utf-8"))
    (folder / "raw_test.txt").write_bytes(b"1\tsmall story\t1\t12:Story")  # no final CRLF
    return folder


def test_bing_news_item_id_is_a_hash_of_the_normalised_title():
    assert news_item_id("big news today") == nid("big news today")
    assert news_item_id(" small  story ") == nid("small story")


def test_bing_news_clicks_items_and_impressions(bing: Path):
    data = load_bing_news(bing)
    big, small, weather = nid("big news today"), nid("small story"), nid("weather report")
    inter = data.interactions
    assert inter["user"].tolist() == [1, 2, 2, 1]
    assert inter["item"].tolist() == [big, big, big, small]
    assert inter["split"].tolist() == ["train", "train", "train", "test"]
    assert list(inter.columns) == ["user", "item", "split"]

    items = data.items
    assert items.index.tolist() == [big, small, weather]
    assert items["title"].tolist() == ["big news today", "small story", "weather report"]
    assert items.loc[big, "entities"] == ["Big", "News", "Today"]
    assert items.loc[big, "entity_ids"] == [10, 11, 13]
    assert items.loc[weather, "entities"] == ["Weather: Storm"]  # split on the first ':'

    imp = data.extras["impressions"]
    assert imp["click"].tolist() == [1, 0, 1, 1, 0, 1]
    assert imp["click"].dtype == np.int8
    assert imp["split"].tolist() == ["train"] * 5 + ["test"]
    assert imp.loc[1, "item"] == small

    report = data.report
    assert report.n_read == 6
    assert report.dropped == {"impression without a click (kept in extras['impressions'])": 2}
    assert list(report.merged.values()) == [1]  # one title annotated two ways
    assert any("5 CRLF" in note for note in report.notes)
    assert any(note.startswith("1 clicks repeat") for note in report.notes)


def test_bing_news_bad_line_names_file_and_line(bing: Path):
    (bing / "raw_test.txt").write_bytes(b"1\tsmall story\t1\t12:Story\r\n2\tbroken\t1\r\n")
    with pytest.raises(DataError, match=r"raw_test.txt, line 2: found 3 tab-separated fields"):
        load_bing_news(bing)
    (bing / "raw_test.txt").write_bytes(b"1\tsmall story\tyes\t12:Story\r\n")
    with pytest.raises(DataError, match=r"line 1, column label: 'yes'"):
        load_bing_news(bing)


def test_bing_news_missing_file(bing: Path):
    (bing / "raw_test.txt").unlink()
    with pytest.raises(DataError, match=r"'raw_test.txt' is missing"):
        load_bing_news(bing)
    with pytest.raises(DataError, match=r"does not exist"):
        load_bing_news(bing / "nowhere")


# -- Globo.com (G1) -----------------------------------------------------------------------

GLOBO_HEADER = (
    "user_id,session_id,session_start,session_size,click_article_id,click_timestamp,"
    "click_environment,click_deviceGroup,click_os,click_country,click_region,"
    "click_referrer_type\n"
)


@pytest.fixture
def globo(tmp_path: Path) -> Path:
    clicks = tmp_path / "globo-g1-news-clicks-7days" / "clicks"
    clicks.mkdir(parents=True)
    hours = [
        "0,1506825423271737,1506825423000,2,157541,1506826828020,4,3,20,1,20,2\n"
        "0,1506825423271737,1506825423000,2,68866,1506826858999,4,3,20,1,20,2\n",
        "",  # an hour without clicks: header only
        "1,1506825426267738,1506825426000,1,235840,1506827017951,4,1,17,1,16,2\n",
    ]
    for hour, rows in enumerate(hours):
        with gzip.open(clicks / f"clicks_hour_{hour:03d}.csv.gz", "wt") as handle:
            handle.write(GLOBO_HEADER + rows)
    (clicks / "README.txt").write_text("not a click file")
    return clicks.parent


def test_globo_news_reads_gzipped_hours_in_seconds(globo: Path):
    data = load_globo_news(globo)
    inter = data.interactions
    assert list(inter.columns) == [
        "user",
        "item",
        "timestamp",
        "session",
        "session_start",
        "session_size",
        "environment",
        "device_group",
        "os",
        "country",
        "region",
        "referrer_type",
    ]
    assert inter["item"].tolist() == [157541, 68866, 235840]
    assert inter["timestamp"].tolist() == [1506826828, 1506826858, 1506827017]
    assert inter["timestamp"].dtype == np.int64
    assert inter["session"].tolist() == [1506825423271737] * 2 + [1506825426267738]
    assert inter["session_start"].tolist() == [1506825423] * 2 + [1506825426]
    assert inter["device_group"].tolist() == [3, 3, 1]
    assert data.items is None and data.users is None
    assert data.report.n_read == 3 and data.report.n_dropped == 0
    assert "1 hourly file(s) hold no clicks (header only)" in data.report.notes


def test_globo_news_max_files(globo: Path):
    assert len(load_globo_news(globo, max_files=1)) == 2
    assert len(load_globo_news(globo, max_files=2)) == 2
    assert len(load_globo_news(globo, max_files=10)) == 3
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ParameterError, match="max_files"):
            load_globo_news(globo, max_files=bad)


def test_globo_news_prefers_gzip_and_reads_plain_csv(globo: Path):
    clicks = globo / "clicks"
    (clicks / "clicks_hour_000.csv").write_text(GLOBO_HEADER)  # shadowed by the .gz
    (clicks / "clicks_hour_003.csv").write_text(
        GLOBO_HEADER + "2,9,1506900000000,1,5,1506900001500,4,1,17,1,16,2\n"
    )
    data = load_globo_news(globo)
    assert data.interactions["item"].tolist() == [157541, 68866, 235840, 5]
    assert data.interactions["timestamp"].iloc[-1] == 1506900001


def test_globo_news_errors(globo: Path, tmp_path: Path):
    with gzip.open(globo / "clicks" / "clicks_hour_001.csv.gz", "wt") as handle:
        handle.write("user_id,session_id\n1,2\n")
    with pytest.raises(DataError, match=r"clicks_hour_001.csv.gz lacks columns"):
        load_globo_news(globo)
    empty = tmp_path / "empty"
    (empty / "clicks").mkdir(parents=True)
    with pytest.raises(DataError, match=r"no clicks_hour_NNN.csv\(.gz\) files"):
        load_globo_news(empty)
    with pytest.raises(DataError, match=r"folder 'clicks' is missing"):
        load_globo_news(tmp_path)


# -- Amazon reviews -----------------------------------------------------------------------

REVIEWS = [
    {
        "overall": 5.0,
        "verified": True,
        "reviewTime": "09 4, 2015",
        "reviewerID": "U1",
        "asin": "A1",
        "style": {"Size:": " Big Boys", "Color:": " Blue/Orange"},
        "reviewerName": "Tonya B.",
        "reviewText": "Great product!",
        "summary": "Five Stars",
        "unixReviewTime": 1441324800,
    },
    {  # the same review shown for another variant
        "overall": 5.0,
        "verified": True,
        "reviewTime": "09 4, 2015",
        "reviewerID": "U1",
        "asin": "A1",
        "style": {"Size:": " Big Boys", "Color:": " Black"},
        "reviewerName": "Tonya B.",
        "reviewText": "Great product!",
        "summary": "Five Stars",
        "unixReviewTime": 1441324800,
    },
    {  # a record without a rating
        "overall": None,
        "verified": False,
        "reviewerID": "U2",
        "asin": "A1",
        "unixReviewTime": 1441324800,
    },
    {
        "overall": 2.0,
        "verified": False,
        "reviewTime": "01 2, 2016",
        "reviewerID": "U2",
        "asin": "A3",
        "reviewerName": "X",
        "summary": "Meh",
        "unixReviewTime": 1451692800,
        "vote": "1,234",
        "image": ["https://img/1.jpg"],
    },
]

META = [
    {
        "asin": "A1",
        "title": '<span class="a-size-medium a-color-secondary"',
        "description": ["<b>Bold</b> &amp; bright.", "", "Second part."],
        "category": ["Magazine Subscriptions", "Arts, Music &amp; Photography", "</span></span>"],
        "brand": "Tom &amp; Jerry",
        "price": "$1,299.00",
        "also_buy": ["A2", "A9"],
        "also_view": [],
        "imageURL": ["https://img/a1-small.jpg"],
        "imageURLHighRes": ["https://img/a1.jpg"],
    },
    {"asin": "A1", "title": "repeated line"},  # a repeated product: first line kept
    {
        "asin": "A2",
        "title": "Not reviewed",
        "description": [],
        "category": ["Gift Cards", "Gift Cards"],
        "brand": "",
        "price": ".a-box-inner{background-color:#fff}",
        "image": ["https://img/a2.jpg"],
    },
]


@pytest.fixture
def amazon(tmp_path: Path) -> Path:
    folder = tmp_path / "amazon-reviews-2018-magazine-subscriptions-5core"
    write_gzip_lines(folder / "Magazine_Subscriptions_5.json.gz", REVIEWS)
    write_gzip_lines(folder / "meta_Magazine_Subscriptions.json.gz", META)
    return folder


def test_amazon_reviews(amazon: Path):
    data = load_amazon_magazines(amazon)
    inter = data.interactions
    assert list(inter.columns) == [
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
    assert inter["user"].tolist() == ["U1", "U1", "U2"]
    assert inter["item"].tolist() == ["A1", "A1", "A3"]
    assert inter["rating"].tolist() == [5.0, 5.0, 2.0]
    assert inter["timestamp"].tolist() == [1441324800, 1441324800, 1451692800]
    assert inter["timestamp"].dtype == np.int64
    assert inter["style"].tolist()[:2] == [
        "Size: Big Boys; Color: Blue/Orange",
        "Size: Big Boys; Color: Black",
    ]
    assert pd.isna(inter["style"].iloc[2]) and pd.isna(inter["review_text"].iloc[2])
    assert inter["vote"].tolist() == [0, 0, 1234]
    assert inter["verified"].tolist() == [True, True, False]
    assert inter["image_url"].tolist() == [[], [], ["https://img/1.jpg"]]
    assert "reviewerName" not in inter.columns
    report = data.report
    assert report.n_read == 4
    assert report.dropped == {"Magazine_Subscriptions_5.json.gz: review without overall": 1}
    assert report.merged == {
        "meta_Magazine_Subscriptions.json.gz: repeated asin (first line kept)": 1
    }
    assert any(note.startswith("1 reviews repeat another") for note in report.notes)


def test_amazon_item_table_cleans_html_and_parses_prices(amazon: Path):
    items = load_amazon_magazines(amazon).items
    assert items.index.tolist() == ["A1", "A3"]  # A2 has no reviews; A3 has no metadata
    a1 = items.loc["A1"]
    assert pd.isna(a1["title"])  # only an HTML fragment
    assert a1["description"] == "Bold & bright. Second part."
    assert a1["category"] == ["Magazine Subscriptions", "Arts, Music & Photography"]
    assert a1["brand"] == "Tom & Jerry"
    assert a1["price"] == 1299.0
    assert a1["also_buy"] == ["A2", "A9"] and a1["also_view"] == []
    assert a1["image_url"] == ["https://img/a1.jpg"]
    a3 = items.loc["A3"]
    assert pd.isna(a3["title"]) and math.isnan(a3["price"]) and a3["category"] == []
    notes = load_amazon_magazines(amazon).report.notes
    assert any(n.startswith("1 reviewed items have no line") for n in notes)
    assert any(n.startswith("1 products of meta_") for n in notes)


def test_amazon_full_catalog_keeps_unreviewed_products(amazon: Path):
    data = load_amazon_magazines(amazon, full_catalog=True)
    items = data.items
    assert items.index.tolist() == ["A1", "A2", "A3"]
    assert items.loc["A2", "title"] == "Not reviewed"
    assert items.loc["A2", "category"] == ["Gift Cards"]
    assert pd.isna(items.loc["A2", "brand"]) and math.isnan(items.loc["A2", "price"])
    assert items.loc["A2", "image_url"] == ["https://img/a2.jpg"]
    assert data.n_items == 3


def test_amazon_without_metadata(tmp_path: Path):
    folder = tmp_path / "fashion"
    write_gzip_lines(folder / "AMAZON_FASHION_5.json.gz", REVIEWS[:2])
    data = load_amazon_fashion(folder)
    assert data.items is None and len(data) == 2
    gifts = tmp_path / "gifts"
    write_gzip_lines(gifts / "Gift_Cards_5.json.gz", REVIEWS[:1])
    data = load_amazon_gift_cards(gifts)
    assert data.items is None
    assert "meta_Gift_Cards.json.gz not found: no item table" in data.report.notes


def test_amazon_bad_files(tmp_path: Path):
    folder = tmp_path / "fashion"
    folder.mkdir()
    with pytest.raises(DataError, match="'AMAZON_FASHION_5.json.gz' is missing"):
        load_amazon_fashion(folder)
    (folder / "AMAZON_FASHION_5.json.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot be read"):
        load_amazon_fashion(folder)
    with gzip.open(folder / "AMAZON_FASHION_5.json.gz", "wt") as handle:
        handle.write(json.dumps(REVIEWS[0]) + "\n{broken\n")
    with pytest.raises(DataError, match=r"AMAZON_FASHION_5.json.gz, line 2: not valid JSON"):
        load_amazon_fashion(folder)


# -- DIGINETICA ---------------------------------------------------------------------------

PURCHASES = (
    "sessionId;userId;timeframe;eventdate;ordernumber;itemId\n"
    "150;18278;17100868;2016-05-06;16421;25911\n"
    "151;NA;6454547;2016-05-06;16290;175874\n"
    "151;NA;6454547;2016-05-06;16290;175874\n"  # an exact repeat
    "447;160768;1866073;2016-02-02;185;26006\n"
    "447;NA;7091627706;2016-04-24;13631;55275\n"  # the same session, 82 days later
)
VIEWS = (  # SR-GNN's renamed header, no trailing newline
    "session_id;user_id;item_id;timeframe;eventdate\n"
    "1;NA;81766;526309;2016-05-09\n"
    "1;NA;31331;1031018;2016-05-09\n"
    "150;18278;25911;17000000;2016-05-06"
)
CATEGORIES = (
    "itemId;categoryId\n25911;1096\n175874;1096\n26006;7\n55275;8\n81766;9\n31331;9\n999;5\n999;6\n"
)


@pytest.fixture
def diginetica(tmp_path: Path) -> Path:
    folder = tmp_path / "diginetica-cikm2016-partial"
    folder.mkdir()
    (folder / "train-purchases.csv").write_text(PURCHASES)
    (folder / "sample_train-item-views.csv").write_text(VIEWS)
    (folder / "product-categories.csv").write_text(CATEGORIES)
    return folder


def day(date: str) -> int:
    return int(pd.Timestamp(date, tz="UTC").timestamp())


def test_diginetica_events_users_and_timestamps(diginetica: Path):
    data = load_diginetica(diginetica)
    inter = data.interactions
    assert list(inter.columns) == [
        "user",
        "item",
        "event",
        "timestamp",
        "session",
        "shop_user",
        "order",
        "timeframe",
    ]
    assert inter["session"].tolist() == [1, 1, 150, 150, 151, 151, 447, 447]
    assert inter["user"].tolist() == [
        "session:1",
        "session:1",
        "18278",
        "18278",
        "session:151",
        "session:151",
        "160768",
        "session:447",
    ]
    assert inter["event"].tolist() == ["view", "view", "view", "purchase"] + ["purchase"] * 4
    assert inter["item"].tolist() == [81766, 31331, 25911, 25911, 175874, 175874, 26006, 55275]
    # the day is eventdate; the time of day is the offset since the session's first event
    # of that day (never the full offset: session 447 would land in mid-July)
    assert inter["timestamp"].tolist() == [
        day("2016-05-09"),
        day("2016-05-09") + (1031018 - 526309) // 1000,
        day("2016-05-06"),
        day("2016-05-06") + 100,
        day("2016-05-06"),
        day("2016-05-06"),
        day("2016-02-02"),
        day("2016-04-24"),
    ]
    assert inter["shop_user"].tolist()[:4] == [pd.NA, pd.NA, 18278, 18278]
    assert str(inter["order"].dtype) == "Int64"
    assert inter["order"].tolist()[2:4] == [pd.NA, 16421]
    assert inter["timeframe"].iloc[-1] == 7091627706

    assert data.items.index.tolist() == [25911, 175874, 26006, 55275, 81766, 31331]
    assert data.items["category"].tolist() == [1096, 1096, 7, 8, 9, 9]
    report = data.report
    assert report.n_read == 8 and report.n_dropped == 0
    assert report.merged == {"product-categories.csv: repeated itemId (first kept)": 1}
    notes = "\n".join(report.notes)
    assert "5 of 8 events have no user id (NA)" in notes
    assert "1 sessions mix events with and without a user id" in notes
    assert "1 events repeat another row exactly" in notes
    assert "1 products never viewed or bought left out" in notes


def test_diginetica_session_users_and_full_catalog(diginetica: Path):
    data = load_diginetica(diginetica, user="session", full_catalog=True)
    assert data.interactions["user"].tolist() == [1, 1, 150, 150, 151, 151, 447, 447]
    assert data.user_map.is_int
    assert data.items.loc[999, "category"] == 5
    assert data.n_items == 7
    with pytest.raises(
        ParameterError,
        match='diginetica: parameter "user" must be one of .known., .session., got .anonymous.',
    ):
        load_diginetica(diginetica, user="anonymous")


def test_diginetica_bad_files(diginetica: Path):
    (diginetica / "train-purchases.csv").write_text(
        "sessionId;userId;timeframe;eventdate;ordernumber;itemId\n1;NA;5;2016-13-45;1;2\n"
    )
    with pytest.raises(DataError, match="'2016-13-45' is not a date"):
        load_diginetica(diginetica)
    (diginetica / "train-purchases.csv").write_text("sessionId;userId\n1;2\n")
    with pytest.raises(DataError, match=r"train-purchases.csv: columns .* are missing"):
        load_diginetica(diginetica)
    (diginetica / "train-purchases.csv").unlink()
    with pytest.raises(DataError, match="'train-purchases.csv' is missing"):
        load_diginetica(diginetica)


# -- OTTO ---------------------------------------------------------------------------------


def write_otto(folder: Path, sessions: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(s, separators=(",", ":")) + "\n" for s in sessions)
    (folder / "train.jsonl").write_text(lines)
    return folder


def test_otto_sessions_events(tmp_path: Path):
    folder = write_otto(
        tmp_path / "otto",
        [
            {
                "session": 0,
                "events": [
                    {"aid": 17, "ts": 1659304800025, "type": "clicks"},
                    {"aid": 17, "ts": 1659304904511, "type": "carts"},
                    {"aid": 17, "ts": 1659370027105, "type": "orders"},
                ],
            },
            {"session": 12899778, "events": [{"aid": 5, "ts": 1661723999984, "type": "clicks"}]},
        ],
    )
    data = load_otto(folder)
    inter = data.interactions
    assert inter["user"].tolist() == [0, 0, 0, 12899778]
    assert inter["session"].tolist() == inter["user"].tolist()
    assert inter["item"].tolist() == [17, 17, 17, 5]
    assert inter["event"].tolist() == ["click", "cart", "purchase", "click"]
    assert inter["timestamp"].tolist() == [1659304800, 1659304904, 1659370027, 1661723999]
    assert data.report.n_read == 4
    assert "2 sessions" in data.report.notes[0]


def test_otto_seconds_and_bad_events(tmp_path: Path):
    folder = write_otto(
        tmp_path / "otto",
        [{"session": 3, "events": [{"aid": 1, "ts": 1659304800, "type": "clicks"}]}],
    )
    assert load_otto(folder).interactions["timestamp"].tolist() == [1659304800]
    write_otto(folder, [{"session": 3, "events": [{"aid": 1, "ts": 1, "type": "views"}]}])
    with pytest.raises(DataError, match=r"train.jsonl, line 1: event .* is malformed"):
        load_otto(folder)
    write_otto(folder, [{"events": []}])
    with pytest.raises(DataError, match="expected an object with 'session'"):
        load_otto(folder)


# -- Open Bandit Dataset ------------------------------------------------------------------


@pytest.fixture
def obd(tmp_path: Path) -> Path:
    folder = tmp_path / "open-bandit-dataset-small"
    men = folder / "bts" / "men"
    men.mkdir(parents=True)
    (men / "men.csv").write_text(
        ",timestamp,item_id,position,click,propensity_score,user_feature_0,user_feature_1,"
        "user_feature_2,user_feature_3,user-item_affinity_0,user-item_affinity_1\n"
        "0,2019-11-24 00:01:03.979311+00:00,1,2,0,0.045525,a,b,c,d,0.0,0.0\n"
        "1,2019-11-24 00:01:45.406608+00:00,0,3,1,0.059345,e,f,g,h,1.0,0.0\n"
        "2,2019-11-24 00:02:00.000001+00:00,1,1,0,0.5,a,f,c,h,0.0,2.0\n"
    )
    (men / "item_context.csv").write_text(
        ",item_id,item_feature_0,item_feature_1,item_feature_2,item_feature_3\n"
        "0,0,-0.677,x0,y0,z0\n1,1,0.745,x1,y1,z1\n"
    )
    return folder


def test_open_bandit_clicks_log_users_items(obd: Path):
    data = load_open_bandit(obd, policy="bts", campaign="men")
    inter = data.interactions
    assert list(inter.columns) == ["user", "item", "timestamp", "position", "propensity_score"]
    assert inter.to_dict("list") == {
        "user": [1],
        "item": [0],
        "timestamp": [1574553705],
        "position": [3],
        "propensity_score": [0.059345],
    }
    assert data.users.loc[1].tolist() == ["e", "f", "g", "h"]
    assert data.items.index.tolist() == [0, 1]
    assert data.items["item_feature_0"].tolist() == [-0.677, 0.745]
    assert list(data.items.columns) == [f"item_feature_{k}" for k in range(4)]

    log = data.extras["log"]
    assert list(log.columns) == [
        "impression",
        "timestamp",
        "item",
        "position",
        "click",
        "propensity_score",
        "user_feature_0",
        "user_feature_1",
        "user_feature_2",
        "user_feature_3",
        "user_item_affinity_0",
        "user_item_affinity_1",
    ]
    assert log["impression"].tolist() == [0, 1, 2]
    assert log["timestamp"].tolist() == [1574553663, 1574553705, 1574553720]
    assert log["click"].tolist() == [0, 1, 0] and log["click"].dtype == np.int8
    assert log["user_item_affinity_1"].tolist() == [0.0, 0.0, 2.0]
    assert data.extras["policy"] == "bts" and data.extras["campaign"] == "men"

    report = data.report
    assert report.source == "open-bandit/bts/men" and report.n_read == 3
    assert report.dropped == {"impression without a click (kept in extras['log'])": 2}
    assert "unnamed index column" in report.notes[0]


def test_open_bandit_options_and_missing_files(obd: Path):
    with pytest.raises(ParameterError, match='parameter "policy" must be one of'):
        load_open_bandit(obd, policy="ucb")
    with pytest.raises(ParameterError, match='parameter "campaign" must be one of'):
        load_open_bandit(obd, campaign="kids")
    with pytest.raises(DataError, match=r"'random/all/all.csv' is missing"):
        load_open_bandit(obd)


def test_open_bandit_items_must_match_the_log(obd: Path):
    (obd / "bts" / "men" / "item_context.csv").write_text(
        ",item_id,item_feature_0,item_feature_1,item_feature_2,item_feature_3\n0,0,1.0,a,b,c\n"
    )
    with pytest.raises(DataError, match=r"items \[1\] are not in item_context.csv"):
        load_open_bandit(obd, policy="bts", campaign="men")
