"""`tastemaker datasets list | info NAME | fetch NAME`."""

from __future__ import annotations

from typing import Annotated

import typer

from tastemaker.cli._common import stderr, stdout, write_json

app = typer.Typer(no_args_is_help=True, help="List, describe and fetch named datasets.")


@app.command("list")
def list_cmd() -> None:
    """List the named datasets and whether their files are present."""
    from rich.table import Table

    from tastemaker.data import list_datasets, locate

    table = Table(title="datasets")
    for col in ("name", "description", "present at"):
        table.add_column(col)
    for spec in list_datasets():
        where = locate(spec.name)
        table.add_row(spec.name, spec.description, str(where) if where else "-")
    stdout.print(table)


@app.command()
def info(
    name: Annotated[str, typer.Argument(help="Dataset name; see `tastemaker datasets list`.")],
    stats: Annotated[bool, typer.Option(help="Also load the data and show statistics.")] = True,
) -> None:
    """Describe a dataset (source, licence, files) and, when present, its statistics (JSON)."""
    from tastemaker.data import dataset_info, load_dataset, locate

    payload = dataset_info(name)
    if stats and locate(name) is not None:
        payload["statistics"] = load_dataset(name).describe()
    write_json(payload, None)


@app.command()
def fetch(
    name: Annotated[str, typer.Argument(help="Dataset name; see `tastemaker datasets list`.")],
) -> None:
    """Find or download a dataset (checksums verified) and print where it is."""
    from tastemaker.data import fetch as fetch_dataset

    path = fetch_dataset(name)
    stderr.print(f"{name} is at {path}")
    stdout.print(str(path))
