"""Splits: train / validation / test, seeded and leak-free."""

from __future__ import annotations

from dataclasses import dataclass

from tastemaker.data._dataset import Dataset

__all__ = ["Split"]


@dataclass(frozen=True)
class Split:
    """The result of a splitter: three datasets sharing the parent's id maps.

    ``validation`` is carved from the training part only (``None`` when not asked for);
    ``train`` excludes it, so a model tuned on ``validation`` then refitted on
    ``train_full`` never sees ``test``.
    """

    train: Dataset
    test: Dataset
    validation: Dataset | None = None
    name: str = "split"

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
