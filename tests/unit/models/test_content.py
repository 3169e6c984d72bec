"""content: conformance (with and without an item table), cold items, fold-in by hand,
encoders fitted on the training table only, save/load, explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset
from tastemaker.errors import DataError, DataWarning, ParameterError
from tastemaker.explain import CoOccurrenceExplainer
from tastemaker.models import Content, create_model, load
from tastemaker.testing._checks import RecommenderChecks
from tastemaker.testing._synthetic import two_blocks


def _with_items(blocks):
    """two_blocks plus an item table whose genre (and title word) is the item's block."""
    train = blocks.train
    ids = train.item_map.ids.tolist()
    inter = train.interactions
    first_user = blocks.users[0]  # block 0: the items they rated 4 or 5, and their held-out one
    comedy = set(inter.loc[(inter["user"] == first_user) & (inter["rating"] > 1), "item"])
    comedy.add(blocks.held_out[0])
    genre = ["Comedy" if i in comedy else "Drama" for i in ids]
    table = pd.DataFrame(
        {
            "item": ids,
            "genres": genre,
            "title": [
                f"{'laugh' if g == 'Comedy' else 'tears'} film {i}" for i, g in zip(ids, genre)
            ],
        }
    )
    return blocks.with_tables(items=table, name="two-blocks-items")


class TestContent(RecommenderChecks):
    make_model = staticmethod(Content)

    @pytest.fixture(scope="class")
    @classmethod
    def blocks(cls):
        return _with_items(two_blocks())

    def test_unknown_user_with_features(self, blocks, fitted):
        """Features are read as onboarding answers: columns of the item table only."""
        assert fitted.tags.scores_cold_users and fitted.tags.uses_features
        people = pd.DataFrame({"user": ["newcomer"], "age": [30], "gender": ["F"]})
        recs = fitted.recommend(["newcomer"], k=3, features=people)
        assert recs.fallback == {"newcomer": "unknown user"}  # nothing in the item space
        answers = pd.DataFrame({"user": ["newcomer"], "genres": ["Comedy"]})
        recs = fitted.recommend(["newcomer"], k=3, features=answers)
        assert recs.fallback == {} and len(recs) == 3


class TestContentWithoutItemTable(RecommenderChecks):
    """Items are their own features: nothing to generalise from, but every call works."""

    make_model = staticmethod(Content)
    learns_blocks = False


# -- planted data -------------------------------------------------------------------------
ITEMS = pd.DataFrame(
    {
        "item": ["c1", "c2", "c3", "d1", "d2", "d3", "cold-c", "cold-d"],
        "genres": [
            "Comedy",
            "Comedy|Romance",
            "Comedy",
            "Drama",
            "Drama|War",
            "Drama",
            "Comedy|Romance",
            "Drama|War",
        ],
        "title": [
            "happy days",
            "love story",
            "happy end",
            "war time",
            "war story",
            "dark night",
            "love boat",
            "war horse",
        ],
        "year": [1990, 1991, None, 2000, 2001, 2002, 1992, 2003],
    }
)
EVENTS = pd.DataFrame(
    {
        "user": ["u1", "u1", "u1", "u2", "u2", "u3", "u3"],
        "item": ["c1", "c2", "d1", "d1", "d2", "c3", "d3"],
        "rating": [5.0, 5.0, 1.0, 5.0, 4.0, 3.0, 3.0],
    }
)


def _planted(**params) -> Content:
    return Content(**params).fit(Dataset(EVENTS, items=ITEMS, name="planted"))


def test_only_features_reveal_the_cold_items_relevance():
    model = _planted(categorical="genres")
    assert model.item_popularity_[model.items_.index_of(["cold-c", "cold-d"])].sum() == 0
    recs = model.recommend(["u1", "u2"], k=2, items=["cold-c", "cold-d"]).to_frame()
    top = recs[recs["rank"] == 1].set_index("user")["item"]
    assert top.to_dict() == {"u1": "cold-c", "u2": "cold-d"}
    assert set(recs["source"]) == {"model"}


