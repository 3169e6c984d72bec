import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tastemaker.data import IdMap, read_frame, read_interactions

ids = st.one_of(
    st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=30),
    st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=30),
)
int_ids = st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=20)
# text that looks like numbers: digits, signs, spaces, underscores, dots, leading zeros
number_like = st.text(alphabet="0123456789+-_ .", min_size=1, max_size=8)


@given(ids)
def test_idmap_round_trip(values):
    m = IdMap(values)
    assert m.ids_of(m.index_of(values)).tolist() == values


@given(ids)
def test_idmap_ignores_order(values):
    assert IdMap(values) == IdMap(list(reversed(values)))


def canonical_int(text):
    """The integer ``text`` names by the rule ``str(int(text)) == text``, else None."""
    try:
        value = int(text)
    except ValueError:
        return None
    return value if str(value) == text else None


@given(int_ids, st.data())
def test_text_names_an_integer_id_only_in_canonical_form(values, data):
    near = st.builds(  # the text of a known id, perhaps padded, signed or zero-filled
        lambda before, x, after: f"{before}{x}{after}",
        st.sampled_from(["", "", "0", "+", " ", "-", "00"]),
        st.sampled_from(values),
        st.sampled_from(["", "", " ", "_0", ".0", "0"]),
    )
    text = data.draw(st.one_of(number_like, near))
    m = IdMap(values)
    position = m.index_of([text], missing="mask")[0]
    value = canonical_int(text)
    if value is not None and value in set(values):
        assert m.ids[position] == value
    else:
        assert position == -1


@given(int_ids, st.data())
def test_decorated_integer_ids_never_match(values, data):
    m = IdMap(values)
    x = data.draw(st.sampled_from(values))
    decorated = data.draw(
        st.sampled_from(
            [
                f"0{x}",
                f"+{x}",
                f" {x}",
                f"{x} ",
                f"{x}.0",
                f"{x}_0",
                f"{x:_}" if x > 999 else f"{x}e0",
            ]
        )
    )
    assert m.index_of([str(x)]).tolist() == m.index_of([x]).tolist()
    assert m.index_of([decorated], missing="mask").tolist() == [-1]


@given(st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=20), st.text(max_size=4))
def test_text_ids_match_exactly(values, text):
    m = IdMap(values)
    found = m.index_of([text], missing="mask")[0]
    assert (m.ids[found] == text) if text in set(values) else (found == -1)


# ids as people write them in files: digits with leading zeros and signs, letters, padding
written_id = st.builds(
    lambda pad_left, core, pad_right: pad_left + core + pad_right,
    st.sampled_from(["", " ", "  "]),
    st.text(alphabet="0123456789-+ab_ ", min_size=1, max_size=6).filter(lambda s: s.strip()),
    st.sampled_from(["", " "]),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(written_id, min_size=1, max_size=12))
def test_an_id_written_the_same_way_in_two_files_always_matches(written):
    with tempfile.TemporaryDirectory() as folder:
        train = Path(folder) / "train.csv"
        train.write_text("user,item\n" + "".join(f"{u},i{n}\n" for n, u in enumerate(written)))
        query = Path(folder) / "query.csv"
        query.write_text("user\n" + "".join(f"{u}\n" for u in reversed(written)))
        data = read_interactions(train)
        asked = read_frame(query)["user"]
    # each query row finds its own training row; differently written ids stay apart
    assert data.user_map.index_of(asked).tolist() == data.user_idx.tolist()[::-1]
    assert data.n_users == len({u.strip() for u in written})


@given(
    st.one_of(
        st.lists(st.integers(-50, 50), min_size=1, max_size=60),  # a dense range
        st.lists(st.integers(-(2**62), 2**62), min_size=1, max_size=60),  # a sparse one
    )
)
def test_ids_encoded_while_reading_agree_with_the_map(values):
    import numpy as np

    from tastemaker.data._readers import _encode_ints

    ids = np.asarray(values, dtype=np.int64)
    distinct, positions = _encode_ints(ids)
    m = IdMap(values)
    assert distinct.tolist() == m.ids.tolist()
    assert positions.tolist() == m.index_of(values).tolist()
