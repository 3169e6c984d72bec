"""Reading and training a synthetic log: tastemaker against plain pyarrow, pandas and implicit.

    python benchmarks/pipeline.py                        # 1M rows, 50K users, 10K items, 3 repeats
    python benchmarks/pipeline.py --quick                # 100K rows, 1 repeat (smoke run)
    python benchmarks/pipeline.py --only read --repeats 5

Every measurement runs in its own subprocess, so peak memory (the child's maximum resident
set size, from ``os.wait4``) belongs to that one task and nothing else.

read
    The in-process time of one call that turns the CSV into data: our
    ``tastemaker.data.read_interactions`` (with every check, id canonicalisation, timestamp
    parsing and the duplicate count) against ``pyarrow.csv.read_csv`` and
    ``pandas.read_csv`` (raw reads without checks). Imports are excluded.
train
    The whole command, wall clock from process start to exit (imports, reading, fitting and,
    for ours, saving the model):
    ``tastemaker train --data FILE --model als --set n_factors=64 --set n_epochs=15
    --set n_threads=2 --out DIR`` against a plain script that reads the CSV with pandas,
    factorizes the ids, builds a CSR matrix and fits ``implicit`` ALS (64 factors,
    15 iterations, 2 threads). One untimed warm-up run of each on a small file first
    fills numba's on-disk cache (implicit ships compiled code).

Both training runs see the same environment: ``OPENBLAS_NUM_THREADS`` and
``MKL_NUM_THREADS`` are set to 1 (implicit's recommendation; ALS parallelism comes
from ``n_threads``/``num_threads``) unless already set. Runs alternate (ours, theirs, ours,
...) so load drifts hit both; the median of ``--repeats`` runs is reported, with the load
average before and after. Writes ``<out>/<date>-<name>.md`` and ``.json``. To compare
with another version of tastemaker, run it again with ``PYTHONPATH=<its src>`` (children
inherit it) and another ``--name``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


# -- the synthetic log -------------------------------------------------------------------
def generate(path: Path, n_interactions: int, n_users: int, n_items: int, seed: int) -> None:
    """A CSV ``user,item,timestamp``: skewed (Zipf-like) user activity and item popularity,
    integer ids spread over a sparse range, a year of unix-second timestamps. Repeated pairs
    occur, as in real logs."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)

    def skewed(n: int, size: int, exponent: float) -> np.ndarray:
        weights = 1.0 / np.arange(1, n + 1) ** exponent
        drawn = rng.choice(n, size=size, p=weights / weights.sum())
        return rng.permutation(n)[drawn]  # popularity not aligned with the id order

    users = skewed(n_users, n_interactions, 0.6)
    items = skewed(n_items, n_interactions, 0.9)
    user_ids = np.sort(rng.choice(10 * n_users, size=n_users, replace=False)) + 1
    item_ids = np.sort(rng.choice(10 * n_items, size=n_items, replace=False)) + 1
    start = 1_700_000_000
    stamps = start + rng.integers(0, 365 * 86_400, size=n_interactions)
    frame = pd.DataFrame({"user": user_ids[users], "item": item_ids[items], "timestamp": stamps})
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


# -- what each child process runs ----------------------------------------------------------
def child_read(tool: str, path: str) -> dict[str, Any]:
    import warnings

    if tool == "tastemaker":
        from tastemaker.data import read_interactions

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            data = read_interactions(path)
            seconds = time.perf_counter() - start
        return {"seconds": seconds, "rows": data.n_interactions}
    if tool == "pyarrow":
        import pyarrow.csv

        start = time.perf_counter()
        table = pyarrow.csv.read_csv(path)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "rows": table.num_rows}
    if tool == "pandas":
        import pandas as pd

        start = time.perf_counter()
        frame = pd.read_csv(path)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "rows": len(frame)}
    raise SystemExit(f"unknown read tool {tool!r}")


