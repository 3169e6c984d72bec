"""NumericEncoder, TfidfEncoder and ItemFeatures: values by hand, fit-only statistics and
vocabularies (nothing leaks from the transformed table), ids, JSON round trips."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from tastemaker.errors import DataError, NotFittedError, ParameterError
from tastemaker.features import (
    EmbeddingEncoder,
    ItemFeatures,
    MultiHotEncoder,
    NumericEncoder,
    SentenceEncoder,
    TfidfEncoder,
)
from tastemaker.features._base import encoder_from_dict

TRAIN = pd.DataFrame(
    {
        "item": [1, 2, 3, 4],
        "title": ["Toy Story", "Toy Story 2", "Heat", None],
        "genres": ["Comedy|Children", "Comedy", "Crime", "Drama"],
        "year": [1995.0, 1999.0, None, 2003.0],
    }
)
TEST = pd.DataFrame(
    {
        "item": [5, 6],
        "title": ["Unseen Heat Words", "Zebra"],
        "genres": ["Crime|Western", "Drama"],
        "year": [None, 1000.0],
    }
)


# -- NumericEncoder -------------------------------------------------------------------------
def test_numeric_standardises_with_fit_statistics_and_marks_missing():
    enc = NumericEncoder("year").fit(TRAIN)
    mean, std = 1999.0, math.sqrt(((1995 - 1999) ** 2 + 0 + (2003 - 1999) ** 2) / 3)
    assert enc.mean_ == {"year": mean} and enc.scale_["year"] == pytest.approx(std)
    got = enc.transform(TRAIN).toarray()
    np.testing.assert_allclose(got[:, 0], [(1995 - mean) / std, 0, 0, (2003 - mean) / std], 1e-6)
    assert got[:, 1].tolist() == [0, 0, 1, 0]
    # test rows use the training statistics, not their own
    test = enc.transform(TEST).toarray()
    np.testing.assert_allclose(test, [[0, 1], [(1000 - mean) / std, 0]], rtol=1e-6)


def test_numeric_default_columns_constant_column_and_dtype():
    table = TRAIN.assign(flag=1.0)
    enc = NumericEncoder().fit(table)
    assert enc.columns_ == ["year", "flag"]
    assert enc.scale_["flag"] == 1.0
    assert enc.transform(table).dtype == np.float32


def test_numeric_errors():
    with pytest.raises(NotFittedError):
        NumericEncoder().transform(TRAIN)
    with pytest.raises(DataError, match="no numeric columns"):
        NumericEncoder().fit(TRAIN[["item", "title"]])
    with pytest.raises(DataError, match="holds no numbers"):
        NumericEncoder("title").fit(TRAIN)


# -- TfidfEncoder ---------------------------------------------------------------------------
def test_tfidf_by_hand():
    enc = TfidfEncoder("title").fit(TRAIN)
    assert enc.vocabulary_ == {"title": ["heat", "story", "toy"]}  # "2" is one character
    n = 4
    idf = {
        w: math.log((1 + n) / (1 + df)) + 1 for w, df in {"heat": 1, "story": 2, "toy": 2}.items()
    }
    got = enc.transform(TRAIN).toarray()
    row = np.array([0, idf["story"], idf["toy"]])
    np.testing.assert_allclose(got[0], row / np.linalg.norm(row), rtol=1e-6)
    np.testing.assert_allclose(got[2], [1, 0, 0])
    assert not got[3].any()  # a missing title has no words


def test_tfidf_sublinear_counts():
    table = pd.DataFrame({"item": [1, 2], "text": ["love love love war", "war"]})
    sub = TfidfEncoder(sublinear_tf=True).fit(table).transform(table).toarray()[0]
    raw = TfidfEncoder(sublinear_tf=False).fit(table).transform(table).toarray()[0]
    idf_love, idf_war = math.log(3 / 2) + 1, 1.0
    expect_sub = np.array([(1 + math.log(3)) * idf_love, idf_war])
    expect_raw = np.array([3 * idf_love, idf_war])
    np.testing.assert_allclose(sub, expect_sub / np.linalg.norm(expect_sub), rtol=1e-6)
    np.testing.assert_allclose(raw, expect_raw / np.linalg.norm(expect_raw), rtol=1e-6)


def test_tfidf_ignores_words_not_seen_in_fit():
    enc = TfidfEncoder("title").fit(TRAIN)
    got = enc.transform(TEST).toarray()
    np.testing.assert_allclose(got[0], [1, 0, 0])  # only "heat" is known
    assert not got[1].any()
    assert enc.vocabulary_ == {"title": ["heat", "story", "toy"]}  # transform learnt nothing
    # fitting on the test table would have given other columns
    assert "title=zebra" in TfidfEncoder("title").fit(TEST).feature_names_


def test_tfidf_min_df_max_features_and_lists():
    table = pd.DataFrame(
        {"item": [1, 2, 3], "tags": [["dark", "noir film"], ["dark comedy"], ["film"]]}
    )
    assert TfidfEncoder(min_df=2).fit(table).vocabulary_ == {"tags": ["dark", "film"]}
    # "dark" and "film" are both in two rows: the tie goes to the first word
    assert TfidfEncoder(max_features=1).fit(table).vocabulary_ == {"tags": ["dark"]}
    with pytest.raises(ParameterError, match="min_df"):
        TfidfEncoder(min_df=0).fit(table)


def test_tfidf_rows_follow_ids():
    enc = TfidfEncoder("title").fit(TRAIN)
    got = enc.transform(TRAIN, ids=[3, 99, 1]).toarray()
    np.testing.assert_allclose(got[0], [1, 0, 0])
    assert not got[1].any() and enc.n_missing_rows_ == 1
    np.testing.assert_allclose(got[2], enc.transform(TRAIN).toarray()[0])


# -- ItemFeatures ---------------------------------------------------------------------------
def _union():
    return ItemFeatures(
        [
            ("genres", MultiHotEncoder("genres")),
            ("title", TfidfEncoder("title"), 0.5),
            ("year", NumericEncoder("year"), 2.0),
        ]
    )


def test_union_blocks_are_weighted_side_by_side():
    fused = _union().fit(TRAIN)
    got = fused.transform(TRAIN).toarray()
    lo, hi = fused.blocks_["title"]
    np.testing.assert_allclose(
        got[:, lo:hi], 0.5 * TfidfEncoder("title").fit_transform(TRAIN).toarray(), 1e-6
    )
    lo, hi = fused.blocks_["year"]
    np.testing.assert_allclose(
        got[:, lo:hi], 2 * NumericEncoder("year").fit_transform(TRAIN).toarray(), 1e-6
    )
    assert fused.feature_names_[:4] == [
        "genres:genres=Children",
        "genres:genres=Comedy",
        "genres:genres=Crime",
        "genres:genres=Drama",
    ]
    assert got.shape[1] == len(fused.feature_names_) == 4 + 3 + 2


def test_union_save_load_transforms_identically(tmp_path):
    fused = _union().fit(TRAIN)
    path = fused.save(tmp_path / "features.json")
    assert not path.read_bytes().startswith(b"\x80")
    json.loads(path.read_text())  # plain JSON
    loaded = ItemFeatures.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MultiHotEncoder warns about "Western"
        for table in (TRAIN, TEST):
            a, b = fused.transform(table), loaded.transform(table)
            np.testing.assert_array_equal(a.toarray(), b.toarray())
    assert loaded.feature_names_ == fused.feature_names_


def test_encoder_dict_round_trip_and_errors():
    enc = TfidfEncoder("title", min_df=1).fit(TRAIN)
    again = encoder_from_dict(json.loads(json.dumps(enc.to_dict())))
    assert again.min_df == 1 and again.idf_ == enc.idf_
    with pytest.raises(DataError, match="unknown encoder"):
        encoder_from_dict({"class": "Pickle", "params": {}, "state": {}})
    with pytest.raises(DataError, match="unique names"):
        ItemFeatures([("a", TfidfEncoder()), ("a", NumericEncoder())]).fit(TRAIN)
    with pytest.raises(DataError, match="weight"):
        ItemFeatures([("a", TfidfEncoder(), -1.0)]).fit(TRAIN)
    with pytest.raises(NotFittedError):
        _union().transform(TRAIN)


def test_tfidf_value_analyzer_and_no_norm():
    table = pd.DataFrame({"item": [1, 2, 3], "genres": [["Sci-Fi", "Drama"], ["Drama"], None]})
    enc = TfidfEncoder(analyzer="value", norm=None).fit(table)
    assert enc.vocabulary_ == {"genres": ["Drama", "Sci-Fi"]}  # values whole, case kept
    idf = [math.log(4 / 3) + 1, math.log(4 / 2) + 1]
    np.testing.assert_allclose(enc.transform(table).toarray(), [idf, [idf[0], 0], [0, 0]], 1e-6)
    with pytest.raises(ParameterError, match="analyzer"):
        TfidfEncoder(analyzer="char").fit(table)
    with pytest.raises(ParameterError, match="norm"):
        TfidfEncoder(norm="l1").fit(table)


@pytest.mark.parametrize(
    "make",
    [
        lambda columns: MultiHotEncoder(columns),
        lambda columns: NumericEncoder(columns),
        lambda columns: TfidfEncoder(columns),
        lambda columns: EmbeddingEncoder(columns),
        lambda columns: SentenceEncoder(columns),
    ],
)
@pytest.mark.parametrize("columns", [[], ["title", 3]])
def test_bad_columns_are_a_parameter_error_in_every_encoder(make, columns):
    # one constraint, one wording (a DataError from four of them before)
    with pytest.raises(ParameterError, match=r'parameter "columns" must be column names'):
        make(columns).fit(TRAIN)


def test_saved_params_are_the_init_arguments_in_order():
    spec = TfidfEncoder("title").fit(TRAIN).to_dict()
    assert list(spec["params"]) == [
        "columns",
        "key",
        "min_df",
        "max_features",
        "sublinear_tf",
        "analyzer",
        "norm",
        "dtype",
    ]
    assert spec["params"]["dtype"] == "float32"
