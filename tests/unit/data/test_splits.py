"""Splitters: exact partitions on hand-built data, invariants, seeds and errors."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.data._splits import (
    PROTOCOLS,
    SPLITTERS,
    ColdItemSplit,
    KFold,
    LeaveLastOut,
    NewUserSplit,
    RandomHoldout,
    Split,
    TemporalSplit,
    make_splitter,
    split_info,
)
from tastemaker.errors import DataError, ParameterError

# -- helpers ----------------------------------------------------------------------------


def make(rows: list[tuple], columns: tuple[str, ...] = ("user", "item", "timestamp")) -> Dataset:
    """A dataset whose extra column ``row`` numbers the input rows."""
    frame = pd.DataFrame(rows, columns=list(columns))
    frame["row"] = np.arange(len(frame))
    return Dataset(frame, name="tiny")


def medium(seed: int = 0, n_users: int = 12, duplicates: bool = True) -> Dataset:
    """Users with 1..30 distinct items, distinct timestamps, some repeated pairs."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        n = 1 + (u * 7) % 30
        items = rng.choice(60, size=n, replace=False)
        rows += [(f"u{10 + 3 * u}", f"i{37 + 2 * i}") for i in items]
        if duplicates and n > 3:
            rows += [(f"u{10 + 3 * u}", f"i{37 + 2 * i}") for i in items[:2]]
    ts = rng.permutation(len(rows)) * 10 + 1_600_000_000
    return make([(u, i, int(t)) for (u, i), t in zip(rows, ts, strict=True)])


def shuffled(data: Dataset, seed: int = 1) -> Dataset:
    frame = data.interactions.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return Dataset(frame, name=data.name)


def rows(part: Dataset | None) -> set[int]:
    return set() if part is None else set(part.interactions["row"].tolist())


def pairs(part: Dataset | None) -> set[tuple[str, str]]:
    if part is None:
        return set()
    return set(zip(part.interactions["user"], part.interactions["item"], strict=True))


def parts(split: Split) -> list[Dataset]:
    return [p for p in (split.train, split.validation, split.test) if p is not None]


def assert_partition(split: Split, data: Dataset) -> None:
    """Every input row lands in exactly one part."""
    counts = Counter(r for p in parts(split) for r in p.interactions["row"].tolist())
    assert sorted(counts) == list(range(data.n_interactions))
    assert set(counts.values()) == {1}


def assert_pair_disjoint(split: Split) -> None:
    train, validation, test = pairs(split.train), pairs(split.validation), pairs(split.test)
    assert not train & test
    assert not train & validation
    assert not validation & test


def signature(split: Split) -> tuple[set[int], set[int], set[int]]:
    return rows(split.train), rows(split.validation), rows(split.test)


def per_user(part: Dataset) -> dict[str, int]:
    return dict(Counter(part.interactions["user"].tolist()))


# -- RandomHoldout ----------------------------------------------------------------------


