"""workflows.load_data: one report of what loading did, in the words of the caller."""

from __future__ import annotations

import logging

import pytest

from tastemaker.errors import DataError, ParameterError
from tastemaker.workflows import load_data


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_python_callers_get_python_words(tmp_path):
    with pytest.raises(ParameterError, match=r"^give exactly one of data \(a file\) or dataset"):
        load_data()
    path = write(tmp_path, "r.csv", "userId,item\n1,2\n")
    with pytest.raises(DataError, match=r"map it with columns=\{'userId': 'user'\}\.$"):
        load_data(path)


def test_unweighted_event_column_is_logged_once(tmp_path, caplog):
    path = write(tmp_path, "e.csv", "user,item,event\n1,2,view\n1,3,purchase\n")
    with caplog.at_level(logging.INFO, logger="tastemaker"):
        load_data(path)
    lines = [r.getMessage() for r in caplog.records if "not used for weights" in r.getMessage()]
    assert len(lines) == 1
    assert "event_weights=True" in lines[0]
    assert "event_weights={'view': 1, 'purchase': 8}" in lines[0]


def test_event_weights_used_are_logged_once(tmp_path, caplog):
    path = write(tmp_path, "e.csv", "user,item,event\n1,2,view\n1,3,purchase\n")
    with caplog.at_level(logging.INFO, logger="tastemaker"):
        data = load_data(path, event_weights={"view": 1, "purchase": 5})
    lines = [r.getMessage() for r in caplog.records if "event weights" in r.getMessage()]
    assert lines == ["e: event weights (weights given): view 1 (1 row), purchase 5 (1 row)"]
    assert data.interactions["weight"].tolist() == [1.0, 5.0]


def test_suspicious_ratings_are_logged_as_warnings(tmp_path, caplog):
    rows = [f"u{i % 20},i{i},{1 + i % 5}" for i in range(300)] + ["u1,x,300"]
    path = write(tmp_path, "r.csv", "user,item,rating\n" + "\n".join(rows) + "\n")
    with caplog.at_level(logging.INFO, logger="tastemaker"):
        data = load_data(path)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == data.report.warnings
    assert "line 302: 300" in warned[0] and "rating_range=(1, 5)" in warned[0]


def test_rating_range_applies_to_named_datasets(monkeypatch):
    import pandas as pd

    from tastemaker.data import Dataset, _named

    ratings = pd.DataFrame({"user": [1, 1, 2], "item": [1, 2, 1], "rating": [4.0, 11.0, 3.0]})
    monkeypatch.setattr(_named, "load_dataset", lambda name: Dataset(ratings, name=name))
    monkeypatch.setattr("tastemaker.data.load_dataset", _named.load_dataset)
    with pytest.raises(DataError) as info:
        load_data(dataset="tiny", rating_range="1,5")
    assert str(info.value) == (
        'tiny, column "rating": 1 rating outside the rating range 1 to 5: row 1: 11. Fix or '
        "remove those rows, or widen rating_range."
    )
    assert load_data(dataset="tiny", rating_range=(1, 11)).n_interactions == 3
