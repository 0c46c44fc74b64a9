"""A patrol's track as the terminal sent it: checked, converted to WGS84, measured in metres.

Times must be in order (equal times only for the same place); a step
faster than :attr:`PatrolSettings.max_speed_kmh` is a GPS jump — flagged,
never refused, and left out of the length and of the zone visits. GCJ-02
and BD-09 points are converted point by point at this boundary; lengths are
measured on the local CGCS2000 Gauss-Krüger plane.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from gridgis.crs import check_lonlat, gauss_kruger_epsg, normalize_crs_name, to_wgs84, transformer
from gridgis.errors import CoordinateError, InputError
from gridgis.patrols.settings import PatrolSettings

__all__ = ["Track", "plane_xy", "prepare_track"]


def plane_xy(lon: np.ndarray, lat: np.ndarray, epsg: int | None = None
             ) -> tuple[np.ndarray, np.ndarray, int]:
    """WGS84 lon/lat to metres on a Gauss-Krüger plane (the zone of their mean longitude)."""
    epsg = epsg or gauss_kruger_epsg(float(np.nanmean(lon)))
    x, y = transformer("EPSG:4326", f"EPSG:{epsg}").transform(lon, lat)
    return np.asarray(x, float), np.asarray(y, float), epsg


@dataclass(frozen=True)
class Track:
    """A checked track in WGS84 with its measures.

    Attributes
    ----------
    lon, lat : numpy.ndarray
        WGS84 degrees.
    at : numpy.ndarray
        ``datetime64[s]`` times (naive China time), in order.
    input_crs : str
        The system the points came in.
    length_m : float
        Length in metres, GPS jumps left out.
    jumps : numpy.ndarray
        Boolean per step (``len - 1``): faster than the limit.
    max_speed_kmh : float
        The fastest step kept (jumps excluded), 0 for a check-in.
    """

    lon: np.ndarray
    lat: np.ndarray
    at: np.ndarray
    input_crs: str
    length_m: float
    jumps: np.ndarray
    max_speed_kmh: float

    @property
    def checkin(self) -> bool:
        """True for one point (签到)."""
        return len(self.lon) == 1

    @property
    def started_at(self) -> dt.datetime:
        """Time of the first point."""
        return self.at[0].astype("datetime64[s]").item()

    @property
    def ended_at(self) -> dt.datetime:
        """Time of the last point."""
        return self.at[-1].astype("datetime64[s]").item()


def _times(at: object) -> np.ndarray:
    try:
        times = np.asarray(at, dtype="datetime64[s]")
    except (TypeError, ValueError):
        raise InputError("时间格式无法识别 / the times are not readable as dates and times",
                         field="points") from None
    if np.isnat(times).any():
        raise InputError("轨迹点缺少时间 / a point lacks its time", field="points")
    return times


def prepare_track(lon: object, lat: object, at: object, *, crs: str = "wgs84",
                  settings: PatrolSettings | None = None) -> Track:
    """Check and measure a track (or a check-in: one point).

    Parameters
    ----------
    lon, lat : array_like
        Coordinates in ``crs``.
    at : array_like
        Times of the points (naive China time), in order.
    crs : str, default "wgs84"
        ``wgs84``, ``cgcs2000``, ``gcj02`` or ``bd09``.
    settings : PatrolSettings, optional

    Returns
    -------
    Track

    Raises
    ------
    InputError
        No point, too many points, times out of order (``field`` ``points``).
    CoordinateError
        Coordinates out of range or an unknown ``crs``.

    Examples
    --------
    >>> t = prepare_track([120.60, 120.601], [28.0, 28.0],
    ...                   ["2026-10-01T08:00:00", "2026-10-01T08:01:30"])
    >>> round(t.length_m), bool(t.jumps.any())
    (98, False)
    """
    settings = settings or PatrolSettings()
    x = np.atleast_1d(np.asarray(lon, dtype=float))
    y = np.atleast_1d(np.asarray(lat, dtype=float))
    times = np.atleast_1d(_times(at))
    if not (len(x) == len(y) == len(times)):
        raise InputError("经度、纬度和时间的个数不一致 / lon, lat and times differ in number",
                         field="points")
    if len(x) == 0:
        raise InputError("轨迹没有点 / the track has no point", field="points")
    if len(x) > settings.max_points:
        raise InputError(f"轨迹点数 {len(x)} 超过上限 {settings.max_points} / the track has "
                         f"{len(x)} points, more than {settings.max_points}; split it",
                         field="points")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise CoordinateError("坐标须为有限数值 / coordinates must be finite numbers")
    ok = check_lonlat(x, y)
    if not np.all(ok):
        bad = int(np.flatnonzero(~np.asarray(ok))[0])
        raise CoordinateError(f"第 {bad + 1} 个点的坐标超出范围 / point {bad + 1} lies outside "
                              "lon ±180, lat ±90")
    system = normalize_crs_name(crs)
    steps = np.diff(times).astype(np.int64)
    if (steps < 0).any():
        bad = int(np.flatnonzero(steps < 0)[0])
        raise InputError(f"轨迹点时间须按先后排列：第 {bad + 2} 个点早于前一个 / the times "
                         f"must be in order; point {bad + 2} is earlier than point {bad + 1}",
                         field="points")
    wx, wy = to_wgs84(x, y, system)
    wx, wy = np.asarray(wx, float), np.asarray(wy, float)
    px, py, _ = plane_xy(wx, wy)
    seg = np.hypot(np.diff(px), np.diff(py))
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(steps > 0, seg / np.maximum(steps, 1) * 3.6,
                         np.where(seg > 1.0, np.inf, 0.0))
    jumps = speed > settings.max_speed_kmh
    kept = speed[~jumps]
    return Track(lon=wx, lat=wy, at=times, input_crs=system, length_m=float(seg[~jumps].sum()),
                 jumps=jumps, max_speed_kmh=float(kept.max()) if len(kept) else 0.0)
