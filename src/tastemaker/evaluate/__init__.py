"""Evaluation: metrics and their registry, the scoring paths, the experiment runner,
statistics and reports."""

from tastemaker.evaluate._frames import evaluate_recommendations
from tastemaker.evaluate._ragged import Ragged
from tastemaker.evaluate._ranked import evaluate_ranked
from tastemaker.evaluate._result import EvaluationResult
from tastemaker.evaluate.metrics import (
    METRICS,
    Metric,
    MetricSpec,
    parse_metric,
    parse_metrics,
    register_metric,
)
from tastemaker.evaluate.protocols import evaluate_model, relevant_items
from tastemaker.evaluate.runner import (
    DEFAULT_METRICS,
    OFFICIAL_FOLDS,
    EvaluationRun,
    check_protocol,
    evaluate_models,
    make_splits,
)
from tastemaker.evaluate.stats import bootstrap_ci, paired_test

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "OFFICIAL_FOLDS",
    "EvaluationResult",
    "EvaluationRun",
    "Metric",
    "MetricSpec",
    "Ragged",
    "bootstrap_ci",
    "check_protocol",
    "evaluate_model",
    "evaluate_models",
    "evaluate_ranked",
    "evaluate_recommendations",
    "make_splits",
    "paired_test",
    "parse_metric",
    "parse_metrics",
    "register_metric",
    "relevant_items",
]
