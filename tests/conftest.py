"""Set-up for the whole suite that must happen before any test imports numba.

numba keeps compiled kernels on disk (``@njit(cache=True)``). Two pytest-xdist workers
compiling the same kernel at the same time, as in a fresh clone whose cache is empty,
race on the same cache files (numba issues #4807 and #10128). Each worker therefore gets
its own cache folder, ``.pytest_cache/numba/<worker>`` under the project (inside the
folder ``NUMBA_CACHE_DIR`` names, if set): no two processes write the same files, and
later runs start warm.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _numba_cache_per_worker() -> Path:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    # the first process (the xdist controller) fixes the root; its workers inherit it
    default = Path(__file__).resolve().parent.parent / ".pytest_cache" / "numba"
    root = os.environ.setdefault(
        "TASTEMAKER_TEST_NUMBA_ROOT", os.environ.get("NUMBA_CACHE_DIR") or str(default)
    )
    folder = Path(root) / worker
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:  # imported by a plugin already: make it read the setting
        from numba.core.config import reload_config

        reload_config()
    return folder


NUMBA_CACHE = _numba_cache_per_worker()


def _one_thread_per_worker() -> None:
    """Under pytest-xdist each worker already has a core: OpenMP threads on top (torch's
    intra-op pool) oversubscribe the machine, and torch's spinning threads make tiny
    training steps tens of times slower. Set before torch is imported."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        os.environ["OMP_NUM_THREADS"] = "1"


_one_thread_per_worker()
