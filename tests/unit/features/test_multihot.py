"""MultiHotEncoder: vocabulary from the fitting table, lists or delimited strings, unknowns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import IdMap
from tastemaker.errors import DataError, DataWarning, NotFittedError, ParameterError
from tastemaker.features import MultiHotEncoder


@pytest.fixture
def items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": ["i3", "i1", "i2", "i9"],
            "genres": ["Comedy|Action", ["Drama"], None, " Action | | Drama "],
            "year": [1995, 1990, np.nan, 2001],
        }
    )


def test_lists_and_delimited_strings(items):
    enc = MultiHotEncoder().fit(items)
    # year is numeric: not encoded by default
    assert enc.columns_ == ["genres"]
    assert enc.vocabulary_ == {"genres": ["Action", "Comedy", "Drama"]}
    assert enc.feature_names_ == ["genres=Action", "genres=Comedy", "genres=Drama"]
    X = enc.transform(items)
    assert X.dtype == np.float32 and X.shape == (4, 3)
    # rows in table order; spaces stripped, empty values dropped, None has no value
    assert X.toarray().tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 0], [1, 0, 1]]


def test_repeated_values_in_a_cell_count_once():
    table = pd.DataFrame({"item": [1], "tags": [["a", "a", "b"]]})
    assert MultiHotEncoder().fit_transform(table).toarray().tolist() == [[1, 1]]


def test_rows_follow_the_given_ids(items):
    enc = MultiHotEncoder().fit(items)
    # i5 has no row (zeros, counted); i9 is not asked for (left out)
    X = enc.transform(items, ids=["i5", "i3", "i1"])
    assert X.toarray().tolist() == [[0, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert enc.n_missing_rows_ == 1
    # an IdMap gives its position order (sorted ids)
    X = enc.transform(items, ids=IdMap(["i9", "i1"]))
    assert X.toarray().tolist() == [[0, 0, 1], [1, 0, 1]]


def test_ids_match_as_id_maps_do():
    table = pd.DataFrame({"item": ["5", "7"], "genres": ["a", "b"]})
    X = MultiHotEncoder().fit(table).transform(table, ids=[7, 5])
    assert X.toarray().tolist() == [[0, 1], [1, 0]]


def test_vocabulary_comes_from_the_fitting_table_only(items):
    enc = MultiHotEncoder().fit(items.iloc[:2])
    assert enc.vocabulary_ == {"genres": ["Action", "Comedy", "Drama"]}
    new = pd.DataFrame({"item": ["i7", "i8"], "genres": ["Horror|Action", "Horror|Sci-Fi"]})
    with pytest.warns(DataWarning, match=r"3 in 'genres' \(e.g. 'Horror'\)"):
        X = enc.transform(new)
    assert X.toarray().tolist() == [[1, 0, 0], [0, 0, 0]]
    assert enc.n_unknown_ == {"genres": 3}


def test_no_warning_without_unknown_values(items, recwarn):
    enc = MultiHotEncoder().fit(items)
    enc.transform(items)
    assert enc.n_unknown_ == {"genres": 0}
    assert not [w for w in recwarn if issubclass(w.category, DataWarning)]


def test_sep_none_keeps_strings_whole(items):
    enc = MultiHotEncoder(sep=None).fit(items)
    assert enc.vocabulary_["genres"] == ["Action | | Drama", "Comedy|Action", "Drama"]


def test_named_columns_and_numbers_as_categories():
    table = pd.DataFrame({"item": [1, 2, 3], "shop": [10, 20, 10], "colour": ["red", "", "red"]})
    enc = MultiHotEncoder(columns="shop").fit(table)
    assert enc.feature_names_ == ["shop=10", "shop=20"]
    assert enc.transform(table).toarray().tolist() == [[1, 0], [0, 1], [1, 0]]


def test_remainder_passthrough_appends_numbers(items):
    enc = MultiHotEncoder(remainder="passthrough", dtype=np.float64).fit(items)
    assert enc.feature_names_[-1] == "year"
    X = enc.transform(items).toarray()
    assert X.dtype == np.float64
    assert X[:, -1].tolist() == [1995.0, 1990.0, 0.0, 2001.0]  # missing -> 0


def test_user_tables_and_index_keys():
    users = pd.DataFrame({"segment": ["a", "b|a"]}, index=pd.Index(["u1", "u2"], name="user"))
    X = MultiHotEncoder(key="user").fit_transform(users)
    assert X.toarray().tolist() == [[1, 0], [1, 1]]


def test_bad_tables(items):
    with pytest.raises(DataError, match="named 'item'"):
        MultiHotEncoder().fit(items.rename(columns={"item": "movie"}))
    dup = pd.concat([items, items.iloc[:1]])
    dup.attrs["source"] = "movies.csv"
    with pytest.raises(DataError, match="movies.csv: item 'i3' appears more than once"):
        MultiHotEncoder().fit(dup)
    with pytest.raises(DataError, match=r"no column\(s\) \['genre'\]"):
        MultiHotEncoder(columns=["genre"]).fit(items)
    with pytest.raises(DataError, match="neither encoded nor numeric"):
        MultiHotEncoder(columns="year", remainder="passthrough").fit(items)
    with pytest.raises(DataError, match="no feature columns"):
        MultiHotEncoder().fit(items[["item", "year"]])
    enc = MultiHotEncoder().fit(items)
    with pytest.raises(DataError, match="was fitted on"):
        enc.transform(items.drop(columns="genres"))
    with pytest.raises(DataError, match="ids repeat"):
        enc.transform(items, ids=["i1", "i1"])


def test_bad_parameters_and_not_fitted(items):
    with pytest.raises(ParameterError, match='MultiHotEncoder: parameter "remainder" must be'):
        MultiHotEncoder(remainder="keep").fit(items)
    with pytest.raises(ParameterError, match='parameter "sep"'):
        MultiHotEncoder(sep="").fit(items)
    with pytest.raises(NotFittedError, match="call fit"):
        MultiHotEncoder().transform(items)


def test_importing_features_pulls_in_no_models_nor_torch():
    """``tastemaker.features`` imports no models, evaluate or cli; with the models, still
    no torch or sentence-transformers (loaded on first use). One interpreter for both."""
    import subprocess
    import sys

    code = (
        "import sys, tastemaker.features; "
        "bad = sorted(m for m in sys.modules if m.startswith("
        "('tastemaker.models', 'tastemaker.evaluate', 'tastemaker.cli'))); "
        "import tastemaker, tastemaker.models; "
        "bad += sorted({m.split('.')[0] for m in sys.modules} & "
        "{'torch', 'sentence_transformers', 'transformers', 'torchvision'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
