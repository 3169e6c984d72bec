from hypothesis import given
from hypothesis import strategies as st

from tastemaker.data import IdMap

ids = st.one_of(
    st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=30),
    st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=30),
)


@given(ids)
def test_idmap_round_trip(values):
    m = IdMap(values)
    assert m.ids_of(m.index_of(values)).tolist() == values


@given(ids)
def test_idmap_ignores_order(values):
    assert IdMap(values) == IdMap(list(reversed(values)))
