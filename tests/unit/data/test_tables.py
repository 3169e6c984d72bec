"""join_tables: several side tables joined on their id, and what was joined and missing."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import join_tables, read_table
from tastemaker.errors import DataError, ParameterError
from tastemaker.workflows import load_data


def keyed(key, ids, **columns):
    return pd.DataFrame({key: ids, **columns}).set_index(key)


def test_outer_join_keeps_every_id_and_reports_what_each_table_lacks():
    titles = keyed("item", ["a", "b", "c"], title=["A", "B", "C"])
    years = keyed("item", ["c", "d", "a"], year=[2001, 2002, 2003])
    table, report = join_tables([titles, years], "item", ["titles.csv", "years.csv"])
    # the first table's ids in order, then the second's new ones; values by id, not row
    assert table.index.tolist() == ["a", "b", "c", "d"]
    assert table.index.name == "item"
    assert table["title"].tolist()[:3] == ["A", "B", "C"] and pd.isna(table.loc["d", "title"])
    assert table.loc["a", "year"] == 2003 and table.loc["c", "year"] == 2001
    assert np.isnan(table.loc["b", "year"])
    assert (report.n_ids, report.n_in_all) == (4, 2)
    assert report.missing == {"titles.csv": (1, ["d"]), "years.csv": (1, ["b"])}
    assert [(p.name, p.n_rows, p.columns) for p in report.parts] == [
        ("titles.csv", 3, ["title"]),
        ("years.csv", 3, ["year"]),
    ]
    notes = report.notes()
    assert notes[0] == (
        'item table: joined 2 files on "item": titles.csv (3 rows, 1 column: title); '
        "years.csv (3 rows, 1 column: year) -> 4 items, 2 columns"
    )
    assert notes[1] == (
        "item table: 2 of 4 items in every file; missing from titles.csv: 1 ('d'); "
        "missing from years.csv: 1 ('b')"
    )
    assert report.warnings() == []


def test_coverage_of_the_interaction_ids():
    table = keyed("user", [1, 2, 3, 4, 5], age=[20, 30, 40, 50, 60])
    _, report = join_tables([table], "user", ["users.csv"], ids=[2, 3, 9, 8])
    assert report.n_interaction_ids == 4
    assert report.without_row == (2, [8, 9])  # sorted, as the id map keeps them
    assert report.without_interactions == (3, [1, 4, 5])
    assert report.notes() == [
        "user table users.csv: 5 rows, 1 column: age",
        "user table: 2 of 4 users of the interactions have a row; 2 have none, their "
        "features are empty (8, 9); 3 users of the table have no interactions, added to "
        "the users (1, 4, 5)",
    ]
    many = keyed("user", list(range(10, 20)), age=range(10))
    _, report = join_tables([many], "user", ids=[1])
    assert "10 users of the table have no interactions" in report.notes()[1]
    assert "(e.g. 10, 11, 12)" in report.notes()[1]  # a few examples, said to be a few
    assert "none of the 1 users of the interactions has a row" in report.warnings()[0]


def test_ids_match_exactly_007_is_not_7():
    padded = keyed("item", ["007", "8"], title=["x", "y"])  # text ids: "8" is 8
    plain = keyed("item", [7, 8], year=[1990, 1991])  # integer ids
    table, report = join_tables([padded, plain], "item", ["a.csv", "b.csv"], ids=[7, 8])
    assert table.index.tolist() == ["007", "8", "7"]
    assert table.loc["8"].tolist() == ["y", 1991]  # 8 and "8" are one id
    assert table.loc["007", "year"] != table.loc["007", "year"]  # NaN: 7's year is not 007's
    assert report.missing == {"a.csv": (1, ["7"]), "b.csv": (1, ["007"])}
    assert report.without_interactions == (1, ["007"])
    assert report.without_row == (0, [])
    assert report.lookalike == ("007", 7)
    assert report.warnings() == [
        "item table: ids match exactly ('007' is not 7): an id written both ways in the "
        "files or the interactions names two items; write integer ids without leading zeros, "
        "signs or spaces"
    ]
    # a table id written unlike the interactions' id: also a warning
    _, report = join_tables([keyed("item", ["0012", "x"], t=[1, 2])], "item", ids=[12, 3, 4])
    assert report.lookalike == ("0012", 12)
    assert report.warnings()[0].startswith("item table: none of the 3 items of the interactions")
    assert "ids match exactly ('0012' is not 12)" in report.warnings()[0]
    # different text ids that happen to be missing are no lookalikes
    _, report = join_tables([padded, keyed("item", ["8", "9"], y=[1, 2])], "item")
    assert report.lookalike is None and report.warnings() == []


def test_join_is_exact_through_read_table(tmp_path):
    (tmp_path / "a.csv").write_text("item,title\n007,x\n8,y\n")
    (tmp_path / "b.csv").write_text("item,year\n7,1990\n8,1991\n")
    frames = [read_table(tmp_path / name, "item") for name in ("a.csv", "b.csv")]
    assert frames[1].index.dtype == np.int64
    assert frames[0].index.tolist() == ["007", "8"]  # text ids (object or str dtype)
    table, report = join_tables(frames, "item", ["a.csv", "b.csv"])
    assert report.n_in_all == 1 and set(table.index) == {"007", "8", "7"}


def test_a_column_in_two_tables_is_an_error_naming_both():
    a = keyed("item", ["x"], title=["A"], year=[1])
    b = keyed("item", ["x"], title=["B"])
    with pytest.raises(DataError) as err:
        join_tables([a, b], "item", ["titles.csv", "more.csv"])
    message = str(err.value)
    assert message.startswith('titles.csv and more.csv both have a column "title"')
    assert "Rename it in one of the tables (DataFrame.rename) or drop it" in message


def test_a_table_without_the_key_or_with_a_repeated_id_is_an_error():
    with pytest.raises(DataError, match=r"^genres.csv needs a column \(or index\) named 'item'"):
        join_tables([pd.DataFrame({"movie": [1]})], "item", ["genres.csv"])
    repeated = pd.DataFrame({"item": [1, 1], "g": ["a", "b"]})
    with pytest.raises(DataError, match=r"^genres.csv repeats item 1; each item must appear"):
        join_tables([repeated], "item", ["genres.csv"])
    with pytest.raises(DataError, match="no item tables"):
        join_tables([], "item")
    # a name per table: fewer names must not drop a table unnoticed
    with pytest.raises(DataError, match="2 tables but 1 names"):
        join_tables([keyed("item", [1], a=[1]), keyed("item", [2], b=[2])], "item", ["a.csv"])


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_data_joins_several_files_and_logs_the_report_once(tmp_path, caplog):
    data = write(tmp_path, "r.csv", "user,item\n1,a\n1,b\n2,c\n")
    titles = write(tmp_path, "titles.csv", "item,title\na,A\nb,B\nz,Z\n")
    genres = write(tmp_path, "genres.csv", "movie,genres\na,x\nc,y\n")
    users = write(tmp_path, "users.csv", "user,age\n1,30\n")
    with caplog.at_level(logging.INFO, logger="tastemaker"):
        loaded = load_data(data, items=[titles, genres], users=users, columns={"movie": "item"})
    assert loaded.items.columns.tolist() == ["title", "genres"]
    assert loaded.items.index.tolist() == ["a", "b", "z", "c"]
    assert "z" in loaded.item_map  # a table item without interactions joins the catalog
    assert loaded.users.index.tolist() == [1]
    joined = [n for n in loaded.report.notes if "table" in n]
    assert len(joined) == 5  # items: files, ids in every file, coverage; users: file, coverage
    assert "missing from titles.csv: 1 ('c'); missing from genres.csv: 2 ('b', 'z')" in joined[1]
    assert "1 item of the table has no interactions, added to the catalog ('z')" in joined[2]
    assert "1 of 2 users of the interactions have a row; 1 has none" in joined[4]
    logged = [r.getMessage() for r in caplog.records if "table" in r.getMessage()]
    assert logged == [f"r: {note}" for note in joined]
    # the renaming is said, for the file it applied to
    assert any(m == "genres.csv: columns renamed: movie -> item" for m in caplog.messages)


def test_load_data_warns_when_no_id_matches(tmp_path, caplog):
    data = write(tmp_path, "r.csv", "user,item\n1,7\n2,8\n")
    items = write(tmp_path, "items.csv", "item,title\n007,x\n008,y\n")
    with caplog.at_level(logging.INFO, logger="tastemaker"):
        loaded = load_data(data, items=items)
    assert loaded.report.warnings == [
        "item table: none of the 2 items of the interactions has a row in it, so no features "
        "reach them; ids match exactly ('007' is not 7): check that the table writes the ids "
        "as the interactions do"
    ]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == (
        loaded.report.warnings
    )


def test_load_data_refuses_a_file_given_twice(tmp_path):
    data = write(tmp_path, "r.csv", "user,item\n1,a\n")
    items = write(tmp_path, "items.csv", "item,title\na,A\n")
    with pytest.raises(ParameterError, match=r"^items names .*items.csv twice"):
        load_data(data, items=[items, items])


def test_repeated_ids_within_one_file_are_the_reader_s_error(tmp_path):
    data = write(tmp_path, "r.csv", "user,item\n1,a\n")
    ok = write(tmp_path, "ok.csv", "item,title\na,A\n")
    repeated = write(tmp_path, "rep.csv", "item,year\na,1\nb,2\na,3\n")
    with pytest.raises(DataError, match=r"^rep.csv, lines 2 and 4: item 'a' appears twice"):
        load_data(data, items=[ok, repeated])
