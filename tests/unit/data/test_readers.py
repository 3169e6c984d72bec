"""Readers: formats, encodings, column mapping, timestamps, duplicates and clear errors."""

from __future__ import annotations

import gzip
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from tastemaker.data._readers import read_frame, read_interactions, read_table
from tastemaker.errors import DataError, DataWarning, ParameterError

RATINGS = (
    "user,item,rating,timestamp\n1,10,4.0,1705132800\n1,11,3.5,1705132860\n2,10,5,1705132920\n"
)
EXPECTED = pd.DataFrame(
    {
        "user": [1, 1, 2],
        "item": [10, 11, 10],
        "rating": np.asarray([4.0, 3.5, 5.0], dtype=np.float32),
        "timestamp": [1705132800, 1705132860, 1705132920],
    }
)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def assert_expected(data):
    pd.testing.assert_frame_equal(data.interactions, EXPECTED, check_dtype=False)
    assert data.interactions["rating"].dtype == np.float32
    assert data.interactions["timestamp"].dtype == np.int64
    assert data.report.n_read == 3


def errors_of(call):
    with pytest.raises(DataError) as info:
        call()
    return str(info.value)


# -- formats --------------------------------------------------------------------------
class TestFormats:
    def test_csv(self, tmp_path):
        data = read_interactions(write(tmp_path, "ratings.csv", RATINGS))
        assert_expected(data)
        assert data.name == "ratings"
        assert data.report.source == "ratings.csv"
        assert (data.n_users, data.n_items) == (2, 2)

    def test_tsv_and_sniffed_delimiters(self, tmp_path):
        for name, sep in [("r.tsv", "\t"), ("r.csv", ";"), ("r.txt", "|"), ("r.dat", "\t")]:
            text = RATINGS.replace(",", sep)
            assert_expected(read_interactions(write(tmp_path, name, text)))

    def test_gzipped_csv(self, tmp_path):
        path = tmp_path / "ratings.csv.gz"
        path.write_bytes(gzip.compress(RATINGS.encode()))
        data = read_interactions(path)
        assert_expected(data)
        assert data.name == "ratings"

    def test_crlf(self, tmp_path):
        data = read_interactions(write(tmp_path, "r.csv", RATINGS.replace("\n", "\r\n")))
        assert_expected(data)

    def test_utf8_bom(self, tmp_path):
        assert_expected(read_interactions(write(tmp_path, "r.csv", "\ufeff" + RATINGS)))

    def test_latin1_falls_back_and_notes_it(self, tmp_path):
        text = "user,item,title\n1,10,Café\n2,11,Müller\n"
        data = read_interactions(write(tmp_path, "r.csv", text, encoding="latin-1"))
        assert data.interactions["title"].tolist() == ["Café", "Müller"]
        assert any("latin-1" in note for note in data.report.notes)

    def test_explicit_wrong_encoding_is_an_error(self, tmp_path):
        path = write(tmp_path, "r.csv", "user,item,title\n1,10,Café\n", encoding="latin-1")
        message = errors_of(lambda: read_interactions(path, encoding="utf-8"))
        assert "r.csv" in message and "encoding=" in message

    def test_parquet(self, tmp_path):
        path = tmp_path / "ratings.parquet"
        EXPECTED.to_parquet(path)
        assert_expected(read_interactions(path))

    def test_jsonl(self, tmp_path):
        lines = "\n".join(json.dumps(r) for r in EXPECTED.to_dict("records")) + "\n"
        assert_expected(read_interactions(write(tmp_path, "ratings.jsonl", lines)))

    def test_gzipped_jsonl_and_json_array(self, tmp_path):
        records = EXPECTED.to_dict("records")
        lines = "\n".join(json.dumps(r) for r in records) + "\n"
        path = tmp_path / "ratings.json.gz"
        path.write_bytes(gzip.compress(lines.encode()))
        assert_expected(read_interactions(path))
        assert_expected(read_interactions(write(tmp_path, "arr.json", json.dumps(records))))

    def test_explicit_format_overrides_extension(self, tmp_path):
        assert_expected(read_interactions(write(tmp_path, "ratings.log", RATINGS), format="csv"))

    def test_no_header_with_names_and_double_colon(self, tmp_path):
        text = "1::10::4.0::1705132800\n1::11::3.5::1705132860\n2::10::5::1705132920\n"
        path = write(tmp_path, "ratings.dat", text)
        assert_expected(read_interactions(path, names=["user", "item", "rating", "timestamp"]))

    def test_read_frame_maps_and_requires(self, tmp_path):
        path = write(tmp_path, "r.csv", "userId,movieId,x\n1,007,a\n2,8,b\n")
        frame = read_frame(path, columns={"userId": "user"}, required=("user",))
        assert list(frame.columns) == ["user", "movieId", "x"]
        assert frame["user"].tolist() == [1, 2]