def child_implicit(path: str, factors: int, epochs: int, threads: int) -> dict[str, Any]:
    """The plain script: pandas, a CSR matrix, implicit ALS."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares

    frame = pd.read_csv(path)
    user_idx, users = pd.factorize(frame["user"])
    item_idx, items = pd.factorize(frame["item"])
    matrix = sp.csr_matrix(
        (np.ones(len(frame), dtype=np.float32), (user_idx, item_idx)),
        shape=(len(users), len(items)),
    )
    model = AlternatingLeastSquares(
        factors=factors, iterations=epochs, num_threads=threads, random_state=42
    )
    model.fit(matrix, show_progress=False)
    return {"rows": len(frame), "users": len(users), "items": len(items)}


# -- running children ----------------------------------------------------------------------
def run_child(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``argv``; return wall seconds, peak RSS (MB) and the JSON it printed (if any)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    result: dict[str, Any] = {"wall": wall, "peak_mb": usage.ru_maxrss / 1024}  # KiB on Linux
    last = stdout.strip().splitlines()[-1:] if stdout.strip() else []
    if last and last[0].startswith("{"):
        result.update(json.loads(last[0]))
    return result


def train_commands(data: Path, out: Path, args: argparse.Namespace) -> dict[str, list[str]]:
    ours = [
        sys.executable,
        "-m",
        "tastemaker.cli.main",
        "-q",
        "train",
        "--data",
        str(data),
        "--model",
        "als",
        "--set",
        f"n_factors={args.factors}",
        "--set",
        f"n_epochs={args.epochs}",
        "--set",
        f"n_threads={args.threads}",
        "--out",
        str(out),
    ]
    theirs = [
        sys.executable,
        str(HERE),
        "--child",
        "implicit",
        "--data",
        str(data),
        "--factors",
        str(args.factors),
        "--epochs",
        str(args.epochs),
        "--threads",
        str(args.threads),
    ]
    return {"tastemaker train (CLI)": ours, "implicit script": theirs}


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="tastemaker-pipeline-"))
    data = work / f"log-{args.n_interactions}.csv"
    if not data.exists():
        print(f"generating {data} ...", file=sys.stderr)
        generate(data, args.n_interactions, args.n_users, args.n_items, args.seed)
    results: dict[str, Any] = {"read": {}, "train": {}}
    if "read" in args.only:
        tools = ["tastemaker", "pyarrow", "pandas"]
        runs: dict[str, list[dict[str, Any]]] = {t: [] for t in tools}
        for _ in range(args.repeats):
            for tool in tools:
                argv = [sys.executable, str(HERE), "--child", f"read-{tool}", "--data", str(data)]
                runs[tool].append(run_child(argv, env))
                print(f"read {tool}: {runs[tool][-1]['seconds']:.3f}s", file=sys.stderr)
        results["read"] = runs
    if "train" in args.only:
        warm = work / "warmup.csv"
        if not warm.exists():
            generate(warm, 20_000, 2_000, 500, args.seed)
        for argv in train_commands(warm, work / "model-warmup", args).values():
            run_child(argv, env)
        commands = train_commands(data, work / "model", args)
        runs = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, argv in commands.items():
                runs[name].append(run_child(argv, env))
                print(f"train {name}: {runs[name][-1]['wall']:.2f}s", file=sys.stderr)
        results["train"] = runs
        results["train_commands"] = {name: shlex.join(argv) for name, argv in commands.items()}
    return results


# -- report --------------------------------------------------------------------------------
def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("tastemaker", "numpy", "pandas", "pyarrow", "scipy", "numba", "implicit"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


# task -> (time field, baseline tool, baseline label)
TASKS = {
    "read": ("seconds", "pyarrow", "pyarrow"),
    "train": ("wall", "implicit script", "implicit"),
}


def table(results: dict[str, Any]) -> str:
    lines = [
        "| task | tool | seconds (median) | peak RSS MB (median) | time ratio | memory ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for task, (field, baseline, label) in TASKS.items():
        runs_by_tool = results.get(task) or {}
        if not runs_by_tool:
            continue
        base_s = median_of(runs_by_tool[baseline], field)
        base_m = median_of(runs_by_tool[baseline], "peak_mb")
        for tool, runs in runs_by_tool.items():
            s, m = median_of(runs, field), median_of(runs, "peak_mb")
            lines.append(
                f"| {task} | {tool} | {s:.3f} | {m:.0f} | {s / base_s:.2f}x {label} | "
                f"{m / base_m:.2f}x {label} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--n-interactions", type=int, default=1_000_000)
    parser.add_argument("--n-users", type=int, default=50_000)
    parser.add_argument("--n-items", type=int, default=10_000)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="runs per tool; median reported")
    parser.add_argument("--only", default="read,train", help="read, train or both")
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic log")
    parser.add_argument("--quick", action="store_true", help="100K rows, one repeat")
    parser.add_argument("--workdir", help="folder for the log and models (default: a temp dir)")
    parser.add_argument(
        "--out", default=str(HERE.parent / "results"), help="folder for the .md/.json results"
    )
    parser.add_argument("--name", default="pipeline", help="stem of the result files")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:  # one measured task, in its own process
        if args.child == "implicit":
            result = child_implicit(args.data, args.factors, args.epochs, args.threads)
        else:
            result = child_read(args.child.removeprefix("read-"), args.data)
        print(json.dumps(result))
        return 0

    if args.quick:
        args.n_interactions, args.n_users, args.n_items, args.repeats = 100_000, 5_000, 1_000, 1
    args.only = [part.strip() for part in args.only.split(",") if part.strip()]
    load_before = os.getloadavg()
    results = measure(args)
    load_after = os.getloadavg()
    stamp = dt.date.today().isoformat()
    command = shlex.join([Path(sys.executable).name, *sys.argv])
    info = {
        "command": command,
        "log": {
            "interactions": args.n_interactions,
            "users": args.n_users,
            "items": args.n_items,
            "seed": args.seed,
        },
        "repeats": args.repeats,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
        "versions": versions(),
    }
    text = (
        f"# Pipeline benchmark ({stamp})\n\n"
        f"`{command}`\n\n"
        f"Synthetic log: {args.n_interactions:,} interactions, {args.n_users:,} users, "
        f"{args.n_items:,} items (seed {args.seed}); median of {args.repeats} run(s); "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after.\n\n"
        f"{table(results)}\n\n"
        "read: time of the read call in its own process (imports excluded). train: wall "
        "clock of the whole process (start, imports, read, fit; ours also saves the model).\n"
        f"Versions: {', '.join(f'{k} {v}' for k, v in info['versions'].items())}.\n"
    )
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stamp}-{args.name}.md").write_text(text)
    (out / f"{stamp}-{args.name}.json").write_text(
        json.dumps({**info, "results": results}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
