"""The news, e-commerce and bandit loaders on the real files in $TASTEMAKER_DATA_DIR.

The expected numbers are the ones stated in the data folder's README.md and in each
dataset's SOURCE.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tastemaker.data._bandit import load_open_bandit
from tastemaker.data._ecommerce import (
    load_amazon_fashion,
    load_amazon_gift_cards,
    load_amazon_magazines,
    load_diginetica,
    load_otto,
)
from tastemaker.data._news import load_bing_news, load_globo_news

pytestmark = pytest.mark.integration


def utc(ts: int) -> str:
    return pd.Timestamp(int(ts), unit="s").strftime("%Y-%m-%d")


# -- news ---------------------------------------------------------------------------------


def test_bing_news(real_data):
    data = load_bing_news(real_data.folder("bing-news-dkn-sample"))
    imp = data.extras["impressions"]
    assert len(imp) == 10_863
    assert imp["split"].value_counts().to_dict() == {"train": 10_401, "test": 462}
    assert imp["user"].nunique() == 469
    assert data.n_items == len(data.items) == 9_075
    train, test = imp[imp["split"] == "train"], imp[imp["split"] == "test"]
    assert train["item"].nunique() == 8_668 and test["item"].nunique() == 407
    assert train["click"].value_counts().to_dict() == {1: 6_305, 0: 4_096}
    assert test["click"].value_counts().to_dict() == {1: 271, 0: 191}
    assert test["user"].nunique() == 138 and set(test["user"]) <= set(train["user"])
    assert len(data) == 6_576 and data.report.n_read - data.report.n_dropped == len(data)
    assert data.items["entities"].map(len).min() >= 1


def test_globo_news_first_hours(real_data):
    data = load_globo_news(real_data.folder("globo-g1-news-clicks-7days"), max_files=3)
    assert len(data) == 1_883 + 1_415 + 910
    inter = data.interactions
    assert inter["timestamp"].dtype == np.int64
    assert utc(inter["timestamp"].min()) == "2017-10-01"
    assert (inter["session_start"] <= inter["timestamp"]).all()


def test_globo_news_seven_days(real_data):
    data = load_globo_news(real_data.folder("globo-g1-news-clicks-7days"))
    inter = data.interactions
    assert len(data) == 1_425_560
    assert inter["session"].nunique() == 500_901
    assert data.n_users == 227_006 and data.n_items == 24_566
    assert pd.Timestamp(int(inter["timestamp"].min()), unit="s") == pd.Timestamp(
        "2017-10-01 03:00:00"
    )
    assert "1 hourly file(s) hold no clicks (header only)" in data.report.notes


# -- e-commerce ---------------------------------------------------------------------------


def test_amazon_fashion(real_data):
    data = load_amazon_fashion(real_data.folder("amazon-reviews-2018-fashion-5core"))
    inter = data.interactions
    assert len(data) == 3_176 and data.n_users == 406 and data.n_items == 31
    assert inter["rating"].value_counts().to_dict() == {
        5.0: 2_158,
        4.0: 471,
        3.0: 337,
        1.0: 117,
        2.0: 93,
    }
    assert int(inter["verified"].sum()) == 3_079
    assert (utc(inter["timestamp"].min()), utc(inter["timestamp"].max())) == (
        "2009-12-25",
        "2018-07-05",
    )
    assert int(inter["review_text"].notna().sum()) == 3_160
    assert int(inter["style"].notna().sum()) == 3_107
    assert int((inter["image_url"].map(len) > 0).sum()) == 106
    assert data.items is None
    assert data.report.n_dropped == 0
    assert any(note.startswith("89 reviews repeat") for note in data.report.notes)


def test_amazon_magazines(real_data):
    folder = real_data.folder("amazon-reviews-2018-magazine-subscriptions-5core")
    data = load_amazon_magazines(folder)
    inter = data.interactions
    assert len(data) == 2_375 and data.n_users == 348 and data.n_items == 157
    assert inter["rating"].value_counts().to_dict() == {
        5.0: 1_541,
        4.0: 375,
        3.0: 239,
        2.0: 118,
        1.0: 102,
    }
    assert int(inter["verified"].sum()) == 1_726
    assert data.report.merged == {
        "meta_Magazine_Subscriptions.json.gz: repeated asin (first line kept)": 3_385 - 2_320
    }
    items = data.items
    assert len(items) == 157
    assert int(items["description"].isna().sum()) >= 6  # 6 reviewed items lack metadata
    assert int((items["category"].map(len) == 0).sum()) >= 6
    assert any(note.startswith("6 reviewed items have no line") for note in data.report.notes)
    assert not items["description"].dropna().str.contains("<[a-zA-Z/]", regex=True).any()

    full = load_amazon_magazines(folder, full_catalog=True)
    assert len(full.items) == 2_320 + 6 and full.n_items == 2_326


def test_amazon_gift_cards(real_data):
    folder = real_data.folder("amazon-reviews-2018-gift-cards-5core")
    data = load_amazon_gift_cards(folder)
    inter = data.interactions
    assert len(data) == 2_972 and data.n_users == 458 and data.n_items == 148
    assert inter["rating"].value_counts().to_dict() == {
        5.0: 2_752,
        4.0: 154,
        3.0: 33,
        1.0: 22,
        2.0: 11,
    }
    assert int(inter["verified"].sum()) == 2_838
    assert data.report.merged == {} and data.report.n_dropped == 0
    items = data.items
    assert len(items) == 148 and items["title"].notna().all()  # every reviewed item has one
    assert items["price"].notna().any() and (items["price"].dropna() > 0).all()

    full = load_amazon_gift_cards(folder, full_catalog=True)
    assert len(full.items) == 1_547


def test_diginetica(real_data):
    folder = real_data.folder("diginetica-cikm2016-partial")
    data = load_diginetica(folder)
    inter = data.interactions
    assert inter["event"].value_counts().to_dict() == {"purchase": 18_025, "view": 12_391}
    purchases = inter[inter["event"] == "purchase"]
    views = inter[inter["event"] == "view"]
    assert purchases["session"].nunique() == 12_630
    assert purchases["order"].nunique() == 13_506
    assert purchases["item"].nunique() == 11_244
    assert int(purchases["shop_user"].notna().sum()) == 6_703
    assert purchases["shop_user"].nunique() == 4_425
    assert views["session"].nunique() == 2_986 and views["item"].nunique() == 7_139
    assert views["shop_user"].nunique() == 1_270
    in_views = purchases["session"].isin(views["session"])
    assert int(in_views.sum()) == 256 and purchases.loc[in_views, "session"].nunique() == 138
    assert (utc(purchases["timestamp"].min()), utc(purchases["timestamp"].max())) == (
        "2016-01-02",
        "2016-06-17",
    )
    assert (utc(views["timestamp"].min()), utc(views["timestamp"].max())) == (
        "2016-01-03",
        "2016-06-01",
    )
    assert data.report.n_read == len(data) == 30_416  # nothing dropped, anonymous kept
    assert data.items["category"].notna().all() and len(data.items) == data.n_items

    full = load_diginetica(folder, user="session", full_catalog=True)
    assert len(full.items) == 184_047 and full.items["category"].nunique() == 1_217
    assert full.n_users == inter["session"].nunique()


def test_otto(real_data):
    data = load_otto(real_data.folder("otto-recsys-sample"))
    inter = data.interactions
    assert len(data) == 862 and data.n_users == 20 and data.n_items == 510
    assert inter["event"].value_counts().to_dict() == {"click": 800, "cart": 52, "purchase": 10}
    assert pd.Timestamp(int(inter["timestamp"].min()), unit="s") == pd.Timestamp(
        "2022-07-31 22:00:00"
    )
    # the last event is at 21:59:57.885 (SOURCE.md rounds it to 21:59:58); seconds round down
    assert pd.Timestamp(int(inter["timestamp"].max()), unit="s") == pd.Timestamp(
        "2022-08-28 21:59:57"
    )
    assert sorted(inter["session"].unique())[:10] == list(range(10))
    assert inter["session"].max() == 12_899_778
    sizes = inter.groupby("session").size()
    assert (sizes.min(), sizes.max()) == (2, 276)


# -- bandit -------------------------------------------------------------------------------

OBD_CLICKS = {
    ("bts", "all"): 42,
    ("random", "all"): 38,
    ("bts", "men"): 69,
    ("random", "men"): 46,
    ("bts", "women"): 46,
    ("random", "women"): 46,
}
OBD_ITEMS = {"all": 80, "men": 34, "women": 46}


@pytest.mark.parametrize(("policy", "campaign"), sorted(OBD_CLICKS))
def test_open_bandit(policy: str, campaign: str, real_data):
    data = load_open_bandit(
        real_data.folder("open-bandit-dataset-small"), policy=policy, campaign=campaign
    )
    log = data.extras["log"]
    assert len(log) == 10_000 and log["impression"].tolist() == list(range(10_000))
    assert len(data) == int(log["click"].sum()) == OBD_CLICKS[(policy, campaign)]
    n_items = OBD_ITEMS[campaign]
    assert len(data.items) == data.n_items == n_items
    assert data.items.index.tolist() == list(range(n_items))
    assert log["item"].nunique() == n_items
    assert sorted(log["position"].unique()) == [1, 2, 3]
    assert log["propensity_score"].between(0, 1, inclusive="right").all()
    affinity = [c for c in log.columns if c.startswith("user_item_affinity_")]
    assert len(affinity) == n_items
    assert (utc(log["timestamp"].min()), utc(log["timestamp"].max())) == (
        "2019-11-24",
        "2019-11-30",
    )
    assert data.report.n_read - data.report.n_dropped == len(data)
