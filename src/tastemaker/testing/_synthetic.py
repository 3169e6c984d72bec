"""Tiny synthetic datasets with known answers, for tests and examples."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from tastemaker.data import Dataset

__all__ = ["TwoBlocks", "two_blocks"]


@dataclass(frozen=True)
class TwoBlocks:
    """Two user groups, each liking its own item block, one item per user held out.

    Attributes
    ----------
    train : Dataset
        Every interaction except one held-out item per user. The catalog (item map)
        holds all items.
    test : Dataset
        The held-out interactions, one per user.
    users : list of str
        User ids, in order.
    held_out : list of str
        The held-out item of each user, in the order of ``users``.
    """

    train: Dataset
    test: Dataset
    users: list[str]
    held_out: list[str]

    def with_tables(
        self, items: pd.DataFrame | None = None, users: pd.DataFrame | None = None, name=None
    ) -> TwoBlocks:
        """The same blocks, training data given an item and/or a user table."""
        train = self.train
        data = Dataset(
            train.interactions,
            items=items,
            users=users,
            user_map=train.user_map,
            item_map=train.item_map,
            name=name or train.name,
        )
        return replace(self, train=data)


def two_blocks(
    n_users_per_block: int = 6,
    n_items_per_block: int = 5,
    with_ratings: bool = True,
    random_state: int = 0,
) -> TwoBlocks:
    """Users ``u10, u13, ...`` and items ``i37, i40, ...`` (non-contiguous string ids).

    Users of block b interact with every item of block b except one held-out item
    (rating 4 or 5) and with one random item of the other block (rating 1), so a
    model that learns the block structure ranks the held-out item first.
    """
    rng = np.random.default_rng(random_state)
    rows, test_rows = [], []
    users, held = [], []
    ts = 1_600_000_000
    for block in range(2):
        items = [f"i{37 + 3 * (block * n_items_per_block + j)}" for j in range(n_items_per_block)]
        other = [
            f"i{37 + 3 * ((1 - block) * n_items_per_block + j)}" for j in range(n_items_per_block)
        ]
        for u in range(n_users_per_block):
            user = f"u{10 + 3 * (block * n_users_per_block + u)}"
            out = items[(u + block) % n_items_per_block]
            users.append(user)
            held.append(out)
            for item in items:
                ts += 60
                row = {
                    "user": user,
                    "item": item,
                    "rating": float(rng.integers(4, 6)),
                    "timestamp": ts,
                }
                (test_rows if item == out else rows).append(row)
            ts += 60
            rows.append(
                {
                    "user": user,
                    "item": other[int(rng.integers(len(other)))],
                    "rating": 1.0,
                    "timestamp": ts,
                }
            )
    frame = pd.DataFrame(rows)
    test = pd.DataFrame(test_rows)
    if not with_ratings:
        frame = frame.drop(columns="rating")
        test = test.drop(columns="rating")
    full = Dataset(pd.concat([frame, test], ignore_index=True), name="two-blocks")
    return TwoBlocks(
        train=full.replace(frame, name="two-blocks-train"),
        test=full.replace(test, name="two-blocks-test"),
        users=users,
        held_out=held,
    )
