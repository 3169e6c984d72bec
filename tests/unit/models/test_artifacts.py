import json
import pickle

import pytest

import tastemaker
from tastemaker.errors import ModelFileError, ParameterError
from tastemaker.models import Bias
from tastemaker.testing import two_blocks


@pytest.fixture
def model_dir(tmp_path):
    return Bias().fit(two_blocks().train).save(tmp_path / "bias")


def test_directory_layout(model_dir):
    names = sorted(p.name for p in model_dir.iterdir())
    assert names == ["arrays.safetensors", "items.json", "model.json", "users.json"]
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["class"] == "bias" and meta["format"] == 1
    assert meta["params"] == Bias().get_params()
    assert set(meta["sha256"]) == {"arrays.safetensors", "items.json", "users.json"}


def test_save_overwrites_a_model_but_not_other_directories(model_dir, tmp_path):
    Bias(n_epochs=2).fit(two_blocks().train).save(model_dir)
    assert tastemaker.load(model_dir).n_epochs == 2
    other = tmp_path / "precious"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ParameterError, match="not a tastemaker model directory"):
        Bias().fit(two_blocks().train).save(other)
    assert (other / "notes.txt").read_text() == "keep me"


def test_no_temporary_directories_left(model_dir):
    assert [p.name for p in model_dir.parent.iterdir()] == ["bias"]


def test_truncated_arrays_refused(model_dir):
    path = model_dir / "arrays.safetensors"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match="truncated or modified"):
        tastemaker.load(model_dir)


def test_tampered_ids_refused(model_dir):
    (model_dir / "users.json").write_text(json.dumps(["evil"]))
    with pytest.raises(ModelFileError, match="users.json does not match the checksum"):
        tastemaker.load(model_dir)


def test_missing_file_refused(model_dir):
    (model_dir / "items.json").unlink()
    with pytest.raises(ModelFileError, match="missing items.json"):
        tastemaker.load(model_dir)


def test_foreign_directory_refused(tmp_path):
    with pytest.raises(ModelFileError, match="not a tastemaker model directory"):
        tastemaker.load(tmp_path)
    (tmp_path / "model.json").write_text('{"hello": 1}')
    with pytest.raises(ModelFileError, match="not written by tastemaker"):
        tastemaker.load(tmp_path)
    (tmp_path / "model.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        tastemaker.load(tmp_path)
    with pytest.raises(ModelFileError, match="not a directory"):
        tastemaker.load(tmp_path / "absent")


def test_unknown_class_and_newer_format_refused(model_dir):
    meta_path = model_dir / "model.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "class": "os.system"}))
    with pytest.raises(ModelFileError, match="unknown model 'os.system'"):
        tastemaker.load(model_dir)
    meta_path.write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(ModelFileError, match="format 99; tastemaker .* reads 1-1"):
        tastemaker.load(model_dir)


def test_checksum_paths_cannot_escape(model_dir):
    meta_path = model_dir / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["sha256"]["../../etc/passwd"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="missing"):
        tastemaker.load(model_dir)


class _Boom:
    def __reduce__(self):
        return (exec, ("raise SystemExit('pickle was executed')",))


def test_pickle_files_are_never_loaded(model_dir):
    (model_dir / "model.pkl").write_bytes(pickle.dumps(_Boom()))
    (model_dir / "arrays.pkl").write_bytes(pickle.dumps(_Boom()))
    loaded = tastemaker.load(model_dir)  # loads fine; the pickles are ignored
    assert loaded.name == "bias"


def test_bad_params_in_file_refused(model_dir):
    meta_path = model_dir / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["params"]["n_epochs"] = -3
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="n_epochs"):
        tastemaker.load(model_dir)
