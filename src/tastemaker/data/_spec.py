"""DatasetSpec: what a named dataset is, where its files come from, how it loads."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tastemaker.data._dataset import Dataset
from tastemaker.errors import ParameterError

__all__ = ["DatasetSpec", "RemoteFile", "remote_files"]


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
    loader : callable(Path, **options) -> Dataset, or str
        Reads the dataset folder; or where that function is, ``"package.module:function"``,
        imported on the first load (so listing datasets imports no reader).
    files : tuple of RemoteFile
    aliases : tuple of str
        Other folder names the files may sit in (``"hetrec2011-lastfm-2k"``).
    homepage, license, citation : str
    options : dict
        Loader options and their defaults (shown by ``datasets info``).
    """

    name: str
    description: str
    loader: Callable[..., Dataset] | str
    files: tuple[RemoteFile, ...] = ()
    aliases: tuple[str, ...] = ()
    homepage: str = ""
    license: str = ""
    citation: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def folder_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def load_function(self) -> Callable[..., Dataset]:
        """The loader, imported now if it was given as ``"module:function"``."""
        if callable(self.loader):
            return self.loader
        module, sep, name = self.loader.partition(":")
        if not sep or not module or not name:
            raise ParameterError(
                f"dataset {self.name!r}: loader {self.loader!r} must be a function or "
                '"package.module:function"'
            )
        return getattr(importlib.import_module(module), name)

    def load(self, folder: Path, **options: Any) -> Dataset:
        return self.load_function()(Path(folder), **options)


def remote_files(
    url: str, files: dict[str, tuple[str, bool]], *, top: str = ""
) -> tuple[RemoteFile, ...]:
    """The files of one archive at ``url``: ``{path: (sha256, required)}``.

    ``top`` is the folder the files sit in inside the archive (``"ml-100k/"``).
    """
    return tuple(
        RemoteFile(path=name, sha256=sha, url=url, member=f"{top}{name}", required=required)
        for name, (sha, required) in files.items()
    )
