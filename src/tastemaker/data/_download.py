"""Downloads with checksums: a file from a URL, members from a zip or tar archive.

Everything is written to a temporary sibling first and renamed into place once complete
and verified, so an interrupted or corrupted download never leaves a file that looks
finished.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import IO

from tastemaker import _progress
from tastemaker.errors import DataError

__all__ = ["DEFAULT_TIMEOUT", "download", "extract", "sha256_of"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
"""Seconds to wait for a connection or for the next block of data."""

_CHUNK = 1 << 20
_USER_AGENT = "tastemaker (https://github.com/tastemaker; dataset download)"


def sha256_of(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_to_temp(source: IO[bytes], dest: Path) -> tuple[Path, str, int]:
    """Stream ``source`` into a temporary file next to ``dest``; return path, sha256, size."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: source.read(_CHUNK), b""):
                digest.update(block)
                out.write(block)
                size += len(block)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise
    return tmp, digest.hexdigest(), size


def _finish(tmp: Path, dest: Path, found: str, expected: str | None, what: str) -> Path:
    """Rename ``tmp`` to ``dest`` when its digest matches; otherwise remove it and raise."""
    if expected and found.lower() != expected.lower():
        with suppress(OSError):
            tmp.unlink()
        raise DataError(
            f"{what}: checksum mismatch, expected sha256 {expected.lower()}, found {found}; "
            "the file was removed. The download may be corrupt or the file may have changed "
            "upstream; try again, or put a verified copy in place by hand."
        )
    os.replace(tmp, dest)
    return dest


def download(
    url: str,
    dest: str | os.PathLike[str],
    sha256: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Download ``url`` to ``dest``, checking its SHA-256 when given.

    The data goes to a temporary file in the destination folder, which is renamed to
    ``dest`` only when complete and verified. ``file://`` URLs work too.

    Parameters
    ----------
    url : str
        Address to download (``https://``, ``http://`` or ``file://``).
    dest : path
        Where the file ends up; parent folders are created.
    sha256 : str, optional
        Expected hex digest; on mismatch nothing is left behind.
    timeout : float, default=30.0
        Seconds to wait for the connection and for each block of data.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    DataError
        When the address cannot be reached or read, or the checksum does not match.
    """
    dest = Path(dest)
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    logger.info("downloading %s to %s", url, dest)
    try:
        with _progress.status(f"downloading {url}"):
            with urllib.request.urlopen(request, timeout=timeout) as response:
                tmp, found, size = _copy_to_temp(response, dest)
    except urllib.error.HTTPError as err:
        raise DataError(f"could not download {url}: HTTP {err.code} {err.reason}") from err
    except urllib.error.URLError as err:
        raise DataError(f"could not download {url}: {err.reason}") from err
    except (OSError, ValueError) as err:  # timeouts, resets, malformed URLs
        raise DataError(f"could not download {url}: {err}") from err
    logger.info("downloaded %s: %d bytes", url, size)
    return _finish(tmp, dest, found, sha256, f"download of {url}")


def _find_member(names: list[str], member: str, archive: Path) -> str:
    """The archive entry for ``member``: an exact match, else the one entry with its name."""
    if member in names:
        return member
    base = member.rsplit("/", 1)[-1]
    matches = [n for n in names if n == base or n.endswith("/" + base)]
    if len(matches) == 1:
        logger.info("%s: using %s for %s", archive.name, matches[0], member)
        return matches[0]
    shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
    raise DataError(
        f"archive {archive} has no member {member!r}"
        + (f" (several entries end in {base!r})" if matches else "")
        + f"; it holds {shown}"
    )


def extract(
    archive: str | os.PathLike[str],
    members: Iterable[tuple[str, str | os.PathLike[str], str | None]],
) -> list[Path]:
    """Extract members of a zip or tar archive, checking each one's SHA-256.

    Only the listed members are written, each to the destination given for it (never to
    a path taken from the archive), through a temporary file renamed into place.

    Parameters
    ----------
    archive : path
        A zip or tar (optionally compressed) file.
    members : iterable of (member, dest, sha256)
        Path inside the archive, destination file and expected digest (``None`` to skip
        the check). A member not found exactly is matched by file name when exactly one
        entry has that name, so a different top folder in the archive does not matter.

    Returns
    -------
    list of Path
        The destinations written.

    Raises
    ------
    DataError
        When the archive is unreadable, a member is missing or a checksum differs (the
        file is then removed; members extracted before it stay, each verified).
    """
    archive = Path(archive)
    members = [(m, Path(d), s) for m, d, s in members]
    written: list[Path] = []
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                names = [i.filename for i in zf.infolist() if not i.is_dir()]
                for member, dest, sha in members:
                    entry = _find_member(names, member, archive)
                    with zf.open(entry) as source:
                        tmp, found, _ = _copy_to_temp(source, dest)
                    written.append(_finish(tmp, dest, found, sha, f"{archive.name}:{member}"))
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                infos = {i.name: i for i in tf.getmembers() if i.isfile()}
                for member, dest, sha in members:
                    entry = _find_member(list(infos), member, archive)
                    source = tf.extractfile(infos[entry])
                    if source is None:  # pragma: no cover - isfile() excludes this
                        raise DataError(f"archive {archive}: {entry!r} is not a regular file")
                    with source:
                        tmp, found, _ = _copy_to_temp(source, dest)
                    written.append(_finish(tmp, dest, found, sha, f"{archive.name}:{member}"))
        else:
            raise DataError(f"{archive} is neither a zip nor a tar archive")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as err:
        raise DataError(f"archive {archive} is damaged: {err}") from err
    logger.info("extracted %d file(s) from %s", len(written), archive.name)
    return written
