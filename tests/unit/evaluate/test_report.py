"""Leaderboards, JSON and CSV output."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from tastemaker.errors import DataError, ParameterError
from tastemaker.evaluate._ranked import evaluate_ranked
from tastemaker.evaluate.report import (
    format_leaderboard_text,
    leaderboard_table,
    to_csv,
    to_json,
)


@pytest.fixture
def tidy():
    return pd.DataFrame(
        {
            "model": ["ease", "ease", "pop", "pop"],
            "metric": ["ndcg@10", "rmse", "ndcg@10", "rmse"],
            "value": [0.4, 0.95, 0.1, 0.90],
            "ci_low": [0.3, 0.9, 0.05, np.nan],
            "ci_high": [0.5, 1.0, 0.15, np.nan],
            "n_users": [100, 100, 100, 100],
        }
    )


def _render(table) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(table)
    return console.file.getvalue()


class TestLeaderboardTable:
    def test_rows_models_columns_metrics(self, tidy):
        table = leaderboard_table(tidy)
        assert [c.header for c in table.columns] == ["model", "ndcg@10 ↑", "rmse ↓"]
        assert table.row_count == 2
        text = _render(table)
        assert "0.4000 [0.3000, 0.5000]" in text
        assert "0.9000" in text and "0.9000 [" not in text  # no interval when NaN

    def test_best_per_column_bold(self, tidy):
        table = leaderboard_table(tidy)
        ndcg_cells = list(table.columns[1].cells)
        rmse_cells = list(table.columns[2].cells)
        assert ndcg_cells[0].startswith("[bold]") and not ndcg_cells[1].startswith("[bold]")
        # rmse: lower is better, so pop's 0.90 wins
        assert rmse_cells[1].startswith("[bold]") and not rmse_cells[0].startswith("[bold]")

    def test_missing_cell(self, tidy):
        table = leaderboard_table(tidy.iloc[:3])
        assert list(table.columns[2].cells)[1] == "-"

    def test_duplicate_rows(self, tidy):
        with pytest.raises(DataError, match="more than once"):
            leaderboard_table(pd.concat([tidy, tidy.iloc[:1]]))

    def test_missing_columns(self):
        with pytest.raises(DataError, match="missing \\['value'\\]"):
            leaderboard_table(pd.DataFrame({"model": ["a"], "metric": ["hit@1"]}))


class TestTextLeaderboard:
    def test_layout_and_marks(self, tidy):
        text = format_leaderboard_text(tidy)
        lines = text.splitlines()
        assert lines[0].split() == ["model", "ndcg@10", "rmse"]
        ease = next(line for line in lines if line.startswith("ease"))
        pop = next(line for line in lines if line.startswith("pop"))
        assert "0.4000 [0.3000, 0.5000] *" in ease
        assert "0.9000 *" in pop and "0.9500 [0.9000, 1.0000] *" not in ease
        assert lines[-1] == "* best per metric (lower is better for rmse)"

    def test_without_model_column(self):
        frame = pd.DataFrame({"metric": ["hit@1"], "value": [0.5]})
        assert "result" in format_leaderboard_text(frame)


class TestFiles:
    def _result(self):
        return evaluate_ranked(
            [[0, 1], [2]], [[1], [0]], ["hit@2", "ild@2"], n_items=3, item_vectors=np.eye(3)
        )

    def test_json_of_result_is_the_summary(self, tmp_path):
        res = self._result()
        path = tmp_path / "out" / "metrics.json"
        text = to_json(res, path)
        # ild is NaN for the one-item list; the mean skips it -> 1.0
        assert json.loads(text) == {"hit@2": 0.5, "ild@2": 1.0}
        assert json.loads(path.read_text()) == json.loads(text)
        assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]  # no temp left

    def test_json_nan_is_null(self, tidy):
        rows = json.loads(to_json(tidy))
        assert rows[3]["ci_low"] is None
        assert rows[0] == {
            "model": "ease",
            "metric": "ndcg@10",
            "value": 0.4,
            "ci_low": 0.3,
            "ci_high": 0.5,
            "n_users": 100,
        }

    def test_csv(self, tmp_path):
        res = self._result()
        summary = pd.read_csv(io.StringIO(to_csv(res)))
        assert summary["metric"].tolist() == ["hit@2", "ild@2"]
        path = tmp_path / "per_user.csv"
        to_csv(res, path, per_user=True)
        per_user = pd.read_csv(path)
        assert per_user.columns.tolist() == ["user", "hit@2", "ild@2"]
        assert per_user["hit@2"].tolist() == [1.0, 0.0]

    def test_csv_of_frame(self, tidy):
        assert pd.read_csv(io.StringIO(to_csv(tidy))).shape == (4, 6)
        with pytest.raises(ParameterError, match="per_user"):
            to_csv(tidy, per_user=True)

    def test_wrong_type(self):
        with pytest.raises(ParameterError, match="to_json takes"):
            to_json({"a": 1})


def test_leaderboard_rows_by_metric_and_html(tmp_path):
    from rich.console import Console

    from tastemaker.evaluate.report import leaderboard_table, to_html

    frame = pd.DataFrame(
        {
            "model": ["a", "b", "a", "b"],
            "metric": ["ndcg@10", "ndcg@10", "rmse", "rmse"],
            "value": [0.3, 0.2, 0.9, 1.1],
            "ci_low": [0.25, 0.15, 0.85, 1.0],
            "ci_high": [0.35, 0.25, 0.95, 1.2],
        }
    )
    console = Console(record=True, width=200)
    console.print(leaderboard_table(frame, rows="metric"))
    text = console.export_text()
    assert "ndcg@10 ↑" in text and "rmse ↓" in text and text.index("a") < text.index("b")
    html = to_html(frame, tmp_path / "r.html", context={"seed": 1})
    assert (tmp_path / "r.html").read_text() == html
    assert html.count("<svg") == 2 and "<b>0.3000 [0.2500, 0.3500]</b>" in html
    assert "<b>0.9000 [0.8500, 0.9500]</b>" in html  # lower rmse wins


def test_table_shows_square_brackets_as_text():
    # labels such as "ndcg@10[sampled-100]" and model names are text, not rich markup
    from rich.console import Console

    frame = pd.DataFrame(
        {
            "model": ["[m]"],
            "metric": ["ndcg@10[sampled-100]"],
            "value": [0.5],
            "ci_low": [0.4],
            "ci_high": [0.6],
        }
    )
    for rows in ("metric", "model"):
        console = Console(width=120, record=True)
        console.print(leaderboard_table(frame, rows=rows))
        text = console.export_text()
        assert "ndcg@10[sampled-100]" in text and "[m]" in text