class TestRandomHoldout:
    def test_per_user_counts_follow_the_rounding_rule(self):
        data = make(
            [("u10", f"i{37 + k}", k) for k in range(10)]  # 10 items -> 2 test
            + [("u13", f"i{37 + k}", k) for k in range(2)]  # 2 items -> 1 test
            + [("u16", "i37", 0)]  # 1 item -> train only
            + [("u19", f"i{37 + k}", k) for k in range(4)]  # 4 items -> floor(0.8)=0 -> 1
        )
        split = RandomHoldout(test_size=0.2, random_state=0)(data)
        assert per_user(split.test) == {"u10": 2, "u13": 1, "u19": 1}
        assert per_user(split.train) == {"u10": 8, "u13": 1, "u16": 1, "u19": 3}
        assert split.info["n_users_too_few"] == 1
        assert split.info["n_users_train_only"] == 1
        assert split.info["n_cold_users"] == 0
        assert split.validation is None

    def test_min_train_keeps_small_users_in_train(self):
        data = make(
            [("u10", f"i{37 + k}", k) for k in range(3)]
            + [("u13", f"i{37 + k}", k) for k in range(4)]
        )
        split = RandomHoldout(test_size=0.5, min_train=3, random_state=0)(data)
        assert per_user(split.test) == {"u13": 1}  # floor(2) capped to 4 - 3
        assert split.info["n_users_too_few"] == 1

    def test_repeated_pairs_never_straddle_parts(self):
        base = [("u10", f"i{37 + k}", k) for k in range(6)]
        dupes = [("u10", f"i{37 + k}", 100 + k) for k in range(6)] * 2
        data = make(base + dupes)
        for seed in range(20):
            split = RandomHoldout(test_size=0.5, validation_size=0.5, random_state=seed)(data)
            assert_pair_disjoint(split)
            assert_partition(split, data)
            # fractions count distinct pairs: 6 -> 3 test, 3 -> 1 validation
            assert len(pairs(split.test)) == 3
            assert len(pairs(split.validation)) == 1
            assert split.test.n_interactions == 9
        assert split.info["n_rows_grouped"] == 12

    def test_union_is_the_input_and_maps_are_shared(self):
        data = medium()
        split = RandomHoldout(validation_size=0.25, random_state=3)(data)
        assert_partition(split, data)
        assert_pair_disjoint(split)
        for part in parts(split):
            assert part.user_map is data.user_map
            assert part.item_map is data.item_map
        assert rows(split.train_full) == rows(split.train) | rows(split.validation)

    def test_validation_is_carved_from_the_training_part(self):
        data = make([("u10", f"i{37 + k}", k) for k in range(20)])
        split = RandomHoldout(test_size=0.2, validation_size=0.25, random_state=0)(data)
        assert (split.train.n_interactions, split.validation.n_interactions) == (12, 4)
        assert split.test.n_interactions == 4

    def test_same_seed_same_split_other_seed_other_split(self):
        data = medium()
        first = signature(RandomHoldout(random_state=7)(data))
        assert signature(RandomHoldout(random_state=7)(data)) == first
        assert signature(RandomHoldout(random_state=8)(data)) != first

    def test_row_order_does_not_matter(self):
        data = medium()
        splitter = RandomHoldout(test_size=0.3, validation_size=0.2, random_state=11)
        assert signature(splitter(shuffled(data))) == signature(splitter(data))

    def test_name(self):
        assert RandomHoldout(test_size=0.2, random_state=42).name == (
            "random-holdout(test=0.2, seed=42)"
        )
        split = RandomHoldout(0.2, 0.1, random_state=1)(medium())
        assert split.name == "random-holdout(test=0.2, validation=0.1, seed=1)"

    @pytest.mark.parametrize(
        "params",
        [
            {"test_size": 0},
            {"test_size": 1.0},
            {"test_size": -0.1},
            {"test_size": "0.2"},
            {"test_size": True},
            {"test_size": float("nan")},
            {"validation_size": 1.0},
            {"validation_size": -0.5},
            {"min_train": 0},
            {"min_train": 1.5},
            {"random_state": "a"},
            {"random_state": -1},
            {"random_state": 1.5},
        ],
    )
    def test_bad_parameters(self, params):
        with pytest.raises(ParameterError, match=f'"{next(iter(params))}"'):
            RandomHoldout(**params)

    def test_empty_data_and_empty_test(self):
        empty = make([], columns=("user", "item"))
        with pytest.raises(DataError, match="no interactions"):
            RandomHoldout()(empty)
        singles = make([("u10", "i37", 0), ("u13", "i40", 0), ("u13", "i40", 5)])
        with pytest.raises(DataError, match="test set .* would be empty"):
            RandomHoldout(random_state=0)(singles)

    def test_empty_validation_is_an_error(self):
        data = make([("u10", "i37", 0), ("u10", "i40", 1)])
        with pytest.raises(DataError, match="validation set"):
            RandomHoldout(validation_size=0.5, random_state=0)(data)


# -- TemporalSplit ----------------------------------------------------------------------


def timed(timestamps: list[int]) -> Dataset:
    return make([(f"u{10 + k % 3}", f"i{37 + k}", t) for k, t in enumerate(timestamps)])


def stamps(part: Dataset | None) -> list[int]:
    return [] if part is None else sorted(part.interactions["timestamp"].tolist())


