"""Cleaning: duplicates, k-cores, rating thresholds, event weights, recency, missing values.

Every step returns a new :class:`Dataset` with the same id maps and a copy of the load
report with its drops counted by reason; the parent dataset is never changed. A step that
drops or merges rows says so in one :class:`~tastemaker.errors.DataWarning`.
"""

from __future__ import annotations

import copy
import difflib
import logging
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from tastemaker._validation import Interval, Options, check, param_error
from tastemaker.data._dataset import Dataset, LoadReport, columns_hint
from tastemaker.errors import DataError, DataWarning, ParameterError, hint

__all__ = [
    "DEFAULT_EVENT_WEIGHTS",
    "UNKNOWN_EVENT_WEIGHT",
    "binarize",
    "event_weights",
    "fill_missing",
    "k_core",
    "recency_decay",
    "resolve_duplicates",
]

logger = logging.getLogger(__name__)

DuplicatePolicy = Literal["keep", "first", "last", "merge", "error"]
DUPLICATE_POLICIES = ("keep", "first", "last", "merge", "error")

DEFAULT_EVENT_WEIGHTS: dict[str, float] = {
    "view": 1.0,
    "click": 2.0,
    "play": 2.0,
    "cart": 4.0,
    "purchase": 8.0,
}
"""Default weight of each event type; synonyms (``orders``, ``addtocart``, ...) map onto these."""

# normalised name (lower case, letters and digits only) -> canonical event type
_EVENT_SYNONYMS: dict[str, str] = {
    "pageview": "view",
    "impression": "view",
    "detail": "view",
    "clicks": "click",
    "carts": "cart",
    "addtocart": "cart",
    "basket": "cart",
    "order": "purchase",
    "orders": "purchase",
    "buy": "purchase",
    "transaction": "purchase",
    "checkout": "purchase",
    "listen": "play",
}

_SECONDS_PER_DAY = 86_400.0


# -- shared helpers -------------------------------------------------------------------
def _copied_report(data: Dataset) -> LoadReport:
    """A deep copy of ``data.report``, so a derived dataset never changes its parent's."""
    return copy.deepcopy(data.report)


def _rows_place(data: Dataset) -> Callable[[Sequence[int]], str]:
    """Describe interaction rows of an in-memory dataset for messages ("ratings, rows 3 and 7")."""

    def place(positions: Sequence[int]) -> str:
        numbers = [str(int(p)) for p in positions]
        noun = "row" if len(numbers) == 1 else "rows"
        return f"{data.name}, {noun} {' and '.join(numbers)}"

    return place


