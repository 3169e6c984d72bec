"""Side tables from several files: one item (or user) table joined on its id column, and a
report of what was joined and what is missing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tastemaker.data._dataset import _keyed
from tastemaker.data._idmap import IdMap, int_written
from tastemaker.errors import DataError, hint

__all__ = ["JoinReport", "TablePart", "join_tables"]

_N_EXAMPLES = 3
_N_COLUMNS_SHOWN = 8


@dataclass
class TablePart:
    """One file (or frame) of a joined side table."""

    name: str
    n_rows: int
    columns: list[str]


@dataclass
class JoinReport:
    """What :func:`join_tables` joined and what is missing.

    Attributes
    ----------
    key : str
        The id column (``"item"`` or ``"user"``).
    parts : list of TablePart
        Each file: its name, rows and columns (besides the key).
    n_ids : int
        Rows of the joined table (distinct ids over all files).
    n_in_all : int
        Ids present in every file.
    missing : dict of str -> (int, list)
        For each file, how many of the joined ids it lacks and a few of them.
    n_interaction_ids : int or None
        Distinct ids of the interactions (None when they were not given).
    without_interactions : (int, list)
        Table ids no interaction names (they join the catalog without interactions).
    without_row : (int, list)
        Interaction ids with no row in the table (their features are empty).
    lookalike : (id, id) or None
        An unmatched text id and a known id it differs from only in how an integer is
        written (``'007'`` and ``'7'``): most likely a mistake, so a warning.
    """

    key: str
    parts: list[TablePart]
    n_ids: int
    n_in_all: int
    missing: dict[str, tuple[int, list[Any]]] = field(default_factory=dict)
    n_interaction_ids: int | None = None
    without_interactions: tuple[int, list[Any]] = (0, [])
    without_row: tuple[int, list[Any]] = (0, [])
    lookalike: tuple[Any, Any] | None = None

    def notes(self) -> list[str]:
        """The report as lines for a load report's notes (logged once on load)."""
        key, parts = self.key, self.parts
        table = f"{key} table"
        if len(parts) == 1:
            lines = [f"{table} {parts[0].name}: {_part(parts[0])}"]
        else:
            joined = "; ".join(f"{p.name} ({_part(p)})" for p in parts)
            n_columns = sum(len(p.columns) for p in parts)
            lines = [
                f'{table}: joined {len(parts)} files on "{key}": {joined} -> '
                f"{_count(self.n_ids, key)}, {_count(n_columns, 'column')}"
            ]
            missing = "; ".join(
                f"missing from {name}: {n} ({_examples(examples, n)})"
                for name, (n, examples) in self.missing.items()
                if n
            )
            lines.append(
                f"{table}: {self.n_in_all} of {_count(self.n_ids, key)} in every file"
                + (f"; {missing}" if missing else "")
            )
        if self.n_interaction_ids is not None:
            n_new, new = self.without_interactions
            n_bare, bare = self.without_row
            n_with = self.n_interaction_ids - n_bare
            coverage = (
                f"{table}: {n_with} of {self.n_interaction_ids} {key}s of the interactions "
                "have a row"
            )
            if n_bare:
                coverage += (
                    f"; {n_bare} {'has' if n_bare == 1 else 'have'} none, their features are "
                    f"empty ({_examples(bare, n_bare)})"
                )
            if n_new:
                coverage += (
                    f"; {_count(n_new, key)} of the table {'has' if n_new == 1 else 'have'} no "
                    "interactions, added to the "
                    f"{'catalog' if key == 'item' else 'users'} ({_examples(new, n_new)})"
                )
            lines.append(coverage)
        return lines

    def warnings(self) -> list[str]:
        """What most likely is a mistake (ids written differently in the files)."""
        out = []
        table, key = f"{self.key} table", self.key
        example = "'007' is not 7"
        if self.lookalike is not None:
            example = f"{self.lookalike[0]!r} is not {self.lookalike[1]!r}"
        if len(self.parts) > 1 and self.n_in_all == 0:
            out.append(
                f"{table}: no {key} id is in every file "
                f"({', '.join(p.name for p in self.parts)}); ids match exactly ({example}): "
                "check that the files write the same ids the same way"
            )
        if self.n_interaction_ids and self.without_row[0] == self.n_interaction_ids:
            out.append(
                f"{table}: none of the {self.n_interaction_ids} {key}s of the interactions "
                f"has a row in it, so no features reach them; ids match exactly ({example}): "
                "check that the table writes the ids as the interactions do"
            )
        if self.lookalike is not None and not out:
            out.append(
                f"{table}: ids match exactly ({example}): an id written both ways in the "
                f"files or the interactions names two {key}s; write integer ids without "
                "leading zeros, signs or spaces"
            )
        return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _part(part: TablePart) -> str:
    shown = ", ".join(part.columns[:_N_COLUMNS_SHOWN])
    more = ", ..." if len(part.columns) > _N_COLUMNS_SHOWN else ""
    columns = f": {shown}{more}" if part.columns else ""
    return f"{_count(part.n_rows, 'row')}, {_count(len(part.columns), 'column')}{columns}"


def _examples(ids: list[Any], n: int) -> str:
    shown = ", ".join(repr(x) for x in ids)
    return f"e.g. {shown}" if n > len(ids) else shown


def _plain(ids: np.ndarray, mask: np.ndarray) -> tuple[int, list[Any]]:
    """How many of ``ids`` (an :class:`IdMap`'s: int64 or text) ``mask`` selects, and the
    first few as plain Python values."""
    return int(mask.sum()), ids[mask][:_N_EXAMPLES].tolist()


