import logging

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


def _config(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_build_models_from_configs_and_overrides(tmp_path):
    bias = _config(tmp_path, "bias.toml", 'model = "bias"\n[params]\nn_epochs = 4\n')
    anon = _config(tmp_path, "anon.toml", "[params]\nregularization = 3.0\n")
    # the config alone names the model
    assert list(workflows.build_models(None, [bias])) == ["bias"]
    # a config naming no model goes to the only model; --set without a model too
    (model,) = workflows.build_models(["bias"], [anon], ["n_epochs=2"]).values()
    assert (model.regularization, model.n_epochs) == (3.0, 2)
    # several models: each config to its model, qualified --set
    models = workflows.build_models(["popular", "bias"], [bias], ["bias.regularization=0.5"])
    assert list(models) == ["popular", "bias"]
    assert (models["bias"].n_epochs, models["bias"].regularization) == (4, 0.5)


@pytest.mark.parametrize(
    ("names", "configs", "overrides", "expected"),
    [
        (["popular", "bias"], ["anon"], [], "names no model"),
        (["popular"], ["bias"], [], "is for bias, which is not in --models popular"),
        (["bias"], ["bias", "bias"], [], "are both for bias"),
        (["popular", "bias"], [], ["n_epochs=2"], "ambiguous"),
        (["popular"], [], ["als.n_factors=8"], "is for als"),
        (None, [], [], "no model to evaluate"),
        (["bias", "bias"], [], [], "more than once"),
        (["bias"], [], ["n_epochs=x"], "expects int"),
    ],
)
def test_build_models_refusals(tmp_path, names, configs, overrides, expected):
    files = {
        "bias": _config(tmp_path, "bias.toml", 'model = "bias"\n[params]\nn_epochs = 4\n'),
        "anon": _config(tmp_path, "anon.toml", "[params]\nregularization = 3.0\n"),
    }
    with pytest.raises(ParameterError, match=expected):
        workflows.build_models(names, [files[c] for c in configs], overrides)


def test_recs_file_columns_per_file_and_items(tmp_path):
    recs = tmp_path / "recs.csv"
    recs.write_text("user,item,rank\nu1,7,1\nu1,8,2\nu1,9,3\n")
    test = tmp_path / "test.tsv"
    test.write_text("userId\tmovieId\nu1\t8\n")
    items = tmp_path / "items.csv"
    items.write_text("movieId,genres\n7,Action|Comedy\n8,Action\n9,Drama\n")
    result = workflows.evaluate_recs_file(
        recs,
        test,
        ["hit@2", "ild@3"],
        items_file=items,
        columns={"userId": "user", "movieId": "item"},
    )
    assert result.summary["hit@2"] == 1.0
    # 7 {A, C}, 8 {A}, 9 {D}: cosines 1/sqrt2, 0, 0
    assert result.summary["ild@3"] == pytest.approx((3 - 1 / 2**0.5) / 3)
    with pytest.raises(ParameterError, match="--columns user=userid: no column of that name"):
        workflows.evaluate_recs_file(recs, test, ["hit@2"], columns={"userid": "user"})


def test_recs_file_joins_several_item_files_and_logs_the_join(tmp_path, caplog):
    recs = tmp_path / "recs.csv"
    recs.write_text("user,item,rank\nu1,7,1\nu1,8,2\nu1,9,3\n")
    test = tmp_path / "test.csv"
    test.write_text("user,item\nu1,8\n")
    (tmp_path / "ids.csv").write_text("item\n9\n7\n")
    (tmp_path / "genres.csv").write_text("item,genres\n7,Action|Comedy\n8,Action\n9,Drama\n")
    items = [tmp_path / "ids.csv", tmp_path / "genres.csv"]
    with caplog.at_level(logging.INFO, logger="tastemaker"):
        result = workflows.evaluate_recs_file(recs, test, ["ild@3"], items_file=items)
    # the second file's genres reach ild@3 through the join (as in the test above)
    assert result.summary["ild@3"] == pytest.approx((3 - 1 / 2**0.5) / 3)
    # the files named as load_data names them
    assert (
        'item table: joined 2 files on "item": ids.csv (2 rows, 0 columns); '
        "genres.csv (3 rows, 1 column: genres) -> 3 items, 1 column"
    ) in caplog.messages
    assert "item table: 2 of 3 items in every file; missing from ids.csv: 1 (8)" in (
        caplog.messages
    )