class TestTemporalSplit:
    def test_latest_fraction_goes_to_test(self):
        data = timed(list(range(1, 11)))
        split = TemporalSplit(test_size=0.2)(data)
        assert stamps(split.test) == [9, 10]
        assert stamps(split.train) == list(range(1, 9))
        assert split.info["cut"] == 9
        assert split.info["test_fraction"] == pytest.approx(0.2)
        assert split.name == "temporal(test=0.2)"

    def test_ties_at_the_cut_go_to_test(self):
        split = TemporalSplit(test_size=0.2)(timed([1, 2, 3, 3, 3]))
        assert stamps(split.train) == [1, 2]
        assert stamps(split.test) == [3, 3, 3]

    def test_at_seconds_and_iso(self):
        data = timed([1_700_000_000 + 3600 * k for k in range(6)])
        by_int = TemporalSplit(at=1_700_000_000 + 3600 * 4)(data)
        assert stamps(by_int.test) == [1_700_000_000 + 3600 * k for k in (4, 5)]
        iso = pd.Timestamp(1_700_000_000 + 3600 * 4, unit="s", tz="UTC").isoformat()
        assert signature(TemporalSplit(at=iso)(data)) == signature(by_int)
        # a naive date-time is UTC; a fraction of a second rounds the cut up
        naive = pd.Timestamp(1_700_000_000 + 3600 * 4 - 0.5, unit="s").isoformat()
        assert signature(TemporalSplit(at=naive)(data)) == signature(by_int)

    def test_train_precedes_validation_precedes_test(self):
        data = medium()
        split = TemporalSplit(test_size=0.2, validation_size=0.25)(data)
        assert max(stamps(split.train)) < min(stamps(split.validation))
        assert max(stamps(split.validation)) < min(stamps(split.test))
        assert_partition(split, data)
        assert split.info["validation_cut"] == min(stamps(split.validation))

    def test_cold_start_rows_stay_in_test_and_are_counted(self):
        data = make(
            [
                ("u10", "i37", 1),
                ("u10", "i40", 2),
                ("u13", "i37", 3),
                ("u10", "i37", 4),  # a repeat of a training pair after the cut
                ("u16", "i37", 5),  # cold user
                ("u10", "i43", 6),  # cold item
            ]
        )
        split = TemporalSplit(at=4)(data)
        assert rows(split.test) == {3, 4, 5}
        assert split.info["n_cold_users"] == 1
        assert split.info["n_cold_items"] == 1
        assert split.info["n_test_pairs_in_train"] == 1
        assert split.info["n_users_train_only"] == 1  # u13

    def test_row_order_does_not_matter(self):
        data = medium()
        splitter = TemporalSplit(test_size=0.3, validation_size=0.1)
        assert signature(splitter(shuffled(data))) == signature(splitter(data))

    def test_needs_timestamps(self):
        data = make([("u10", "i37"), ("u13", "i40")], columns=("user", "item"))
        with pytest.raises(DataError, match="'timestamp' column"):
            TemporalSplit()(data)

    def test_cut_outside_the_data(self):
        data = timed([10, 20, 30])
        with pytest.raises(DataError, match="test set .* would be empty"):
            TemporalSplit(at=31)(data)
        with pytest.raises(DataError, match="training set .* would be empty"):
            TemporalSplit(at=10)(data)
        with pytest.raises(DataError, match="all timestamps are equal"):
            TemporalSplit()(timed([5, 5, 5]))
        with pytest.raises(DataError, match="no interactions"):
            TemporalSplit()(make([], columns=("user", "item")))

    @pytest.mark.parametrize("at", ["2024-13-01", "soon", 1.5, True, ["2024"]])
    def test_bad_at(self, at):
        with pytest.raises(ParameterError, match='"at"'):
            TemporalSplit(at=at)

    @pytest.mark.parametrize("params", [{"test_size": 0}, {"validation_size": 1}])
    def test_bad_fractions(self, params):
        with pytest.raises(ParameterError, match=next(iter(params))):
            TemporalSplit(**params)


# -- LeaveLastOut -----------------------------------------------------------------------


