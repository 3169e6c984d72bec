"""ImageEncoder: a CNN learns what tells tiny synthetic images apart, saves and loads."""

from __future__ import annotations

import numpy as np
import pytest

from tastemaker.errors import DataError, NotFittedError, ParameterError
from tastemaker.features import ImageEncoder

SIZE = 16


def shapes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class 0: a filled square; class 1: horizontal stripes; both in a random colour
    on a random-grey background, at a random place, so colour alone tells nothing."""
    rng = np.random.default_rng(seed)
    images = np.empty((n, SIZE, SIZE, 3), dtype=np.uint8)
    labels = rng.integers(0, 2, n)
    for i, label in enumerate(labels):
        images[i] = rng.integers(0, 256)
        colour = rng.integers(0, 256, 3)
        r, c = rng.integers(0, SIZE - 8, 2)
        patch = images[i, r : r + 8, c : c + 8]
        if label == 0:
            patch[:] = colour
        else:
            patch[::2] = colour
    return images, labels


def encoder(**kw) -> ImageEncoder:
    params = dict(size=SIZE, channels=(8, 16), n_epochs=25, batch_size=32, learning_rate=0.01)
    return ImageEncoder(**{**params, "n_threads": 1, **kw})


def test_learns_squares_from_stripes_far_above_chance():
    images, labels = shapes(128, seed=0)
    enc = encoder(n_epochs=15).fit(images, labels)
    assert enc.objective_ == "classes" and enc.n_outputs_ == 2
    test, truth = shapes(200, seed=1)
    probs = enc.transform(test)
    assert probs.dtype == np.float32 and probs.shape == (200, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    accuracy = float((enc.classes_[probs.argmax(axis=1)] == truth).mean())
    assert accuracy > 0.85  # chance: 0.5


def test_regression_maps_images_to_target_vectors(tmp_path):
    images, labels = shapes(256, seed=2)
    vectors = np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, -0.5]], dtype=np.float32)
    enc = encoder(random_state=5).fit(images, vectors[labels])
    assert enc.objective_ == "regression"
    test, truth = shapes(100, seed=3)
    pred = enc.transform(test)
    nearest = np.argmin(((pred[:, None, :] - vectors[None]) ** 2).sum(axis=2), axis=1)
    assert (nearest == truth).mean() > 0.85
    enc.save(tmp_path / "enc")
    again = ImageEncoder.load(tmp_path / "enc")
    np.testing.assert_array_equal(again.transform(test), pred)
    np.testing.assert_array_equal(again.embed(test), enc.embed(test))
    assert again.history_ == enc.history_
    assert not any(p.suffix in (".pkl", ".pt") for p in (tmp_path / "enc").iterdir())


def test_same_seed_same_vectors_and_multilabel_probabilities():
    images, labels = shapes(64, seed=4)
    multi = np.stack([labels, 1 - labels, np.ones_like(labels)], axis=1)
    one = encoder(n_epochs=2).fit(images, multi)
    two = encoder(n_epochs=2).fit(images, multi)
    assert one.objective_ == "multilabel"
    out = one.transform(images[:5])
    np.testing.assert_array_equal(out, two.transform(images[:5]))
    assert ((out > 0) & (out < 1)).all()


def test_images_of_any_size_and_grey_are_resized():
    images, labels = shapes(16, seed=6)
    enc = encoder(n_epochs=1).fit(images, labels)
    big = np.repeat(np.repeat(images[:2], 3, axis=1), 3, axis=2)  # 48 x 48
    grey = images[:2, :, :, 0]
    assert enc.transform(list(big)).shape == (2, 2)
    assert enc.transform(list(grey)).shape == (2, 2)
    np.testing.assert_allclose(enc.transform(big), enc.transform(images[:2]), atol=0.05)


def test_clear_errors():
    images, labels = shapes(8, seed=7)
    with pytest.raises(NotFittedError):
        encoder().transform(images)
    with pytest.raises(DataError, match="8 images but 3 targets"):
        encoder().fit(images, labels[:3])
    with pytest.raises(ParameterError, match="size 8 is too small for 4 blocks"):
        encoder(size=8, channels=(4, 4, 4, 4)).fit(images, labels)
    with pytest.raises(DataError, match=r"image 0 has shape \(16, 16, 5\)"):
        encoder().fit(np.zeros((1, 16, 16, 5)), [0])
