"""Splits: train / validation / test, seeded and leak-free.

A splitter is a callable ``splitter(data) -> Split`` whose parameters are set (and
checked) in ``__init__``. Conventions shared by every splitter:

- **No pair leaks.** :class:`RandomHoldout`, :class:`LeaveLastOut` and :class:`KFold`
  first group the rows by ``(user, item)``: every row of a repeated pair goes to the same
  part, so a test pair is never also a training pair. :class:`TemporalSplit` cuts by time
  only (train must precede test); it counts the test pairs already seen in training in
  ``Split.info["n_test_pairs_in_train"]``.
- **Row order does not matter.** Random draws are made over the distinct pairs sorted
  by (user position, item position), and positions come from the sorted id maps, so
  shuffling the input rows gives the same parts for the same ``random_state``. The one
  exception is documented: :class:`LeaveLastOut` breaks timestamp ties by row position.
- **Seeded.** ``random_state`` (int or None) goes to :func:`numpy.random.default_rng`;
  None draws fresh randomness on every call.
- **Validation comes from training data.** ``validation_size`` is a fraction *of the
  training part* (what is left once test is removed) and is carved from it the same way
  test was carved from the whole; 0 gives ``Split.validation = None``.
- **Nothing lost.** Train, validation and test together hold every input row exactly
  once; all three share the parent's id maps (:meth:`Dataset.subset`). The exception is
  :class:`NewUserSplit`: a held-out user's revealed rows are in ``Split.history`` and the
  rows after the tested ones are dropped (counted in ``info["n_rows_dropped"]``).
- **Cold start.** :class:`ColdItemSplit` (``cold-item-20``) holds out items,
  :class:`NewUserSplit` (``new-user-5-10``) users; ``Split.candidates`` and
  ``Split.history`` tell the evaluator how to rank them.
- **Counted.** ``Split.info`` holds counts such as ``n_cold_users`` (test users with no
  training row; they stay in test and the evaluator handles them), ``n_cold_items`` and
  ``n_users_train_only``; :func:`split_info` adds per-part sizes.
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal, NamedTuple, Protocol

import numpy as np
import pandas as pd

from tastemaker._validation import SEED, Interval, Options, param_error, validate
from tastemaker.data._dataset import Dataset
from tastemaker.errors import DataError, ParameterError

__all__ = [
    "PROTOCOLS",
    "SPLITTERS",
    "ColdItemSplit",
    "KFold",
    "LeaveLastOut",
    "NewUserSplit",
    "RandomHoldout",
    "Split",
    "SplitProtocol",
    "Splitter",
    "TemporalSplit",
    "make_splitter",
    "split_info",
]


@dataclass(frozen=True)
class Split:
    """The result of a splitter: three datasets sharing the parent's id maps.

    ``validation`` is carved from the training part only (``None`` when not asked for);
    ``train`` excludes it, so a model tuned on ``validation`` then refitted on
    ``train_full`` never sees ``test``.

    ``info`` holds what the splitter counted (cold-start users and items, users kept
    entirely in training, the time cut, ...); see :func:`split_info`.

    Cold-start protocols say how test is to be ranked: ``history`` holds events
    revealed at recommendation time (:class:`NewUserSplit`: each held-out user's first
    interactions, given to ``recommend_history``, never to ``fit``), and
    ``candidates`` the item ids to rank (:class:`ColdItemSplit`: the held-out items,
    given as ``recommend(..., items=candidates)``). Both are ``None`` for warm splits.
    """

    train: Dataset
    test: Dataset
    validation: Dataset | None = None
    name: str = "split"
    info: dict[str, Any] = field(default_factory=dict, compare=False)
    history: Dataset | None = None
    candidates: np.ndarray | None = field(default=None, compare=False)

    @property
    def train_full(self) -> Dataset:
        """Training data including the validation part (for the final fit)."""
        if self.validation is None:
            return self.train
        import pandas as pd

        frame = pd.concat(
            [self.train.interactions, self.validation.interactions], ignore_index=True
        )
        return self.train.replace(frame)


class Splitter(Protocol):
    """Anything that splits a dataset: ``splitter(data) -> Split``."""

    def __call__(self, data: Dataset) -> Split: ...


# -- shared machinery -------------------------------------------------------------------

_TRAIN, _VALIDATION, _TEST = 0, 1, 2
_EPS = 1e-9  # so that 0.3 * 10 rounds down to 3, not 2


# parameter constraints shared by the splitters (see tastemaker._validation)
_TEST_SIZE = Interval("real", 0, 1, closed="neither")
_VALIDATION_SIZE = Interval("real", 0, 1, closed="left")
_SEED_OR_NONE = [SEED, None]


def _check_not_empty(data: Dataset, owner: str) -> None:
    if data.n_interactions == 0:
        raise DataError(f"{owner}: cannot split {data.name!r}: it has no interactions.")


def _timestamps(data: Dataset, owner: str, hint: str) -> np.ndarray:
    if not data.has_timestamps:
        raise DataError(
            f"{owner} needs a 'timestamp' column; {data.name!r} has columns "
            f"{list(data.interactions.columns)}. {hint}"
        )
    return data.interactions["timestamp"].to_numpy(np.int64)


def _iso(seconds: int) -> str:
    return pd.Timestamp(int(seconds), unit="s", tz="UTC").isoformat()


def _fmt(value: float) -> str:
    return f"{value:.4g}"


@dataclass
class _Pairs:
    """Distinct (user, item) pairs sorted by (user position, item position).

    ``user`` and ``item`` hold each pair's positions; ``of_row`` maps every row to its
    pair. Working on these, not on rows, makes splits ignore row order.
    """

    user: np.ndarray
    item: np.ndarray
    of_row: np.ndarray

    def __len__(self) -> int:
        return len(self.user)


def _pairs(data: Dataset) -> _Pairs:
    n_items = max(data.n_items, 1)
    code = data.user_idx.astype(np.int64) * n_items + data.item_idx.astype(np.int64)
    unique, inverse = np.unique(code, return_inverse=True)
    return _Pairs(user=unique // n_items, item=unique % n_items, of_row=inverse.reshape(-1))


def _group_ranks(sorted_groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a sorted group array: each element's rank in its group, group number, group sizes."""
    n = len(sorted_groups)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, n])
    group = np.repeat(np.arange(len(starts)), sizes)
    return np.arange(n) - starts[group], group, sizes