@pytest.mark.parametrize("idf", [False, True])
def test_scores_are_cosines_by_hand(idf):
    model = _planted(categorical="genres", categorical_idf=idf)
    # genres: Comedy, Drama, Romance, War; in 4, 4, 2 and 2 of the 8 items
    w = np.log(9 / (1 + np.array([4, 4, 2, 2]))) + 1 if idf else np.ones(4)

    def unit(v):
        v = np.asarray(v, dtype=float) * w
        return v / np.linalg.norm(v)

    # u1 (one event per pair, weight 1 each) = c1 + c2 + d1
    profile = unit([1, 0, 0, 0]) + unit([1, 0, 1, 0]) + unit([0, 1, 0, 0])
    profile /= np.linalg.norm(profile)
    scores = model.score(["u1"], items=["cold-c", "cold-d"])[0]
    expected = [profile @ unit([1, 0, 1, 0]), profile @ unit([0, 1, 0, 1])]
    np.testing.assert_allclose(scores, expected, rtol=1e-5)


def test_fold_in_needs_no_training_user():
    model = _planted(categorical="genres")
    history = pd.DataFrame({"user": ["new"], "item": ["d2"]})
    scores = model.fold_in(history)[0]
    # d2 = (Drama, War)/sqrt2 is its own profile: cosine 1 with cold-d (same genres)
    np.testing.assert_allclose(scores[model.items_.index_of(["cold-d"])], [1.0], rtol=1e-6)


def test_default_columns_skip_identifiers_and_numbers():
    items = ITEMS.assign(
        imdb_id=[f"tt{i:07d}" for i in range(len(ITEMS))],
        url=[f"http://imdb.com/title/{i} film" for i in range(len(ITEMS))],
        released=pd.to_datetime(["1995-01-01"] * len(ITEMS)),
    )
    model = Content(min_df=1).fit(Dataset(EVENTS, items=items))
    columns = {name.split(":")[1].split("=")[0] for name in model.feature_names_}
    assert columns == {"genres", "title"}


def test_numeric_block_is_used_when_named():
    model = _planted(categorical="genres", numeric="year")
    assert "numeric:year:missing" in model.feature_names_


def test_unknown_column_is_a_clear_error():
    with pytest.raises(DataError, match=r"no column\(s\) \['plot'\]"):
        _planted(text="plot")


def test_bad_weight_is_refused():
    with pytest.raises(ParameterError, match="text_weight"):
        Content(text_weight=-1.0).fit(Dataset(EVENTS, items=ITEMS))


def test_vocabulary_comes_from_the_training_table_only():
    """Items added after fit (a later item table) bring no new features."""
    train_items = ITEMS[ITEMS["item"] != "cold-d"]
    events = EVENTS
    model = Content(categorical="genres", text="title", min_df=1).fit(
        Dataset(events, items=train_items)
    )
    assert "text:title=war" in model.feature_names_
    assert "text:title=horse" not in model.feature_names_  # only cold-d's title has it


def test_registry_name_and_save_load_keep_explanations(tmp_path):
    model = create_model("content", categorical="genres").fit(
        Dataset(EVENTS, items=ITEMS, name="planted")
    )
    loaded = load(model.save(tmp_path / "m"))
    assert loaded.feature_names_ == model.feature_names_
    recs = model.recommend(["u1"], k=1, items=["cold-c"])
    assert (
        CoOccurrenceExplainer(loaded)(recs)["explanation"].tolist()
        == CoOccurrenceExplainer(model)(recs)["explanation"].tolist()
    )


def test_explanations_name_the_matched_features():
    model = _planted(categorical="genres")
    recs = model.recommend(["u1", "u2"], k=1, items=["cold-c", "cold-d"])
    texts = CoOccurrenceExplainer(model)(recs).set_index("user")["explanation"]
    # u1's profile is mostly Comedy, then Romance; cold-c is Comedy|Romance
    assert texts["u1"] == "matches your genres: Comedy, Romance"
    assert texts["u2"] == "matches your genres: Drama, War"