# -- columns and values ---------------------------------------------------------------
class TestColumns:
    def test_column_mapping_and_extra_columns_kept(self, tmp_path):
        text = "userId,movieId,stars,source\n1,10,4,web\n2,10,2,app\n"
        data = read_interactions(
            write(tmp_path, "r.csv", text),
            columns={"userId": "user", "movieId": "item", "stars": "rating"},
        )
        assert list(data.interactions.columns) == ["user", "item", "rating", "source"]
        assert data.interactions["rating"].tolist() == [4.0, 2.0]
        assert data.interactions["source"].tolist() == ["web", "app"]

    def test_ids_stay_as_given(self, tmp_path):
        text = "user,item\n007,i1\n12,i2\n"
        data = read_interactions(write(tmp_path, "r.csv", text))
        assert data.interactions["user"].tolist() == ["007", "12"]
        assert read_interactions(write(tmp_path, "s.csv", "user,item\n 7 ,3\n12,4\n")).interactions[
            "user"
        ].tolist() == [7, 12]

    def test_iso_and_unix_timestamps_agree(self, tmp_path):
        iso = "user,item,timestamp\n1,10,2024-01-13T08:00:00Z\n1,11,2024-01-13T09:00:00+01:00\n"
        iso += "2,10,2024-01-13\n"
        unix = "user,item,timestamp\n1,10,1705132800\n1,11,1705132800\n2,10,1705104000\n"
        a = read_interactions(write(tmp_path, "iso.csv", iso)).interactions["timestamp"]
        b = read_interactions(write(tmp_path, "unix.csv", unix)).interactions["timestamp"]
        assert a.tolist() == b.tolist() == [1705132800, 1705132800, 1705104000]
        assert a.dtype == np.int64

    def test_millisecond_epochs_detected_or_given(self, tmp_path):
        text = "user,item,timestamp\n1,10,1705132800123\n2,10,1705132801999\n"
        data = read_interactions(write(tmp_path, "ms.csv", text))
        assert data.interactions["timestamp"].tolist() == [1705132800, 1705132801]
        assert any("milliseconds" in note for note in data.report.notes)
        text = "user,item,timestamp\n1,10,5000\n"
        data = read_interactions(write(tmp_path, "given.csv", text), timestamp_unit="ms")
        assert data.interactions["timestamp"].tolist() == [5]

    def test_datetime_column_in_parquet(self, tmp_path):
        frame = pd.DataFrame(
            {"user": [1], "item": [2], "timestamp": pd.to_datetime(["2024-01-13T08:00:00"])}
        )
        frame.to_parquet(tmp_path / "t.parquet")
        data = read_interactions(tmp_path / "t.parquet")
        assert data.interactions["timestamp"].tolist() == [1705132800]

    def test_events_and_weights(self, tmp_path):
        text = "user,item,event,weight\n1,10, click ,2\n1,11,view,1.5\n"
        data = read_interactions(write(tmp_path, "e.csv", text))
        assert data.interactions["event"].tolist() == ["click", "view"]
        assert data.interactions["weight"].tolist() == [2.0, 1.5]

    def test_side_table_with_multi_valued_column(self, tmp_path):
        text = "movieId,title,genres\n1,Toy Story,Animation|Comedy\n2,Heat,\n3,Up,Animation\n"
        table = read_table(
            write(tmp_path, "movies.csv", text),
            "item",
            columns={"movieId": "item"},
            multi_valued={"genres": "|"},
        )
        assert table.index.name == "item"
        assert table.index.tolist() == [1, 2, 3]
        assert table["genres"].tolist() == [["Animation", "Comedy"], [], ["Animation"]]
        assert table.loc[2, "title"] == "Heat"


