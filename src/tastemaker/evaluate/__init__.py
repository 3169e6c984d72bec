"""Evaluation: metrics, the evaluation protocol, statistics and reports."""

from tastemaker.evaluate._ranked import (
    EvaluationResult,
    Ragged,
    evaluate_ranked,
    evaluate_recommendations,
)
from tastemaker.evaluate.metrics import MetricSpec, parse_metric, parse_metrics
from tastemaker.evaluate.protocols import evaluate_model, relevant_items
from tastemaker.evaluate.stats import bootstrap_ci, paired_test

__all__ = [
    "EvaluationResult",
    "MetricSpec",
    "Ragged",
    "bootstrap_ci",
    "evaluate_model",
    "evaluate_ranked",
    "evaluate_recommendations",
    "paired_test",
    "parse_metric",
    "parse_metrics",
    "relevant_items",
]