def test_explanation_without_shared_features():
    model = _planted(categorical="genres")
    u = model.users_.index_of(["u2"])
    i = model.items_.index_of(["c1"])
    assert model._explain(u, i) == ["shares no features with your history"]


# -- onboarding answers -----------------------------------------------------------------------
def test_onboarding_answers_rank_the_chosen_genre_first():
    model = _planted()  # genres and title, as inferred
    answers = pd.DataFrame({"user": ["new-d", "new-c"], "genres": ["War|Drama", "Romance"]})
    recs = model.recommend(["new-c", "new-d"], k=3, features=answers).to_frame()
    lists = recs.groupby("user", sort=False)["item"].apply(list).to_dict()
    assert set(lists["new-d"][:2]) == {"cold-d", "d2"}  # the two Drama|War items
    assert set(lists["new-d"]) <= {"d1", "d2", "d3", "cold-d"}
    assert set(lists["new-c"][:2]) == {"c2", "cold-c"}  # the two Romance items
    assert set(recs["source"]) == {"model"}


def test_onboarding_scores_are_cosines_by_hand():
    model = _planted(categorical="genres", categorical_idf=False)
    answers = pd.DataFrame({"user": ["new"], "genres": ["Comedy|Romance"]})
    scores = model.score(["new"], items=["c1", "c2", "d1"], features=answers)[0]
    # multi-hot: answers (1, 1, 0, 0); c1 (1, 0, 0, 0); c2 = the answers; d1 orthogonal
    np.testing.assert_allclose(scores, [1 / np.sqrt(2), 1.0, 0.0], rtol=1e-6)


def test_history_wins_over_answers_and_no_answers_falls_back():
    model = _planted(categorical="genres")
    answers = pd.DataFrame({"user": ["u2", "blank", "typo"], "genres": ["Comedy", None, "Comdy"]})
    with pytest.warns(DataWarning, match="Comdy") as said:
        recs = model.recommend(["u2", "blank", "typo"], k=1, items=["c1", "d3"], features=answers)
    assert len(said) == 1  # once per call, not once per pass over the users
    frame = recs.to_frame().set_index("user")
    assert frame.loc["u2", "item"] == "d3"  # u2's Drama history, not the answer
    assert recs.fallback == {"blank": "unknown user", "typo": "unknown user"}
    assert frame.loc["blank", "source"] == frame.loc["typo", "source"] == "fallback:popular"


def test_onboarding_explanations_name_the_answers(tmp_path):
    model = _planted(categorical="genres")
    answers = pd.DataFrame({"user": ["new"], "genres": ["Comedy|Horror"]})
    with pytest.warns(DataWarning, match="Horror") as said:  # not a genre of the item table
        recs = model.recommend(["new"], k=1, items=["d1", "c1"], features=answers)
    assert len(said) == 1  # once per call, though the cold-user check and scoring read it
    loaded = load(model.save(tmp_path / "m"))
    for m in (model, loaded):
        with pytest.warns(DataWarning, match="Horror"):
            text = CoOccurrenceExplainer(m, features=answers)(recs)["explanation"].tolist()
        assert text == ["matches your genres: Comedy"]


def test_recommend_file_reads_answers(tmp_path):
    from tastemaker.workflows import recommend_users

    model = _planted(categorical="genres")
    model.save(tmp_path / "m")
    users = tmp_path / "users.csv"
    users.write_text("user,genres\nnew,Drama|War\nnobody,\n")
    run = recommend_users(tmp_path / "m", users_file=users, k=1, explain=True)
    frame = run.frame.set_index("user")
    assert frame.loc["new", "item"] == "cold-d"
    assert frame.loc["new", "explanation"] == "matches your genres: War, Drama"
    assert frame.loc["nobody", "source"] == "fallback:popular"