# -- duplicates -----------------------------------------------------------------------
DUPES = (
    "user,item,rating,timestamp\n"
    "1,10,3,300\n"  # line 2
    "1,10,5,100\n"  # line 3 (earlier in time)
    "2,10,4,100\n"  # line 4
    "1,10,2,200\n"  # line 5
    "2,11,1,100\n"  # line 6
)


class TestDuplicates:
    def test_keep_counts_in_notes_and_warns_once(self, tmp_path):
        with pytest.warns(DataWarning, match="2 duplicate rows") as record:
            data = read_interactions(write(tmp_path, "d.csv", DUPES))
        assert len(record) == 1
        assert record[0].filename == __file__
        assert data.n_interactions == 5
        assert data.report.n_read == 5
        assert any("2 duplicate rows kept" in note for note in data.report.notes)
        assert data.report.dropped == {} and data.report.merged == {}

    @pytest.mark.parametrize(("how", "rating"), [("first", 5.0), ("last", 3.0)])
    def test_first_and_last_go_by_timestamp(self, tmp_path, how, rating):
        with pytest.warns(DataWarning, match="dropped 2 duplicate rows") as record:
            data = read_interactions(write(tmp_path, "d.csv", DUPES), duplicates=how)
        assert len(record) == 1
        frame = data.interactions
        assert frame[["user", "item"]].values.tolist() == [[1, 10], [2, 10], [2, 11]]
        assert frame["rating"].tolist()[0] == rating
        assert data.report.dropped == {"duplicate": 2}
        assert data.report.n_read == 5

    def test_first_and_last_without_timestamp_go_by_row_order(self, tmp_path):
        text = "user,item,rating\n1,10,3\n1,10,5\n"
        with pytest.warns(DataWarning):
            first = read_interactions(write(tmp_path, "a.csv", text), duplicates="first")
        with pytest.warns(DataWarning):
            last = read_interactions(write(tmp_path, "b.csv", text), duplicates="last")
        assert first.interactions["rating"].tolist() == [3.0]
        assert last.interactions["rating"].tolist() == [5.0]

    def test_merge_sums_weights_keeps_latest(self, tmp_path):
        with pytest.warns(DataWarning, match="merged 2 duplicate rows") as record:
            data = read_interactions(write(tmp_path, "d.csv", DUPES), duplicates="merge")
        assert len(record) == 1
        frame = data.interactions
        assert frame[["user", "item"]].values.tolist() == [[1, 10], [2, 10], [2, 11]]
        assert frame["weight"].tolist() == [3.0, 1.0, 1.0]
        assert frame["rating"].tolist() == [3.0, 4.0, 1.0]  # rating of the latest row
        assert frame["timestamp"].tolist() == [300, 100, 100]
        assert data.report.merged == {"duplicate": 2}
        assert data.report.dropped == {}

    def test_merge_sums_existing_weights(self, tmp_path):
        text = "user,item,weight\n1,10,2\n1,10,0.5\n2,10,1\n"
        with pytest.warns(DataWarning):
            data = read_interactions(write(tmp_path, "w.csv", text), duplicates="merge")
        assert data.interactions["weight"].tolist() == [2.5, 1.0]

    def test_event_is_part_of_the_key(self, tmp_path):
        text = "user,item,event\n1,10,view\n1,10,cart\n1,10,view\n"
        with pytest.warns(DataWarning, match="1 duplicate rows .*user-item-event"):
            data = read_interactions(write(tmp_path, "e.csv", text), duplicates="merge")
        assert data.interactions[["event", "weight"]].values.tolist() == [
            ["cart", 1.0],
            ["view", 2.0],
        ]

    def test_error_names_both_lines(self, tmp_path):
        path = write(tmp_path, "d.csv", DUPES)
        message = errors_of(lambda: read_interactions(path, duplicates="error"))
        assert message.startswith("d.csv, lines 2 and 3: user 1 and item 10 appear twice")
        assert "duplicates='merge'" in message

    def test_no_duplicates_no_warning(self, tmp_path):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            read_interactions(write(tmp_path, "r.csv", RATINGS))

    def test_unknown_policy(self, tmp_path):
        with pytest.raises(ParameterError, match='parameter "duplicates" must be one of'):
            read_interactions(write(tmp_path, "r.csv", RATINGS), duplicates="drop")

    def test_table_duplicate_keys(self, tmp_path):
        path = write(tmp_path, "items.csv", "item,title\n1,A\n2,B\n1,C\n")
        message = errors_of(lambda: read_table(path, "item"))
        assert message.startswith("items.csv, lines 2 and 4: item 1 appears twice")
        with pytest.warns(DataWarning, match="dropped 1 rows"):
            table = read_table(path, "item", duplicates="last")
        assert table["title"].to_dict() == {2: "B", 1: "C"}


