"""Splitter invariants on random small interaction logs (with repeats and time ties)."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tastemaker.data import Dataset
from tastemaker.data._splits import KFold, LeaveLastOut, RandomHoldout, Split, TemporalSplit
from tastemaker.errors import DataError

SETTINGS = settings(max_examples=40, deadline=None)

logs = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 7), st.integers(0, 12)), min_size=1, max_size=40
)
seeds = st.integers(0, 2**32 - 1)


def dataset(log: list[tuple[int, int, int]], order: list[int] | None = None) -> Dataset:
    """Non-contiguous string ids; column ``row`` numbers the rows before any reordering."""
    frame = pd.DataFrame(
        {
            "user": [f"u{10 + 3 * u}" for u, _, _ in log],
            "item": [f"i{37 + 2 * i}" for _, i, _ in log],
            "timestamp": np.asarray([t for _, _, t in log], dtype=np.int64),
            "row": np.arange(len(log)),
        }
    )
    if order is not None:
        frame = frame.iloc[order].reset_index(drop=True)
    return Dataset(frame, name="log")


def parts(split: Split) -> list[Dataset]:
    return [p for p in (split.train, split.validation, split.test) if p is not None]


def rows(part: Dataset | None) -> frozenset[int]:
    return frozenset() if part is None else frozenset(part.interactions["row"].tolist())


def pairs(part: Dataset | None) -> set[tuple[str, str]]:
    if part is None:
        return set()
    return set(zip(part.interactions["user"], part.interactions["item"], strict=True))


def signature(split: Split) -> tuple[frozenset[int], ...]:
    return rows(split.train), rows(split.validation), rows(split.test)


def check_union(split: Split, n_rows: int) -> None:
    counts = Counter(r for p in parts(split) for r in p.interactions["row"].tolist())
    assert sorted(counts) == list(range(n_rows))
    assert set(counts.values()) == {1}


def check_pair_disjoint(split: Split) -> None:
    train, validation, test = pairs(split.train), pairs(split.validation), pairs(split.test)
    assert not (train & test or train & validation or validation & test)


def holdout_count(k: int, fraction: float, keep: int) -> int:
    """The documented per-user rule: floor, at least one, keep ``keep``."""
    if k <= keep:
        return 0
    return min(max(math.floor(fraction * k + 1e-9), 1), k - keep)


@SETTINGS
@given(
    log=logs,
    seed=seeds,
    test_size=st.floats(0.05, 0.95),
    validation_size=st.sampled_from([0.0, 0.25, 0.5]),
    min_train=st.integers(1, 3),
    data=st.data(),
)
def test_random_holdout(log, seed, test_size, validation_size, min_train, data):
    splitter = RandomHoldout(test_size, validation_size, random_state=seed, min_train=min_train)
    pair_counts = Counter(u for u, _ in {(u, i) for u, i, _ in log})
    n_test = {u: holdout_count(k, test_size, min_train) for u, k in pair_counts.items()}
    n_validation = {
        u: holdout_count(k - n_test[u], validation_size, min_train) if validation_size else 0
        for u, k in pair_counts.items()
    }
    if sum(n_test.values()) == 0 or (validation_size and sum(n_validation.values()) == 0):
        with pytest.raises(DataError, match="would be empty"):
            splitter(dataset(log))
        return
    split = splitter(dataset(log))
    check_union(split, len(log))
    check_pair_disjoint(split)
    for part, expected in ((split.test, n_test), (split.validation, n_validation)):
        got = Counter(u for u, _ in pairs(part))
        assert {u: got.get(f"u{10 + 3 * u}", 0) for u in pair_counts} == expected
    order = data.draw(st.permutations(range(len(log))))
    assert signature(splitter(dataset(log, order))) == signature(split)


@SETTINGS
@given(
    log=logs,
    test_size=st.floats(0.05, 0.95),
    validation_size=st.sampled_from([0.0, 0.3]),
    data=st.data(),
)
def test_temporal_split(log, test_size, validation_size, data):
    splitter = TemporalSplit(test_size=test_size, validation_size=validation_size)
    try:
        split = splitter(dataset(log))
    except DataError:
        times = sorted(t for _, _, t in log)
        cut = times[len(times) - max(1, math.floor(test_size * len(times) + 1e-9))]
        assert validation_size or cut == times[0]  # only a tie with the first time empties train
        return
    check_union(split, len(log))
    times = [sorted(p.interactions["timestamp"].tolist()) for p in parts(split)]
    for earlier, later in itertools.pairwise(times):
        assert earlier[-1] < later[0]
    # the test part is the smallest set of whole timestamps holding the requested share
    wanted = max(1, math.floor(test_size * len(log) + 1e-9))
    cut = split.info["cut"]
    assert split.test.n_interactions >= wanted
    assert sum(t > cut for _, _, t in log) < wanted
    assert split.info["n_cold_users"] == len(
        set(split.test.interactions["user"]) - set(split.train_full.interactions["user"])
    )
    order = data.draw(st.permutations(range(len(log))))
    assert signature(splitter(dataset(log, order))) == signature(split)


@SETTINGS
@given(log=logs, n=st.integers(1, 3), n_validation=st.integers(0, 2), data=st.data())
def test_leave_last_out(log, n, n_validation, data):
    # distinct times, so that row order cannot matter (ties go by row position)
    times = data.draw(st.permutations(range(len(log))))
    log = [(u, i, t) for (u, i, _), t in zip(log, times, strict=True)]
    splitter = LeaveLastOut(n=n, n_validation=n_validation)
    pair_counts = Counter(u for u, _ in {(u, i) for u, i, _ in log})
    n_test = {u: n if k > n else 0 for u, k in pair_counts.items()}
    n_held = {u: min(n_validation, k - n - 1) if k > n else 0 for u, k in pair_counts.items()}
    if sum(n_test.values()) == 0 or (n_validation and sum(n_held.values()) == 0):
        with pytest.raises(DataError, match="would be empty"):
            splitter(dataset(log))
        return
    split = splitter(dataset(log))
    check_union(split, len(log))
    check_pair_disjoint(split)
    for part, expected in ((split.test, n_test), (split.validation, n_held)):
        got = Counter(u for u, _ in pairs(part))
        assert {u: got.get(f"u{10 + 3 * u}", 0) for u in pair_counts} == expected
    # a pair is as recent as its latest row; each part is more recent than the one before
    latest = dataset(log).interactions.groupby(["user", "item"])["timestamp"].max().to_dict()
    sides = [pairs(split.train), pairs(split.validation), pairs(split.test)]
    for earlier, later in itertools.combinations(sides, 2):
        for user_a, item_a in earlier:
            for user_b, item_b in later:
                if user_a == user_b:
                    assert latest[(user_a, item_a)] < latest[(user_b, item_b)]
    order = data.draw(st.permutations(range(len(log))))
    assert signature(splitter(dataset(log, order))) == signature(split)


@SETTINGS
@given(
    log=logs,
    seed=seeds,
    n_splits=st.integers(2, 4),
    by=st.sampled_from(["interaction", "user-interaction"]),
    validation_size=st.sampled_from([0.0, 0.3]),
    data=st.data(),
)
def test_kfold(log, seed, n_splits, by, validation_size, data):
    splitter = KFold(n_splits, random_state=seed, by=by, validation_size=validation_size)
    n_pairs = len({(u, i) for u, i, _ in log})
    try:
        folds = list(splitter.split(dataset(log)))
    except DataError:
        assert n_pairs < n_splits or by == "user-interaction" or validation_size
        return
    assert len(folds) == n_splits
    tests = [rows(f.test) for f in folds]
    assert sorted(r for t in tests for r in t) == list(range(len(log)))
    for fold in folds:
        check_union(fold, len(log))
        check_pair_disjoint(fold)
    if by == "interaction":
        sizes = [len(pairs(f.test)) for f in folds]
        assert max(sizes) - min(sizes) <= 1
    order = data.draw(st.permutations(range(len(log))))
    again = [signature(f) for f in splitter.split(dataset(log, order))]
    assert again == [signature(f) for f in folds]