class TestLeaveLastOut:
    DATA = (
        ("u10", "i37", 5),  # 0
        ("u10", "i40", 1),  # 1
        ("u10", "i43", 9),  # 2  u10's last
        ("u10", "i46", 7),  # 3  u10's second-last
        ("u13", "i37", 3),  # 4  u13 has one interaction: stays in train
        ("u16", "i40", 2),  # 5
        ("u16", "i43", 4),  # 6  u16's last
    )

    def test_exact_partition(self):
        split = LeaveLastOut()(make(list(self.DATA)))
        assert rows(split.test) == {2, 6}
        assert rows(split.train) == {0, 1, 3, 4, 5}
        assert split.validation is None
        assert split.info["n_users_too_few"] == 1
        assert split.name == "leave-last-out(n=1)"

    def test_validation_is_the_one_before(self):
        split = LeaveLastOut(n=1, n_validation=1)(make(list(self.DATA)))
        assert rows(split.test) == {2, 6}
        assert rows(split.validation) == {3}  # u16 keeps its only other item for training
        assert rows(split.train) == {0, 1, 4, 5}

    def test_n_two(self):
        split = LeaveLastOut(n=2)(make(list(self.DATA)))
        assert rows(split.test) == {2, 3}  # u16 has only 2 items: stays in train
        assert split.info["n_users_too_few"] == 2

    def test_timestamp_ties_go_by_row_position(self):
        data = make([("u10", "i37", 1), ("u10", "i40", 5), ("u10", "i43", 5)])
        assert rows(LeaveLastOut()(data).test) == {2}  # the later row of the tie
        swapped = make([("u10", "i37", 1), ("u10", "i43", 5), ("u10", "i40", 5)])
        assert pairs(LeaveLastOut()(swapped).test) == {("u10", "i40")}

    def test_order_row_needs_no_timestamps(self):
        data = make(
            [("u10", "i37"), ("u13", "i40"), ("u10", "i43"), ("u13", "i37"), ("u10", "i40")],
            columns=("user", "item"),
        )
        split = LeaveLastOut(order="row")(data)
        assert rows(split.test) == {3, 4}
        with pytest.raises(DataError, match='order="row"'):
            LeaveLastOut()(data)

    def test_a_repeated_pair_moves_as_a_whole(self):
        data = make([("u10", "i37", 1), ("u10", "i40", 2), ("u10", "i37", 3)])
        split = LeaveLastOut()(data)
        assert rows(split.test) == {0, 2}  # i37 was touched last
        assert_pair_disjoint(split)

    def test_row_order_does_not_matter_without_ties(self):
        data = medium()
        splitter = LeaveLastOut(n=2, n_validation=1)
        split = splitter(data)
        assert signature(splitter(shuffled(data))) == signature(split)
        assert_partition(split, data)
        assert_pair_disjoint(split)

    def test_test_is_later_than_train_per_user(self):
        split = LeaveLastOut(n=1)(medium(duplicates=False))
        test_time = split.test.interactions.groupby("user")["timestamp"].min()
        train_time = split.train.interactions.groupby("user")["timestamp"].max()
        assert (train_time[test_time.index] < test_time).all()

    def test_nothing_to_hold_out(self):
        with pytest.raises(DataError, match="test set .* would be empty"):
            LeaveLastOut(n=1)(make([("u10", "i37", 1), ("u13", "i37", 2)]))

    @pytest.mark.parametrize(
        "params", [{"n": 0}, {"n": 1.0}, {"n_validation": -1}, {"order": "time"}]
    )
    def test_bad_parameters(self, params):
        with pytest.raises(ParameterError, match=next(iter(params))):
            LeaveLastOut(**params)


# -- KFold ------------------------------------------------------------------------------


class TestKFold:
    @pytest.mark.parametrize("by", ["interaction", "user-interaction"])
    def test_folds_partition_the_data(self, by):
        data = medium()
        folds = list(KFold(n_splits=4, random_state=0, by=by).split(data))
        assert len(folds) == 4
        test_rows = [rows(f.test) for f in folds]
        assert set().union(*test_rows) == set(range(data.n_interactions))
        assert sum(len(r) for r in test_rows) == data.n_interactions
        for fold in folds:
            assert_partition(fold, data)
            assert_pair_disjoint(fold)
        assert [f.info["fold"] for f in folds] == [1, 2, 3, 4]

    def test_interaction_folds_are_balanced_by_pair(self):
        data = medium()
        sizes = [len(pairs(f.test)) for f in KFold(n_splits=5, random_state=1).split(data)]
        assert max(sizes) - min(sizes) <= 1

    def test_user_interaction_folds_spread_each_user(self):
        data = medium(duplicates=False)
        folds = list(KFold(n_splits=3, random_state=2, by="user-interaction").split(data))
        for user in data.interactions["user"].unique():
            counts = [per_user(f.test).get(user, 0) for f in folds]
            assert max(counts) - min(counts) <= 1

    def test_call_is_the_first_fold_and_seeds_repeat(self):
        data = medium()
        splitter = KFold(n_splits=3, random_state=5, validation_size=0.2)
        folds = [signature(f) for f in splitter.split(data)]
        assert signature(splitter(data)) == folds[0]
        assert [signature(f) for f in splitter.split(data)] == folds
        assert [signature(f) for f in KFold(3, random_state=6).split(data)] != folds
        assert [signature(f) for f in splitter.split(shuffled(data))] == folds

    @pytest.mark.parametrize("by", ["interaction", "user-interaction"])
    def test_validation_is_carved_from_the_training_folds(self, by):
        data = medium()
        for fold in KFold(n_splits=3, random_state=0, by=by, validation_size=0.2).split(data):
            assert fold.validation is not None
            assert_partition(fold, data)
            assert_pair_disjoint(fold)
            share = fold.validation.n_interactions / fold.train_full.n_interactions
            assert 0.1 < share < 0.35

    def test_too_few_pairs(self):
        data = make([("u10", "i37", 1), ("u10", "i37", 2), ("u10", "i40", 3)])
        with pytest.raises(DataError, match="2 distinct"):
            KFold(n_splits=3).split(data)
        with pytest.raises(DataError, match="no interactions"):
            KFold().split(make([], columns=("user", "item")))

    @pytest.mark.parametrize(
        "params",
        [{"n_splits": 1}, {"by": "user"}, {"random_state": "x"}, {"validation_size": 1}],
    )
    def test_bad_parameters(self, params):
        with pytest.raises(ParameterError, match=next(iter(params))):
            KFold(**params)


