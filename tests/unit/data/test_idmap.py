"""Ids match exactly: text names an integer id only in canonical decimal form, in the
library and through the files the command line reads (``007`` is not ``7``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import IdMap, read_frame, read_interactions
from tastemaker.errors import DataError, UnknownIdError
from tastemaker.workflows import predict_file, recommend_users

INT_MAP = IdMap([1, 7, 10])


@pytest.mark.parametrize("text", ["01", "+1", " 1", "1 ", "1_0", "0x1", "1.0", "-0", "007", "٣"])
def test_text_that_is_not_canonical_never_names_an_integer_id(text):
    assert INT_MAP.index_of([text], missing="mask").tolist() == [-1]
    with pytest.raises(UnknownIdError, match=repr(text).replace("+", "\\+")):
        INT_MAP.index_of([text], what="user")


def test_canonical_text_and_numbers_name_integer_ids():
    query = ["1", "10", 7, np.int32(10), np.uint8(1), 7.0, np.float32(10.0)]
    assert INT_MAP.index_of(query).tolist() == [0, 2, 1, 2, 0, 1, 2]
    assert INT_MAP.index_of(np.array(["7", "07"]), missing="mask").tolist() == [1, -1]
    assert INT_MAP.index_of(pd.Series(["10", "010"], dtype="string"), missing="mask").tolist() == [
        2,
        -1,
    ]


def test_floats_name_integer_ids_only_when_integral():
    query = np.array([7.0, 7.5, np.nan, np.inf, -1.0])
    assert INT_MAP.index_of(query, missing="mask").tolist() == [1, -1, -1, -1, -1]
    assert INT_MAP.index_of([7.5, None, True, False], missing="mask").tolist() == [-1] * 4


def test_unknown_lookalike_is_explained():
    with pytest.raises(UnknownIdError, match="'007' is not 7: ids match exactly"):
        INT_MAP.index_of(["007"], what="item")


def test_text_maps_match_text_exactly_and_integers_by_canonical_text():
    m = IdMap(["007", "1", "a"])
    assert m.index_of(["007", "1", 1, 1.0, "a"]).tolist() == [0, 1, 1, 1, 2]
    assert m.index_of([7, "7", " a", "A", True, 1.5], missing="mask").tolist() == [-1] * 6


def test_with_ids_refuses_text_that_is_not_a_canonical_integer():
    assert INT_MAP.with_ids(["12", 3]).ids.tolist() == [1, 7, 10, 3, 12]
    with pytest.raises(DataError, match="'012'"):
        INT_MAP.with_ids(["012"])


def test_maps_of_mixed_ids_hold_canonical_text():
    assert IdMap([1, 2.0]).ids.tolist() == [1, 2]
    assert IdMap([1, "a", 2.0]).ids.tolist() == ["1", "2", "a"]


# -- through files: the same reader rules for training data and query files --------------
def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_query_files_keep_ids_as_written(tmp_path):
    query = read_frame(write(tmp_path, "q.csv", "user,item\n01,5\n1,+5\n 2 ,5\n"))
    assert query["user"].tolist() == ["01", "1", "2"]  # stripped, not parsed
    assert query["item"].tolist() == ["5", "+5", "5"]
    data = read_interactions(write(tmp_path, "train.csv", "user,item\n1,5\n2,5\n"))
    assert data.user_map.index_of(query["user"], missing="mask").tolist() == [-1, 0, 1]
    assert data.item_map.index_of(query["item"], missing="mask").tolist() == [0, -1, 0]


def test_whitespace_around_ids_is_stripped_alike_in_every_file_and_noted(tmp_path):
    train = write(tmp_path, "train.csv", "user,item\n u1 ,a\nu1,b \n007 ,a\n")
    data = read_interactions(train)
    assert data.user_map.ids.tolist() == ["007", "u1"]
    assert data.item_map.ids.tolist() == ["a", "b"]
    assert '2 ids in column "user" had surrounding spaces, removed' in data.report.notes
    query = read_frame(write(tmp_path, "q.csv", "user\nu1\n u1\n007\n"))
    assert data.user_map.index_of(query["user"]).tolist() == [1, 1, 0]


@pytest.fixture
def bias_model(tmp_path):
    from tastemaker.models import create_model

    rows = [(u, i, float(1 + (u * 3 + i) % 5)) for u in (1, 2, 3) for i in (5, 6, 7)]
    data = read_interactions(
        write(
            tmp_path,
            "r.csv",
            "user,item,rating\n" + "".join(f"{u},{i},{r}\n" for u, i, r in rows),
        )
    )
    model = create_model("bias").fit(data)
    out = tmp_path / "model"
    model.save(out)
    return out


def test_predict_file_does_not_rewrite_ids(tmp_path, bias_model):
    pairs = write(tmp_path, "pairs.csv", "user,item\n01,5\n1,5\nnobody,5\n1,05\n1,nothing\n")
    preds, _ = predict_file(bias_model, pairs)
    values = preds["prediction"].tolist()
    assert values[0] != values[1]  # "01" is not user 1 ...
    assert values[0] == values[2]  # ... but a user the model does not know
    assert values[3] == values[4]  # "05" is an unknown item like "nothing"
    assert preds["source"].tolist()[0] == "fallback:unknown user"


def test_recommend_users_file_does_not_rewrite_ids(tmp_path, bias_model):
    users = write(tmp_path, "users.csv", "user\n01\n1\n")
    run = recommend_users(bias_model, users_file=users, k=2)
    per_user = run.frame.groupby("user").size().to_dict()
    # user 1 has seen every item (nothing left); "01" is a user the model does not know
    assert per_user == {"01": 2}


def test_candidates_file_names_unknown_lookalikes(tmp_path, bias_model):
    users = write(tmp_path, "users.csv", "user\n1\n")
    candidates = write(tmp_path, "items.csv", "item\n5\n06\n")
    run = recommend_users(
        bias_model, users_file=users, k=2, candidates_file=candidates, exclude_seen=False
    )
    assert run.recommendations.unknown_items == ["06"]
    assert run.frame["source"].tolist() == ["model", "unknown-item"]
    assert any("'06' is not 6" in note for note in run.notes)


def test_history_items_match_exactly(bias_model):
    from tastemaker.models import load

    model = load(bias_model)
    history = pd.DataFrame(
        {"user": ["new"] * 3, "item": ["05", 5, "+6"], "rating": [4.0, 4.0, 4.0]}
    )
    scores = model.fold_in(history)
    only_five = model.fold_in(history.iloc[[1]])
    np.testing.assert_array_equal(scores, only_five)  # "05" and "+6" are unknown
