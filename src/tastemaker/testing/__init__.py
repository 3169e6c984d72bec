"""Testing helpers: the model conformance suite and tiny synthetic datasets."""

from tastemaker.testing._synthetic import TwoBlocks, two_blocks

__all__ = ["RecommenderChecks", "TwoBlocks", "two_blocks"]


def __getattr__(name: str):
    if name == "RecommenderChecks":  # imports pytest: only when asked for
        from tastemaker.testing._checks import RecommenderChecks

        return RecommenderChecks
    raise AttributeError(name)