def _show(value: Any) -> str:
    """repr of a value as the user wrote it (``1``, ``'u1'``), not ``np.int64(1)``."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _pair_words(frame: pd.DataFrame) -> str:
    return "user-item-event" if "event" in frame.columns else "user-item"


def _key_columns(frame: pd.DataFrame) -> list[str]:
    return ["user", "item", "event"] if "event" in frame.columns else ["user", "item"]


def _key_codes(data: Dataset) -> np.ndarray:
    """One int64 per row naming its (user, item) pair, or (user, item, event) with an event
    column: equal codes, equal keys. Built from the positions the dataset already holds."""
    codes = data.user_idx.astype(np.int64) * max(data.n_items, 1) + data.item_idx
    frame = data.interactions
    if "event" in frame.columns:
        events, kinds = pd.factorize(frame["event"], use_na_sentinel=False)
        n_kinds = max(len(kinds), 1)
        if data.n_users * max(data.n_items, 1) * n_kinds >= 2**62:  # pragma: no cover
            return pd.MultiIndex.from_arrays([codes, events]).factorize()[0].astype(np.int64)
        codes = codes * n_kinds + events
    return codes


def _n_repeated(data: Dataset) -> int:
    """Rows that repeat an earlier row's key. For (user, item) keys these are the rows
    beyond the distinct pairs of the user-item matrix, which training builds anyway."""
    if "event" not in data.interactions.columns:
        return data.n_interactions - data.user_item_matrix("count").nnz
    ordered = np.sort(_key_codes(data))
    return int(np.count_nonzero(ordered[1:] == ordered[:-1]))


def _time_order(frame: pd.DataFrame) -> np.ndarray:
    """Row positions in time order (stable: equal times keep row order); row order
    without timestamps."""
    if "timestamp" in frame.columns:
        return np.argsort(frame["timestamp"].to_numpy(), kind="stable")
    return np.arange(len(frame))


# -- duplicates -------------------------------------------------------------------------
def _resolve_duplicates(
    data: Dataset,
    how: str,
    place: Callable[[Sequence[int]], str] | None = None,
) -> tuple[Dataset, str | None]:
    """Apply a duplicate policy; return the dataset and the warning to emit (or None).

    The one mechanism behind :func:`resolve_duplicates` and ``read_interactions``; the
    callers warn, so the warning points at the user's code. ``place`` describes row
    positions for the ``"error"`` message (line numbers when reading a file).
    """
    frame = data.interactions
    keys = _key_columns(frame)
    n_repeated = _n_repeated(data)
    if n_repeated == 0:
        return data, None
    codes = _key_codes(data)
    pairs = _pair_words(frame)
    place = place or _rows_place(data)

    if how == "error":
        second = int(np.flatnonzero(pd.Series(codes).duplicated(keep="first").to_numpy())[0])
        first = int(np.flatnonzero(codes == codes[second])[0])
        row = {col: _show(frame[col].iloc[second]) for col in keys}
        what = f"user {row['user']} and item {row['item']}"
        if "event" in keys:
            what += f" with event {row['event']}"
        raise DataError(
            f"{place([first, second])}: {what} appear twice; each {pairs} pair must appear "
            f"once here. Pass {_policies('merge')} to fold repeats into one row (weights "
            f"summed, latest rating and timestamp), {_policies('first', 'last')} to keep one "
            f"row, or {_policies('keep')} to keep them all."
        )

    report = _copied_report(data)
    if how == "keep":
        report.notes.append(f"{n_repeated} duplicate rows kept (repeated {pairs} pairs)")
        message = (
            f"{data.name}: {n_repeated} duplicate rows (repeated {pairs} pairs) kept; pass "
            f"{_policies('merge', 'first', 'last')} to resolve them"
        )
        return data._derive(frame, report=report), message

    order = _time_order(frame)
    keep: Literal["first", "last"] = "first" if how == "first" else "last"
    kept = np.sort(order[~pd.Series(codes[order]).duplicated(keep=keep).to_numpy()])
    out = frame.iloc[kept]
    if how == "merge":
        if "weight" in frame.columns:
            weight = frame["weight"].to_numpy(np.float64)
        else:
            weight = np.ones(len(frame))
        total = pd.Series(weight).groupby(codes, sort=False).transform("sum").to_numpy()
        out = out.copy()
        out["weight"] = total[kept].astype(np.float32)
        report.merge("duplicate", n_repeated)
        message = (
            f"{data.name}: merged {n_repeated} duplicate rows into one row per {pairs} pair "
            "(weights summed, latest rating and timestamp kept)"
        )
    else:
        report.drop("duplicate", n_repeated)
        message = (
            f"{data.name}: dropped {n_repeated} duplicate rows (repeated {pairs} pairs), "
            f"keeping the {'earliest' if how == 'first' else 'latest'} row of each"
        )
    logger.info("duplicates (%s): %d of %d rows resolved", how, n_repeated, len(frame))
    return data._derive(out, kept, report=report), message


def _policies(*policies: str) -> str:
    """Duplicate policies as the user would pass them: ``duplicates='first' or 'last'``
    in Python, ``--duplicates first or last`` on the command line."""

    def listed(words: list[str]) -> str:
        return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"

    return hint(
        python=f"duplicates={listed([repr(p) for p in policies])}",
        cli=f"--duplicates {listed(list(policies))}",
    )


DUPLICATES = Options(DUPLICATE_POLICIES)


def resolve_duplicates(data: Dataset, how: DuplicatePolicy = "merge") -> Dataset:
    """Resolve repeated (user, item) pairs — (user, item, event) with an ``event`` column.

    Parameters
    ----------
    data : Dataset
    how : {"merge", "first", "last", "keep", "error"}, default="merge"
        ``"merge"``: one row per pair; ``weight`` is the sum of the rows' weights (1 per
        row without a weight column, so it becomes the count), ``rating`` and
        ``timestamp`` come from the latest row (by timestamp, else row order).
        ``"first"`` / ``"last"``: keep the earliest / latest row of each pair.
        ``"keep"``: keep every row (noted in the report). ``"error"``: raise.

    Returns
    -------
    Dataset
        Same id maps; the report counts rows under ``merged["duplicate"]`` or
        ``dropped["duplicate"]``.

    Raises
    ------
    DataError
        With ``how="error"`` when a pair repeats (names both rows).
    ParameterError
        For an unknown ``how``.

    Warns
    -----
    DataWarning
        Once, with the number of repeated rows, when there are any.
    """
    check("resolve_duplicates", "how", how, DUPLICATES)
    out, message = _resolve_duplicates(data, how)
    if message:
        warnings.warn(message, DataWarning, stacklevel=2)
    return out


# -- filters ----------------------------------------------------------------------------
def k_core(
    data: Dataset, min_user_interactions: int = 5, min_item_interactions: int = 5
) -> Dataset:
    """Keep the interactions of users and items with enough interactions, until stable.

    Dropping a sparse item can push a user below the threshold (and the other way round),
    so the filter repeats until every remaining user and item has enough rows.

    Parameters
    ----------
    data : Dataset
    min_user_interactions : int, default=5
        Rows (interactions, repeats included) each kept user needs.
    min_item_interactions : int, default=5
        Rows each kept item needs.

    Returns
    -------
    Dataset
        Same id maps; dropped rows counted under ``report.dropped["k-core"]``.

    Raises
    ------
    DataError
        When no interaction survives.
    """
    for name, value in (
        ("min_user_interactions", min_user_interactions),
        ("min_item_interactions", min_item_interactions),
    ):
        check("k_core", name, value, Interval("int", 0), flag="--min-interactions")
    min_user, min_item = int(min_user_interactions), int(min_item_interactions)
    users, items = data.user_idx, data.item_idx
    keep = np.ones(len(users), dtype=bool)
    rounds = 0
    while True:
        user_counts = np.bincount(users[keep], minlength=data.n_users)
        item_counts = np.bincount(items[keep], minlength=data.n_items)
        bad = keep & ((user_counts[users] < min_user) | (item_counts[items] < min_item))
        if not bad.any():
            break
        keep &= ~bad
        rounds += 1
    n_dropped = int((~keep).sum())
    if n_dropped == len(keep) and len(keep):
        raise DataError(
            f"{data.name}: the {min_user}/{min_item} k-core is empty (no user and item have "
            f"enough interactions among {len(keep)} rows); lower "
            + hint(
                python="min_user_interactions or min_item_interactions",
                cli="--min-interactions",
            )
        )
    report = _copied_report(data)
    report.drop("k-core", n_dropped)
    out = data._derive(data.interactions.loc[keep], keep, report=report)
    logger.info(
        "k-core %d/%d: kept %d of %d rows after %d rounds",
        min_user,
        min_item,
        int(keep.sum()),
        len(keep),
        rounds,
    )
    if n_dropped:
        warnings.warn(
            f"{data.name}: k-core (>= {min_user} per user, >= {min_item} per item) dropped "
            f"{n_dropped} of {len(keep)} interactions in {rounds} round(s)",
            DataWarning,
            stacklevel=2,
        )
    return out


def binarize(data: Dataset, threshold: float = 4.0, keep_rating: bool = True) -> Dataset:
    """Turn ratings into implicit interactions: rows rated ``>= threshold`` get weight 1.

    Parameters
    ----------
    data : Dataset
        Needs a ``rating`` column.
    threshold : float, default=4.0
        Lowest rating kept.
    keep_rating : bool, default=True
        Keep the ``rating`` column on the kept rows (``False`` drops it).

    Returns
    -------
    Dataset
        Rows below the threshold counted under ``report.dropped["below rating threshold"]``.
    """
    if not data.has_ratings:
        raise DataError(
            f"{data.name}: binarize needs a 'rating' column; found columns "
            f"{list(data.interactions.columns)}. Map the rating column when loading "
            f"(e.g. {columns_hint('stars', 'rating')})."
        )
    check("binarize", "threshold", threshold, Interval("real"), flag="--rating-threshold")
    check("binarize", "keep_rating", keep_rating, bool)
    frame = data.interactions
    keep = (frame["rating"] >= threshold).to_numpy()
    out = frame.loc[keep].copy()
    out["weight"] = np.float32(1.0)
    if not keep_rating:
        out = out.drop(columns="rating")
    n_dropped = int((~keep).sum())
    report = _copied_report(data)
    report.drop("below rating threshold", n_dropped)
    logger.info("binarize at %g: kept %d of %d rows", threshold, int(keep.sum()), len(keep))
    if n_dropped:
        warnings.warn(
            f"{data.name}: dropped {n_dropped} of {len(keep)} interactions rated below "
            f"{threshold:g}",
            DataWarning,
            stacklevel=2,
        )
    return data._derive(out, keep, report=report)


# -- weights ----------------------------------------------------------------------------
def _normalise_event(name: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _event_weight(name: str, table: Mapping[str, float]) -> float | None:
    candidates = [name, _EVENT_SYNONYMS.get(name)]
    if name.endswith("s"):
        candidates += [name[:-1], _EVENT_SYNONYMS.get(name[:-1])]
    for candidate in candidates:
        if candidate is not None and candidate in table:
            return table[candidate]
    return None


UNKNOWN_EVENT_WEIGHT = 1.0
"""Weight of event types the defaults do not name, with the default weights: 1, a plain
interaction (as heavy as a view), reported in a warning."""


def _n_rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _rows_of(counts: Mapping[str, int], names: Sequence[str]) -> str:
    return ", ".join(f"{name!r} ({_n_rows(counts[name])})" for name in names)


def _spec_text(weights: Mapping[str, float]) -> str:
    """Weights as the user would write them in the interface in use."""
    python = "{" + ", ".join(f"{k!r}: {v:g}" for k, v in weights.items()) + "}"
    cli = ",".join(f"{k}={v:g}" for k, v in weights.items())
    return hint(python=f"event_weights={python}", cli=f"--event-weights {cli}")


def _explicit_event_weights(
    name: str, types: Sequence[str], counts: Mapping[str, int], weights: Mapping[str, float]
) -> dict[str, float]:
    """The weight of each event type in the data from an explicit spec: it must name
    every type there and nothing else (names match ignoring case and punctuation)."""
    by_key: dict[str, str] = {}
    for given in weights:
        key = _normalise_event(given)
        if key in by_key:
            raise ParameterError(
                f"event weights name {by_key[key]!r} and {given!r}, the same event type; "
                "give each type one weight"
            )
        by_key[key] = given
    in_data = {_normalise_event(t): t for t in types}
    unknown = [given for key, given in by_key.items() if key not in in_data]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(types), n=1, cutoff=0.6)
        suggestion = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(
            f'{name}, column "event": the event weights name '
            f"{', '.join(repr(u) for u in unknown)}{suggestion}, which do not occur in the "
            f"data; its event types are {_rows_of(counts, types)}. Weight only those types."
        )
    missing = [t for t in types if _normalise_event(t) not in by_key]
    if missing:
        completed = {**weights, **{t: UNKNOWN_EVENT_WEIGHT for t in missing}}
        raise DataError(
            f'{name}, column "event": no weight for event type(s) {_rows_of(counts, missing)}; '
            f"the weights given cover {', '.join(repr(k) for k in weights)}. Give every event "
            f"type a weight, e.g. {_spec_text(completed)}, or use the default weights ("
            + hint(python="event_weights=None", cli="--event-weights default")
            + ")."
        )
    return {t: float(weights[by_key[_normalise_event(t)]]) for t in types}


def _default_weights(types: Sequence[str]) -> dict[str, float]:
    table = {_normalise_event(k): v for k, v in DEFAULT_EVENT_WEIGHTS.items()}
    found = {t: _event_weight(_normalise_event(t), table) for t in types}
    return {t: UNKNOWN_EVENT_WEIGHT if w is None else w for t, w in found.items()}


def unweighted_events_message(data: Dataset) -> str | None:
    """What to say when ``data`` has event types that no weights are applied to: which
    types, and how to weight them (None without an ``event`` column)."""
    if "event" not in data.interactions.columns:
        return None
    counts = data.interactions["event"].astype(str).value_counts()
    shown = ", ".join(f"{k} ({_n_rows(v)})" for k, v in counts.head(10).items())
    more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    return (
        f'{data.name}: column "event" holds event types {shown}{more}, not used for '
        "weights: every row counts the same. To weight them, use the defaults ("
        + hint(python="event_weights=True", cli="--event-weights default")
        + ": view 1, click 2, cart 4, purchase 8, others 1) or give every type a weight, "
        f"e.g. {_spec_text(_default_weights(list(counts.index)))}."
    )


def event_weights(data: Dataset, weights: Mapping[str, float] | None = None) -> Dataset:
    """Weight each interaction by its event type: ``weight = event weight x weight``.

    Parameters
    ----------
    data : Dataset
        Needs an ``event`` column. An existing ``weight`` is multiplied (1 without one).
    weights : mapping of str -> float, optional
        The weight of every event type in the data, and of nothing else: a type without a
        weight, or a name that is not a type of the data, is an error (names match
        ignoring case and punctuation: ``Add-To-Cart`` is ``addtocart``). Without it, the
        defaults :data:`DEFAULT_EVENT_WEIGHTS` (view 1, click 2, play 2, cart 4, purchase
        8), matched ignoring case and punctuation and through common synonyms
        (``clicks`` -> click, ``orders``/``buy``/``transaction`` -> purchase,
        ``addtocart``/``carts`` -> cart, ``pageview``/``impression`` -> view); a type the
        defaults do not name gets :data:`UNKNOWN_EVENT_WEIGHT` (1), reported once in a
        :class:`~tastemaker.errors.DataWarning` and in ``report.warnings``.

    Returns
    -------
    Dataset
        The weights in ``weight`` (float32); which weight each type got is logged, noted
        in the report and kept in ``extras["event_weights"]`` (models trained on it weigh
        the events of later histories and updates the same way).

    Raises
    ------
    DataError
        When there is no ``event`` column, an event type has no weight, or ``weights``
        names a type that does not occur (each message lists the data's types).
    ParameterError
        When a weight is not a finite number, or two names are the same type.
    """
    frame = data.interactions
    if "event" not in frame.columns:
        raise DataError(
            f"{data.name}: event_weights needs an 'event' column; found columns "
            f"{list(frame.columns)}. Map it when loading ("
            + f"e.g. {columns_hint('type', 'event')}"
            + ")."
        )
    if weights is not None:
        for key, value in weights.items():
            check("event_weights", f"weights[{key!r}]", value, Interval("real"))
    codes, uniques = pd.factorize(frame["event"], use_na_sentinel=True)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise DataError(
            f'{data.name}, row {row}, column "event": the event type is empty; fill it in or '
            "remove the row"
        )
    types = [str(u) for u in uniques]
    counts = dict(zip(types, np.bincount(codes, minlength=len(types)).tolist()))
    report = _copied_report(data)
    if weights is None:
        table = {_normalise_event(k): v for k, v in DEFAULT_EVENT_WEIGHTS.items()}
        unknown = [t for t in types if _event_weight(_normalise_event(t), table) is None]
        per_type = _default_weights(types)
        source = "default weights"
        if unknown:
            message = (
                f'{data.name}, column "event": event type(s) {_rows_of(counts, unknown)} have '
                f"no default weight; counted as {UNKNOWN_EVENT_WEIGHT:g} each (as a view). To "
                f"weight them, give every type a weight, e.g. {_spec_text(per_type)}."
            )
            report.warnings.append(message)
            warnings.warn(message, DataWarning, stacklevel=2)
    else:
        per_type = _explicit_event_weights(data.name, types, counts, weights)
        source = "weights given"
    factor = np.asarray([per_type[t] for t in types], dtype=np.float64)[codes]
    base = frame["weight"].to_numpy(np.float64) if "weight" in frame.columns else 1.0
    out = frame.copy()
    out["weight"] = (factor * base).astype(np.float32)
    used = ", ".join(f"{t} {per_type[t]:g} ({_n_rows(counts[t])})" for t in types)
    report.notes.append(f"event weights ({source}): {used}")
    logger.info("%s: event weights (%s): %s", data.name, source, used)
    weighted = data._derive(out, report=report)
    # models keep the table, so that events given later (histories, updates) weigh the same
    weighted.extras = {**data.extras, "event_weights": {t: float(per_type[t]) for t in types}}
    return weighted


def _unix_seconds(now: Any) -> float:
    expected = "unix seconds, an ISO 8601 time (2024-01-13T08:00:00Z) or a datetime"
    if Interval("real").accepts(now):
        return float(now)
    if isinstance(now, (str, datetime, date, pd.Timestamp, np.datetime64)):
        try:
            stamp = pd.Timestamp(now)
        except (ValueError, TypeError) as err:
            raise param_error("recency_decay", "now", expected, now) from err
        if pd.isna(stamp):
            raise param_error("recency_decay", "now", expected, now)
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize("UTC")
        return (stamp - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    raise param_error("recency_decay", "now", expected, now)


def recency_decay(
    data: Dataset, half_life_days: float, now: float | str | datetime | None = None
) -> Dataset:
    """Down-weight old interactions: ``weight *= 0.5 ** (age_days / half_life_days)``.

    Parameters
    ----------
    data : Dataset
        Needs a ``timestamp`` column. An existing ``weight`` is multiplied (1 without one).
    half_life_days : float
        Age at which an interaction counts half.
    now : float, str or datetime, optional
        Reference time (unix seconds, ISO 8601 or datetime; naive means UTC). Default: the
        latest timestamp in ``data``. Interactions after ``now`` count as age 0.

    Raises
    ------
    DataError
        When ``data`` has no timestamps.
    ParameterError
        When ``half_life_days`` is not a positive number.
    """
    check(
        "recency_decay",
        "half_life_days",
        half_life_days,
        Interval("real", 0, closed="neither"),
        flag="--half-life",
    )
    if not data.has_timestamps:
        raise DataError(
            f"{data.name}: recency_decay needs a 'timestamp' column; found columns "
            f"{list(data.interactions.columns)}. Map it when loading "
            f"(e.g. {columns_hint('time', 'timestamp')})."
        )
    frame = data.interactions
    stamps = frame["timestamp"].to_numpy(np.float64)
    if now is None:
        reference = float(stamps.max()) if len(stamps) else 0.0
    else:
        reference = _unix_seconds(now)
    age_days = (reference - stamps) / _SECONDS_PER_DAY
    n_future = int((age_days < 0).sum())
    age_days = np.maximum(age_days, 0.0)
    base = frame["weight"].to_numpy(np.float64) if "weight" in frame.columns else 1.0
    out = frame.copy()
    out["weight"] = (base * 0.5 ** (age_days / float(half_life_days))).astype(np.float32)
    report = _copied_report(data)
    note = f"recency decay with a half-life of {half_life_days:g} days"
    if n_future:
        note += f"; {n_future} interactions after the reference time counted as age 0"
    report.notes.append(note)
    logger.info("%s (reference time %d)", note, int(reference))
    return data._derive(out, report=report)


# -- side tables ------------------------------------------------------------------------
def _is_list_like(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, np.ndarray))


def fill_missing(
    table: pd.DataFrame,
    numeric: Literal["median", "mean"] | float = "median",
    categorical: str = "unknown",
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fill missing values in an item or user table.

    Parameters
    ----------
    table : DataFrame
        Not changed; the index (the key) is left as is.
    numeric : {"median", "mean"} or float, default="median"
        Value for numeric columns: the column's median or mean, or a number. A column
        with no values at all gets 0.
    categorical : str, default="unknown"
        Value for text and categorical columns. Columns holding lists (multi-valued)
        get empty lists.

    Returns
    -------
    table : DataFrame
        A filled copy. Boolean, date and other columns are left unchanged.
    counts : dict of str -> int
        Cells filled per column (only columns with any).
    """
    check("fill_missing", "numeric", numeric, [Options(("median", "mean")), Interval("real")])
    check("fill_missing", "categorical", categorical, str)
    out = table.copy()
    counts: dict[str, int] = {}
    for col in out.columns:
        column = out[col]
        missing = column.isna()
        n_missing = int(missing.sum())
        if n_missing == 0:
            continue
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        if pd.api.types.is_numeric_dtype(column):
            if isinstance(numeric, str):
                value = column.median() if numeric == "median" else column.mean()
            else:
                value = float(numeric)
            out[col] = column.fillna(0.0 if pd.isna(value) else value)
        elif any(_is_list_like(v) for v in column[~missing].head(1000)):
            out[col] = [[] if gone else value for value, gone in zip(column, missing)]
        elif isinstance(column.dtype, pd.CategoricalDtype):
            if categorical not in column.cat.categories:
                column = column.cat.add_categories([categorical])
            out[col] = column.fillna(categorical)
        elif pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            out[col] = column.fillna(categorical)
        else:
            continue
        counts[str(col)] = n_missing
    if counts:
        logger.info("filled missing values: %s", counts)
    return out, counts
