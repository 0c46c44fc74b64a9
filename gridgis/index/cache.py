"""A district's grid index cached on disk beside its GeoPackage.

Building a :class:`~gridgis.GridIndex` takes seconds for a district and minutes
for a province; loading one written by :meth:`GridIndex.save` takes a fraction of
that. :func:`cached_index` keeps ``NAME.gridindex.npz`` beside ``NAME.gpkg`` with
a small signature file: the GeoPackage's size, modification time and SHA-256,
the index format, the snapping tolerance and the SHA-256 of the cache's arrays
(which the cache also holds, and :meth:`GridIndex.load` checks).
While they match, the index is loaded; when the GeoPackage changes, or the
cache is missing, unreadable, from another version or altered after it was
written (its digest no longer matches), the index is rebuilt and the cache
rewritten, with a logged warning for a cache that was there but refused. The
cache holds plain arrays only and is read without unpickling anything. A cache
that cannot be written (a read-only folder) costs only the rebuild next time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from gridgis.index.grid import FORMAT_VERSION, GridIndex
from gridgis.layers import Layers, read_layers

__all__ = ["cached_index", "index_cache_path"]

log = logging.getLogger(__name__)


def index_cache_path(layers_path: str | os.PathLike[str]) -> Path:
    """The cache file that sits beside a district GeoPackage.

    Examples
    --------
    >>> index_cache_path("layers/district.gpkg").name
    'district.gridindex.npz'
    """
    p = Path(layers_path)
    return p.with_name(f"{p.stem}.gridindex.npz")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _signature(layers_path: Path, snap_tolerance_m: float) -> dict[str, Any]:
    st = layers_path.stat()
    return {"source": layers_path.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "source_sha256": _sha256(layers_path), "format": FORMAT_VERSION,
            "snap_tolerance_m": snap_tolerance_m}


def cached_index(layers_path: str | os.PathLike[str], layers: Layers | None = None, *,
                 snap_tolerance_m: float = 50.0) -> GridIndex:
    """The grid index of a district GeoPackage, from its cache when still valid.

    Parameters
    ----------
    layers_path : path
        The district GeoPackage.
    layers : Layers, optional
        Its layers, when already read (read only if the index must be rebuilt).
    snap_tolerance_m : float, default 50
        Snapping tolerance of the index (part of the cache's signature).

    Returns
    -------
    GridIndex
    """
    path = Path(layers_path)
    cache = index_cache_path(path)
    sign_path = cache.with_suffix(".json")
    signature = _signature(path, snap_tolerance_m)
    try:
        stored = json.loads(sign_path.read_text(encoding="utf-8"))
        cache_sha256 = stored.pop("cache_sha256", None) if isinstance(stored, dict) else None
        if stored == signature:
            return GridIndex.load(cache, sha256=cache_sha256 or "")
        log.info("grid index cache %s is out of date; rebuilding it", cache)
    except FileNotFoundError:  # no cache yet
        pass
    except Exception as exc:  # a damaged or altered cache is never used: rebuild it
        log.warning("grid index cache %s refused (%s); rebuilding it", cache, exc)
    index = GridIndex.from_layers(layers if layers is not None else read_layers(path),
                                  snap_tolerance_m=snap_tolerance_m)
    try:
        index.save(cache)
        signature["cache_sha256"] = GridIndex.saved_digest(cache)
        sign_path.write_text(json.dumps(signature), encoding="utf-8")
    except OSError as exc:
        log.warning("could not write the grid index cache %s: %s", cache, exc)
    return index
