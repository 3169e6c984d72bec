import numpy as np
import pytest

from tastemaker.errors import ParameterError
from tastemaker.models import create_model, list_models
from tastemaker.models._topk import topk


def test_topk_orders_by_score_then_index():
    scores = np.array([[0.1, 0.5, 0.5, 0.9, 0.5]], dtype=np.float32)
    idx, values = topk(scores, 3)
    assert idx.tolist() == [[3, 1, 2]]
    np.testing.assert_allclose(values, [[0.9, 0.5, 0.5]])


def test_topk_ties_at_cut_take_lowest_index():
    scores = np.zeros((2, 50), dtype=np.float32)
    scores[1, 40] = 1.0
    idx, _ = topk(scores, 3)
    assert idx.tolist() == [[0, 1, 2], [40, 0, 1]]


def test_topk_drops_excluded_items():
    scores = np.array([[-np.inf, 2.0, -np.inf]], dtype=np.float32)
    idx, _ = topk(scores, 3)
    assert idx.tolist() == [[1, -1, -1]]


def test_topk_agrees_with_full_stable_sort():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, size=(20, 30)).astype(np.float32)
    idx, _ = topk(scores, 7)
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :7]
    np.testing.assert_array_equal(idx, expected)


def test_registry_lists_baselines_with_params():
    infos = {m.name: m for m in list_models()}
    assert {"popular", "random", "bias"} <= set(infos)
    assert infos["bias"].params["n_epochs"] == 10
    assert infos["bias"].tags.predicts_ratings


def test_unknown_model_suggests_closest():
    with pytest.raises(ParameterError, match="unknown model 'popularr'. Did you mean 'popular'"):
        create_model("popularr")


def test_unknown_parameter_suggests_closest():
    with pytest.raises(ParameterError, match="Did you mean 'n_epochs'"):
        create_model("bias", n_epoch=3)
