"""Grid codes of a redrawn plan: who keeps an old code, who gets a new one.

The rule is told in :mod:`gridgis.planning.edits`, whose edits (and
:mod:`gridgis.planning.partition`'s redraws) all decide their codes here.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.crs import local_crs
from gridgis.errors import PlanError
from gridgis.layers import Layers

__all__ = ["MAJORITY", "reissue_codes", "used_codes"]

MAJORITY = 0.5
"""Share of an old grid a new grid must cover to keep the old grid's code."""


def used_codes(layers: Layers) -> set[str]:
    """Every grid code the plan or its history has used (never to be issued again)."""
    used = set(layers.grids["code"])
    if layers.grid_history is not None:
        used |= set(layers.grid_history["code"])
    return used


def reissue_codes(old_grids: gpd.GeoDataFrame, new_grids: gpd.GeoDataFrame, *,
                  used: Iterable[str] = ()) -> gpd.GeoDataFrame:
    """Give the grids of a new plan their codes by the code rule of :mod:`gridgis.planning.edits`.

    Parameters
    ----------
    old_grids : geopandas.GeoDataFrame
        The grids being replaced (``code``, ``community_code``), lon/lat.
    new_grids : geopandas.GeoDataFrame
        Their replacements with ``community_code`` (any ``code``), lon/lat.
    used : iterable of str
        Codes that must not be issued again (the whole plan and its history).

    Returns
    -------
    geopandas.GeoDataFrame
        ``new_grids`` with ``code`` set and indexed by it.

    Raises
    ------
    PlanError
        If a community has no free sequence number left.
    """
    crs = local_crs(old_grids)
    old = old_grids.to_crs(crs)
    new = new_grids.to_crs(crs)
    taken = set(used) | set(old_grids["code"])
    codes: list[str | None] = [None] * len(new)
    candidates = []
    for i, (geom, community) in enumerate(zip(new.geometry, new["community_code"],
                                              strict=True)):
        mine = old[old["community_code"] == community]
        overlap = shapely.area(shapely.intersection(mine.geometry.to_numpy(), geom))
        ok = overlap >= MAJORITY * shapely.area(mine.geometry.to_numpy())
        candidates += [(overlap[j], i, mine["code"].iat[j]) for j in np.flatnonzero(ok)]
    claimed: set[str] = set()
    for _, i, code in sorted(candidates, key=lambda c: -c[0]):
        if codes[i] is None and code not in claimed:
            codes[i] = code
            claimed.add(code)
    for i, community in enumerate(new["community_code"]):
        if codes[i] is None:
            seq = [int(c[len(community):]) for c in taken if str(c).startswith(community)]
            width = 15 - len(community)
            if max(seq, default=0) + 1 >= 10**width:
                raise PlanError(f"community {community} has run out of grid codes")
            code = f"{community}{max(seq, default=0) + 1:0{width}d}"
            taken.add(code)
            codes[i] = code
    out = new_grids.copy()
    out["code"] = codes
    out.index = pd.Index(codes)
    return out
