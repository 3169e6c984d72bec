"""DatasetSpec: what a named dataset is, where its files come from, how it loads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tastemaker.data._dataset import Dataset

__all__ = ["DatasetSpec", "RemoteFile"]


@dataclass(frozen=True)
class RemoteFile:
    """One file of a named dataset and how to check it.

    Attributes
    ----------
    path : str
        Path relative to the dataset folder, e.g. ``"u.data"``.
    sha256 : str
        Expected SHA-256 of the file as stored in the dataset folder.
    url : str, optional
        Official download address of the file itself, or of the archive holding it.
    member : str, optional
        Path of the file inside the archive at ``url`` (zip or tar), when it is one.
    required : bool, default=True
        Whether loading fails without it (optional files only enrich the data).
    """

    path: str
    sha256: str
    url: str | None = None
    member: str | None = None
    required: bool = True


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset.

    Attributes
    ----------
    name : str
        Registry name (``"ml-100k"``).
    description : str
        One line: domain, size, feedback type.
    loader : callable(Path, **options) -> Dataset
        Reads the dataset folder.
    files : tuple of RemoteFile
    aliases : tuple of str
        Other folder names the files may sit in (``"hetrec2011-lastfm-2k"``).
    homepage, license, citation : str
    options : dict
        Loader options and their defaults (shown by ``datasets info``).
    """

    name: str
    description: str
    loader: Callable[..., Dataset]
    files: tuple[RemoteFile, ...] = ()
    aliases: tuple[str, ...] = ()
    homepage: str = ""
    license: str = ""
    citation: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def folder_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def load(self, folder: Path, **options: Any) -> Dataset:
        return self.loader(Path(folder), **options)