# -- names, protocols, info -------------------------------------------------------------


class TestMakeSplitter:
    @pytest.mark.parametrize("name", sorted(PROTOCOLS))
    def test_every_protocol_splits(self, name):
        split = make_splitter(name, random_state=0)(medium())  # deterministic ones ignore it
        if "temporal" not in name:
            assert_pair_disjoint(split)
        assert split.test.n_interactions > 0
        assert (split.validation is not None) == ("10-10" in name or "val" in name)

    def test_splitter_names(self):
        assert isinstance(make_splitter("random-holdout"), RandomHoldout)
        assert set(SPLITTERS) == {
            "random-holdout",
            "temporal",
            "leave-last-out",
            "kfold",
            "cold-item",
            "new-user",
        }

    @pytest.mark.parametrize(
        ("name", "cls", "params"),
        [
            ("random-70-30", RandomHoldout, {"test_size": 0.3}),
            ("Random-80-20", RandomHoldout, {"test_size": 0.2}),
            ("random-70-10-20", RandomHoldout, {"test_size": 0.2, "validation_size": 0.125}),
            ("temporal-90-10", TemporalSplit, {"test_size": 0.1}),
            ("leave-last-3", LeaveLastOut, {"n": 3}),
            ("leave-last-2-val-1", LeaveLastOut, {"n": 2, "n_validation": 1}),
            ("kfold-10", KFold, {"n_splits": 10, "by": "interaction"}),
            ("user-kfold-3", KFold, {"n_splits": 3, "by": "user-interaction"}),
        ],
    )
    def test_patterns(self, name, cls, params):
        splitter = make_splitter(name)
        assert type(splitter) is cls
        got = splitter.get_params()
        assert {k: got[k] for k in params} == pytest.approx(params)

    def test_params_override(self):
        splitter = make_splitter("random-80-20", random_state=42, test_size=0.3)
        assert (splitter.random_state, splitter.test_size) == (42, 0.3)
        assert splitter.name == "random-holdout(test=0.3, seed=42)"

    def test_unknown_name_suggests(self):
        with pytest.raises(ParameterError, match="did you mean 'random-80-20'"):
            make_splitter("randm-80-20")
        with pytest.raises(ParameterError, match="patterns"):
            make_splitter("bootstrap")
        with pytest.raises(ParameterError, match="add up to 100"):
            make_splitter("random-80-30")

    def test_unknown_or_bad_parameter(self):
        with pytest.raises(ParameterError, match="'seed' .*'random_state'"):
            make_splitter("random-80-20", seed=1)
        with pytest.raises(ParameterError, match="n_splits"):
            make_splitter("kfold-1")


def test_split_info_counts_each_part():
    data = make(list(TestLeaveLastOut.DATA))
    info = split_info(LeaveLastOut(n_validation=1)(data))
    assert info["name"] == "leave-last-out(n=1, validation=1)"
    assert info["train"] == {"n_interactions": 4, "n_users": 3, "n_items": 2}
    assert info["validation"] == {"n_interactions": 1, "n_users": 1, "n_items": 1}
    assert info["test"] == {"n_interactions": 2, "n_users": 2, "n_items": 1}
    assert info["n_users_too_few"] == 1
    assert split_info(LeaveLastOut()(data))["validation"] is None


# -- cold-start protocols ---------------------------------------------------------------


