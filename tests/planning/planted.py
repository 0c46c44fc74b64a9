"""Plant many defects into a clean plan: overlaps, gaps between grids and along outlines, overhangs.

Used by the cleaning tests and by ``benchmarks/bench_clean.py``. Each defect
touches grids no other defect touches, so each can be checked on its own.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis import Layers
from gridgis.crs import local_crs

KINDS = ("overlap", "gap_between", "gap_outline", "overhang")
MIN_EDGE_M = 30.0
"""Shared edges (and edges on the outline) shorter than this are not used."""


def _rim(geoms: np.ndarray, outlines: np.ndarray) -> np.ndarray:
    """Length (m) of each grid's edge on its community's outline."""
    return shapely.length(shapely.intersection(geoms, shapely.buffer(outlines, 0.01)))


def plant(layers: Layers, n: int, *, seed: int = 0, widths: tuple[float, float] = (0.3, 1.5)
          ) -> tuple[Layers, pd.DataFrame]:
    """Plant ``n`` defects of the kinds in :data:`KINDS`, in turn, at random grids.

    Parameters
    ----------
    layers : Layers
        A clean plan.
    n : int
        How many defects (fewer when the plan runs out of untouched grids).
    seed : int
        Seed of the choice of grids and widths.
    widths : (float, float)
        Range of the defects' widths in metres (gaps stay below 2 m).

    Returns
    -------
    (Layers, pandas.DataFrame)
        The broken plan and one row per defect: ``kind``, ``codes`` (the grids
        changed, comma-separated) and ``width_m``.
    """
    rng = np.random.default_rng(seed)
    crs = local_crs(layers.communities)
    grids = layers.grids.to_crs(crs)
    codes = grids["code"].to_numpy()
    geoms = grids.geometry.to_numpy().copy()
    community = layers.communities.to_crs(crs).set_index("code").geometry
    outlines = shapely.boundary(community.loc[grids["community_code"]].to_numpy())
    rim = _rim(geoms, outlines)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = (left < right) & (grids["community_code"].to_numpy()[left]
                             == grids["community_code"].to_numpy()[right])
    left, right = left[keep], right[keep]
    shared = shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    long = shapely.length(shared) > MIN_EDGE_M
    pairs = list(zip(left[long], right[long], shared[long], strict=True))
    rng.shuffle(pairs)
    rims = list(np.flatnonzero(rim > MIN_EDGE_M))
    rng.shuffle(rims)
    used: set[int] = set()
    rows = []
    changed = set()
    for k in range(n):
        width = float(rng.uniform(*widths))
        kind = KINDS[k % len(KINDS)]
        if kind in ("overlap", "gap_between"):
            found = next(((a, b, e) for a, b, e in pairs if a not in used and b not in used),
                         None)
            if found is None:
                continue
            a, b, edge = found
            used |= {a, b}
            if kind == "overlap":
                bite = shapely.intersection(shapely.buffer(geoms[a], width), geoms[b])
                geoms[a] = shapely.union(geoms[a], bite)
            else:
                geoms[a] = shapely.difference(geoms[a], shapely.buffer(edge, width,
                                                                       cap_style="flat"))
            changed |= {a}
            rows.append({"kind": kind, "codes": f"{codes[a]},{codes[b]}", "width_m": width})
        else:
            a = next((i for i in rims if i not in used), None)
            if a is None:
                continue
            used.add(a)
            line = outlines[a]
            if kind == "gap_outline":
                geoms[a] = shapely.difference(geoms[a], shapely.buffer(line, width))
            else:
                own = community.loc[grids["community_code"].iat[a]]
                geoms[a] = shapely.union(
                    geoms[a], shapely.difference(shapely.buffer(geoms[a], width), own))
            changed.add(a)
            rows.append({"kind": kind, "codes": codes[a], "width_m": width})
    for a in changed:  # keep the largest part: planting must not make multipart grids
        parts = shapely.get_parts(geoms[a])
        if len(parts) > 1:
            geoms[a] = max(parts, key=shapely.area)
    moved = sorted(changed)
    back = gpd.GeoSeries(geoms[moved], crs=crs).to_crs(layers.grids.crs).to_numpy()
    out = layers.grids.copy()
    column = out.geometry.name
    for i, geom in zip(moved, back, strict=True):
        out.iloc[i, out.columns.get_loc(column)] = geom
    return replace(layers, grids=out), pd.DataFrame(rows, columns=["kind", "codes", "width_m"])
