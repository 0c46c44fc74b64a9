"""Which patrol zones a track visited, when it entered and left, how far it ran inside.

Many tracks at once, vectorised: every point is located in its zone
(STRtree); a step whose two ends lie in the same zone counts whole inside
it; a step that crosses a boundary (or runs outside every zone) is cut by
the zones it meets (GEOS intersection), and the times of entry and exit are
interpolated along it. Pieces in one zone follow each other into one visit
while the track comes back within :attr:`PatrolSettings.rejoin_minutes`; a
visit counts when it runs :attr:`~PatrolSettings.min_inside_m` inside or
lasts :attr:`~PatrolSettings.min_inside_minutes` (a track that grazes a
corner does neither). A check-in (one point) visits the zone it lies in.
GPS jumps (flagged steps) are left out.

A step with both ends in one zone that leaves a concave zone between its
ends counts whole inside it (points come every few seconds: the error is a
few metres).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.patrols.settings import PatrolSettings

__all__ = ["ZonePlane", "detect_visits"]


@dataclass(frozen=True)
class ZonePlane:
    """Patrol zones on a Gauss-Krüger plane with their search tree.

    Build once per district (:meth:`from_zones`) and reuse for every track.
    """

    zone_id: np.ndarray
    level: np.ndarray
    grid_code: np.ndarray
    geometry: np.ndarray
    epsg: int
    tree: shapely.STRtree
    edges: np.ndarray  # (n, 4): x0, y0, x1, y1 of every ring edge, by zone
    edge_start: np.ndarray  # zone i's edges are edges[edge_start[i]:edge_start[i + 1]]

    @classmethod
    def from_zones(cls, zones: gpd.GeoDataFrame, *, epsg: int | None = None) -> ZonePlane:
        """Project a ``patrol_zones`` layer (zone_id, level, grid_code) onto its plane."""
        from gridgis.crs import gauss_kruger_epsg

        if epsg is None:
            lon = zones.to_crs(4326).total_bounds[[0, 2]].mean() if len(zones) else 120.0
            epsg = gauss_kruger_epsg(float(lon))
        plane = zones.to_crs(epsg)
        geoms = np.asarray(plane.geometry.values)
        shapely.prepare(geoms)
        parts, part_owner = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, ring_of = shapely.get_coordinates(rings, return_index=True)
        same = ring_of[1:] == ring_of[:-1]
        edges = np.column_stack([coords[:-1][same], coords[1:][same]])
        owner = part_owner[ring_part[ring_of[:-1][same]]]
        order = np.argsort(owner, kind="stable")
        edge_start = np.searchsorted(owner[order], np.arange(len(geoms) + 1))
        return cls(zone_id=zones["zone_id"].astype(str).to_numpy(),
                   level=zones["level"].astype(str).to_numpy(),
                   grid_code=zones["grid_code"].astype(str).to_numpy(),
                   geometry=geoms, epsg=epsg, tree=shapely.STRtree(geoms),
                   edges=edges[order].reshape(-1, 4), edge_start=edge_start)

    def locate(self, x: np.ndarray, y: np.ndarray, *, cell: float = 100.0) -> np.ndarray:
        """Index of the zone each point lies in (the lowest on a shared edge), -1 outside.

        Zones are binned by their envelopes in ``cell``-metre squares; each
        point is tested (``intersects_xy``, no point objects made) against the
        zones of its square only.
        """
        out = np.full(len(x), -1, dtype=np.int64)
        if not len(x) or not len(self.geometry):
            return out
        lo = shapely.bounds(self.geometry)
        ox, oy = lo[:, 0].min(), lo[:, 1].min()
        c0 = np.floor((lo[:, :2] - [ox, oy]) / cell).astype(np.int64)
        c1 = np.floor((lo[:, 2:] - [ox, oy]) / cell).astype(np.int64)
        width = int(c1[:, 0].max()) + 1
        nx, ny = c1[:, 0] - c0[:, 0] + 1, c1[:, 1] - c0[:, 1] + 1
        count = nx * ny
        zone = np.repeat(np.arange(len(self.geometry)), count)
        k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        key = (c0[zone, 1] + k // nx[zone]) * width + c0[zone, 0] + k % nx[zone]
        order = np.lexsort((zone, key))
        key, zone = key[order], zone[order]
        px = np.floor((x - ox) / cell).astype(np.int64)
        py = np.floor((y - oy) / cell).astype(np.int64)
        ok = (px >= 0) & (py >= 0) & (px < width)
        pkey = np.where(ok, py * width + px, -1)
        start = np.searchsorted(key, pkey, side="left")
        stop = np.searchsorted(key, pkey, side="right")
        n = np.where(ok, stop - start, 0)
        pt = np.repeat(np.arange(len(x)), n)
        pos = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + np.repeat(start, n)
        cand = zone[pos]
        inside = shapely.intersects_xy(self.geometry[cand], x[pt], y[pt])
        pt, cand = pt[inside], cand[inside]
        first = np.r_[True, pt[1:] != pt[:-1]] if len(pt) else np.zeros(0, bool)
        out[pt[first]] = cand[first]
        return out


_COLUMNS = ["track", "zone", "entered", "left", "metres", "checkin"]


def _pieces(zp: ZonePlane, x: np.ndarray, y: np.ndarray, t: np.ndarray, track: np.ndarray,
            skip: np.ndarray) -> pd.DataFrame:
    """Runs of each step inside each zone: step, zone, entry and exit times, metres."""
    zone = zp.locate(x, y)
    k = np.flatnonzero((track[:-1] == track[1:]) & ~skip[:-1])  # steps k → k+1
    za, zb = zone[k], zone[k + 1]
    seg = np.hypot(x[k + 1] - x[k], y[k + 1] - y[k])
    same = (za == zb) & (za >= 0)
    whole = pd.DataFrame({"step": k[same], "zone": za[same], "s0": 0.0, "s1": 1.0,
                          "metres": seg[same]})
    cross = k[~same]
    cross = cross[seg[~same] > 0]
    parts = [whole]
    if len(cross):
        lines = shapely.linestrings(np.stack([np.column_stack([x[cross], y[cross]]),
                                              np.column_stack([x[cross + 1], y[cross + 1]])],
                                             axis=1))
        li, zi = zp.tree.query(lines, predicate="intersects")
        if len(li):
            parts.append(_clip(zp, cross[li], zi, x, y))
    pieces = pd.concat(parts, ignore_index=True)
    step = pieces["step"].to_numpy()
    dt = (t[step + 1] - t[step]).astype(float)
    pieces["entered"] = t[step] + pieces["s0"].to_numpy() * dt
    pieces["left"] = t[step] + pieces["s1"].to_numpy() * dt
    pieces["track"] = track[step]
    return pieces


def _clip(zp: ZonePlane, step: np.ndarray, zone: np.ndarray, x: np.ndarray,
          y: np.ndarray) -> pd.DataFrame:
    """Each step k → k+1 cut by one zone: the stretch inside, its first and last fraction.

    The step is cut where it crosses the zone's edges (vectorised line-line
    intersections); each piece between cuts is inside when its midpoint is
    (on the boundary counts as inside, as GEOS's intersection would).
    """
    ax, ay, bx, by = x[step], y[step], x[step + 1], y[step + 1]
    rx, ry = bx - ax, by - ay
    n_e = zp.edge_start[zone + 1] - zp.edge_start[zone]
    pair = np.repeat(np.arange(len(step)), n_e)
    e = zp.edges[np.arange(int(n_e.sum())) - np.repeat(np.cumsum(n_e) - n_e, n_e)
                 + np.repeat(zp.edge_start[zone], n_e)]
    sx, sy = e[:, 2] - e[:, 0], e[:, 3] - e[:, 1]
    qx, qy = e[:, 0] - ax[pair], e[:, 1] - ay[pair]
    denom = rx[pair] * sy - ry[pair] * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qx * sy - qy * sx) / denom
        u = (qx * ry[pair] - qy * rx[pair]) / denom
    hit = (denom != 0) & (t > 0) & (t < 1) & (u >= 0) & (u <= 1)
    cut_pair = np.r_[np.arange(len(step)), np.arange(len(step)), pair[hit]]
    cut_t = np.r_[np.zeros(len(step)), np.ones(len(step)), t[hit]]
    o = np.lexsort((cut_t, cut_pair))
    cut_pair, cut_t = cut_pair[o], cut_t[o]
    same = cut_pair[1:] == cut_pair[:-1]
    p, t0, t1 = cut_pair[:-1][same], cut_t[:-1][same], cut_t[1:][same]
    mid = (t0 + t1) / 2
    inside = shapely.intersects_xy(zp.geometry[zone[p]], ax[p] + mid * rx[p],
                                   ay[p] + mid * ry[p]) & (t1 > t0)
    p, t0, t1 = p[inside], t0[inside], t1[inside]
    seg = np.hypot(rx, ry)
    frame = pd.DataFrame({"p": p, "s0": t0, "s1": t1, "metres": (t1 - t0) * seg[p]})
    agg = frame.groupby("p").agg(s0=("s0", "min"), s1=("s1", "max"), metres=("metres", "sum"))
    agg = agg[agg["metres"] > 0]
    idx = agg.index.to_numpy()
    return pd.DataFrame({"step": step[idx], "zone": zone[idx], "s0": agg["s0"].to_numpy(),
                         "s1": agg["s1"].to_numpy(), "metres": agg["metres"].to_numpy()})


def detect_visits(zp: ZonePlane, x: np.ndarray, y: np.ndarray, t: np.ndarray,
                  track: np.ndarray, *, jumps: np.ndarray | None = None,
                  settings: PatrolSettings | None = None) -> pd.DataFrame:
    """The zone visits of many tracks.

    Parameters
    ----------
    zp : ZonePlane
        The zones, on the plane ``x``/``y`` are in.
    x, y : numpy.ndarray
        Points in metres on ``zp.epsg``.
    t : numpy.ndarray
        Times in seconds (any epoch), in order within each track.
    track : numpy.ndarray
        The track of each point (int); a track's points are contiguous. A
        track of one point is a check-in.
    jumps : numpy.ndarray of bool, optional
        Per point: the step from it to the next is a GPS jump (left out).
    settings : PatrolSettings, optional

    Returns
    -------
    pandas.DataFrame
        One row per visit: ``track``, ``zone`` (index into ``zp``),
        ``entered``, ``left`` (seconds), ``metres`` inside and ``checkin``;
        sorted by track and entry.

    Examples
    --------
    >>> import shapely, geopandas as gpd
    >>> zones = gpd.GeoDataFrame({"zone_id": ["Z"], "level": ["high"], "grid_code": ["g"]},
    ...                          geometry=[shapely.box(0, 0, 200, 200)], crs=4549)
    >>> zp = ZonePlane.from_zones(zones, epsg=4549)
    >>> v = detect_visits(zp, np.array([-50., 250.]), np.array([100., 100.]),
    ...                   np.array([0, 300]), np.array([0, 0]))
    >>> round(float(v["metres"].iloc[0])), round(float(v["entered"].iloc[0]))
    (200, 50)
    """
    settings = settings or PatrolSettings()
    x, y = np.asarray(x, float), np.asarray(y, float)
    t = np.asarray(t, dtype=np.int64)
    track = np.asarray(track, dtype=np.int64)
    skip = np.zeros(len(x), bool) if jumps is None else np.asarray(jumps, bool)
    if not len(x):
        return pd.DataFrame(columns=_COLUMNS)
    starts = np.r_[True, track[1:] != track[:-1]]
    ends = np.r_[track[1:] != track[:-1], True]
    single = starts & ends
    pieces = _pieces(zp, x, y, t, track, skip)
    pieces = pieces.sort_values(["track", "zone", "entered"], kind="stable")
    tr, zo = pieces["track"].to_numpy(), pieces["zone"].to_numpy()
    entered, left = pieces["entered"].to_numpy(), pieces["left"].to_numpy()
    reach = np.maximum.accumulate(left) if len(left) else left
    new = np.r_[True, (tr[1:] != tr[:-1]) | (zo[1:] != zo[:-1])
                | (entered[1:] - reach[:-1] > settings.rejoin_minutes * 60)] \
        if len(tr) else np.zeros(0, bool)
    visit = np.cumsum(new) - 1
    grouped = pd.DataFrame({"visit": visit, "track": tr, "zone": zo, "entered": entered,
                            "left": left, "metres": pieces["metres"].to_numpy()}
                           ).groupby("visit", sort=True)
    visits = grouped.agg(track=("track", "first"), zone=("zone", "first"),
                         entered=("entered", "min"), left=("left", "max"),
                         metres=("metres", "sum"))
    counts = (visits["metres"] >= settings.min_inside_m) | (
        visits["left"] - visits["entered"] >= settings.min_inside_minutes * 60)
    visits = visits[counts].assign(checkin=False)
    if settings.checkins_count and single.any():
        idx = np.flatnonzero(single)
        zone = zp.locate(x[idx], y[idx])
        hit = zone >= 0
        visits = pd.concat([visits, pd.DataFrame({
            "track": track[idx][hit], "zone": zone[hit], "entered": t[idx][hit].astype(float),
            "left": t[idx][hit].astype(float), "metres": 0.0, "checkin": True})],
            ignore_index=True)
    visits = visits.sort_values(["track", "entered"], kind="stable").reset_index(drop=True)
    visits["entered"] = np.rint(visits["entered"].astype(float)).astype(np.int64)
    visits["left"] = np.rint(visits["left"].astype(float)).astype(np.int64)
    return visits[_COLUMNS]