def test_cold_item_holds_out_exactly_the_chosen_items_with_all_their_rows():
    data = medium(seed=3)
    split = make_splitter("cold-item-20", random_state=7)(data)
    frame = data.interactions
    n_items = frame["item"].nunique()
    held = set(split.candidates.tolist())
    assert len(held) == int(0.2 * n_items)
    assert len(split.candidates) == len(held)
    # in the drawn order, not by id: ties (items a model cannot score) keep this order
    positions = data.item_map.index_of(list(split.candidates))
    assert list(positions) != sorted(positions)
    # every row of a held-out item is in test, and nothing else is
    assert rows(split.test) == set(np.flatnonzero(frame["item"].isin(held)).tolist())
    assert rows(split.train) == set(np.flatnonzero(~frame["item"].isin(held)).tolist())
    assert not held & set(split.train.interactions["item"])
    assert split.history is None and split.validation is None
    # the catalogue keeps the held-out items
    assert split.train.item_map is data.item_map
    assert split.info["n_held_out_items"] == len(held)
    assert split.info["n_cold_items"] == len(held)
    assert split_info(split)["n_candidates"] == len(held)
    assert "history" not in split_info(split)


def test_cold_item_is_seeded_and_ignores_row_order():
    data = medium(seed=3)
    a = ColdItemSplit(0.3, random_state=1)(data)
    b = ColdItemSplit(0.3, random_state=1)(shuffled(data))
    c = ColdItemSplit(0.3, random_state=2)(data)
    assert list(a.candidates) == list(b.candidates)
    assert list(a.candidates) != list(c.candidates)


def new_users() -> Dataset:
    """u0 and u1: 17 items each at times 100, 99, ..., 84 (item ``u<k>-<t>``); u2 has 14."""
    rows_ = []
    for user, n in (("u0", 17), ("u1", 17), ("u2", 14)):
        rows_ += [(user, f"{user}-{t}", 100 - t) for t in range(n)]
    return make(rows_)


def test_new_user_reveals_the_first_5_and_tests_the_next_10():
    data = new_users()
    split = NewUserSplit(n_reveal=5, n_test=10, user_fraction=0.5, random_state=0)(data)
    # u2 has 14 < 15 items: never held out; one of u0, u1 is
    (held,) = set(split.test.interactions["user"])
    assert held in {"u0", "u1"}
    # times are 100 - t: the earliest items have the largest t
    revealed = split.history.interactions
    assert set(revealed["user"]) == {held}
    assert set(revealed["item"]) == {f"{held}-{t}" for t in (16, 15, 14, 13, 12)}
    assert set(split.test.interactions["item"]) == {f"{held}-{t}" for t in range(2, 12)}
    # the held-out user is absent from training; the other two are whole there
    train = split.train.interactions
    assert held not in set(train["user"])
    assert len(train) == 17 + 14
    assert split.info["n_rows_dropped"] == 2
    assert split.info["n_users_too_few"] == 1
    assert split.info["n_cold_users"] == 1
    assert split.candidates is None
    info = split_info(split)
    assert info["history"] == {"n_interactions": 5, "n_users": 1, "n_items": 5}
    assert info["test"] == {"n_interactions": 10, "n_users": 1, "n_items": 10}
    assert "n_candidates" not in info


def test_new_user_groups_repeated_pairs_by_their_first_row():
    rows_ = [("u0", f"i{t}", t) for t in range(16)] + [("u0", "i0", 50), ("v", "i0", 1)]
    split = NewUserSplit(n_reveal=2, n_test=3, user_fraction=0.5, random_state=0)(make(rows_))
    assert set(split.history.interactions["item"]) == {"i0", "i1"}
    assert len(split.history.interactions) == 3  # both rows of (u0, i0)
    assert set(split.test.interactions["item"]) == {"i2", "i3", "i4"}


def test_new_user_protocol_pattern_and_errors():
    splitter = make_splitter("new-user-3-7", random_state=1)
    assert (splitter.n_reveal, splitter.n_test) == (3, 7)
    assert make_splitter("cold-item-10").item_fraction == 0.1
    with pytest.raises(ParameterError, match="between 1 and 99"):
        make_splitter("cold-item-100")
    no_times = make([("u", "a"), ("u", "b")], columns=("user", "item"))
    with pytest.raises(DataError, match=r"new-user\(reveal=5.*timestamp.*cold-item-20"):
        make_splitter("new-user-5-10")(no_times)
    with pytest.raises(DataError, match="no user .* has 15 distinct items"):
        make_splitter("new-user-5-10")(new_users().subset(np.arange(34, 48)))
    with pytest.raises(DataError, match="at least 2"):
        ColdItemSplit()(make([("u", "a", 1), ("v", "a", 2)]))
