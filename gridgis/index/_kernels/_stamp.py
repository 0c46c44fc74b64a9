"""The kernels' disk cache, keyed on the sources of every kernel module.

numba's ``cache=True`` checks only the file that defines a function, not the files
of the functions it calls (and inlines): a changed ``geometry.py`` would leave
``batch.py``'s cached machine code stale. So a hash of all ``_kernels/*.py`` is kept
in a stamp file in the cache folder; when it differs, the cached kernels of these
modules are dropped before anything compiles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["STAMP_NAME", "refresh", "source_hash"]

STAMP_NAME = "gridgis-kernels.stamp"
_HERE = Path(__file__).parent


def source_hash(folder: Path = _HERE) -> str:
    """SHA-256 of every ``*.py`` file in ``folder`` (names and contents, in name order)."""
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def refresh(cache_dir: Path, modules: Iterable[str], digest: str) -> bool:
    """Drop the cached kernels of ``modules`` in ``cache_dir`` unless its stamp is ``digest``.

    Returns True when the cache was stale or new (then the kernels compile on first
    use). Nothing is raised when the folder cannot be read or written: numba then
    caches nowhere, or the stale files stay and a later run retries.
    """
    stamp = cache_dir / STAMP_NAME
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass
    try:
        for name in modules:
            for pattern in (f"{name}.*.nbi", f"{name}.*.nbc"):
                for path in cache_dir.glob(pattern):
                    path.unlink(missing_ok=True)
        cache_dir.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        pass
    return True