def _lookalike(unmatched: Sequence[np.ndarray], known: Sequence[np.ndarray]):
    """The first text id of ``unmatched`` (ids some file or the interactions lack) that
    differs from an id of ``known`` only in how an integer is written (``'007'`` and
    ``7``), and that id: the two are different ids, most likely by mistake; or None."""
    if all(ids.dtype.kind != "O" or len(ids) == 0 for ids in unmatched):
        return None
    texts = {str(x): x for ids in known for x in ids.tolist()}  # the id as written
    for ids in unmatched:
        if ids.dtype.kind != "O":
            continue
        for x in ids.tolist():
            value = int_written(x)
            if value is not None and str(value) != x and str(value) in texts:
                return x, texts[str(value)]
    return None


def _check_names(tables: Sequence[pd.DataFrame], names: Sequence[str], key: str) -> None:
    if len(set(names)) != len(names):
        repeated = next(n for n in names if list(names).count(n) > 1)
        raise DataError(f"{repeated} is given twice as a {key} table; give each file once")
    seen: dict[str, str] = {}
    for table, name in zip(tables, names, strict=True):
        for column in table.columns:
            if column in seen:
                raise DataError(
                    f'{seen[column]} and {name} both have a column "{column}"; a joined {key} '
                    "table holds each column once, and neither may silently replace the other. "
                    + hint(
                        python="Rename it in one of the tables (DataFrame.rename) or drop it "
                        "from one.",
                        cli="Rename or drop it in one of the files (--columns renames a column "
                        "in every file that has it, so it cannot tell the two apart).",
                    )
                )
            seen[column] = name


def join_tables(
    tables: Sequence[pd.DataFrame],
    key: str,
    names: Sequence[str] | None = None,
    ids: Any = None,
) -> tuple[pd.DataFrame, JoinReport]:
    """Outer-join side tables on their id column ``key``, and report what was joined.

    Ids match as :class:`~tastemaker.data.IdMap` matches them: exactly (``"007"`` is not
    ``7``), an integer matching its canonical text (``7`` is ``"7"``). Every id of every
    table is kept; a table without an id gives that row missing values (NaN) in its
    columns. A column (other than ``key``) in two tables is an error: neither silently
    replaces the other.

    Parameters
    ----------
    tables : sequence of DataFrame
        Tables indexed (or with a column) named ``key``, as :func:`read_table` gives
        them; each id at most once per table.
    key : str
        ``"item"`` or ``"user"``.
    names : sequence of str, optional
        Each table's name in the report and in errors (its file); default
        ``table 1``, ``table 2``, ...
    ids : array-like, optional
        The ids of the interactions (``data.interactions[key]``): the report then says
        which interaction ids have no row and which table ids have no interactions.

    Returns
    -------
    table : DataFrame
        Indexed by ``key``: the first table's ids in its order, then each further table's
        new ids in its order; the tables' columns side by side.
    report : JoinReport
        Rows and columns of each table, ids in every table, ids missing from each, and
        coverage of ``ids``; ``report.notes()`` and ``report.warnings()`` say it in lines.

    Raises
    ------
    DataError
        A table without ``key``, a repeated id within a table, or a column in two tables.
    """
    if len(tables) == 0:
        raise DataError(f"join_tables: no {key} tables to join")
    names = list(names) if names is not None else [f"table {i + 1}" for i in range(len(tables))]
    if len(names) != len(tables):
        raise DataError(f"join_tables: {len(tables)} tables but {len(names)} names")
    tables = [_keyed(t, key, name) for t, name in zip(tables, names, strict=True)]
    _check_names(tables, names, key)
    indexes = [t.index.to_numpy() for t in tables]
    if not all(index.dtype.kind in "iu" for index in indexes):
        indexes = [index.astype(object) for index in indexes]
    id_map = IdMap(np.concatenate(indexes))
    positions = [id_map.index_of(index, what=key) for index in indexes]
    order = pd.unique(np.concatenate(positions))  # first appearance, table by table
    joined_ids = id_map.ids[order]
    present = np.zeros((len(tables), len(id_map)), dtype=bool)
    for row, where in enumerate(positions):
        present[row, where] = True
    columns = [
        table.set_axis(where, axis=0).reindex(order)
        for table, where in zip(tables, positions, strict=True)
    ]
    joined = pd.concat(columns, axis=1)
    joined.index = pd.Index(joined_ids, name=key)
    in_order = present[:, order]
    in_all = in_order.all(axis=0)
    report = JoinReport(
        key=key,
        parts=[
            TablePart(name, len(table), [str(c) for c in table.columns])
            for table, name in zip(tables, names, strict=True)
        ],
        n_ids=len(order),
        n_in_all=int(in_all.sum()),
        missing={name: _plain(joined_ids, ~row) for name, row in zip(names, in_order, strict=True)},
    )
    if ids is not None:
        interaction_ids = IdMap(ids)
        in_interactions = interaction_ids.index_of(joined_ids, missing="mask", what=key) >= 0
        has_row = id_map.index_of(interaction_ids.ids, missing="mask", what=key) >= 0
        report.n_interaction_ids = len(interaction_ids)
        report.without_interactions = _plain(joined_ids, ~in_interactions)
        report.without_row = _plain(interaction_ids.ids, ~has_row)
        unmatched = [joined_ids[~in_all | ~in_interactions], interaction_ids.ids[~has_row]]
        report.lookalike = _lookalike(unmatched, [joined_ids, interaction_ids.ids])
    else:
        report.lookalike = _lookalike([joined_ids[~in_all]], [joined_ids])
    return joined, report
