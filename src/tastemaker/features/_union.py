"""Several encoders over one table fused into one matrix of weighted column blocks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tastemaker.errors import DataError
from tastemaker.features._base import TableEncoder, encoder_from_dict

__all__ = ["ItemFeatures"]


class ItemFeatures:
    """Fuses encoders of one item (or user) table into one sparse float32 matrix.

    Each encoder gives a block of columns, multiplied by its weight; the blocks are
    side by side in the order given. Sparse blocks (multi-hot, TF-IDF) and dense ones
    (:class:`SentenceEncoder`, :class:`ImageFeatures`, :class:`EmbeddingEncoder`) fuse
    alike: a dense block is stored as CSR (its zero rows take no space). All encoders
    are fitted on the same table, so everything they learn comes from the fitting data
    only. The fitted union round-trips through :meth:`to_dict` / :meth:`from_dict` (JSON
    values) and :meth:`save` / :meth:`load` (one JSON file), without pickle.

    Parameters
    ----------
    encoders : sequence of (name, encoder) or (name, encoder, weight)
        Names are unique; a missing weight is 1.

    Attributes
    ----------
    feature_names_ : list of str
        ``"<name>:<encoder's feature name>"``.
    blocks_ : dict of str -> list of int
        Each encoder's ``[first, stop)`` column range in the matrix.

    Examples
    --------
    >>> from tastemaker.features import MultiHotEncoder, TfidfEncoder
    >>> items = pd.DataFrame({"item": [1, 2], "genres": ["Comedy", "Drama"],
    ...                       "title": ["Toy Story", "Heat"]})
    >>> fused = ItemFeatures([("genres", MultiHotEncoder("genres")),
    ...                       ("title", TfidfEncoder("title"), 0.5)]).fit(items)
    >>> fused.feature_names_
    ['genres:genres=Comedy', 'genres:genres=Drama', 'title:title=heat', 'title:title=story', \
'title:title=toy']
    """

    def __init__(self, encoders: Sequence[tuple]):
        self.encoders = encoders

    def _parts(self) -> list[tuple[str, TableEncoder, float]]:
        parts = []
        for spec in self.encoders:
            if not isinstance(spec, tuple) or len(spec) not in (2, 3):
                raise DataError(
                    f"ItemFeatures: each encoder is (name, encoder) or (name, encoder, weight), "
                    f"got {spec!r}"
                )
            name, encoder, weight = (*spec, 1.0) if len(spec) == 2 else spec
            if not isinstance(weight, (int, float)) or not np.isfinite(weight) or weight < 0:
                raise DataError(f"ItemFeatures: weight of {name!r} must be >= 0, got {weight!r}")
            parts.append((str(name), encoder, float(weight)))
        names = [p[0] for p in parts]
        if not parts or len(set(names)) != len(names):
            raise DataError(f"ItemFeatures: needs encoders with unique names, got {names}")
        return parts

    @property
    def columns_(self) -> list[str]:
        """The table columns the fitted encoders read, in order."""
        seen: dict[str, None] = {}
        for _, encoder, _ in self._parts():
            seen.update(dict.fromkeys(encoder._read_columns()))
        return list(seen)

    @property
    def indicators_(self) -> np.ndarray:
        """Per feature, whether it is a missing-value indicator (``"<column>:missing"``,
        :class:`NumericEncoder`): a row whose only values are indicators describes
        nothing."""
        return np.array([n.endswith(":missing") for n in self.feature_names_], dtype=bool)

    def fit(self, table: pd.DataFrame) -> ItemFeatures:
        """Fit every encoder on ``table``."""
        parts = self._parts()
        names, blocks, start = [], {}, 0
        for name, encoder, _ in parts:
            encoder.fit(table)
            names += [f"{name}:{f}" for f in encoder.feature_names_]
            blocks[name] = [start, start + len(encoder.feature_names_)]
            start += len(encoder.feature_names_)
        self.feature_names_ = names
        self.blocks_ = blocks
        return self

    def transform(self, table: pd.DataFrame, ids: Any = None) -> sp.csr_array:
        """The weighted blocks side by side (``ids`` as in the encoders' ``transform``)."""
        if not hasattr(self, "feature_names_"):
            from tastemaker.errors import NotFittedError

            raise NotFittedError("ItemFeatures is not fitted; call fit(table) first.")
        blocks = [
            sp.csr_array(encoder.transform(table, ids), dtype=np.float32) * np.float32(weight)
            for _, encoder, weight in self._parts()
        ]
        out = sp.csr_array(sp.hstack(blocks, format="csr"), dtype=np.float32)
        out.eliminate_zeros()
        out.sort_indices()
        return out

    def fit_transform(self, table: pd.DataFrame, ids: Any = None) -> sp.csr_array:
        return self.fit(table).transform(table, ids)

    # -- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The fitted union as JSON values."""
        return {
            "encoders": [
                {"name": name, "weight": weight, "encoder": encoder.to_dict()}
                for name, encoder, weight in self._parts()
            ],
            "feature_names": self.feature_names_,
            "blocks": self.blocks_,
        }

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> ItemFeatures:
        """The fitted union ``to_dict`` described."""
        union = cls(
            [(e["name"], encoder_from_dict(e["encoder"]), e["weight"]) for e in spec["encoders"]]
        )
        union.feature_names_ = list(spec["feature_names"])
        union.blocks_ = {k: list(v) for k, v in spec["blocks"].items()}
        return union

    def save(self, path: str | Path) -> Path:
        """Write the fitted union as JSON to ``path`` (a file)."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict()), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> ItemFeatures:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def __repr__(self) -> str:
        return f"ItemFeatures({self.encoders!r})"
