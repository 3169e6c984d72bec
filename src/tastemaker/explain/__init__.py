"""Explanations: why each item was recommended."""

from tastemaker.explain._generic import CoOccurrenceExplainer

__all__ = ["CoOccurrenceExplainer"]
