"""Smoke tests of the peer benchmark harness (benchmarks/run.py) on tiny synthetic data.

The peer libraries are the optional ``bench`` extra: the harness must import without
them, and the parts that use one are skipped when it is not installed.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tastemaker.data import Dataset, RandomHoldout

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load_run():
    if "tastemaker_bench_run" in sys.modules:
        return sys.modules["tastemaker_bench_run"]
    spec = importlib.util.spec_from_file_location("tastemaker_bench_run", BENCHMARKS / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run = _load_run()
OPTS = run.Options(threads=1, seed=0, quick=True, repeats=1, verbose=False)


def _spec(key: str, suite=run.peer_suite, **changes):
    spec = next(s for s in suite()[0] if s.key == key)
    return dataclasses.replace(spec, **changes)


@pytest.fixture(scope="module")
def data() -> Dataset:
    """Two taste groups over 40 items, ratings 1-5, string ids."""
    rng = np.random.default_rng(0)
    rows = []
    for u in range(60):
        group = u % 2
        liked = np.arange(20) + 20 * group
        items = rng.choice(liked, size=12, replace=False).tolist()
        items += rng.choice(np.arange(40), size=3, replace=False).tolist()
        for i in dict.fromkeys(items):
            rating = 5.0 if i in liked else 1.0
            rows.append({"user": f"u{3 * u + 1}", "item": f"i{7 * i + 2}", "rating": rating})
    return Dataset(pd.DataFrame(rows), name="synthetic")


def test_peer_libraries_are_imported_lazily():
    """Module-level imports of the harness name no peer library (they are optional)."""
    peers = {"implicit", "lenskit", "surprise", "sklearn"}
    for path in (BENCHMARKS / "run.py", BENCHMARKS / "_peers.py", BENCHMARKS / "_specs.py"):
        tree = ast.parse(path.read_text())
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = {a.name for n in top if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in top if isinstance(n, ast.ImportFrom) and n.module}
        assert not {name.split(".")[0] for name in names} & peers, path.name


def test_holdout_and_folds_with_baselines(data):
    specs = [_spec("ours-popular"), _spec("ours-bias"), _spec("surprise-baselineonly")]
    records = run.run_holdout("synthetic", data, specs, OPTS)
    ok = {r["system"]: r for r in records if r["status"] == "ok"}
    assert set(ok) == {"ours-popular", "ours-bias"}  # BaselineOnly only predicts ratings
    for record in ok.values():
        assert set(record["metrics"]) == {"ndcg@10", "recall@20", "coverage@10"}
        assert all(0.0 <= v <= 1.0 for v in record["metrics"].values())
        assert record["fit_s"] >= 0 and len(record["grid"]) == 1
    assert ok["ours-popular"]["metrics"]["ndcg@10"] > 0

    fold = RandomHoldout(test_size=0.2, random_state=0)(data)
    folds = run.run_folds([fold], specs, OPTS)
    by = {r["system"]: r for r in folds}
    assert "ours-popular" not in by  # not a rating system: not run on folds
    assert by["ours-bias"]["status"] == "ok"
    assert 0.0 < by["ours-bias"]["metrics"]["rmse"] < 4.0

    pairs = run.compare_pairs(records + folds, specs, run.peer_suite()[1])
    bias = next(p for p in pairs if p["ours"] == "ours-bias")
    if by["surprise-baselineonly"]["status"] == "ok":
        assert bias["status"] == "ok" and bias["accuracy"] in ("pass", "miss")
    else:
        assert bias["status"] == "incomplete"
    report = {
        "environment": run.environment(["--quick"], OPTS),
        "datasets": {"synthetic": {"summary": "tiny"}},
        "data_notes": [],
        "specs": [{"label": s.label, "fixed": s.fixed, "grid": list(s.grid)} for s in specs],
        "results": records + folds,
        "pairs": pairs,
    }
    text = run.render_markdown(report)
    assert "## Hold-out 80/20: synthetic" in text and "| tastemaker bias |" in text


def test_the_best_validation_configuration_is_refitted(data):
    opts = dataclasses.replace(OPTS, quick=False)
    grid = ({}, {"regularization": run.Rel(100.0)}, {"user_regularization": run.Rel(0.01)})
    spec = _spec("ours-bias", grid=grid)
    (record,) = run.run_holdout("synthetic", data, [spec], opts)
    assert record["status"] == "ok" and len(record["grid"]) == 3
    best = max(record["grid"], key=lambda g: g["validation"])
    assert record["params"] == best["params"] and record["validation"] == best["validation"]


def test_pairs_compare_accuracy_and_fit_time():
    def rec(system, value, fit_s, metric="ndcg@10", protocol="holdout"):
        return {
            "system": system,
            "protocol": protocol,
            "dataset": "d",
            "status": "ok",
            "metrics": {metric: value},
            "fit_s": fit_s,
            "params": {},
        }

    records = [
        rec("ours-als", 0.30, 1.0),
        rec("lenskit-implicitmf", 0.25, 2.0),
        rec("implicit-als", 0.25, 2.0),
        rec("ours-svd", 0.95, 1.0, "rmse", "folds"),
        rec("surprise-svd", 0.94, 1.5, "rmse", "folds"),
    ]
    pairs = run.peer_suite()[1]
    rows = {(p["ours"], p["peer"], p["protocol"]): p for p in run.compare_pairs(records, [], pairs)}
    als = rows["ours-als", "lenskit-implicitmf", "holdout"]
    assert als["accuracy"] == "pass" and als["speed"] == "pass"
    assert als["ratio"] == pytest.approx(1.2) and als["fit_ratio"] == pytest.approx(0.5)
    svd = rows["ours-svd", "surprise-svd", "folds"]
    assert svd["accuracy"] == "miss"  # lower RMSE wins
    assert svd["speed"] == "pass" and svd["speed_aim_met"] is False  # 0.67x: aim is 0.5x
    missing = rows["ours-als-c0", "implicit-als", "holdout"]  # one side did not run
    assert missing["status"] == "incomplete" and missing["note"] == "ours: not run"


def test_grids_of_our_models_scale_defaults_and_skip_what_is_missing():
    spec = run.SystemSpec(
        "x", "x", "bias", "ours", model="bias", grid=({"regularization": run.Rel(0.5)},)
    )
    _, configs, notes = run.resolve(dataclasses.replace(spec, fixed={"n_factors": 3}), OPTS)
    assert configs == [{"model": "bias", "regularization": 5.0}]
    assert notes == ["bias has no parameter 'n_factors'; not set"]
    with pytest.raises(run.Skip, match="no parameter similarity"):
        run.resolve(dataclasses.replace(spec, require=("similarity",)), OPTS)
    with pytest.raises(run.Skip, match="not registered"):
        run.resolve(dataclasses.replace(spec, model="no-such-model"), OPTS)


def test_implicit_adapter_ranks_unseen_items(data):
    pytest.importorskip("implicit")
    spec = _spec("implicit-als", fixed={"factors": 8, "iterations": 3})
    records = run.run_holdout("synthetic", data, [spec], OPTS)
    assert records[0]["status"] == "ok", records[0].get("traceback")
    assert records[0]["metrics"]["ndcg@10"] > 0.1

    split = RandomHoldout(test_size=0.2, random_state=0)(data)
    system = run._peers.ImplicitCosine({"K": 10}, 1, 0)
    system.prepare(split.train)
    system.fit()
    users = np.asarray(pd.unique(split.test.interactions["user"]), dtype=object)
    recs = system.recommend(users, 5)
    seen = set(zip(split.train.interactions["user"], split.train.interactions["item"]))
    assert not seen & set(zip(recs["user"], recs["item"]))
    assert recs.groupby("user")["rank"].max().eq(5).all()


def test_surprise_adapter_matches_surprise_predictions(data):
    pytest.importorskip("surprise")
    split = RandomHoldout(test_size=0.2, random_state=0)(data)
    pairs = split.test.interactions[["user", "item"]]
    for cls, params in (
        (run._peers.SurpriseSVD, {"n_factors": 4, "n_epochs": 3}),
        (run._peers.SurpriseSVDpp, {"n_factors": 3, "n_epochs": 2}),
    ):
        system = cls(params, 1, 0)
        system.prepare(split.train)
        system.fit()
        ours = system.predict(pairs)
        theirs = [system.algo.predict(u, i).est for u, i in pairs.itertuples(index=False)]
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
        recs = system.recommend(np.array(["u1", "u4"], dtype=object), 3)
        assert len(recs) == 6


# -- suites, seeds, matched pairs -----------------------------------------------------------


@pytest.mark.parametrize("suite", [run.peer_suite, run.matched_suite])
def test_every_pair_names_systems_of_its_suite(suite):
    specs, pairs = suite()
    by_key = {s.key: s for s in specs}
    assert len(by_key) == len(specs)  # keys are unique
    for pair in pairs:
        ours, peer = by_key[pair.ours], by_key[pair.peer]
        assert ours.is_ours and not peer.is_ours
        assert pair.protocol in ours.protocols and pair.protocol in peer.protocols
        assert ours.family == peer.family


def test_paired_systems_try_as_many_configurations():
    """Each system of a pair tries its own defaults plus the same shared grid."""
    specs, pairs = run.peer_suite()
    by_key = {s.key: s for s in specs}
    for pair in pairs:
        ours, peer = by_key[pair.ours], by_key[pair.peer]
        assert ours.grid[0] == {} and peer.grid[0] == {}, pair
        assert len(ours.grid) == len(peer.grid), pair


def test_matched_suite_fixes_one_configuration_and_skips_tuning():
    specs, pairs = run.matched_suite()
    assert all(spec.grid == ({},) for spec in specs)
    opts = dataclasses.replace(OPTS, tune=False)
    spec = _spec("ease:ours", run.matched_suite, fixed={"regularization": 5.0})
    _, configs, _ = run.resolve(spec, opts)
    assert configs == [{"model": "ease", "regularization": 5.0}]
    assert {p.label for p in pairs} >= {"item-knn cosine, K=20", "SVD, Surprise's defaults"}


def test_matched_ease_agrees_with_the_closed_form_reference(data):
    """Ours and Steck's NumPy closed form give the same lists (the reference adapter and
    the agreement measure, end to end)."""
    opts = dataclasses.replace(OPTS, tune=False)
    fixed = {"regularization": 5.0}
    specs = [
        _spec("ease:ours", run.matched_suite, fixed=fixed),
        _spec("ease:reference-ease", run.matched_suite, fixed=fixed),
    ]
    records = run.run_holdout("synthetic", data, specs, opts)
    assert [r["status"] for r in records] == ["ok", "ok"], records
    assert all(r["validation"] is None and r["grid"] == [] for r in records)  # not tuned
    (row,) = run.compare_pairs(records, specs, run.matched_suite()[1])
    assert row["agreement"] == {"same_top10": 1.0}
    assert row["ratio"] == pytest.approx(1.0)
    text = run.render_markdown(_report(records, [row], specs, suite="matched"))
    assert "100% same top-10" in text and "## Settings" in text


def test_agreement_of_lists_and_of_predictions():
    a = {"_lists": {"u1": ("x", "y"), "u2": ("y", "x")}}
    b = {"_lists": {"u1": ("x", "y"), "u2": ("x", "y"), "u3": ("z",)}}
    assert run.agreement(a, b) == {"same_top10": pytest.approx(1 / 3)}
    c = {"_predictions": np.array([3.0, 4.0])}
    d = {"_predictions": np.array([3.5, 3.0])}
    assert run.agreement(c, d) == {"max_abs_diff": 1.0}
    assert run.agreement({}, d) is None


def test_seeds_average_seeded_systems_only(data):
    opts = dataclasses.replace(OPTS, seeds=3)
    bpr = _spec("ours-bpr", fixed={"n_factors": 4, "n_epochs": 3})
    records = run.run_holdout("synthetic", data, [bpr, _spec("ours-popular")], opts)
    by = {r["system"]: r for r in records}
    seeds = by["ours-bpr"]["seeds"]
    assert [s["seed"] for s in seeds] == [0, 1, 2]
    for metric in ("ndcg@10", "recall@20"):
        values = [s[metric] for s in seeds]
        assert by["ours-bpr"]["metrics"][metric] == pytest.approx(np.mean(values))
        assert by["ours-bpr"]["metrics_sd"][metric] == pytest.approx(np.std(values, ddof=1))
    assert len(set(s["ndcg@10"] for s in seeds)) > 1  # the seeds make a difference
    assert [s["seed"] for s in by["ours-popular"]["seeds"]] == [0]  # deterministic: one fit

    fold = RandomHoldout(test_size=0.2, random_state=0)(data)
    svd = _spec("ours-svd", fixed={"n_factors": 3, "n_epochs": 3}, grid=({},))
    (record,) = run.run_folds([fold], [svd], opts)
    assert record["folds"][0]["seeds"] == 3


def test_peer_grids_skip_the_library_defaults_they_repeat():
    pytest.importorskip("implicit")
    _, configs, _ = run.resolve(_spec("implicit-cosine"), dataclasses.replace(OPTS, quick=False))
    assert configs == [{}, {"K": 50}, {"K": 100}, {"K": 200}]  # K=20 is implicit's default


def test_command_line_options():
    args = run.parse_args(["--suite", "matched", "--seeds", "3"])
    assert args.suite == "matched" and args.seeds == 3
    with pytest.raises(SystemExit):
        run.parse_args(["--seeds", "0"])
    with pytest.raises(SystemExit):
        run.parse_args(["--suite", "tuned"])
    specs, _ = run.matched_suite()
    assert {s.family for s in run.select(specs, "ease")} == {"ease"}
    with pytest.raises(SystemExit, match="unknown"):
        run.select(specs, "no-such-family")


def _report(records, pairs, specs, suite="peers"):
    env = run.environment(["--suite", suite], OPTS)
    env["suite"] = suite
    return {
        "environment": env,
        "datasets": {"synthetic": {"summary": "tiny"}},
        "data_notes": [],
        "specs": [{"label": s.label, "fixed": s.fixed, "grid": list(s.grid)} for s in specs],
        "results": records,
        "pairs": pairs,
    }


def test_next_item_protocol_holds_out_each_users_last_item(data):
    data = Dataset(data.interactions.assign(timestamp=np.arange(data.n_interactions)[::-1]))
    split, inner = run.holdout_splits(data, 0, "next")
    assert split.test.interactions["user"].is_unique
    assert inner.test.interactions["user"].is_unique
    last = data.interactions.sort_values("timestamp", kind="stable").groupby("user").tail(1)
    assert set(zip(split.test.interactions["user"], split.test.interactions["item"])) == set(
        zip(last["user"], last["item"])
    )
    records = run.run_holdout("synthetic", data, [_spec("ours-markov")], OPTS, protocol="next")
    assert records[0]["status"] == "ok" and records[0]["protocol"] == "next"
