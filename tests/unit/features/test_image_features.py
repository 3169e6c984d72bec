"""ImageFeatures: item images (a path column or a folder) as an embedding block."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tastemaker.errors import DataError, MissingDependencyError, ParameterError
from tastemaker.features import ImageEncoder, ImageFeatures, ItemFeatures, MultiHotEncoder


@pytest.fixture(scope="module")
def encoder() -> ImageEncoder:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 8, 8, 3)).astype(np.uint8)
    params = dict(size=8, channels=(4,), n_epochs=1, validation=0.0, n_threads=1)
    return ImageEncoder(**params).fit(images, rng.normal(size=(12, 3)))


@pytest.fixture
def folder(tmp_path):
    rng = np.random.default_rng(1)
    for item in ("i1", "i3"):
        Image.fromarray(rng.integers(0, 256, (10, 12, 3)).astype(np.uint8)).save(
            tmp_path / f"{item}.jpg"
        )
    return tmp_path


def test_folder_images_embedded_missing_ones_zeros(encoder, folder):
    items = pd.DataFrame({"item": ["i1", "i2", "i3"], "genres": ["A", "B", "A|B"]})
    feats = ImageFeatures(folder=str(folder), encoder=encoder).fit(items)
    out = feats.transform(items, ids=["i3", "i2", "i1", "i9"])
    assert out.shape == (4, 4) and out.dtype == np.float32 and feats.dim_ == 4
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), [1, 0, 1, 0], atol=1e-6)
    assert feats.n_missing_images_ == 2
    raw = encoder.embed([str(folder / "i1.jpg")])[0]
    np.testing.assert_allclose(out[2], raw / np.linalg.norm(raw), rtol=1e-5)
    # the encoder's predictions instead of its pooled features
    pred = ImageFeatures(folder=str(folder), encoder=encoder, output="transform").fit(items)
    assert pred.transform(items).shape == (3, 3)


def test_path_column_and_round_trip_through_a_saved_encoder(encoder, folder, tmp_path):
    items = pd.DataFrame(
        {
            "item": [1, 2, 3],
            "genres": ["A", "B", "A"],
            "poster": [str(folder / "i1.jpg"), None, str(folder / "gone.jpg")],
        }
    )
    saved = encoder.save(tmp_path / "enc")
    union = ItemFeatures(
        [
            ("genres", MultiHotEncoder("genres")),
            ("poster", ImageFeatures("poster", encoder=str(saved)), 2.0),
        ]
    ).fit(items)
    assert union.columns_ == ["genres", "poster"]  # ImageFeatures has no columns_
    out = union.transform(items).toarray()
    assert out.shape == (3, 2 + 4)
    np.testing.assert_allclose(np.linalg.norm(out[:, 2:], axis=1), [2, 0, 0], atol=1e-5)
    again = ItemFeatures.from_dict(json.loads(json.dumps(union.to_dict())))
    np.testing.assert_allclose(again.transform(items).toarray(), out, rtol=1e-6)
    with pytest.raises(DataError, match="save it"):
        ImageFeatures("poster", encoder=encoder).fit(items).to_dict()


def test_without_a_model_or_torchvision_the_error_says_what_to_do(folder, monkeypatch):
    items = pd.DataFrame({"item": ["i1"], "image": [str(folder / "i1.jpg")]})
    with pytest.raises(ParameterError, match="needs an image model: encoder=.*weights="):
        ImageFeatures().fit(items)
    monkeypatch.setitem(sys.modules, "torchvision", None)  # as if not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'tastemaker\[image\]'"):
        ImageFeatures(weights=str(folder / "resnet18.pth")).fit(items)


def test_torchvision_backbone_from_a_local_weights_file(folder, tmp_path):
    torchvision = pytest.importorskip(
        "torchvision", reason="torchvision not installed (pip install 'tastemaker[image]')"
    )
    from safetensors.torch import save_file

    items = pd.DataFrame({"item": ["i1", "i3"]})
    with pytest.raises(DataError, match="does not exist"):
        ImageFeatures(folder=str(folder), weights=str(tmp_path / "none.pth")).fit(items)
    module = torchvision.models.resnet18(weights=None)
    save_file(module.state_dict(), str(tmp_path / "r18.safetensors"))
    feats = ImageFeatures(
        folder=str(folder), weights=str(tmp_path / "r18.safetensors"), n_threads=1
    ).fit(items)
    out = feats.transform(items)
    assert out.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