# -- errors ---------------------------------------------------------------------------
class TestErrors:
    def test_missing_file(self, tmp_path):
        message = errors_of(lambda: read_interactions(tmp_path / "nope.csv"))
        assert str(tmp_path / "nope.csv") in message and "does not exist" in message

    def test_missing_file_suggests_a_sibling(self, tmp_path):
        write(tmp_path, "ratings.csv", RATINGS)
        message = errors_of(lambda: read_interactions(tmp_path / "rating.csv"))
        assert "did you mean" in message and "ratings.csv" in message

    def test_directory(self, tmp_path):
        write(tmp_path, "ratings.csv", RATINGS)
        message = errors_of(lambda: read_interactions(tmp_path))
        assert "is a directory" in message and "ratings.csv" in message

    def test_empty_file(self, tmp_path):
        message = errors_of(lambda: read_interactions(write(tmp_path, "e.csv", "")))
        assert "e.csv" in message and "empty" in message
        gz = tmp_path / "e.csv.gz"
        gz.write_bytes(gzip.compress(b""))
        assert "empty" in errors_of(lambda: read_interactions(gz))
        assert "empty" in errors_of(lambda: read_interactions(write(tmp_path, "e.jsonl", "\n")))

    def test_header_only(self, tmp_path):
        message = errors_of(lambda: read_interactions(write(tmp_path, "h.csv", "user,item\n")))
        assert "h.csv" in message and "has no data rows" in message

    def test_wrong_delimiter(self, tmp_path):
        path = write(tmp_path, "r.csv", RATINGS.replace(",", "\t"))
        message = errors_of(lambda: read_interactions(path, sep=","))
        assert "r.csv" in message and "looks tab-separated" in message
        assert message.endswith("the file looks tab-separated: pass sep='\\t'.")

    def test_missing_column_suggests_closest(self, tmp_path):
        path = write(tmp_path, "r.csv", "userId,movieId,rating\n1,2,3\n")
        message = errors_of(lambda: read_interactions(path))
        assert message == (
            'r.csv: no column "user" (the user id); found columns "userId", "movieId", '
            "\"rating\". The closest is \"userId\"; map it with columns={'userId': 'user'}."
        )

    def test_mapping_names_a_missing_column(self, tmp_path):
        path = write(tmp_path, "r.csv", "userId,movieId,rating\n1,2,3\n")
        message = errors_of(lambda: read_interactions(path, columns={"userid": "user"}))
        assert '"userid"' in message and 'closest is "userId"' in message
        message = errors_of(lambda: read_interactions(path, columns={"user": "userId"}))
        assert "Did you mean columns={'userId': 'user'}" in message

    def test_non_numeric_rating(self, tmp_path):
        text = "user,item,stars\n1,10,4\n1,11,4.5\n2,10,five\n"
        path = write(tmp_path, "r.csv", text)
        message = errors_of(lambda: read_interactions(path, columns={"stars": "rating"}))
        assert message.startswith(
            "r.csv, line 4, column \"stars\" (rating): 'five' is not a number"
        )

    def test_unparsable_timestamp(self, tmp_path):
        text = "user,item,timestamp\n1,10,2024-01-13T08:00:00Z\n1,11,2024-13-01\n"
        message = errors_of(lambda: read_interactions(write(tmp_path, "t.csv", text)))
        assert message == (
            "t.csv, line 3, column \"timestamp\": '2024-13-01' is not a time (1 row affected); "
            "expected unix seconds or ISO 8601 (2024-01-13T08:00:00Z)"
        )

    def test_missing_id(self, tmp_path):
        text = "user,item\n1,10\n2,\n3,12\n"
        message = errors_of(lambda: read_interactions(write(tmp_path, "m.csv", text)))
        assert message.startswith('m.csv, line 3, column "item": the item id is missing')

    def test_line_numbers_survive_blank_lines(self, tmp_path):
        text = "user,item,rating\n1,10,4\n\n2,10,x\n"
        message = errors_of(lambda: read_interactions(write(tmp_path, "b.csv", text)))
        assert message.startswith('b.csv, line 4, column "rating"')

    def test_unknown_format(self, tmp_path):
        message = errors_of(lambda: read_interactions(write(tmp_path, "r.xlsx", RATINGS)))
        assert "r.xlsx" in message and "unknown format" in message and "format='csv'" in message
        path = write(tmp_path, "r.csv", RATINGS)
        assert "unknown format" in errors_of(lambda: read_interactions(path, format="xml"))

    def test_bad_json_line(self, tmp_path):
        text = '{"user": 1, "item": 2}\n{"user": 1, "item": \n'
        message = errors_of(lambda: read_interactions(write(tmp_path, "r.jsonl", text)))
        assert message.startswith("r.jsonl, line 2: not valid JSON")

    def test_not_parquet(self, tmp_path):
        message = errors_of(lambda: read_interactions(write(tmp_path, "r.parquet", RATINGS)))
        assert "r.parquet" in message and "Parquet" in message

    def test_ragged_rows(self, tmp_path):
        text = "user,item\n1,10\n2,11,5,6\n"
        message = errors_of(lambda: read_interactions(write(tmp_path, "r.csv", text)))
        assert re.search(r"r\.csv: cannot be read as comma-separated text: .*line 3", message)

    def test_table_missing_key_and_multi_valued_column(self, tmp_path):
        path = write(tmp_path, "items.csv", "movieId,genres\n1,a|b\n")
        message = errors_of(lambda: read_table(path, "item"))
        assert 'no column "item"' in message and "movieId" in message
        message = errors_of(
            lambda: read_table(
                path, "item", columns={"movieId": "item"}, multi_valued={"genre": "|"}
            )
        )
        assert '"genre"' in message and 'closest is "genres"' in message


