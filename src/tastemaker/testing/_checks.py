"""RecommenderChecks: the conformance suite every model passes.

Use it as a base class in a pytest module::

    class TestEASE(RecommenderChecks):
        make_model = staticmethod(lambda: EASE(regularization=10.0))
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tastemaker
from tastemaker.errors import NotFittedError, ParameterError
from tastemaker.models.base import Recommender
from tastemaker.testing._synthetic import two_blocks

__all__ = ["RecommenderChecks"]


class RecommenderChecks:
    """Shared conformance tests; subclasses set ``make_model``.

    Set ``learns_blocks = False`` for models that cannot recover the two-block
    structure (baselines).
    """

    make_model: Callable[[], Recommender]
    learns_blocks: bool = True
    fold_in_rtol: float = 1e-4
    """How closely folding in a training user's own history must reproduce their scores."""

    @pytest.fixture(scope="class")
    @classmethod
    def blocks(cls):
        return two_blocks()

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, blocks):
        return cls.make_model().fit(blocks.train)

    def test_fit_returns_self(self, blocks):
        model = self.make_model()
        assert model.fit(blocks.train) is model

    def test_params_round_trip(self):
        model = self.make_model()
        params = model.get_params()
        clone = model.clone()
        assert type(clone) is type(model)
        assert clone.get_params() == params
        assert clone is not model
        json.dumps(params)  # parameters are JSON values (saved in model.json)

    def test_unknown_param_is_refused(self):
        with pytest.raises(ParameterError, match="unknown parameter"):
            self.make_model().set_params(no_such_parameter=1)

    def test_not_fitted(self, blocks):
        with pytest.raises(NotFittedError):
            self.make_model().recommend(blocks.users[:1])

    def test_refit_equals_fresh_fit(self, blocks, fitted):
        model = self.make_model().fit(blocks.train)
        other = two_blocks(random_state=5)
        model.fit(other.train)
        model.fit(blocks.train)
        np.testing.assert_allclose(
            model.score(blocks.users), fitted.score(blocks.users), rtol=1e-5, atol=1e-6
        )

    def test_same_random_state_same_scores(self, blocks, fitted):
        again = self.make_model().fit(blocks.train)
        np.testing.assert_allclose(
            again.score(blocks.users), fitted.score(blocks.users), rtol=1e-5, atol=1e-6
        )

    def test_score_shape_and_dtype(self, blocks, fitted):
        scores = fitted.score(blocks.users)
        assert scores.shape == (len(blocks.users), blocks.train.n_items)
        assert scores.dtype == np.float32
        assert not np.isnan(scores).any()
        some = list(blocks.train.item_map.ids[[3, 0]])
        np.testing.assert_allclose(fitted.score(blocks.users, items=some), scores[:, [3, 0]])

    def test_recommend_frame(self, blocks, fitted):
        recs = fitted.recommend(blocks.users, k=3)
        assert list(recs.columns) == ["user", "item", "rank", "score"]
        assert recs.groupby("user")["rank"].apply(list).map(lambda r: r == [1, 2, 3]).all()
        assert recs["user"].drop_duplicates().tolist() == blocks.users
        # scores are non-increasing along each list
        assert (recs.groupby("user")["score"].diff().dropna() <= 0).all()

    def test_seen_items_excluded(self, blocks, fitted):
        recs = fitted.recommend(blocks.users, k=blocks.train.n_items)
        seen = set(zip(blocks.train.interactions["user"], blocks.train.interactions["item"]))
        assert not any((u, i) in seen for u, i in zip(recs["user"], recs["item"]))
        n_seen = blocks.train.interactions.groupby("user")["item"].nunique()
        per_user = recs.groupby("user").size()
        assert (per_user + n_seen.loc[per_user.index] == blocks.train.n_items).all()

    def test_seen_items_included_on_request(self, blocks, fitted):
        recs = fitted.recommend(blocks.users[:2], k=blocks.train.n_items, exclude_seen=False)
        assert len(recs) == 2 * blocks.train.n_items

    def test_candidates_restrict_ranking(self, blocks, fitted):
        candidates = list(blocks.train.item_map.ids[:4])
        recs = fitted.recommend(blocks.users, k=10, items=candidates)
        assert set(recs["item"]) <= set(candidates)

    def test_unknown_users_get_fallback(self, blocks, fitted):
        recs = fitted.recommend(["nobody", blocks.users[0]], k=2)
        assert recs.attrs["fallback_users"] == ["nobody"]
        assert (recs["user"] == "nobody").sum() == 2
        popular = np.argsort(-fitted.item_popularity_, kind="stable")[:2]
        expected = list(fitted.items_.ids_of(popular))
        assert recs.loc[recs["user"] == "nobody", "item"].tolist() == expected

    def test_batch_equals_one_by_one(self, blocks, fitted):
        batch = fitted.recommend(blocks.users, k=4)
        single = pd.concat([fitted.recommend([u], k=4) for u in blocks.users], ignore_index=True)
        pd.testing.assert_frame_equal(
            batch.reset_index(drop=True), single, check_exact=False, rtol=1e-5
        )

    def test_k_must_be_positive(self, blocks, fitted):
        with pytest.raises(ParameterError, match="k must be"):
            fitted.recommend(blocks.users, k=0)

    def test_save_load_keeps_scores_and_writes_no_pickle(self, blocks, fitted, tmp_path):
        path = fitted.save(tmp_path / "model")
        files = {p.name for p in Path(path).iterdir()}
        assert "model.json" in files and "arrays.safetensors" in files
        for p in Path(path).iterdir():
            assert not p.read_bytes().startswith(b"\x80"), f"{p.name} looks like a pickle"
        loaded = tastemaker.load(path)
        assert type(loaded) is type(fitted)
        assert loaded.get_params() == fitted.get_params()
        np.testing.assert_array_equal(loaded.score(blocks.users), fitted.score(blocks.users))
        pd.testing.assert_frame_equal(
            loaded.recommend(blocks.users, k=3), fitted.recommend(blocks.users, k=3)
        )

    def test_recovers_held_out_block_item(self, blocks, fitted):
        if not self.learns_blocks:
            pytest.skip("this model does not learn user-item structure")
        recs = fitted.recommend(blocks.users, k=1)
        hits = np.mean(np.asarray(recs["item"].tolist()) == np.asarray(blocks.held_out))
        assert hits >= 0.9

    def test_fold_in_reproduces_training_users(self, blocks, fitted):
        if not fitted.supports_fold_in:
            with pytest.raises(ParameterError, match="cannot fold in"):
                fitted.fold_in(blocks.train.interactions)
            return
        history = blocks.train.interactions
        users = list(dict.fromkeys(history["user"]))
        folded = fitted.fold_in(history)
        np.testing.assert_allclose(
            folded, fitted.score(users), rtol=self.fold_in_rtol, atol=self.fold_in_rtol
        )

    def test_recommend_history_for_a_new_user(self, blocks, fitted):
        if not fitted.supports_fold_in:
            return
        train = blocks.train.interactions
        mine = train[train["user"] == blocks.users[0]].assign(user="newcomer")
        recs = fitted.recommend_history(mine, k=3)
        assert recs["user"].unique().tolist() == ["newcomer"]
        assert not set(recs["item"]) & set(mine["item"])  # history items excluded
        same = fitted.recommend([blocks.users[0]], k=3)
        if self.learns_blocks:
            assert recs["item"].tolist() == same["item"].tolist()
