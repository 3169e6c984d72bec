"""Named datasets: the registry, where their files are found, and downloading them.

A named dataset resolves in this order:

1. ``$TASTEMAKER_DATA_DIR/<name>/`` (or a folder named after one of its aliases, e.g.
   ``hetrec2011-lastfm-2k`` for ``lastfm-2k``);
2. the user cache, ``$TASTEMAKER_CACHE_DIR/<name>/`` when that variable is set, else
   ``$XDG_CACHE_HOME/tastemaker/<name>/``, else ``~/.cache/tastemaker/<name>/``;
3. a download from the dataset's official address into the user cache, each file checked
   against its SHA-256.

A folder counts as present when it holds every required file. Files already present are
not checksummed on load (hashing ~100 MB each time is too slow); :func:`verify` does it
on demand.
"""

from __future__ import annotations

import difflib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from tastemaker.data import _catalog
from tastemaker.data._dataset import Dataset
from tastemaker.data._spec import DatasetSpec, RemoteFile
from tastemaker.errors import DataError, ParameterError

__all__ = [
    "cache_dir",
    "data_dir",
    "dataset_info",
    "fetch",
    "get_spec",
    "list_datasets",
    "load_dataset",
    "locate",
    "register_dataset",
    "verify",
]

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "TASTEMAKER_DATA_DIR"
CACHE_DIR_ENV = "TASTEMAKER_CACHE_DIR"

_REGISTRY: dict[str, DatasetSpec] = {}
_ALIASES: dict[str, str] = {}


# -- the registry ----------------------------------------------------------------------


def register_dataset(spec: DatasetSpec, *, replace: bool = False) -> DatasetSpec:
    """Add a named dataset to the registry.

    Parameters
    ----------
    spec : DatasetSpec
    replace : bool, default=False
        Allow replacing a dataset registered under the same name.

    Returns
    -------
    DatasetSpec
        ``spec``, so the call can wrap a definition.

    Raises
    ------
    ParameterError
        When the name or an alias is already taken by another dataset.
    """
    if not isinstance(spec, DatasetSpec):
        raise ParameterError(f"register_dataset needs a DatasetSpec, got {type(spec).__name__}")
    old = _REGISTRY.get(spec.name)
    if old is not None and old is not spec and not replace:
        raise ParameterError(
            f"a dataset named {spec.name!r} is already registered; pass replace=True to replace it"
        )
    for alias in spec.aliases:
        owner = _ALIASES.get(alias, alias if alias in _REGISTRY else None)
        if owner is not None and owner != spec.name:
            raise ParameterError(
                f"dataset {spec.name!r}: alias {alias!r} is already used by {owner!r}"
            )
    if spec.name in _ALIASES and _ALIASES[spec.name] != spec.name:
        raise ParameterError(
            f"dataset name {spec.name!r} is already an alias of {_ALIASES[spec.name]!r}"
        )
    if old is not None:
        for alias in old.aliases:
            _ALIASES.pop(alias, None)
    _REGISTRY[spec.name] = spec
    for alias in spec.aliases:
        _ALIASES[alias] = spec.name
    return spec


