"""Tracks to store rows: measured, their visits detected, encoded — one path for one or many.

The service records one patrol through :func:`build_records`; the
sample's season of patrols goes through the same function at once, so an
archive's patrols and visits are the ones the live service would have made.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gridgis.patrols.codec import encode_track
from gridgis.patrols.settings import PatrolSettings
from gridgis.patrols.track import plane_xy
from gridgis.patrols.visits import ZonePlane, detect_visits

__all__ = ["build_records", "step_jumps"]


def step_jumps(x: np.ndarray, y: np.ndarray, t: np.ndarray, track: np.ndarray,
               max_speed_kmh: float) -> tuple[np.ndarray, np.ndarray]:
    """Per point: the step to the next point of its track is a jump; and each step's metres.

    The last point of a track has no step (False, 0 m). Two points at the
    same time more than a metre apart are a jump.
    """
    same = np.r_[track[1:] == track[:-1], False]
    seg = np.zeros(len(x))
    dtime = np.zeros(len(x))
    seg[:-1] = np.hypot(np.diff(x), np.diff(y))
    dtime[:-1] = np.diff(t).astype(float)
    seg[~same] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dtime > 0, seg / np.maximum(dtime, 1e-9) * 3.6,
                         np.where(seg > 1.0, np.inf, 0.0))
    jumps = same & (speed > max_speed_kmh)
    return jumps, np.where(jumps, 0.0, seg)


def build_records(meta: pd.DataFrame, points: pd.DataFrame, zones: ZonePlane, *,
                  settings: PatrolSettings | None = None,
                  recorded_at: dt.datetime | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of ``patrols`` and ``patrol_visits`` for tracks.

    Parameters
    ----------
    meta : pandas.DataFrame
        One row per patrol, in the order of ``points``' ``track`` numbers
        (0, 1, …): ``patrol_id``, ``person``, ``source``, ``input_crs``,
        optionally ``grid_code`` (kept where given; otherwise the grid
        whose zones the track ran longest in, preferring ``own_grids``, a
        ``;``-separated list, when given) and ``note``.
    points : pandas.DataFrame
        ``track`` (int, contiguous, ascending), ``lon``, ``lat`` (WGS84) and
        ``at`` (datetime64, naive China time), in time order within a track.
    zones : ZonePlane
    settings : PatrolSettings, optional
    recorded_at : datetime, optional
        When the rows were recorded (default: the last point of each track).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The patrols (the columns of :data:`gridgis.store.patrols.patrols`)
        and their visits (those of ``patrol_visits``).
    """
    settings = settings or PatrolSettings()
    track = points["track"].to_numpy(np.int64)
    lon = points["lon"].to_numpy(float)
    lat = points["lat"].to_numpy(float)
    seconds = points["at"].to_numpy().astype("datetime64[s]").astype(np.int64)
    x, y, _ = plane_xy(lon, lat, zones.epsg)
    jumps, seg = step_jumps(x, y, seconds, track, settings.max_speed_kmh)
    n = len(meta)
    first = np.searchsorted(track, np.arange(n), side="left")
    last = np.searchsorted(track, np.arange(n), side="right")
    if (last - first < 1).any():
        raise ValueError("every patrol needs at least one point")
    length = np.bincount(track, weights=seg, minlength=n)
    nj = np.bincount(track, weights=jumps.astype(float), minlength=n).astype(int)
    dtime = np.r_[np.diff(seconds), 0].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where((dtime > 0) & ~jumps, seg / np.maximum(dtime, 1e-9) * 3.6, 0.0)
    top = np.zeros(n)
    np.maximum.at(top, track, speed)
    found = detect_visits(zones, x, y, seconds, track, jumps=jumps, settings=settings)
    zi = found["zone"].to_numpy(int)
    visits = pd.DataFrame({
        "patrol_id": meta["patrol_id"].to_numpy()[found["track"].to_numpy(int)],
        "person": meta["person"].to_numpy()[found["track"].to_numpy(int)],
        "zone_id": zones.zone_id[zi], "level": zones.level[zi], "grid_code": zones.grid_code[zi],
        "entered_at": found["entered"].to_numpy().astype("datetime64[s]"),
        "left_at": found["left"].to_numpy().astype("datetime64[s]"),
        "metres_inside": found["metres"].to_numpy(float).round(1),
        "checkin": found["checkin"].to_numpy(bool)})
    grid = _patrol_grids(meta, found, zones, x, y, first)
    start = seconds[first].astype("datetime64[s]")
    end = seconds[last - 1].astype("datetime64[s]")
    blobs = [encode_track(lon[a:b], lat[a:b], seconds[a:b] - seconds[a])
             for a, b in zip(first, last, strict=True)]
    rows = pd.DataFrame({
        "patrol_id": meta["patrol_id"].to_numpy(), "person": meta["person"].to_numpy(),
        "grid_code": grid, "started_at": start, "ended_at": end,
        "kind": np.where(last - first == 1, "checkin", "track"),
        "source": meta["source"].to_numpy(), "input_crs": meta["input_crs"].to_numpy(),
        "points": last - first, "length_m": length.round(1),
        "max_speed_kmh": top.round(1), "jumps": nj,
        "zones_visited": np.bincount(found["track"].to_numpy(int), minlength=n),
        "track": blobs,
        "recorded_at": end if recorded_at is None else np.datetime64(recorded_at, "s"),
        "note": meta["note"].to_numpy() if "note" in meta else None})
    rows["started_at"] = pd.to_datetime(rows["started_at"])
    rows["ended_at"] = pd.to_datetime(rows["ended_at"])
    rows["recorded_at"] = pd.to_datetime(rows["recorded_at"])
    visits["entered_at"] = pd.to_datetime(visits["entered_at"])
    visits["left_at"] = pd.to_datetime(visits["left_at"])
    return rows, visits


def _patrol_grids(meta: pd.DataFrame, found: pd.DataFrame, zones: ZonePlane, x: np.ndarray,
                  y: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The grid of each patrol: given, else the one it ran longest in (own grids first)."""
    n = len(meta)
    given = (meta["grid_code"].to_numpy(object) if "grid_code" in meta
             else np.full(n, None, dtype=object))
    out = given.copy()
    todo = np.array([g is None or (isinstance(g, float) and np.isnan(g)) for g in given])
    if not todo.any():
        return out
    own = meta["own_grids"] if "own_grids" in meta else pd.Series([None] * n)
    weight = found["metres"].to_numpy(float) + 1.0  # a check-in weighs one metre
    table = pd.DataFrame({"track": found["track"].to_numpy(int),
                          "grid": zones.grid_code[found["zone"].to_numpy(int)],
                          "w": weight}).groupby(["track", "grid"])["w"].sum()
    by_track: dict[int, dict[str, float]] = {}
    for (tr, grid), w in table.items():
        by_track.setdefault(int(tr), {})[str(grid)] = float(w)
    for i in np.flatnonzero(todo):
        weights = by_track.get(int(i), {})
        mine = set(str(own.iloc[i]).split(";")) if isinstance(own.iloc[i], str) else set()
        pick = {g: w for g, w in weights.items() if g in mine} or weights
        if pick:
            out[i] = max(pick, key=lambda g: (pick[g], g))
            continue
        zone = zones.locate(x[first[i]:first[i] + 1], y[first[i]:first[i] + 1])[0]
        out[i] = zones.grid_code[zone] if zone >= 0 else None
    return out
