"""Where a photo was taken (its EXIF GPS block) and how far that lies from the report.

A phone writes the place of a photo in the EXIF GPS directory: latitude and
longitude as three rationals (degrees, minutes, seconds) with a reference
(``N``/``S``, ``E``/``W``), in WGS84 as GPS receivers give it. The place is
compared with the incident's point (stored in WGS84 too): a photo taken
farther away than a limit (default 200 m) is flagged, not refused — an old
photo, a photo of another place, or a photo sent from elsewhere; someone
looks at it.

A photo whose coordinates were shifted to GCJ-02 (the system of Chinese
online maps; a few apps write it into EXIF) lies some hundreds of metres off
its true place (300–700 m across China) and is flagged the same way: the
EXIF block does not say which system it holds, so nothing is converted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["EARTH_RADIUS_M", "GPS_TAGS", "LocationCheck", "PhotoLocation", "compare",
           "distance_m", "gps_location"]

EARTH_RADIUS_M = 6_371_008.8
"""The mean radius of the WGS84 ellipsoid: haversine distances are within 0.5 % of the
ellipsoid's, ample for a flag at some hundred metres."""
GPS_TAGS = {"latitude_ref": 1, "latitude": 2, "longitude_ref": 3, "longitude": 4,
            "map_datum": 18}
"""The EXIF GPS tags read (TIFF/EXIF 2.3 numbering)."""


@dataclass(frozen=True)
class PhotoLocation:
    """A photo's place from its EXIF: lon/lat in degrees and the datum it names, if any."""

    lon: float
    lat: float
    datum: str | None = None


@dataclass(frozen=True)
class LocationCheck:
    """A photo's place compared with the incident's point."""

    lon: float
    lat: float
    distance_m: float
    far: bool


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _degrees(value: Any) -> float | None:
    """Degrees from EXIF's (degrees, minutes, seconds), or from a single number."""
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    numbers = [_number(p) for p in parts]
    if any(n is None or n < 0 for n in numbers):
        return None
    total = 0.0
    for n, scale in zip(numbers, (1, 60, 3600), strict=False):
        total += n / scale  # type: ignore[operator]
    return total


def _ref(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ").upper()[:1] or None


def gps_location(gps: Mapping[int, Any]) -> PhotoLocation | None:
    """The place in an EXIF GPS directory, or None when it holds no usable one.

    Parameters
    ----------
    gps : mapping
        The GPS directory, tag number → value (Pillow:
        ``image.getexif().get_ifd(ExifTags.IFD.GPSInfo)``).

    Returns
    -------
    PhotoLocation or None
        None when a coordinate or its reference is missing or out of range,
        and for (0, 0), which receivers write when they had no fix.

    Examples
    --------
    >>> gps_location({1: "N", 2: (28, 0, 36), 3: "E", 4: (120, 39, 0)})
    PhotoLocation(lon=120.65, lat=28.01, datum=None)
    >>> gps_location({2: (28, 0, 36), 4: (120, 39, 0)}) is None  # no N/S, E/W
    True
    """
    lat = _degrees(gps.get(GPS_TAGS["latitude"]))
    lon = _degrees(gps.get(GPS_TAGS["longitude"]))
    lat_ref = _ref(gps.get(GPS_TAGS["latitude_ref"]))
    lon_ref = _ref(gps.get(GPS_TAGS["longitude_ref"]))
    if lat is None or lon is None or lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        return None
    if lat > 90 or lon > 180 or (lat == 0 and lon == 0):
        return None
    datum = gps.get(GPS_TAGS["map_datum"])
    if isinstance(datum, bytes):
        datum = datum.decode("latin-1", "replace")
    datum = (datum.strip("\x00 ")[:32] or None) if isinstance(datum, str) else None
    return PhotoLocation(lon=round(-lon if lon_ref == "W" else lon, 7),
                         lat=round(-lat if lat_ref == "S" else lat, 7), datum=datum)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The great-circle distance in metres between two WGS84 points (haversine).

    Examples
    --------
    >>> round(distance_m(120.65, 28.0, 120.65, 28.009))
    1001
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def compare(location: PhotoLocation, lon: float, lat: float, *, far_m: float) -> LocationCheck:
    """How far a photo's place lies from the incident's point, flagged beyond ``far_m``.

    Parameters
    ----------
    location : PhotoLocation
    lon, lat : float
        The incident's point (WGS84).
    far_m : float
        The distance beyond which the photo is flagged.

    Returns
    -------
    LocationCheck
        The photo's place, the distance (to 0.1 m) and the flag.

    Examples
    --------
    >>> compare(PhotoLocation(120.65, 28.009), 120.65, 28.0, far_m=200).far
    True
    """
    d = distance_m(location.lon, location.lat, lon, lat)
    return LocationCheck(lon=location.lon, lat=location.lat, distance_m=round(d, 1),
                         far=d > far_m)
