"""Data-parallel training: two processes learn what one does, with identical weights."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from safetensors.torch import load_file

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError, TastemakerError
from tastemaker.models import ALS, NCF, fit_distributed, load
from tastemaker.nn import distributed
from tastemaker.testing._distributed import fail_on_rank, fit_every_rank

N_GROUPS, USERS_PER_GROUP, ITEMS_PER_GROUP, SEEN = 6, 20, 8, 5
PARAMS = dict(
    variant="gmf",
    n_factors=8,
    n_epochs=12,
    batch_size=32,
    learning_rate=0.02,
    patience=0,
    validation=0.0,
    device="cpu",
    n_threads=1,
    random_state=3,
)


def groups() -> tuple[Dataset, dict[str, str]]:
    """Users of group g had SEEN of the group's items; one more of them is held out.
    Random ranking puts it in the top 10 of the ~43 unseen items ~23% of the time."""
    rng = np.random.default_rng(0)
    rows, held = [], {}
    for g in range(N_GROUPS):
        items = [f"i{g * ITEMS_PER_GROUP + j}" for j in range(ITEMS_PER_GROUP)]
        for u in range(USERS_PER_GROUP):
            user = f"u{g}_{u}"
            picks = rng.choice(items, SEEN + 1, replace=False)
            rows += [(user, item) for item in picks[:SEEN]]
            held[user] = str(picks[SEEN])
    frame = pd.DataFrame(rows, columns=["user", "item"])
    return Dataset(frame), held


def hit_rate(model, held: dict[str, str]) -> float:
    recs = model.recommend(list(held), k=10).to_frame()
    hits = {(u, i) for u, i in zip(recs["user"], recs["item"], strict=True)}
    return float(np.mean([(u, i) in hits for u, i in held.items()]))


def weights(folder) -> dict:
    return load_file(str(folder / "tensors.safetensors"))


def test_two_processes_learn_what_one_does_with_identical_weights(tmp_path):
    data, held = groups()
    distributed.launch(fit_every_rank, 2, args=(NCF, PARAMS, data, str(tmp_path)))
    rank0, rank1 = weights(tmp_path / "rank0"), weights(tmp_path / "rank1")
    assert rank0.keys() == rank1.keys() and rank0
    for name in rank0:
        assert np.array_equal(rank0[name].numpy(), rank1[name].numpy()), name
    two = load(tmp_path / "rank0")
    assert two.history_["world_size"] == 2
    one = NCF(**PARAMS).fit(data)
    assert one.history_["world_size"] == 1
    hr_one, hr_two = hit_rate(one, held), hit_rate(two, held)
    assert hr_one > 0.9 and hr_two > 0.9  # random: ~0.23
    assert abs(hr_one - hr_two) < 0.1


def test_refuses_models_without_a_training_loop_and_too_many_processes():
    data, _ = groups()
    with pytest.raises(ParameterError, match="nproc=2 .* als has no torch training loop"):
        fit_distributed(ALS(), data, 2)
    with pytest.raises(ParameterError, match="more training processes than the"):
        fit_distributed(NCF(device="cpu"), data, distributed.cores() + 1)
    with pytest.raises(ParameterError, match="nproc"):
        fit_distributed(NCF(device="cpu"), data, 0)


def test_single_process_fits_in_place(tmp_path):
    data, _ = groups()
    model = NCF(**{**PARAMS, "n_epochs": 1})
    assert fit_distributed(model, data, 1, out=tmp_path / "m") is model
    assert load(tmp_path / "m").history_["world_size"] == 1


def test_an_error_in_one_process_surfaces_as_that_error():
    with pytest.raises(ParameterError, match="^bad value on rank 1$"):
        distributed.launch(fail_on_rank, 2, args=(1, "ParameterError", "bad value on rank 1"))


def test_a_bug_in_a_process_names_the_rank_and_the_first_failure_wins(tmp_path):
    def report(rank, when, kind, message):
        (tmp_path / f"{rank}.json").write_text(
            json.dumps({"time": when, "type": kind, "message": message, "traceback": ""})
        )

    report(0, 2.0, "RuntimeError", "Connection reset by peer")
    report(1, 1.0, "RuntimeError", "boom")
    error = distributed._worker_error(str(tmp_path), RuntimeError("spawn failed"))
    assert type(error) is TastemakerError
    assert str(error).startswith("training process 1 of the data-parallel group failed: ")
    assert "RuntimeError: boom" in str(error)
    (tmp_path / "1.json").unlink()
    (tmp_path / "0.json").unlink()
    error = distributed._worker_error(str(tmp_path), RuntimeError("killed by SIGKILL"))
    assert "died without a Python error: killed by SIGKILL" in str(error)


def cli(capsys, *args: str) -> tuple[int, str]:
    from tastemaker.cli.main import main

    code = main(["-q", *args])
    return code, capsys.readouterr().err


@pytest.mark.skipif(
    distributed.cores() < 2, reason="--nproc 2 on CPU needs two cores (refused otherwise)"
)
def test_cli_train_in_two_processes(tmp_path, capsys):
    data, _ = groups()
    csv = tmp_path / "events.csv"
    data.interactions[["user", "item"]].to_csv(csv, index=False)
    out = tmp_path / "model"
    sets = [f"--set={k}={v}" for k, v in {**PARAMS, "n_epochs": 2}.items()]
    code, err = cli(capsys, "train", "--data", str(csv), "--model", "ncf", "--out", str(out),
                    "--nproc", "2", *sets)  # fmt: skip
    assert code == 0, err
    assert err.startswith("saved ncf (120 users x 48 items)")
    assert load(out).history_["world_size"] == 2


@pytest.mark.parametrize(
    ("model", "nproc", "expected"),
    [
        ("als", "2", "--nproc=2 trains a neural model in several processes, but als has no "),
        ("ncf", "0", "--nproc"),
        ("ncf", "999", "--nproc=999 asks for more training processes than the "),
    ],
)
def test_cli_refuses_a_bad_nproc_before_reading_data(capsys, model, nproc, expected):
    code, err = cli(capsys, "train", "--data", "/nonexistent.csv", "--model", model,
                    "--out", "/nonexistent/x", "--nproc", nproc)  # fmt: skip
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert expected in lines[0]


@pytest.mark.parametrize(("n_batches", "world_size"), [(7, 2), (1, 2), (5, 3), (6, 3), (0, 2)])
def test_shard_gives_every_rank_as_many_batches_and_leaves_none_out(n_batches, world_size):
    shares = [list(distributed.shard(range(n_batches), r, world_size)) for r in range(world_size)]
    expected = -(-n_batches // world_size)
    assert [len(s) for s in shares] == [expected] * world_size
    assert set().union(*shares) == set(range(n_batches))
    assert (
        shares[0][: n_batches // world_size]
        == list(range(0, n_batches, world_size))[: n_batches // world_size]
    )
