"""RecommenderChecks: the conformance suite every model passes.

Use it as a base class in a pytest module::

    class TestEASE(RecommenderChecks):
        make_model = staticmethod(lambda: EASE(regularization=10.0))

Checks that depend on a capability read the model's tags (``model.tags``) and assert
the refusal when the model lacks it: nothing is skipped silently.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.errors import NotFittedError, ParameterError
from tastemaker.models import load
from tastemaker.models.base import Recommender
from tastemaker.testing._synthetic import two_blocks

__all__ = ["RecommenderChecks"]


def _frame(model, *args, **kwargs) -> pd.DataFrame:
    return model.recommend(*args, **kwargs).to_frame()


class RecommenderChecks:
    """Shared conformance tests; subclasses set ``make_model``.

    Set ``learns_blocks = False`` for models that cannot recover the two-block
    structure (baselines).
    """

    make_model: Callable[[], Recommender]
    learns_blocks: bool = True
    fold_in_rtol: float = 1e-4
    """How closely folding in a training user's own history must reproduce their scores."""
    fold_in_copies_user: bool = True
    """Whether a new user with a copy of a training user's history gets that user's list
    (not for user-based neighbourhoods: the copied user is the new user's closest
    neighbour, while a training user is not its own other neighbour)."""

    @pytest.fixture(scope="class")
    @classmethod
    def blocks(cls):
        return two_blocks()

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, blocks):
        return cls.make_model().fit(blocks.train)

    # -- parameters ----------------------------------------------------------------------
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

    def test_init_only_stores(self):
        """``__init__`` stores its arguments as they are: no other attribute, no check."""
        cls = type(self.make_model())
        names = list(inspect.signature(cls.__init__).parameters)[1:]
        bogus = {name: object() for name in names}
        model = cls(**bogus)  # must not validate or transform
        assert set(vars(model)) == set(names)
        assert all(getattr(model, n) is bogus[n] for n in names)

    def test_unknown_param_is_refused(self):
        with pytest.raises(ParameterError, match="unknown parameter"):
            self.make_model().set_params(no_such_parameter=1)

    def test_not_fitted(self, blocks):
        with pytest.raises(NotFittedError):
            self.make_model().recommend(blocks.users[:1])

    # -- fitting and scoring ---------------------------------------------------------------
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
        recs = _frame(fitted, blocks.users, k=3)
        assert list(recs.columns) == ["user", "item", "rank", "score", "source"]
        assert recs.groupby("user")["rank"].apply(list).map(lambda r: r == [1, 2, 3]).all()
        assert recs["user"].drop_duplicates().tolist() == blocks.users
        assert set(recs["source"]) == {"model"}
        # scores are non-increasing along each list
        assert (recs.groupby("user")["score"].diff().dropna() <= 0).all()

    def test_seen_items_excluded(self, blocks, fitted):
        recs = _frame(fitted, blocks.users, k=blocks.train.n_items)
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
        recs = _frame(fitted, blocks.users, k=10, items=candidates)
        assert set(recs["item"]) <= set(candidates)

    def test_repeated_candidates_ranked_once(self, blocks, fitted):
        a, b = blocks.train.item_map.ids[:2].tolist()
        recs = _frame(fitted, blocks.users[:3], k=5, items=[a, a, b], exclude_seen=False)
        assert not recs.duplicated(["user", "item"]).any()
        assert (recs.groupby("user").size() == 2).all()

    def test_unknown_candidate_ranked_last(self, blocks, fitted):
        known = blocks.train.item_map.ids[:2].tolist()
        recs = fitted.recommend(blocks.users[:1], k=5, items=["no-such-item", *known])
        frame = recs.to_frame()
        assert frame["item"].tolist()[-1] == "no-such-item"
        assert frame["source"].tolist()[-1] == "unknown-item"
        assert np.isnan(frame["score"].iloc[-1])
        assert recs.unknown_items == ["no-such-item"]

    @staticmethod
    def _scores_anyone(model) -> bool:
        """Whether the model scores a user it knows nothing about (no features either)."""
        return model.tags.scores_cold_users and not model.tags.uses_features

    def test_unknown_users_get_fallback(self, blocks, fitted):
        recs = fitted.recommend(["nobody", blocks.users[0]], k=2)
        frame = recs.to_frame()
        assert (frame["user"] == "nobody").sum() == 2
        if self._scores_anyone(fitted):
            assert "nobody" not in recs.fallback
            return
        assert recs.fallback == {"nobody": "unknown user"}
        rows = frame[frame["user"] == "nobody"]
        assert set(rows["source"]) == {"fallback:popular"}
        popular = np.argsort(-fitted.item_popularity_, kind="stable")[:2]
        assert rows["item"].tolist() == list(fitted.items_.ids_of(popular))

    def test_unknown_user_with_features(self, blocks, fitted):
        features = pd.DataFrame({"user": ["newcomer"], "age": [30], "gender": ["F"]})
        recs = fitted.recommend(["newcomer"], k=3, features=features)
        assert len(recs) == 3
        if fitted.tags.scores_cold_users:
            assert recs.fallback == {}
        else:  # a model that cannot use them says so through the fallback
            assert recs.fallback == {"newcomer": "unknown user"}

    def test_batch_equals_one_by_one(self, blocks, fitted):
        batch = _frame(fitted, blocks.users, k=4)
        single = pd.concat([_frame(fitted, [u], k=4) for u in blocks.users], ignore_index=True)
        pd.testing.assert_frame_equal(
            batch.reset_index(drop=True), single, check_exact=False, rtol=1e-5, atol=1e-6
        )

    def test_k_must_be_positive(self, blocks, fitted):
        with pytest.raises(ParameterError, match='"k" must be an int >= 1'):
            fitted.recommend(blocks.users, k=0)

    # -- cold items ----------------------------------------------------------------------
    def test_cold_items_rank_after_scored_items(self, blocks):
        """An item without training interactions never outranks an item the model scored
        (unless the model scores cold items itself)."""
        train = blocks.train
        table = pd.DataFrame({"item": [*train.item_map.ids.tolist(), "i-cold"]})
        data = Dataset(train.interactions, items=table, users=train.users, name="with-cold-item")
        model = self.make_model().fit(data)
        recs = model.recommend(blocks.users, k=data.n_items).to_frame()
        scores = model.score(blocks.users, items=["i-cold"])
        if model.tags.scores_cold_items:
            assert np.isfinite(scores).all()
            return
        assert np.isneginf(scores).all()
        for _, rows in recs.groupby("user", sort=False):
            sources = rows["source"].tolist()
            if "fallback:popular" in sources:
                continue
            assert rows["item"].tolist()[-1] == "i-cold"
            assert sources[-1] == "cold-item"
            assert set(sources[:-1]) == {"model"}

    # -- persistence -----------------------------------------------------------------------
    def test_save_load_keeps_scores_and_writes_no_pickle(self, blocks, fitted, tmp_path):
        path = fitted.save(tmp_path / "model")
        files = {p.name for p in Path(path).iterdir()}
        assert "model.json" in files and "arrays.safetensors" in files
        for p in Path(path).iterdir():
            assert not p.read_bytes().startswith(b"\x80"), f"{p.name} looks like a pickle"
        loaded = load(path)
        assert type(loaded) is type(fitted)
        assert loaded.get_params() == fitted.get_params()
        assert loaded.tags == fitted.tags
        np.testing.assert_array_equal(loaded.score(blocks.users), fitted.score(blocks.users))
        pd.testing.assert_frame_equal(
            _frame(loaded, blocks.users, k=3), _frame(fitted, blocks.users, k=3)
        )

    def test_recovers_held_out_block_item(self, blocks, fitted):
        if not self.learns_blocks:
            pytest.skip("this model does not learn user-item structure")
        recs = _frame(fitted, blocks.users, k=1)
        hits = np.mean(np.asarray(recs["item"].tolist()) == np.asarray(blocks.held_out))
        assert hits >= 0.9

    # -- users given by a history ----------------------------------------------------------
    def test_fold_in_reproduces_training_users(self, blocks, fitted):
        history = blocks.train.interactions
        if not fitted.tags.folds_in:
            with pytest.raises(ParameterError, match="cannot rank users from a history"):
                fitted.fold_in(history)
            with pytest.raises(ParameterError, match="cannot rank users from a history"):
                fitted.recommend_history(history, k=3)
            return
        users = list(dict.fromkeys(history["user"]))
        folded = fitted.fold_in(history)
        np.testing.assert_allclose(
            folded, fitted.score(users), rtol=self.fold_in_rtol, atol=self.fold_in_rtol
        )

    def test_recommend_history_for_a_new_user(self, blocks, fitted):
        if not fitted.tags.folds_in:
            return  # the refusal is asserted in test_fold_in_reproduces_training_users
        train = blocks.train.interactions
        mine = train[train["user"] == blocks.users[0]].assign(user="newcomer")
        recs = fitted.recommend_history(mine, k=3)
        frame = recs.to_frame()
        assert frame["user"].unique().tolist() == ["newcomer"]
        assert recs.fallback == {}
        assert not set(frame["item"]) & set(mine["item"])  # history items excluded
        same = _frame(fitted, [blocks.users[0]], k=3)
        if self.learns_blocks and self.fold_in_copies_user:
            assert frame["item"].tolist() == same["item"].tolist()

    def test_history_order_comes_from_timestamps(self, blocks, fitted):
        """Rows in another order with the same timestamps rank the same."""
        if not fitted.tags.folds_in:
            return
        train = blocks.train.interactions
        mine = train[train["user"].isin(blocks.users[:3])].assign(user=lambda f: "new-" + f["user"])
        shuffled = mine.sample(frac=1.0, random_state=3)
        a = fitted.recommend_history(mine, k=4).to_frame().sort_values(["user", "rank"])
        b = fitted.recommend_history(shuffled, k=4).to_frame().sort_values(["user", "rank"])
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))

    def test_history_of_unknown_items_gets_fallback(self, blocks, fitted):
        if not fitted.tags.folds_in:
            return
        history = pd.DataFrame({"user": ["anon"], "item": ["never-seen"], "rating": [4.0]})
        recs = fitted.recommend_history(history, k=3)
        if self._scores_anyone(fitted):
            assert recs.fallback == {}
        else:
            assert recs.fallback == {"anon": "no known items in history"}
            assert set(recs.to_frame()["source"]) == {"fallback:popular"}
        assert len(recs) == 3

    # -- learning from new events ------------------------------------------------------------
    def test_update_with_a_new_user(self, blocks):
        model = self.make_model().fit(blocks.train)
        train = blocks.train.interactions
        events = train[train["user"] == blocks.users[0]].assign(user="arrival")
        if not model.tags.updates:
            with pytest.raises(ParameterError, match="cannot learn from new events"):
                model.update(events)
            return
        expected = model.recommend_history(events, k=3).to_frame() if model.tags.folds_in else None
        model.update(events)
        assert "arrival" in model.users_
        recs = model.recommend(["arrival"], k=3)
        assert recs.fallback == {}
        if expected is not None and self.learns_blocks:
            assert recs.to_frame()["item"].tolist() == expected["item"].tolist()

    # -- rating prediction -------------------------------------------------------------------
    def test_predict_fallbacks_are_labelled(self, blocks, fitted):
        user, item = blocks.users[0], blocks.train.item_map.ids[0]
        pairs = pd.DataFrame({"user": [user, "nobody", user], "item": [item, item, "nothing"]})
        if not fitted.tags.predicts_ratings:
            with pytest.raises(ParameterError, match="does not predict ratings"):
                fitted.predict(pairs)
            return
        values, sources = fitted.predict(pairs, return_source=True)
        assert np.isfinite(values).all()
        assert sources.tolist() == ["model", "fallback:unknown user", "fallback:unknown item"]
