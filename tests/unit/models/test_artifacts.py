import json
import pickle

import numpy as np
import pytest

import tastemaker
from tastemaker.errors import ModelFileError, ParameterError
from tastemaker.models import Bias, Markov, Sequences
from tastemaker.models._artifacts import _self_checksum
from tastemaker.testing import two_blocks


def _rewrite(meta_path, meta, resign=True):
    """Write an edited model.json; ``resign``: as an attacker who also recomputes its
    checksum (so that the checks behind it are reached)."""
    meta = {k: v for k, v in meta.items() if k != "checksum"}
    if resign:
        meta["checksum"] = _self_checksum(meta)
    meta_path.write_text(json.dumps(meta))


@pytest.fixture
def model_dir(tmp_path):
    return Bias().fit(two_blocks().train).save(tmp_path / "bias")


def test_directory_layout(model_dir):
    names = sorted(p.name for p in model_dir.iterdir())
    assert names == ["arrays.safetensors", "items.json", "model.json", "users.json"]
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["class"] == "bias" and meta["format"] == 2
    assert meta["params"] == Bias().get_params()
    assert meta["tags"]["predicts_ratings"] is True
    assert set(meta["sha256"]) == {"arrays.safetensors", "items.json", "users.json"}
    assert meta["checksum"] == _self_checksum(meta)


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
    _rewrite(meta_path, {**meta, "class": "os.system"})
    with pytest.raises(ModelFileError, match="unknown model 'os.system'"):
        tastemaker.load(model_dir)
    _rewrite(meta_path, {**meta, "format": 99})
    with pytest.raises(ModelFileError, match="format 99; tastemaker .* reads 2-2. Upgrade"):
        tastemaker.load(model_dir)
    _rewrite(meta_path, {**meta, "format": 1})
    with pytest.raises(ModelFileError, match="format 1; .* Re-train"):
        tastemaker.load(model_dir)


def test_checksum_paths_cannot_escape(model_dir):
    meta_path = model_dir / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["sha256"]["../../etc/passwd"] = "0" * 64
    _rewrite(meta_path, meta)
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
    _rewrite(meta_path, meta)
    with pytest.raises(ModelFileError, match="n_epochs"):
        tastemaker.load(model_dir)


def test_edited_model_json_refused(model_dir):
    """model.json is covered by its own checksum: an edited parameter is not trusted."""
    meta_path = model_dir / "model.json"
    meta = json.loads(meta_path.read_text())
    meta["params"]["n_epochs"] = 3  # a valid value: only the checksum can tell
    _rewrite(meta_path, meta, resign=False)
    with pytest.raises(ModelFileError, match="does not match its own checksum"):
        tastemaker.load(model_dir)


def test_sequences_round_trip(tmp_path):
    model = Markov().fit(two_blocks().train)
    loaded = tastemaker.load(model.save(tmp_path / "markov"))
    assert isinstance(loaded.sequences_, Sequences)
    for part in ("indptr", "items", "timestamps", "values"):
        np.testing.assert_array_equal(
            getattr(loaded.sequences_, part), getattr(model.sequences_, part)
        )


def test_torch_state_and_ragged_arrays_round_trip(tmp_path):
    torch = pytest.importorskip("torch")
    model = Bias().fit(two_blocks().train)
    module = torch.nn.Linear(3, 2)
    model.weights_ = {k: v.clone() for k, v in module.state_dict().items()}
    model.embedding_ = torch.arange(6, dtype=torch.bfloat16).reshape(2, 3)
    model.ragged_ = [np.arange(3), np.arange(0), np.arange(5, 7)]
    path = model.save(tmp_path / "with-tensors")
    assert (path / "tensors.safetensors").exists()
    loaded = tastemaker.load(path)
    assert set(loaded.weights_) == {"weight", "bias"}
    for key, value in module.state_dict().items():
        assert torch.equal(loaded.weights_[key], value)
    assert loaded.embedding_.dtype == torch.bfloat16
    assert torch.equal(loaded.embedding_, model.embedding_)
    assert [r.tolist() for r in loaded.ragged_] == [[0, 1, 2], [], [5, 6]]