def _holdout_per_user(
    users: np.ndarray,
    candidates: np.ndarray,
    fraction: float,
    min_keep: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """Pick, per user, a random ``fraction`` of the user's candidate pairs.

    A user with ``k`` candidates gives ``floor(fraction * k)`` of them, at least one when
    ``k > min_keep`` and never so many that fewer than ``min_keep`` remain; users with
    ``k <= min_keep`` give none. Returns the picked mask and the number of those users.
    """
    picked = np.zeros(len(users), dtype=bool)
    idx = np.flatnonzero(candidates)
    if len(idx) == 0:
        return picked, 0
    owner = users[idx]
    order = np.lexsort((rng.random(len(idx)), owner))
    rank, group, sizes = _group_ranks(owner[order])
    n_out = np.floor(fraction * sizes + _EPS).astype(np.int64)
    n_out = np.minimum(np.maximum(n_out, 1), sizes - min_keep)
    n_out = np.maximum(n_out, 0)
    picked[idx[order[rank < n_out[group]]]] = True
    return picked, int(np.count_nonzero(sizes <= min_keep))


def _overlap_counts(data: Dataset, part: np.ndarray, pairs: _Pairs) -> dict[str, int]:
    """Cold-start and overlap counts between the parts of a row-level assignment."""

    def counts(fit: np.ndarray, held: np.ndarray, suffix: str) -> dict[str, int]:
        users_fit, users_held = np.unique(data.user_idx[fit]), np.unique(data.user_idx[held])
        items_fit, items_held = np.unique(data.item_idx[fit]), np.unique(data.item_idx[held])
        pairs_fit, pairs_held = np.unique(pairs.of_row[fit]), np.unique(pairs.of_row[held])
        return {
            f"n_cold_users{suffix}": int(np.setdiff1d(users_held, users_fit).size),
            f"n_cold_items{suffix}": int(np.setdiff1d(items_held, items_fit).size),
            f"n{suffix}_pairs_in_train": int(np.intersect1d(pairs_held, pairs_fit).size),
        }

    train_full, test = (part == _TRAIN) | (part == _VALIDATION), part == _TEST
    out = counts(train_full, test, "")
    out["n_test_pairs_in_train"] = out.pop("n_pairs_in_train")
    users_fit, users_test = np.unique(data.user_idx[train_full]), np.unique(data.user_idx[test])
    out["n_users_train_only"] = int(np.setdiff1d(users_fit, users_test).size)
    if (part == _VALIDATION).any():
        out.update(counts(part == _TRAIN, part == _VALIDATION, "_validation"))
    return out


def _assemble(
    data: Dataset,
    part: np.ndarray,
    pairs: _Pairs,
    name: str,
    info: dict[str, Any],
    *,
    want_validation: bool,
    empty_test_hint: str,
) -> Split:
    """Build the :class:`Split` from a row-level part assignment, or say why not."""
    train_rows = np.flatnonzero(part == _TRAIN)
    validation_rows = np.flatnonzero(part == _VALIDATION)
    test_rows = np.flatnonzero(part == _TEST)
    if len(test_rows) == 0:
        raise DataError(f"{name}: the test set of {data.name!r} would be empty; {empty_test_hint}")
    if len(train_rows) == 0:
        raise DataError(
            f"{name}: the training set of {data.name!r} would be empty; "
            "hold out a smaller part or use more data."
        )
    if want_validation and len(validation_rows) == 0:
        raise DataError(
            f"{name}: the validation set of {data.name!r} would be empty (no user has enough "
            "training interactions to spare); raise the validation size or use more data."
        )
    full_info = {"n_rows_grouped": int(data.n_interactions - len(pairs))}
    full_info.update(_overlap_counts(data, part, pairs))
    full_info.update(info)
    return Split(
        train=data.subset(train_rows, name=f"{data.name} train"),
        test=data.subset(test_rows, name=f"{data.name} test"),
        validation=(
            data.subset(validation_rows, name=f"{data.name} validation")
            if want_validation
            else None
        ),
        name=name,
        info=full_info,
    )


class _Splitter:
    """Parameters read from the signature, as in models: written once."""

    def __call__(self, data: Dataset) -> Split:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters as a dict."""
        return {name: getattr(self, name) for name in self._param_names()}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


# -- the splitters ----------------------------------------------------------------------


class RandomHoldout(_Splitter):
    """Per user, a random fraction of the user's interactions goes to test.

    Rows are first grouped by ``(user, item)``: all rows of a repeated pair go to the same
    part, and fractions count distinct pairs. A user with ``k`` pairs gives
    ``floor(test_size * k)`` of them to test, at least one when ``k >= min_train + 1``,
    and keeps at least ``min_train`` in training; users with ``k <= min_train`` stay
    entirely in training (counted in ``info["n_users_too_few"]``).

    Parameters
    ----------
    test_size : float, default=0.2
        Fraction of each user's pairs held out for test, in (0, 1).
    validation_size : float, default=0.0
        Fraction of each user's remaining training pairs carved out, by the same rule,
        for validation, in [0, 1); 0 means no validation part. For a per-user 8:1:1
        split use ``test_size=0.1, validation_size=1/9``.
    random_state : int or None, default=None
        Seed for :func:`numpy.random.default_rng`.
    min_train : int, default=1
        Pairs each user keeps in training (train plus validation count for test, train
        alone for validation).

    Examples
    --------
    >>> split = RandomHoldout(test_size=0.2, random_state=42)(data)  # doctest: +SKIP
    >>> split.name  # doctest: +SKIP
    'random-holdout(test=0.2, seed=42)'
    """

    def __init__(
        self,
        test_size: float = 0.2,
        validation_size: float = 0.0,
        random_state: int | None = None,
        min_train: int = 1,
    ):
        validate(
            type(self).__name__,
            {
                "test_size": test_size,
                "validation_size": validation_size,
                "random_state": random_state,
                "min_train": min_train,
            },
            {
                "test_size": _TEST_SIZE,
                "validation_size": _VALIDATION_SIZE,
                "random_state": _SEED_OR_NONE,
                "min_train": Interval("int", 1),
            },
        )
        self.test_size = test_size
        self.validation_size = validation_size
        self.random_state = random_state
        self.min_train = min_train

    @property
    def name(self) -> str:
        parts = [f"test={_fmt(self.test_size)}"]
        if self.validation_size:
            parts.append(f"validation={_fmt(self.validation_size)}")
        if self.min_train != 1:
            parts.append(f"min_train={self.min_train}")
        parts.append(f"seed={self.random_state}")
        return f"random-holdout({', '.join(parts)})"

    def __call__(self, data: Dataset) -> Split:
        """Split ``data``; see the class docstring."""
        _check_not_empty(data, self.name)
        rng = np.random.default_rng(self.random_state)
        pairs = _pairs(data)
        everything = np.ones(len(pairs), dtype=bool)
        test, n_too_few = _holdout_per_user(
            pairs.user, everything, self.test_size, self.min_train, rng
        )
        part_of_pair = np.where(test, _TEST, _TRAIN).astype(np.int8)
        if self.validation_size:
            validation, _ = _holdout_per_user(
                pairs.user, ~test, self.validation_size, self.min_train, rng
            )
            part_of_pair[validation] = _VALIDATION
        return _assemble(
            data,
            part_of_pair[pairs.of_row],
            pairs,
            self.name,
            {"n_users_too_few": n_too_few},
            want_validation=bool(self.validation_size),
            empty_test_hint=(
                f"every user has at most min_train={self.min_train} distinct item(s); "
                "lower min_train or use more data."
            ),
        )


def _at_seconds(owner: str, at: Any) -> int:
    """``at`` as unix seconds, rounded up (test starts at the first whole second >= at)."""
    bad = param_error(
        owner, "at", 'unix seconds (int) or an ISO 8601 date such as "2024-01-13T08:00:00Z"', at
    )
    if isinstance(at, (bool, np.bool_)):
        raise bad
    if isinstance(at, (int, np.integer)):
        return int(at)
    if not isinstance(at, (str, datetime, date, pd.Timestamp, np.datetime64)):
        raise bad
    try:
        stamp = pd.Timestamp(at)
    except (ValueError, TypeError, OverflowError) as err:
        raise bad from err
    if pd.isna(stamp):
        raise bad
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return -(-int(stamp.value) // 10**9)


def _quantile_cut(timestamps: np.ndarray, fraction: float) -> int:
    """The timestamp from which on (inclusive) the latest ``fraction`` of rows lies."""
    ordered = np.sort(timestamps)
    n_held = max(1, math.floor(fraction * len(ordered) + _EPS))
    return int(ordered[len(ordered) - n_held])


class TemporalSplit(_Splitter):
    """A global time cut: interactions from the cut on go to test, earlier ones to train.

    Tie rule: the cut belongs to test. Test holds every row with ``timestamp >= cut``,
    train every row with ``timestamp < cut``, so all training timestamps are strictly
    earlier than all test timestamps. With ``at`` the cut is ``at``; otherwise it is the
    timestamp of the ``floor(test_size * n)``-th latest row (at least the latest), and
    rows tied with it join test, so test can be a little larger than ``test_size``
    (the achieved fraction is ``info["test_fraction"]``).

    Test rows of users or items absent from training stay in test (cold start; the
    evaluator handles them) and are counted in ``info["n_cold_users"]`` and
    ``info["n_cold_items"]``. Pairs seen in training and again after the cut are not
    moved (that would break time order); they are counted in
    ``info["n_test_pairs_in_train"]``.

    Parameters
    ----------
    at : int or str, optional
        The cut: unix seconds, or an ISO 8601 date/time (UTC unless it names a zone;
        ``"2024-01-01"`` puts that whole day in test). When given, ``test_size`` is not
        used.
    test_size : float, default=0.2
        Fraction of rows, the latest ones, that go to test when ``at`` is not given.
    validation_size : float, default=0.0
        Fraction of the training rows, the latest ones, that go to validation (the same
        cut rule inside training); 0 means no validation part.

    Raises
    ------
    DataError
        If the data has no ``timestamp`` column, or a part would be empty.
    """

    def __init__(
        self,
        at: int | str | None = None,
        test_size: float = 0.2,
        validation_size: float = 0.0,
    ):
        owner = type(self).__name__
        if at is not None:
            _at_seconds(owner, at)
        validate(
            owner,
            {"test_size": test_size, "validation_size": validation_size},
            {"test_size": _TEST_SIZE, "validation_size": _VALIDATION_SIZE},
        )
        self.at = at
        self.test_size = test_size
        self.validation_size = validation_size

    @property
    def name(self) -> str:
        parts = [f"at={self.at}" if self.at is not None else f"test={_fmt(self.test_size)}"]
        if self.validation_size:
            parts.append(f"validation={_fmt(self.validation_size)}")
        return f"temporal({', '.join(parts)})"

    def __call__(self, data: Dataset) -> Split:
        """Split ``data``; see the class docstring."""
        name = self.name
        _check_not_empty(data, name)
        timestamps = _timestamps(
            data, type(self).__name__, "Use RandomHoldout for data without times."
        )
        if self.at is not None:
            cut = _at_seconds(type(self).__name__, self.at)
        else:
            cut = _quantile_cut(timestamps, self.test_size)
        test = timestamps >= cut
        first, last = int(timestamps.min()), int(timestamps.max())
        if not test.any():
            raise DataError(
                f"{name}: the test set of {data.name!r} would be empty: no interaction at or "
                f"after {_iso(cut)}; the data runs from {_iso(first)} to {_iso(last)}."
            )
        if test.all():
            why = (
                "all timestamps are equal"
                if first == last and self.at is None
                else f"no interaction before {_iso(cut)}; the data starts at {_iso(first)}"
            )
            raise DataError(f"{name}: the training set of {data.name!r} would be empty: {why}.")
        part = np.where(test, _TEST, _TRAIN).astype(np.int8)
        info: dict[str, Any] = {
            "cut": cut,
            "cut_iso": _iso(cut),
            "test_fraction": float(test.mean()),
        }
        if self.validation_size:
            train_rows = np.flatnonzero(~test)
            validation_cut = _quantile_cut(timestamps[train_rows], self.validation_size)
            validation = timestamps[train_rows] >= validation_cut
            if validation.all():
                raise DataError(
                    f"{name}: the training set of {data.name!r} would be empty: every training "
                    f"timestamp ties at the validation cut {_iso(validation_cut)}."
                )
            part[train_rows[validation]] = _VALIDATION
            info["validation_cut"] = validation_cut
            info["validation_cut_iso"] = _iso(validation_cut)
        return _assemble(
            data,
            part,
            _pairs(data),
            name,
            info,
            want_validation=bool(self.validation_size),
            empty_test_hint="move the cut earlier.",
        )


class LeaveLastOut(_Splitter):
    """Per user, the last ``n`` interactions go to test and the ``n_validation`` before
    them to validation.

    Rows are grouped by ``(user, item)`` first, as in every splitter: a pair's time is
    that of its latest row and all its rows go to the same part, so "the last ``n``
    interactions" are the ``n`` most recently touched distinct items. Users with at most
    ``n`` pairs stay entirely in training (``info["n_users_too_few"]``); a user with
    fewer than ``n + n_validation + 1`` pairs gives test its ``n`` and validation only
    what is left beyond one training pair.

    Tie rule: rows are ordered by a stable sort on (user, timestamp), so rows with equal
    timestamps keep their input order and the later row counts as more recent. This is
    the one splitter whose result can depend on row order, and only through such ties.
    With ``order="row"`` the input order alone defines recency.

    Parameters
    ----------
    n : int, default=1
        Interactions per user held out for test.
    n_validation : int, default=0
        Interactions per user, just before the test ones, held out for validation.
    order : {"timestamp", "row"}, default="timestamp"
        What "last" means: by timestamp (the data needs a ``timestamp`` column) or by
        position in the input.
    """

    def __init__(
        self,
        n: int = 1,
        n_validation: int = 0,
        order: Literal["timestamp", "row"] = "timestamp",
    ):
        validate(
            type(self).__name__,
            {"n": n, "n_validation": n_validation, "order": order},
            {
                "n": Interval("int", 1),
                "n_validation": Interval("int", 0),
                "order": Options(("timestamp", "row")),
            },
        )
        self.n = n
        self.n_validation = n_validation
        self.order = order

    @property
    def name(self) -> str:
        parts = [f"n={self.n}"]
        if self.n_validation:
            parts.append(f"validation={self.n_validation}")
        if self.order != "timestamp":
            parts.append(f"order={self.order}")
        return f"leave-last-out({', '.join(parts)})"

    def __call__(self, data: Dataset) -> Split:
        """Split ``data``; see the class docstring."""
        name = self.name
        _check_not_empty(data, name)
        n_rows = data.n_interactions
        if self.order == "timestamp":
            timestamps = _timestamps(
                data,
                type(self).__name__,
                'Pass order="row" to take the last rows in file order instead.',
            )
            by_time = np.lexsort((timestamps, data.user_idx))  # stable: ties keep row order
            recency = np.empty(n_rows, dtype=np.int64)
            recency[by_time] = np.arange(n_rows)
        else:
            recency = np.arange(n_rows, dtype=np.int64)
        pairs = _pairs(data)
        pair_recency = np.full(len(pairs), -1, dtype=np.int64)
        np.maximum.at(pair_recency, pairs.of_row, recency)
        order = np.lexsort((pair_recency, pairs.user))
        rank, group, sizes = _group_ranks(pairs.user[order])
        from_end = sizes[group] - 1 - rank
        n_pairs = sizes[group]
        test = (n_pairs > self.n) & (from_end < self.n)
        n_validation = np.clip(n_pairs - self.n - 1, 0, self.n_validation)
        validation = (n_pairs > self.n) & (from_end >= self.n) & (from_end < self.n + n_validation)
        part_of_pair = np.full(len(pairs), _TRAIN, dtype=np.int8)
        part_of_pair[order[test]] = _TEST
        part_of_pair[order[validation]] = _VALIDATION
        return _assemble(
            data,
            part_of_pair[pairs.of_row],
            pairs,
            name,
            {"n_users_too_few": int(np.count_nonzero(sizes <= self.n))},
            want_validation=bool(self.n_validation),
            empty_test_hint=f"every user has at most n={self.n} distinct item(s).",
        )


class KFold(_Splitter):
    """K-fold cross-validation: ``KFold(...).split(data)`` yields one :class:`Split` per fold.

    Distinct ``(user, item)`` pairs (with all their rows) are partitioned into
    ``n_splits`` folds of near-equal size; fold ``f`` is the test part of the ``f``-th
    split and the other folds its training part.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    random_state : int or None, default=None
        Seed for :func:`numpy.random.default_rng`.
    by : {"interaction", "user-interaction"}, default="interaction"
        ``"interaction"``: a global random partition of the pairs (like Surprise's folds
        and MovieLens-100K's u1-u5; a user may be absent from a training fold).
        ``"user-interaction"``: each user's pairs are spread over the folds, the counts
        differing by at most one between folds.
    validation_size : float, default=0.0
        Fraction of each training fold carved out at random for validation (globally for
        ``by="interaction"``, per user for ``by="user-interaction"``); 0 means none.

    Notes
    -----
    Calling the splitter returns the first fold only, so a ``KFold`` can be used
    wherever a single split is expected.
    """

    def __init__(
        self,
        n_splits: int = 5,
        random_state: int | None = None,
        by: Literal["interaction", "user-interaction"] = "interaction",
        validation_size: float = 0.0,
    ):
        validate(
            type(self).__name__,
            {
                "n_splits": n_splits,
                "random_state": random_state,
                "by": by,
                "validation_size": validation_size,
            },
            {
                "n_splits": Interval("int", 2),
                "random_state": _SEED_OR_NONE,
                "by": Options(("interaction", "user-interaction")),
                "validation_size": _VALIDATION_SIZE,
            },
        )
        self.n_splits = n_splits
        self.random_state = random_state
        self.by = by
        self.validation_size = validation_size

    @property
    def name(self) -> str:
        return self._fold_name(None)

    def _fold_name(self, fold: int | None) -> str:
        parts = [f"k={self.n_splits}"]
        if fold is not None:
            parts.append(f"fold={fold + 1}")
        parts.append(f"by={self.by}")
        if self.validation_size:
            parts.append(f"validation={_fmt(self.validation_size)}")
        parts.append(f"seed={self.random_state}")
        return f"kfold({', '.join(parts)})"

    def __call__(self, data: Dataset) -> Split:
        """The first fold of :meth:`split`."""
        return next(self.split(data))

    def split(self, data: Dataset) -> Iterator[Split]:
        """Yield the ``n_splits`` splits of ``data``, fold 1 first.

        Raises
        ------
        DataError
            At once (before the first fold) if the data is empty or a fold would be.
        """
        _check_not_empty(data, self.name)
        pairs = _pairs(data)
        k = self.n_splits
        if len(pairs) < k:
            raise DataError(
                f"{self.name}: {data.name!r} has {len(pairs)} distinct (user, item) pair(s); "
                f"{k} folds need at least {k}. Use fewer folds."
            )
        rng = np.random.default_rng(self.random_state)
        fold_of_pair = np.empty(len(pairs), dtype=np.int64)
        if self.by == "interaction":
            fold_of_pair[rng.permutation(len(pairs))] = np.arange(len(pairs)) % k
        else:
            order = np.lexsort((rng.random(len(pairs)), pairs.user))
            rank, _, _ = _group_ranks(pairs.user[order])
            offset = rng.integers(0, k, size=max(data.n_users, 1))
            fold_of_pair[order] = (rank + offset[pairs.user[order]]) % k
        sizes = np.bincount(fold_of_pair, minlength=k)
        if (sizes == 0).any():
            raise DataError(
                f"{self.name}: fold {int(np.argmin(sizes)) + 1} of {data.name!r} would be "
                "empty (too few interactions per user for this many folds). Use fewer folds."
            )
        seeds = rng.integers(0, 2**63 - 1, size=k)
        return (
            self._fold(data, pairs, fold_of_pair, fold, np.random.default_rng(seeds[fold]))
            for fold in range(k)
        )

    def _fold(
        self,
        data: Dataset,
        pairs: _Pairs,
        fold_of_pair: np.ndarray,
        fold: int,
        rng: np.random.Generator,
    ) -> Split:
        test = fold_of_pair == fold
        part_of_pair = np.where(test, _TEST, _TRAIN).astype(np.int8)
        if self.validation_size:
            if self.by == "interaction":
                train_idx = np.flatnonzero(~test)
                n_validation = max(1, math.floor(self.validation_size * len(train_idx) + _EPS))
                n_validation = min(n_validation, len(train_idx) - 1)
                chosen = rng.permutation(train_idx)[:n_validation]
                part_of_pair[chosen] = _VALIDATION
            else:
                validation, _ = _holdout_per_user(pairs.user, ~test, self.validation_size, 1, rng)
                part_of_pair[validation] = _VALIDATION
        return _assemble(
            data,
            part_of_pair[pairs.of_row],
            pairs,
            self._fold_name(fold),
            {"fold": fold + 1, "n_splits": self.n_splits},
            want_validation=bool(self.validation_size),
            empty_test_hint="use fewer folds.",
        )


class ColdItemSplit(_Splitter):
    """Cold items: a random share of the items, with all their interactions, to test.

    ``floor(item_fraction * n)`` of the ``n`` items that have interactions (at least
    one, at most ``n - 1``) are drawn at random; every row naming them goes to test and
    every other row to train, so no held-out item has a training interaction. The item
    table and id maps keep the held-out items, so models that read item features can
    score them; ``Split.candidates`` holds their ids in a random (seeded) order: the
    evaluator ranks, for each test user, only these items
    (``recommend(..., items=candidates)``), the user's training items excluded as usual.
    Models that cannot score cold items rank them all as ``cold-item``, ties that keep
    the candidates' order: a random order makes that a chance-level result. (In id
    order it would not be: low MovieLens ids are old, popular films, and ties ranked by
    id reach 5.6x chance Recall@20 on ML-latest-small.)

    Users whose every interaction names a held-out item have no training row: they stay
    in test and get the fallback (``info["n_cold_users"]``).

    Parameters
    ----------
    item_fraction : float, default=0.2
        Share of the items (with interactions) held out, in (0, 1).
    random_state : int or None, default=None
        Seed for :func:`numpy.random.default_rng`.
    """

    def __init__(self, item_fraction: float = 0.2, random_state: int | None = None):
        validate(
            type(self).__name__,
            {"item_fraction": item_fraction, "random_state": random_state},
            {"item_fraction": _TEST_SIZE, "random_state": _SEED_OR_NONE},
        )
        self.item_fraction = item_fraction
        self.random_state = random_state

    @property
    def name(self) -> str:
        return f"cold-item(items={_fmt(self.item_fraction)}, seed={self.random_state})"

    def __call__(self, data: Dataset) -> Split:
        """Split ``data``; see the class docstring."""
        name = self.name
        _check_not_empty(data, name)
        items = np.unique(data.item_idx)
        if len(items) < 2:
            raise DataError(
                f"{name}: {data.name!r} has {len(items)} item(s) with interactions; holding "
                "items out needs at least 2."
            )
        rng = np.random.default_rng(self.random_state)
        n_out = max(1, math.floor(self.item_fraction * len(items) + _EPS))
        n_out = min(n_out, len(items) - 1)
        held = rng.permutation(items)[:n_out]  # kept in this order: see candidates
        test = np.isin(data.item_idx, held)
        pairs = _pairs(data)
        split = _assemble(
            data,
            np.where(test, _TEST, _TRAIN).astype(np.int8),
            pairs,
            name,
            {"n_held_out_items": int(n_out)},
            want_validation=False,
            empty_test_hint="hold out more items.",
        )
        candidates = np.asarray(data.item_map.ids_of(held.astype(np.int64)), dtype=object)
        return replace(split, candidates=candidates)


class NewUserSplit(_Splitter):
    """New users: a random share of the users is held out of training entirely; for
    each, the first ``n_reveal`` interactions (by time) are revealed at recommendation
    time and the next ``n_test`` are the test set.

    Rows are grouped by ``(user, item)`` first: a pair's time is that of its first row
    and all its rows go to the same part, so a held-out user's first ``n_reveal``
    distinct items go to ``Split.history`` and the next ``n_test`` distinct items to
    test; the user's later interactions are dropped (in no part: predicting *all* the
    rest rewards popularity, the near future is what onboarding serves). Timestamp ties
    are broken at random (seeded), so the result does not depend on row order.

    Only users with at least ``n_reveal + n_test`` distinct items can be held out;
    ``floor(user_fraction * m)`` of those ``m`` users (at least one) are drawn, the
    others stay entirely in training (``info["n_users_too_few"]`` counts the users too
    short to draw). Every held-out user is absent from training; the evaluator ranks
    them through ``recommend_history(split.history)`` (fold-in), or gives them the
    popularity fallback when the model cannot fold in.

    Parameters
    ----------
    n_reveal : int, default=5
        Interactions revealed per held-out user.
    n_test : int, default=10
        Interactions, just after the revealed ones, to predict.
    user_fraction : float, default=0.2
        Share of the eligible users held out, in (0, 1).
    random_state : int or None, default=None
        Seed for :func:`numpy.random.default_rng`.

    Raises
    ------
    DataError
        If the data has no ``timestamp`` column, or no user has enough interactions.
    """

    def __init__(
        self,
        n_reveal: int = 5,
        n_test: int = 10,
        user_fraction: float = 0.2,
        random_state: int | None = None,
    ):
        validate(
            type(self).__name__,
            {
                "n_reveal": n_reveal,
                "n_test": n_test,
                "user_fraction": user_fraction,
                "random_state": random_state,
            },
            {
                "n_reveal": Interval("int", 1),
                "n_test": Interval("int", 1),
                "user_fraction": _TEST_SIZE,
                "random_state": _SEED_OR_NONE,
            },
        )
        self.n_reveal = n_reveal
        self.n_test = n_test
        self.user_fraction = user_fraction
        self.random_state = random_state

    @property
    def name(self) -> str:
        return (
            f"new-user(reveal={self.n_reveal}, test={self.n_test}, "
            f"users={_fmt(self.user_fraction)}, seed={self.random_state})"
        )

    def __call__(self, data: Dataset) -> Split:
        """Split ``data``; see the class docstring."""
        name = self.name
        _check_not_empty(data, name)
        timestamps = _timestamps(
            data,
            name,
            "The new-user protocol reveals each user's first interactions by time; load "
            "the data with its timestamp column, or use cold-item-20 or random-80-20.",
        )
        rng = np.random.default_rng(self.random_state)
        pairs = _pairs(data)
        first = np.full(len(pairs), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, pairs.of_row, timestamps)
        order = np.lexsort((rng.random(len(pairs)), first, pairs.user))
        user = pairs.user[order]
        rank, _, sizes = _group_ranks(user)
        need = self.n_reveal + self.n_test
        eligible = np.unique(user)[sizes >= need]  # the groups are the users, in order
        if len(eligible) == 0:
            raise DataError(
                f"{name}: no user of {data.name!r} has {need} distinct items "
                f"(n_reveal={self.n_reveal} + n_test={self.n_test}); lower them."
            )
        n_out = max(1, math.floor(self.user_fraction * len(eligible) + _EPS))
        held = np.sort(rng.permutation(eligible)[:n_out])
        is_held = np.isin(user, held)
        part_of_pair = np.full(len(pairs), _TRAIN, dtype=np.int8)
        _DROP, _REVEAL = 3, 4
        part_of_pair[order[is_held]] = _DROP
        part_of_pair[order[is_held & (rank < need)]] = _TEST
        part_of_pair[order[is_held & (rank < self.n_reveal)]] = _REVEAL
        part = part_of_pair[pairs.of_row]
        split = _assemble(
            data,
            part,
            pairs,
            name,
            {
                "n_held_out_users": int(n_out),
                "n_users_too_few": int(np.count_nonzero(sizes < need)),
                "n_rows_dropped": int(np.count_nonzero(part == _DROP)),
            },
            want_validation=False,
            empty_test_hint="lower n_reveal or n_test.",
        )
        history = data.subset(np.flatnonzero(part == _REVEAL), name=f"{data.name} revealed")
        return replace(split, history=history)


# -- names and protocols ----------------------------------------------------------------

SPLITTERS: dict[str, type[_Splitter]] = {
    "random-holdout": RandomHoldout,
    "temporal": TemporalSplit,
    "leave-last-out": LeaveLastOut,
    "kfold": KFold,
    "cold-item": ColdItemSplit,
    "new-user": NewUserSplit,
}
"""Splitter classes by name, for :func:`make_splitter`."""


class SplitProtocol(NamedTuple):
    """A named evaluation protocol: a splitter name, its parameters and what it means."""

    splitter: str
    params: dict[str, Any]
    description: str


PROTOCOLS: dict[str, SplitProtocol] = {
    "random-80-20": SplitProtocol(
        "random-holdout", {"test_size": 0.2}, "per user, a random 20% of the items to test"
    ),
    "random-75-25": SplitProtocol(
        "random-holdout", {"test_size": 0.25}, "per user, a random 25% of the items to test"
    ),
    "random-80-10-10": SplitProtocol(
        "random-holdout",
        {"test_size": 0.1, "validation_size": 1 / 9},
        "per user, random 80% train, 10% validation, 10% test",
    ),
    "temporal-80-20": SplitProtocol(
        "temporal", {"test_size": 0.2}, "global time cut: the latest 20% of rows to test"
    ),
    "temporal-80-10-10": SplitProtocol(
        "temporal",
        {"test_size": 0.1, "validation_size": 1 / 9},
        "global time cuts: oldest 80% train, next 10% validation, latest 10% test",
    ),
    "leave-last-1": SplitProtocol("leave-last-out", {"n": 1}, "per user, the latest item to test"),
    "leave-last-1-val-1": SplitProtocol(
        "leave-last-out",
        {"n": 1, "n_validation": 1},
        "per user, the latest item to test and the one before it to validation",
    ),
    "kfold-5": SplitProtocol(
        "kfold", {"n_splits": 5, "by": "interaction"}, "5 random folds of all interactions"
    ),
    "user-kfold-5": SplitProtocol(
        "kfold", {"n_splits": 5, "by": "user-interaction"}, "5 folds of each user's interactions"
    ),
    "cold-item-20": SplitProtocol(
        "cold-item",
        {"item_fraction": 0.2},
        "20% of the items and all their interactions to test; test users rank those items",
    ),
    "new-user-5-10": SplitProtocol(
        "new-user",
        {"n_reveal": 5, "n_test": 10, "user_fraction": 0.2},
        "20% of the users out of training; their first 5 items by time revealed, the next "
        "10 to test",
    ),
}
"""Named protocols; :func:`make_splitter` also reads patterns such as ``random-70-30``,
``temporal-90-10``, ``leave-last-3``, ``kfold-10``, ``cold-item-10`` and
``new-user-3-10``. ``random-80-20`` is the warm protocol: every user is in training."""

_PATTERNS = (
    "random-A-B[-C]",
    "temporal-A-B[-C]",
    "leave-last-N",
    "kfold-N",
    "user-kfold-N",
    "cold-item-P",
    "new-user-R-T",
)


def _percent_params(name: str, numbers: list[int]) -> dict[str, Any]:
    if sum(numbers) != 100 or min(numbers) <= 0:
        raise ParameterError(
            f"split protocol {name!r}: the percentages must be positive and add up to 100, "
            f"got {'+'.join(str(x) for x in numbers)} = {sum(numbers)}."
        )
    if len(numbers) == 2:
        return {"test_size": numbers[1] / 100}
    train, validation, test = numbers
    return {"test_size": test / 100, "validation_size": validation / (train + validation)}


def _parse_protocol(name: str) -> tuple[str, dict[str, Any]] | None:
    match = re.fullmatch(r"(random|temporal)-(\d+)-(\d+)(?:-(\d+))?", name)
    if match:
        numbers = [int(x) for x in match.groups()[1:] if x is not None]
        splitter = "random-holdout" if match.group(1) == "random" else "temporal"
        return splitter, _percent_params(name, numbers)
    match = re.fullmatch(r"leave-last-(\d+)(?:-val-(\d+))?", name)
    if match:
        params: dict[str, Any] = {"n": int(match.group(1))}
        if match.group(2) is not None:
            params["n_validation"] = int(match.group(2))
        return "leave-last-out", params
    match = re.fullmatch(r"cold-item-(\d+)", name)
    if match:
        percent = int(match.group(1))
        if not 0 < percent < 100:
            raise ParameterError(
                f"split protocol {name!r}: the share of items held out is a percentage "
                f"between 1 and 99, got {percent}."
            )
        return "cold-item", {"item_fraction": percent / 100}
    match = re.fullmatch(r"new-user-(\d+)-(\d+)", name)
    if match:
        return "new-user", {"n_reveal": int(match.group(1)), "n_test": int(match.group(2))}
    match = re.fullmatch(r"(user-)?kfold-(\d+)", name)
    if match:
        by = "user-interaction" if match.group(1) else "interaction"
        return "kfold", {"n_splits": int(match.group(2)), "by": by}
    return None


def make_splitter(name: str, **params: Any) -> _Splitter:
    """A splitter from a protocol or splitter name, with parameters overridden.

    Parameters
    ----------
    name : str
        A key of :data:`PROTOCOLS` (``"random-80-20"``, ``"leave-last-1"``, ...), a
        pattern (``"random-70-30"``, ``"random-80-10-10"``, ``"temporal-90-10"``,
        ``"leave-last-3"``, ``"leave-last-1-val-1"``, ``"kfold-10"``,
        ``"user-kfold-5"``; percentages are train-validation-test and add up to 100;
        the cold-start protocols ``"cold-item-P"``, P% of the items held out, and
        ``"new-user-R-T"``, R items revealed and T tested per held-out user) or a key of
        :data:`SPLITTERS` (``"random-holdout"``, ``"temporal"``, ``"leave-last-out"``,
        ``"kfold"``, ``"cold-item"``, ``"new-user"``).
    **params
        Splitter parameters (``random_state=42``, ...); they override the protocol's.
        ``random_state`` is accepted for every name, so callers can always pass their
        seed; the deterministic splitters (temporal, leave-last-out) ignore it.

    Raises
    ------
    ParameterError
        For an unknown name (with suggestions) or parameter, or a bad value.

    Examples
    --------
    >>> make_splitter("random-80-20", random_state=42).name
    'random-holdout(test=0.2, seed=42)'
    """
    if not isinstance(name, str):
        raise ParameterError(f"split protocol name must be a string, got {name!r}.")
    key = name.strip().lower()
    if key in PROTOCOLS:
        splitter, base = PROTOCOLS[key].splitter, dict(PROTOCOLS[key].params)
    elif key in SPLITTERS:
        splitter, base = key, {}
    else:
        parsed = _parse_protocol(key)
        if parsed is None:
            known = [*PROTOCOLS, *SPLITTERS]
            close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
            hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
            raise ParameterError(
                f"unknown split protocol {name!r}; {hint}known protocols: "
                f"{', '.join(known)}; patterns: {', '.join(_PATTERNS)}."
            )
        splitter, base = parsed
    cls = SPLITTERS[splitter]
    accepted = cls._param_names()
    if "random_state" not in accepted:  # deterministic splitters: a seed changes nothing
        params = {k: v for k, v in params.items() if k != "random_state"}
    unknown = [p for p in params if p not in accepted]
    if unknown:
        aliases = {"seed": "random_state", "k": "n_splits", "folds": "n_splits"}
        close = [aliases[unknown[0]]] if aliases.get(unknown[0]) in accepted else []
        close = close or difflib.get_close_matches(unknown[0], accepted, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(
            f"split protocol {name!r}: {cls.__name__} has no parameter {unknown[0]!r}{hint}; "
            f"it takes {', '.join(accepted)}."
        )
    return cls(**{**base, **params})


def split_info(split: Split) -> dict[str, Any]:
    """Sizes of each part and what the splitter counted.

    Returns
    -------
    dict
        ``name``; ``train``, ``validation`` (``None`` when absent) and ``test``, each a
        dict with ``n_interactions``, ``n_users`` and ``n_items`` (users and items with
        at least one interaction in that part); ``history`` (the same sizes) and
        ``n_candidates`` for cold-start splits that have them; then every entry of
        ``split.info``.
    """

    def sizes(part: Dataset | None) -> dict[str, int] | None:
        if part is None:
            return None
        return {
            "n_interactions": part.n_interactions,
            "n_users": int(np.unique(part.user_idx).size),
            "n_items": int(np.unique(part.item_idx).size),
        }

    out = {
        "name": split.name,
        "train": sizes(split.train),
        "validation": sizes(split.validation),
        "test": sizes(split.test),
    }
    if split.history is not None:
        out["history"] = sizes(split.history)
    if split.candidates is not None:
        out["n_candidates"] = len(split.candidates)
    return {**out, **split.info}
