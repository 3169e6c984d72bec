import pytest

from tastemaker import workflows
from tastemaker.errors import ParameterError
from tastemaker.evaluate import runner
from tastemaker.workflows import (
    build_model,
    coerce_params,
    parse_overrides,
    read_config,
)


def test_coerce_params_types_strings_by_defaults():
    assert coerce_params("bias", {"n_epochs": "3", "regularization": "2"}) == {
        "n_epochs": 3,
        "regularization": 2.0,
    }
    assert coerce_params("random", {"random_state": "none"}) == {"random_state": None}
    with pytest.raises(ParameterError, match="expects int"):
        coerce_params("bias", {"n_epochs": "3.5"})


def test_parse_overrides():
    assert parse_overrides(["a=1", " b = x "]) == {"a": "1", "b": "x"}
    with pytest.raises(ParameterError, match="key=value"):
        parse_overrides(["novalue"])


def test_config_and_overrides(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('model = "bias"\n[params]\nn_epochs = 4\n')
    assert read_config(path) == ("bias", {"n_epochs": 4})
    model = build_model(None, {"regularization": "1.5"}, path)
    assert (model.name, model.n_epochs, model.regularization) == ("bias", 4, 1.5)
    with pytest.raises(ParameterError, match="disagrees"):
        build_model("popular", None, path)
    (tmp_path / "bad.toml").write_text("model = ")
    with pytest.raises(Exception, match="not valid TOML"):
        read_config(tmp_path / "bad.toml")


def test_string_options_named_none_stay_strings():
    assert coerce_params("item-knn", {"weighting": "none"}) == {"weighting": "none"}


def test_runner_names_stay_importable_from_workflows():
    # the runner lives in tastemaker.evaluate.runner, once; workflows re-exports it
    for name in ("EvaluationRun", "evaluate_models", "make_splits", "check_protocol"):
        assert getattr(workflows, name) is getattr(runner, name)
