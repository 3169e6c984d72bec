"""The metric registry: one entry per metric, read by parsing, evaluation, reports, docs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from pytest import approx

from tastemaker.evaluate import METRICS, _registry, evaluate_ranked, parse_metric, register_metric
from tastemaker.evaluate import metrics as M
from tastemaker.evaluate.report import LOWER_IS_BETTER, _lower_is_better

DOCS = Path(__file__).resolve().parents[3] / "docs" / "evaluation.md"


@pytest.fixture
def cleanup():
    before = dict(_registry._METRICS)
    yield
    _registry._METRICS.clear()
    _registry._METRICS.update(before)


def test_directions_and_names_come_from_the_registry():
    assert LOWER_IS_BETTER == {"rmse", "mae", "arp", "gini"}
    assert {name for name, m in METRICS.items() if not m.higher_is_better} == LOWER_IS_BETTER
    assert M.METRIC_NAMES == tuple(m.pattern for m in METRICS.values() if m.listed)
    assert "recall_capped@k" not in M.METRIC_NAMES and "recall_capped" in METRICS
    assert parse_metric("arp@5").higher_is_better is False
    assert METRICS["ndcg"].per_user is M.ndcg and METRICS["map"].per_user is M.average_precision


def test_docs_table_is_the_registry():
    text = DOCS.read_text()
    found = re.search(r"<!-- metrics table.*?-->\n(.*?)<!-- end of metrics table -->", text, re.S)
    assert found, "docs/evaluation.md lost its metrics table markers"
    assert found.group(1) == M.metrics_table(), (
        "docs/evaluation.md is out of date: paste tastemaker.evaluate.metrics.metrics_table()"
    )


def test_the_docs_example_registers_a_metric_everything_reads(cleanup):
    text = DOCS.read_text()
    code = re.search(
        r"```python\n(import numpy as np\nfrom tastemaker.evaluate import "
        r"register_metric.*?)```",
        text,
        re.S,
    ).group(1)
    namespace: dict = {}
    exec(code, namespace)
    spec = parse_metric("hits@2")
    assert spec.metric.per_user is namespace["hits"] and spec.higher_is_better
    lists, relevant = [[0, 1, 2], [3, 4], [5]], [[0, 2], [9], [5, 6]]
    res = evaluate_ranked(lists, relevant, ["hits@2", "ndcg@2"], n_items=10)
    expected = [namespace["hits"](r, rel, 2) for r, rel in zip(lists, relevant, strict=True)]
    assert res.per_user["hits@2"].tolist() == approx(expected) == [1.0, 0.0, 1.0]
    assert not _lower_is_better("hits@2")


def test_a_lower_is_better_metric_is_read_by_the_report(cleanup):
    @register_metric(
        "misses",
        batch=lambda b, spec: spec.k - b.n_hit(spec.k),
        kind="ranking",
        higher_is_better=False,
        needs=["relevant"],
        summary="slots without a relevant item",
    )
    def misses(ranked, relevant, k):
        return float(k - np.isin(np.asarray(ranked)[:k], relevant).sum())

    assert _lower_is_better("misses@3")
    assert "misses@k" in {m.pattern for m in METRICS.values()}


def test_registration_errors(cleanup):
    with pytest.raises(ValueError, match="registered twice"):
        register_metric("ndcg", batch=lambda b, s: 0, kind="ranking", summary="x")(lambda: 0)
    with pytest.raises(ValueError, match="unknown needs"):
        register_metric("x", batch=lambda b, s: 0, kind="ranking", summary="x", needs=["gpu"])
