"""The compiled kernels of the engine (numba), one module per job.

In import order (each imports only those before it):

- :mod:`.layout`: the packed arrays, the cell records and the codes;
- :mod:`.geometry`: orientation, point in polygon by bands, edge distances;
- :mod:`.build`: the cell tables and records of a new index;
- :mod:`.locate`: one point's cell and answer;
- :mod:`.snap`: the nearest polygon within a tolerance;
- :mod:`.batch`: the parallel passes over many points.

Importing this package first checks the disk cache against the sources of all
these modules (see :mod:`._stamp`); :func:`cold` says whether the kernels will
compile rather than load. An index calls :func:`before_first_use` before it runs
them; what happens then on a cold cache (say so, compile everything, say how long)
is registered from above with :func:`on_first_use` (:mod:`gridgis.index.warmup`),
so that the engine's lower modules never import the set-up that uses them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

# OpenMP threads that spin while they wait for the next pass take a core from the Python
# threads reading coordinates between passes; sleeping ones do not. The OpenMP runtime reads
# OMP_WAIT_POLICY once, when it starts: numba's first parallel kernel, or the first time a
# thread count is set or asked for (a caller may do that before any kernel runs). So it is
# set as soon as the engine loads, and only then; a value the user gave is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from gridgis.index._kernels import _stamp, batch, build, geometry, layout, locate, snap

__all__ = ["MODULES", "batch", "before_first_use", "build", "cold", "geometry", "layout", "locate",
           "on_first_use", "snap"]

MODULES = ("layout", "geometry", "build", "locate", "snap", "batch")
# the kernels a set-up compiles (gridgis.index.warmup): one cached index file each
_ENTRIES = (build.mark_edges, build.runs, build.refine_cells, build.build_lists,
            build.build_records, locate.locate_packed, locate.locate_full,
            locate.edge_distance_packed, snap.lonely_cells, snap.snap_packed,
            batch.assign_points, batch.query_points, batch.gather)


def _cache_dir() -> Path | None:
    """The folder numba keeps these modules' kernels in (None: it caches nowhere)."""
    cache = getattr(batch.gather, "_cache", None)
    path = getattr(cache, "_cache_path", None)
    return Path(path) if path else None


def _index_missing() -> bool:
    """Whether some entry kernel has no cached index file yet (numba's file names)."""
    for kernel in _ENTRIES:
        try:
            path = Path(kernel._cache._cache_file._index_path)
        except AttributeError:  # another numba: say nothing rather than guess
            return False
        if not path.exists():
            return True
    return False


_DIR = _cache_dir()
_STALE = _DIR is not None and _stamp.refresh(_DIR, MODULES, _stamp.source_hash())


def cold() -> bool:
    """Whether the kernels will be compiled (stale or empty cache) rather than loaded."""
    return _DIR is not None and (_STALE or _index_missing())


_first_use: Callable[[], None] | None = None


def on_first_use(hook: Callable[[], None]) -> None:
    """Register what :func:`before_first_use` runs on a cold cache (the warm-up)."""
    global _first_use
    _first_use = hook


def before_first_use() -> None:
    """Called by an index before it runs the kernels: on a cold cache, run the warm-up once."""
    global _first_use
    hook, _first_use = _first_use, None
    if hook is not None and cold():
        hook()
