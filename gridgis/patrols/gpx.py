"""GPX files from a terminal or a handheld GPS: their tracks as patrols (gpxpy).

Each ``<trk>`` of the file is one patrol (its segments joined); each point
needs a time. GPX times are UTC (``Z``) or carry their offset; they are
turned into naive China time as the store keeps them; a time without a
zone is taken as China time. GPX coordinates are WGS84.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import gpxpy

from gridgis.errors import InputError

__all__ = ["GpxTrack", "parse_gpx"]

_CST = dt.timezone(dt.timedelta(hours=8))
MAX_TRACKS = 50
"""The most tracks one file may hold."""


@dataclass(frozen=True)
class GpxTrack:
    """One track of a GPX file: WGS84 points and naive China times."""

    name: str | None
    lon: list[float]
    lat: list[float]
    at: list[dt.datetime]


def _cst(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is None else t.astimezone(_CST).replace(tzinfo=None)


def parse_gpx(data: bytes | str) -> list[GpxTrack]:
    """The tracks of a GPX document.

    Raises
    ------
    InputError
        The file is not GPX, holds no track point, too many tracks, or a
        point without a time (``field`` ``file``).

    Examples
    --------
    >>> doc = ('<gpx version="1.1" creator="t"><trk><trkseg>'
    ...        '<trkpt lat="28.0" lon="120.6"><time>2026-10-01T00:00:00Z</time></trkpt>'
    ...        '</trkseg></trk></gpx>')
    >>> parse_gpx(doc)[0].at[0].isoformat()
    '2026-10-01T08:00:00'
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        doc = gpxpy.parse(text)
    except Exception as exc:
        raise InputError(f"无法解析 GPX 文件 / the file is not readable GPX: "
                         f"{str(exc)[:120]}", field="file") from None
    tracks = []
    for trk in doc.tracks:
        points = [p for seg in trk.segments for p in seg.points]
        if not points:
            continue
        if any(p.time is None for p in points):
            raise InputError("GPX 轨迹点缺少时间 / a track point of the GPX file has no time",
                             field="file")
        tracks.append(GpxTrack(name=trk.name, lon=[p.longitude for p in points],
                               lat=[p.latitude for p in points],
                               at=[_cst(p.time) for p in points]))
    if not tracks:
        raise InputError("GPX 文件中没有轨迹点 / the GPX file holds no track point",
                         field="file")
    if len(tracks) > MAX_TRACKS:
        raise InputError(f"GPX 文件轨迹数超过 {MAX_TRACKS} / the file holds more than "
                         f"{MAX_TRACKS} tracks", field="file")
    return tracks