# -- the fast reader (pyarrow) and the careful one (pandas) agree ----------------------------
SAME_EITHER_WAY = {
    "plain": RATINGS,
    "text-ids": "user,item,rating\nu1,i1,4\n 007 ,i2,3.5\nu1, i2 ,1\n",
    "padded-fields": "user, item, rating, timestamp\n1, 10, 4, 1705132800\n2, 10, 5, 1705132801\n",
    "iso-times": "user,item,timestamp\n1,10,2024-01-13T08:00:00Z\n2,10,2024-01-13\n",
    "millisecond-times": "user,item,timestamp\n1,10,1705132800123\n2,10,1705132801999\n",
    "quoted": 'user,item,title\n1,10,"Heat, 1995"\n2,10,"Up"\n',
    "blank-lines": "user,item,rating\n1,10,4\n\n2,10,5\n\n",
    "extra-columns": (
        "user,item,n,x,flag,day,empty\n1,2,3,a,True,2024-01-01,\n2,3,4,b,False,2024-01-02,\n"
    ),
    "events": "user,item,event,weight\n1,10, click ,2\n1,11,view,1.5\n2,10,3,1\n",
    "bom-crlf": "\ufeffuser,item,rating\r\n1,10,4\r\n2,11,3\r\n",
    "numbers-as-text": "user,item,rating\n1,10,+4\n2,10, 5\n",
    "big-ids": "user,item\n1234567890123456789,1\n2,1\n",
    "missing-rating": "user,item,rating\n1,10,4\n2,10,NA\n",
    "missing-id": "user,item\n1,10\n2,\n",
    "bad-rating-after-blank": "user,item,rating\n1,10,4\n\n2,10,x\n",
    "ragged": "user,item\n1,2\n1,2,3,4\n",
    "repeated-header": "user,item,item\n1,2,3\n",
}


