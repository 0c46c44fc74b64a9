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
        return cls(zone_id=zones["zone_id"].astype(str).to_numpy(),
                   level=zones["level"].astype(str).to_numpy(),
                   grid_code=zones["grid_code"].astype(str).to_numpy(),
                   geometry=geoms, epsg=epsg, tree=shapely.STRtree(geoms))

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the zone each point lies in (the lowest on a shared edge), -1 outside."""
        out = np.full(len(x), -1, dtype=np.int64)
        if not len(x):
            return out
        pts, zone = self.tree.query(shapely.points(x, y), predicate="intersects")
        if not len(pts):
            return out
        order = np.lexsort((zone, pts))
        pts, zone = pts[order], zone[order]
        first = np.r_[True, pts[1:] != pts[:-1]]
        out[pts[first]] = zone[first]
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
            inter = shapely.intersection(lines[li], zp.geometry[zi])
            metres = shapely.length(inter)
            keep = metres > 0
            li, zi, inter, metres = li[keep], zi[keep], inter[keep], metres[keep]
            coords, owner = shapely.get_coordinates(inter, return_index=True)
            s = cross[li]
            ax, ay = x[s][owner], y[s][owner]
            dx, dy = (x[s + 1] - x[s])[owner], (y[s + 1] - y[s])[owner]
            param = ((coords[:, 0] - ax) * dx + (coords[:, 1] - ay) * dy) / (dx * dx + dy * dy)
            param = np.clip(param, 0.0, 1.0)
            s0 = np.full(len(li), np.inf)
            s1 = np.full(len(li), -np.inf)
            np.minimum.at(s0, owner, param)
            np.maximum.at(s1, owner, param)
            parts.append(pd.DataFrame({"step": s, "zone": zi, "s0": s0, "s1": s1,
                                       "metres": metres}))
    pieces = pd.concat(parts, ignore_index=True)
    step = pieces["step"].to_numpy()
    dt = (t[step + 1] - t[step]).astype(float)
    pieces["entered"] = t[step] + pieces["s0"].to_numpy() * dt
    pieces["left"] = t[step] + pieces["s1"].to_numpy() * dt
    pieces["track"] = track[step]
    return pieces


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