def list_datasets() -> list[DatasetSpec]:
    """Every registered dataset, sorted by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def get_spec(name: str) -> DatasetSpec:
    """The registered dataset called ``name`` (or with ``name`` as an alias).

    Raises
    ------
    ParameterError
        For an unknown name; the message lists the known names and suggests the
        closest one.
    """
    key = str(name).strip()
    if key in _REGISTRY:
        return _REGISTRY[key]
    if key in _ALIASES:
        return _REGISTRY[_ALIASES[key]]
    lowered = key.lower()
    for known in (*_REGISTRY, *_ALIASES):
        if known.lower() == lowered:
            return _REGISTRY[_ALIASES.get(known, known)]
    candidates = [*_REGISTRY, *_ALIASES]
    close = difflib.get_close_matches(lowered, [c.lower() for c in candidates], n=1, cutoff=0.5)
    hint = ""
    if close:
        match = next(c for c in candidates if c.lower() == close[0])
        hint = f" (did you mean {_ALIASES.get(match, match)!r}?)"
    known = ", ".join(sorted(_REGISTRY)) or "none"
    raise ParameterError(f"unknown dataset {key!r}{hint}; known datasets: {known}")


# -- where files are looked for --------------------------------------------------------


def data_dir() -> Path | None:
    """The folder named by ``$TASTEMAKER_DATA_DIR``, or ``None`` when it is not set."""
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """The user cache for datasets.

    ``$TASTEMAKER_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/tastemaker``, else
    ``~/.cache/tastemaker``.
    """
    value = os.environ.get(CACHE_DIR_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "tastemaker"


def _search_folders(spec: DatasetSpec) -> list[Path]:
    roots = [r for r in (data_dir(), cache_dir()) if r is not None]
    return [root / folder for root in roots for folder in spec.folder_names]


def _required(spec: DatasetSpec) -> list[RemoteFile]:
    return [f for f in spec.files if f.required]


def _missing_in(spec: DatasetSpec, folder: Path) -> list[str]:
    return [f.path for f in _required(spec) if not (folder / f.path).is_file()]


def locate(name: str) -> Path | None:
    """The first folder holding every required file of ``name``, or ``None``.

    Looks in ``$TASTEMAKER_DATA_DIR/<name or alias>/``, then in the user cache (see
    :func:`cache_dir`). Nothing is downloaded and no checksum is computed.
    """
    spec = get_spec(name)
    for folder in _search_folders(spec):
        if folder.is_dir() and not _missing_in(spec, folder):
            logger.debug("%s found in %s", spec.name, folder)
            return folder
    return None


def _urls(spec: DatasetSpec) -> list[str]:
    return list(dict.fromkeys(f.url for f in spec.files if f.url))


def _absent_error(spec: DatasetSpec, reason: str | None) -> DataError:
    """One message: what is missing, where it was looked for, how to put it in place."""
    looked = [] if data_dir() is not None else [f"${DATA_DIR_ENV} (not set)"]
    for folder in _search_folders(spec):
        if folder.is_dir():
            missing = _missing_in(spec, folder)
            looked.append(f"{folder}/ (lacks {', '.join(missing)})")
        else:
            looked.append(f"{folder}/ (absent)")
    names = ", ".join(f.path for f in _required(spec))
    root = data_dir()
    target_data = f"{root / spec.name}/" if root is not None else f"${DATA_DIR_ENV}/{spec.name}/"
    urls = _urls(spec)
    if urls:
        where = f"download {' and '.join(urls)} by hand and unpack the files directly into it"
    else:
        where = f"see {spec.homepage}" if spec.homepage else "no download address is known"
    why = f"could not be downloaded ({reason})" if reason else "was not downloaded"
    return DataError(
        f"dataset {spec.name!r} is not available and {why}. "
        f"Looked in: {'; '.join(looked)}. "
        f"Put {names} in {target_data} or {cache_dir() / spec.name}/ ({where})."
    )


# -- download --------------------------------------------------------------------------


def _download_spec(spec: DatasetSpec) -> Path:
    """Download the missing files of ``spec`` into the user cache; return the folder.

    Everything is fetched and verified in a scratch folder inside the cache first; files
    move into ``<cache>/<name>/`` only when every required one arrived intact, so a failed
    download leaves nothing behind.
    """
    root = cache_dir()
    target = root / spec.name
    todo = [f for f in spec.files if not (target / f.path).is_file()]
    no_url = [f.path for f in todo if f.required and not f.url]
    if no_url:
        raise DataError(f"no download address is known for {', '.join(no_url)}")
    groups: dict[str, list[RemoteFile]] = {}
    for f in todo:
        if f.url:
            groups.setdefault(f.url, []).append(f)
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{spec.name}-download-", dir=root) as scratch:
        stage = Path(scratch) / "files"
        for url, files in groups.items():
            try:
                _download_group(spec, url, files, stage, Path(scratch))
            except DataError as err:
                if any(f.required for f in files):
                    raise
                logger.warning("%s: optional files not downloaded: %s", spec.name, err)
        target.mkdir(parents=True, exist_ok=True)
        for f in todo:
            staged = stage / f.path
            if staged.is_file():
                (target / f.path).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, target / f.path)
    missing = _missing_in(spec, target)
    if missing:  # pragma: no cover - _download_group raises first
        raise DataError(f"after downloading, {target} still lacks {', '.join(missing)}")
    logger.info("%s downloaded to %s", spec.name, target)
    return target


def _download_group(
    spec: DatasetSpec, url: str, files: list[RemoteFile], stage: Path, scratch: Path
) -> None:
    """Fetch the files served by one address into ``stage``; optional ones best-effort."""
    from tastemaker.data._download import download as _download_file
    from tastemaker.data._download import extract

    direct = [f for f in files if not f.member]
    archived = [f for f in files if f.member]
    for f in direct:
        _download_file(url, stage / f.path, f.sha256 or None)
    if not archived:
        return
    archive = _download_file(url, scratch / (url.rstrip("/").rsplit("/", 1)[-1] or "archive"))
    required = [f for f in archived if f.required]
    extract(archive, [(f.member, stage / f.path, f.sha256 or None) for f in required])
    for f in archived:
        if f.required:
            continue
        try:
            extract(archive, [(f.member, stage / f.path, f.sha256 or None)])
        except DataError as err:
            logger.warning("%s: optional file %s not extracted: %s", spec.name, f.path, err)


def fetch(name: str, *, download: bool = True) -> Path:
    """The folder holding dataset ``name``, downloading it into the user cache if needed.

    Parameters
    ----------
    name : str
        Registered name or alias.
    download : bool, default=True
        Whether to download when no folder holds the files.

    Returns
    -------
    Path

    Raises
    ------
    DataError
        When the files are absent and cannot (or may not) be downloaded; the message says
        which folders were searched, which files belong there and where to get them.
    """
    spec = get_spec(name)
    found = locate(spec.name)
    if found is not None:
        return found
    if not download:
        raise _absent_error(spec, None)
    try:
        return _download_spec(spec)
    except (DataError, OSError) as err:
        raise _absent_error(spec, str(err)) from err


def verify(name: str) -> dict[str, bool]:
    """Check the files of ``name`` where it resolves against their SHA-256.

    Returns
    -------
    dict of str -> bool
        For each file of the dataset (path relative to its folder), whether it is present
        and matches its checksum. A file without a known checksum counts as matching
        when present.

    Raises
    ------
    DataError
        When the dataset is not present (nothing is downloaded).
    """
    from tastemaker.data._download import sha256_of

    spec = get_spec(name)
    folder = locate(spec.name)
    if folder is None:
        raise _absent_error(spec, None)
    result = {}
    for f in spec.files:
        path = folder / f.path
        if not path.is_file():
            result[f.path] = False
        elif not f.sha256:
            result[f.path] = True
        else:
            result[f.path] = sha256_of(path) == f.sha256.lower()
    bad = [p for p, ok in result.items() if not ok]
    logger.info("%s in %s: %d file(s) checked, %d bad", spec.name, folder, len(result), len(bad))
    return result


# -- information and loading -----------------------------------------------------------


def dataset_info(name: str) -> dict[str, Any]:
    """What a named dataset is: description, terms, files, options, and where it is.

    Returns
    -------
    dict
        ``name, aliases, description, homepage, license, citation, files`` (a list of
        ``path, sha256, url, member, required``), ``options`` (name -> default) and
        ``location`` (the folder it resolves to, or ``None`` when absent).
    """
    spec = get_spec(name)
    found = locate(spec.name)
    return {
        "name": spec.name,
        "aliases": list(spec.aliases),
        "description": spec.description,
        "homepage": spec.homepage,
        "license": spec.license,
        "citation": spec.citation,
        "files": [
            {
                "path": f.path,
                "sha256": f.sha256,
                "url": f.url,
                "member": f.member,
                "required": f.required,
            }
            for f in spec.files
        ],
        "options": dict(spec.options),
        "location": str(found) if found is not None else None,
    }


def load_dataset(name: str, *, download: bool = True, **options: Any) -> Dataset:
    """Load a named dataset, finding or downloading its files first.

    Parameters
    ----------
    name : str
        Registered name or alias (see :func:`list_datasets`).
    download : bool, default=True
        Whether to download the files when they are not found.
    **options
        The dataset's loader options (see ``dataset_info(name)["options"]``); unknown
        options are an error.

    Raises
    ------
    ParameterError
        For an unknown dataset or option.
    DataError
        When the files are absent and cannot be downloaded, or are malformed.
    """
    spec = get_spec(name)
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        allowed = ", ".join(sorted(spec.options)) or "none"
        raise ParameterError(
            f"dataset {spec.name!r} has no option(s) {', '.join(map(repr, unknown))}; "
            f"its options: {allowed}"
        )
    folder = fetch(spec.name, download=download)
    logger.info("loading %s from %s", spec.name, folder)
    return spec.load(folder, **options)


# -- built-in datasets -----------------------------------------------------------------


for _spec in _catalog.SPECS:  # data only: the readers load on first use
    register_dataset(_spec)
del _spec
