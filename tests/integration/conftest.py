"""What the integration tests share: real datasets from ``$TASTEMAKER_DATA_DIR``.

A dataset that is not there skips the test with a message that says how to provide it,
except under CI (``CI=true``), where missing data fails the run instead of silently
skipping it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tastemaker.data import Dataset, RandomHoldout, Split, load_dataset, locate


class RealData:
    """Skip-or-fail access to the real datasets."""

    @staticmethod
    def missing(reason: str) -> None:
        """Skip the test (fail it under ``CI=true``) because data is missing."""
        message = f"{reason}; set TASTEMAKER_DATA_DIR to the shared data folder to run this test"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true but the real data is missing: {message}")
        pytest.skip(message)

    def folder(self, name: str) -> Path:
        """The folder holding named dataset ``name`` (or one of its aliases)."""
        if not os.environ.get("TASTEMAKER_DATA_DIR", "").strip():
            self.missing("TASTEMAKER_DATA_DIR is not set")
        found = locate(name)
        if found is None:
            self.missing(f"dataset {name!r} not found under $TASTEMAKER_DATA_DIR")
        return found

    def load(self, name: str, **options) -> Dataset:
        """Named dataset ``name``, read from its folder (never downloaded)."""
        self.folder(name)
        return load_dataset(name, download=False, **options)


@pytest.fixture(scope="session")
def real_data() -> RealData:
    return RealData()


@pytest.fixture(scope="session")
def split(real_data) -> Split:
    """MovieLens-100K, 20% of each user's ratings held out at random (seed 42)."""
    return RandomHoldout(test_size=0.2, random_state=42)(real_data.load("ml-100k"))