def read_both_ways(path, monkeypatch, **options):
    """(result, error) of read_interactions with the fast reader, then with the careful one."""
    from tastemaker.data import _readers

    outcomes = []
    for fast in (True, False):
        with monkeypatch.context() as patch:
            if not fast:
                patch.setattr(_readers, "_read_delimited_fast", lambda *args, **kw: None)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DataWarning)
                    outcomes.append((read_interactions(path, **options), None))
            except DataError as err:
                outcomes.append((None, str(err)))
    return outcomes


@pytest.mark.parametrize("text", SAME_EITHER_WAY.values(), ids=SAME_EITHER_WAY.keys())
def test_fast_and_careful_readers_agree(tmp_path, monkeypatch, text):
    (fast, fast_error), (careful, careful_error) = read_both_ways(
        write(tmp_path, "r.csv", text), monkeypatch
    )
    assert fast_error == careful_error
    if careful is not None:
        pd.testing.assert_frame_equal(fast.interactions, careful.interactions)
        assert fast.report.to_dict() == careful.report.to_dict()
        assert fast.user_map == careful.user_map and fast.item_map == careful.item_map


def test_fast_reader_reads_the_common_case(tmp_path, monkeypatch):
    from tastemaker.data import _readers

    def careful_only(*args, **kwargs):
        raise AssertionError("the careful reader ran")

    monkeypatch.setattr(_readers, "_decoded", careful_only)
    assert_expected(read_interactions(write(tmp_path, "r.csv", RATINGS)))
    path = tmp_path / "r.csv.gz"
    path.write_bytes(gzip.compress(RATINGS.encode()))
    assert_expected(read_interactions(path))


# -- ratings off their scale ------------------------------------------------------------------
def star_ratings(tmp_path, extra: dict[int, str], n: int = 1000, name: str = "stars.csv"):
    """A file of ``n`` 1-5 star ratings; ``extra`` puts other values at some rows."""
    rows = [f"u{i % 40},i{i},{extra.get(i, str(1 + (i * 7) % 5))}" for i in range(n)]
    return write(tmp_path, name, "user,item,rating\n" + "\n".join(rows) + "\n")


class TestRatingScale:
    def test_far_out_and_off_step_ratings_are_reported_once_with_lines(self, tmp_path):
        path = star_ratings(tmp_path, {56: "300", 41: "-2", 500: "3.7"})
        with pytest.warns(DataWarning) as record:
            data = read_interactions(path)
        messages = [str(r.message) for r in record]
        assert len(messages) == 1
        assert messages[0] == (
            'stars.csv, column "rating": 3 ratings do not fit the scale of the others (1 to 5 '
            "in steps of 1), kept: line 43: -2; line 58: 300; line 502: 3.7. Fix or remove "
            "those rows, or state the scale to refuse ratings outside it: rating_range=(1, 5)."
        )
        assert data.report.warnings == messages
        assert data.n_interactions == 1000  # kept, not dropped

    @pytest.mark.parametrize(
        "extra",
        [{}, {3: "0"}, {3: "6"}],  # 0 and 6 are plausible ends of a scale
        ids=["clean", "zero", "six"],
    )
    def test_plausible_ratings_pass_quietly(self, tmp_path, extra):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataWarning)
            read_interactions(star_ratings(tmp_path, extra))

    def test_half_stars_and_non_scales_are_not_flagged(self, tmp_path):
        half = [f"u{i % 9},i{i},{0.5 * (1 + i % 10):g}" for i in range(400)]
        counts = [f"u{i % 9},i{i},{(i * 7919) % 100_000}" for i in range(400)]  # not a scale
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataWarning)
            for rows in (half, counts):
                read_interactions(write(tmp_path, "r.csv", "user,item,rating\n" + "\n".join(rows)))

    def test_rating_range_refuses_values_outside_naming_lines(self, tmp_path):
        path = star_ratings(tmp_path, {56: "300", 41: "-2", 500: "3.7"})
        message = errors_of(lambda: read_interactions(path, rating_range=(1, 5)))
        assert message == (
            'stars.csv, column "rating": 2 ratings outside the rating range 1 to 5: line 43: '
            "-2; line 58: 300. Fix or remove those rows, or widen rating_range."
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataWarning)  # a stated range: no guessing
            data = read_interactions(star_ratings(tmp_path, {500: "3.7"}), rating_range=(1, 5))
        assert data.n_interactions == 1000

    @pytest.mark.parametrize("bad", [(5, 1), (1,), "1,5", (1, float("inf")), (True, 5)])
    def test_rating_range_is_checked(self, tmp_path, bad):
        with pytest.raises(ParameterError, match='parameter "rating_range" must be a pair'):
            read_interactions(write(tmp_path, "r.csv", RATINGS), rating_range=bad)


