"""Parameter checks in tastemaker.evaluate use the one validation layer and its wording."""

from __future__ import annotations

import pandas as pd
import pytest

from tastemaker.errors import ParameterError
from tastemaker.evaluate import evaluate_models, evaluate_ranked
from tastemaker.evaluate import metrics as M
from tastemaker.evaluate.report import format_leaderboard_text, leaderboard_table
from tastemaker.testing import two_blocks

BOARD = pd.DataFrame({"model": ["a"], "metric": ["hit@1"], "value": [0.5]})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: M.coverage([[0]], 0, 1),
            'coverage: parameter "n_items" must be an int >= 1, got 0.',
        ),
        (
            lambda: M.novelty([0], [1], 0, 1),
            'novelty: parameter "n_users" must be an int >= 1, got 0.',
        ),
        (lambda: M.gini([[0]], 2, 0), 'gini: parameter "k" must be an int >= 1, got 0.'),
        (
            lambda: evaluate_ranked([[0]], [[0]], "hit@1", n_items=0),
            'evaluate_ranked: parameter "n_items" must be an int >= 1, got 0.',
        ),
        (
            lambda: evaluate_ranked([[0]], [[0]], "hit@1", n_items=2, sampled=0),
            'evaluate_ranked: parameter "sampled" must be an int >= 1 or None, got 0.',
        ),
        (
            lambda: leaderboard_table(BOARD, rows="column"),
            "leaderboard_table: parameter \"rows\" must be one of 'model', 'metric', got 'column'.",
        ),
        (
            lambda: format_leaderboard_text(BOARD, digits=-1),
            'format_leaderboard_text: parameter "digits" must be an int in [0, 15], got -1.',
        ),
        (
            lambda: evaluate_models(two_blocks().train, ["popular"], random_state=-1),
            'evaluate_models: parameter "random_state" must be an int >= 0, got -1.',
        ),
    ],
)
def test_one_wording(call, message):
    with pytest.raises(ParameterError) as info:
        call()
    assert message in str(info.value)
