import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset, IdMap
from tastemaker.errors import DataError, UnknownIdError


def test_idmap_sorted_and_immutable():
    m = IdMap(["i37", "i10", "i37"])
    assert m.ids.tolist() == ["i10", "i37"]
    assert m.index_of(["i37", "i10"]).tolist() == [1, 0]
    assert m.index_of(["nope"], missing="mask").tolist() == [-1]
    with pytest.raises(ValueError):
        m.ids[0] = "x"


def test_idmap_unknown_ids_error_names_them():
    with pytest.raises(UnknownIdError, match="1 unknown user id\\(s\\): 'zz'"):
        IdMap(["a"]).index_of(["a", "zz"], what="user")


def test_idmap_with_ids_keeps_old_positions():
    m = IdMap([5, 1])
    m2 = m.with_ids([3, 5])
    assert m2.ids.tolist() == [1, 5, 3]
    assert m2.index_of([1, 5, 3]).tolist() == [0, 1, 2]
    assert len(m) == 2  # unchanged


def test_idmap_coerces_ids_read_from_text():
    m = IdMap([1, 2, 30])
    assert m.index_of(["30", 2]).tolist() == [2, 1]
    assert IdMap(["7", "8"]).index_of([7]).tolist() == [0]


def test_idmap_round_trip_json():
    m = IdMap(["b", "a"]).with_ids(["0"])
    assert IdMap.from_list(m.to_list()) == m


def test_dataset_matrices():
    frame = pd.DataFrame(
        {"user": ["u", "u", "u", "v"], "item": [1, 1, 2, 2], "rating": [2.0, 4.0, 5.0, 1.0]}
    )
    data = Dataset(frame)
    np.testing.assert_array_equal(data.user_item_matrix("count").toarray(), [[2, 1], [0, 1]])
    np.testing.assert_array_equal(data.user_item_matrix("rating").toarray(), [[3, 5], [0, 1]])
    np.testing.assert_array_equal(data.user_item_matrix("binary").toarray(), [[1, 1], [0, 1]])
    X = data.user_item_matrix("weight")
    assert X.dtype == np.float32 and X.indices.dtype == np.int32
    assert data.user_item_matrix("weight") is X  # built once


def test_dataset_catalog_includes_item_table():
    items = pd.DataFrame({"item": ["a", "b", "c"], "title": ["A", "B", "C"]})
    data = Dataset(pd.DataFrame({"user": [1], "item": ["b"]}), items=items)
    assert data.n_items == 3
    assert data.describe()["n_items_with_interactions"] == 1


def test_dataset_errors():
    with pytest.raises(DataError, match="missing \\['item'\\]"):
        Dataset(pd.DataFrame({"user": [1]}))
    with pytest.raises(DataError, match="row 1, column 'item'"):
        Dataset(pd.DataFrame({"user": [1, 2], "item": ["a", None]}))
    with pytest.raises(DataError, match="repeats item 'a'"):
        Dataset(
            pd.DataFrame({"user": [1], "item": ["a"]}), items=pd.DataFrame({"item": ["a", "a"]})
        )


def test_subset_shares_maps():
    data = Dataset(pd.DataFrame({"user": [1, 2, 3], "item": ["a", "b", "c"]}))
    part = data.subset(np.array([True, False, False]))
    assert part.user_map is data.user_map and part.n_items == 3 and len(part) == 1


@pytest.mark.parametrize(
    ("users", "items", "table_items"),
    [
        ([3, 1, 3, 2], [10, 20, 10, 30], None),
        (["u2", "u1", "u2"], ["b", "a", "c"], ["z", "a"]),
        ([1, 2, 1], ["7", "007", "7"], [7, 8]),  # "7" and 7 are one item, "007" another
        ([1.0, 2.0, 1.0], [5, 6, 5], ["x"]),
    ],
)
def test_positions_agree_with_the_maps(users, items, table_items):
    frame = pd.DataFrame({"user": users, "item": items})
    table = None if table_items is None else pd.DataFrame({"item": table_items, "n": 1})
    data = Dataset(frame, items=table)
    expected_items = items + (table_items or [])
    assert data.item_map == IdMap(expected_items)
    assert data.user_idx.tolist() == IdMap(users).index_of(users).tolist()
    assert data.item_idx.tolist() == data.item_map.index_of(items).tolist()
    part = data.subset(np.array([2, 0]))
    fresh = data.replace(data.interactions.iloc[[2, 0]])
    assert part.user_idx.tolist() == fresh.user_idx.tolist()
    assert part.item_idx.tolist() == fresh.item_idx.tolist()


def test_count_and_weight_matrices_are_one_without_weights():
    data = Dataset(pd.DataFrame({"user": [1, 1, 2], "item": [1, 1, 2]}))
    assert data.user_item_matrix("weight") is data.user_item_matrix("count")
    weighted = Dataset(pd.DataFrame({"user": [1, 1], "item": [1, 1], "weight": [2.0, 0.5]}))
    assert weighted.user_item_matrix("weight").toarray().tolist() == [[2.5]]
    assert weighted.user_item_matrix("count").toarray().tolist() == [[2.0]]


def test_interaction_matrix_aggregates_as_the_dataset_does():
    from tastemaker.data import interaction_matrix

    frame = pd.DataFrame(
        {
            "user": ["a", "a", "a", "b"],
            "item": ["x", "x", "y", "y"],
            "rating": [2.0, 4.0, 5.0, 1.0],
            "weight": [1.0, 2.5, 1.0, 3.0],
        }
    )
    data = Dataset(frame)
    rows, cols, shape = data.user_idx, data.item_idx, (data.n_users, data.n_items)
    columns = {"weight": "weight", "rating": "rating"}
    for how in ("weight", "binary", "rating", "count"):
        values = frame[columns[how]].to_numpy() if how in columns else None
        got = interaction_matrix(rows, cols, shape, how, values).toarray()
        np.testing.assert_array_equal(got, data.user_item_matrix(how).toarray())
    # by hand: a-x weights 1 + 2.5, ratings (2 + 4) / 2, two rows
    np.testing.assert_array_equal(
        interaction_matrix(rows, cols, shape, "rating", frame["rating"].to_numpy()).toarray(),
        [[3.0, 5.0], [0.0, 1.0]],
    )
    assert (
        interaction_matrix(rows, cols, shape, "weight", frame["weight"])[[0]].toarray()[0, 0] == 3.5
    )


def test_a_missing_id_is_an_error_naming_its_row():
    frame = pd.DataFrame({"user": ["a", None, "b"], "item": [1, 2, 3]})
    with pytest.raises(DataError, match=r"^interactions, row 1, column 'user': the id is missing"):
        Dataset(frame)