def test_check_events_types_like_a_file():
    from tastemaker.data import check_events

    frame = pd.DataFrame(
        {
            "user": ["a", "a", "b"],
            "item": [1, 2, 3],
            "timestamp": [1_700_000_000_000, 1_700_000_060_000, 1_700_000_120_000],  # ms
            "rating": ["4", 5, 3.5],
        }
    )
    out = check_events(frame, "history")
    assert out["timestamp"].tolist() == [1_700_000_000, 1_700_000_060, 1_700_000_120]
    assert out["rating"].dtype == np.float32
    iso = check_events(frame.assign(timestamp=["2024-01-13T08:00:00Z"] * 3))
    assert iso["timestamp"].tolist() == [1_705_132_800] * 3
    with pytest.raises(DataError, match="history, row 1, column 'timestamp': 'soon' is not a"):
        check_events(frame.assign(timestamp=["2024-01-13", "soon", "2024-01-14"]), "history")
    with pytest.raises(DataError, match="row 2, column 'rating': 'x' is not a number"):
        check_events(frame.assign(rating=[4, 5, "x"]))
    with pytest.raises(DataError, match="needs columns 'user' and 'item'"):
        check_events(frame.drop(columns="item"))
    with pytest.raises(DataError, match=r"^history, row 1, column 'item': the id is missing"):
        check_events(frame.assign(item=[1, None, 3]), "history")


def test_aligned_rows_match_ids_exactly():
    from tastemaker.data import aligned_rows

    table = pd.DataFrame({"user": [1, 2], "age": [30, 40]})
    out = aligned_rows(table, np.asarray([2, "01", 1, "x"], dtype=object))
    assert out["age"].tolist()[0] == 40 and out["age"].tolist()[2] == 30
    assert out["age"].isna().tolist() == [False, True, False, True]  # "01" is not 1
    with pytest.raises(DataError, match="features repeats user 1"):
        aligned_rows(pd.DataFrame({"user": [1, 1], "age": [3, 4]}), [1], "user", "features")


def test_aligned_rows_of_any_column_dtype_and_any_table():
    from tastemaker.data import aligned_rows

    table = pd.DataFrame({"user": [1, 2], "member": [True, False], "age": [3, 4]})
    table["city"] = pd.Series(["x", "y"], dtype="string")
    # an unknown user gets missing values in every column, a bool one too (setting NaN
    # into a bool column raises on pandas 3)
    out = aligned_rows(table, [2, 9, 1])
    assert out["member"].tolist()[::2] == [False, True] and pd.isna(out["member"][1])
    assert out["age"].tolist()[::2] == [4, 3] and pd.isna(out["age"][1])
    assert out["city"].tolist()[::2] == ["y", "x"] and pd.isna(out["city"][1])
    # every id known: the columns keep their dtypes
    assert aligned_rows(table, [1])["age"].dtype == np.int64
    # an empty table holds no one
    empty = aligned_rows(table.iloc[:0], [1, 2])
    assert len(empty) == 2 and empty.isna().all().all()
    # ids match as IdMap matches them: 7 is "7" in a table of mixed ids
    mixed = pd.DataFrame({"user": [7, "a"], "age": [30, 40]})
    assert aligned_rows(mixed, ["7", "a", 7])["age"].tolist() == [30, 40, 30]
