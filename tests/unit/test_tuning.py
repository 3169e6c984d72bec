import pandas as pd
import pytest

from tastemaker.errors import ParameterError
from tastemaker.testing import two_blocks
from tastemaker.tuning import tune_model, write_params
from tastemaker.workflows import build_model, read_config


@pytest.fixture(scope="module")
def data():
    blocks = two_blocks(n_users_per_block=10, n_items_per_block=8)
    frame = pd.concat([blocks.train.interactions, blocks.test.interactions], ignore_index=True)
    return blocks.train.replace(frame)


def test_tune_starts_from_defaults_and_never_loses(data):
    result = tune_model(data, "bias", n_trials=4, metric="rmse", random_state=0)
    assert len(result.trials) == 4
    assert result.trials["value"].iloc[0] == pytest.approx(result.default_value)
    assert result.best_value <= result.default_value  # rmse: lower is better
    assert result.best_value == pytest.approx(result.trials["value"].min())


def test_tune_is_reproducible(data):
    a = tune_model(data, "bias", n_trials=3, metric="rmse", random_state=1)
    b = tune_model(data, "bias", n_trials=3, metric="rmse", random_state=1)
    assert a.best_params == b.best_params and a.best_value == b.best_value


def test_fixed_parameters_are_kept(data):
    result = tune_model(data, "bias", n_trials=2, metric="rmse", fixed={"n_epochs": "2"})
    assert result.best_params["n_epochs"] == 2
    assert "params_n_epochs" not in result.trials.columns


def test_written_file_trains_the_same_model(data, tmp_path):
    result = tune_model(data, "bias", n_trials=3, metric="rmse", random_state=0)
    path = write_params(result, tmp_path / "params.toml")
    model_name, params = read_config(path)
    assert model_name == "bias" and params == result.best_params
    assert build_model(None, None, path).get_params() == result.best_params


def test_bad_requests(data):
    with pytest.raises(ParameterError, match="no parameters to tune"):
        tune_model(data, "popular", n_trials=2)
    with pytest.raises(ParameterError, match="does not predict ratings"):
        tune_model(data, "popular", n_trials=2, metric="rmse")
    with pytest.raises(ParameterError, match="per-user metric"):
        tune_model(data, "bias", n_trials=2, metric="coverage@10")
    with pytest.raises(ParameterError, match=r"parameter \"n_trials\" must be an int >= 1"):
        tune_model(data, "bias", n_trials=0)
