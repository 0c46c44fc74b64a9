"""Cut the source layers into Mapbox Vector Tiles, zoom by zoom.

At each zoom only the features shown from that zoom on are kept, simplified
to half a screen pixel and without the polygons smaller than a few pixels;
each tile gets the features that touch it, clipped to the tile and a buffer
(so lines and labels run on across tile edges), encoded with
``mapbox-vector-tile`` (extent 4096) and gzipped as MBTiles keeps them.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass

import mapbox_vector_tile
import numpy as np
import shapely

from gridgis.basemap.layers import SourceLayer
from gridgis.basemap.mercator import tile_bounds, tile_range, tile_size_m

__all__ = ["BUFFER", "EXTENT", "Tile", "ZoomLayer", "cut_zoom", "encode_tile", "tile_count",
           "zoom_layer"]

EXTENT = 4096
"""Tile coordinates run from 0 to EXTENT (the MVT default)."""
BUFFER = 64
"""Tile units kept beyond each edge of a tile (lines and labels cross the edges)."""
SMALLEST_PX = 2.0
"""A polygon narrower than about this many screen pixels (at 256 px a tile) is left out."""


@dataclass(frozen=True)
class Tile:
    """One encoded tile: XYZ address and its gzipped MVT bytes."""

    z: int
    x: int
    y: int
    data: bytes


@dataclass(frozen=True)
class ZoomLayer:
    """A source layer as drawn at one zoom: the features shown, simplified, and their index."""

    layer: SourceLayer
    geometry: np.ndarray
    rows: np.ndarray
    tree: shapely.STRtree


def zoom_layer(layer: SourceLayer, z: int) -> ZoomLayer:
    """The features of ``layer`` shown at zoom ``z``, simplified to half a pixel."""
    pixel = tile_size_m(z) / 256
    rows = np.flatnonzero(layer.min_zoom <= z)
    geoms = shapely.simplify(layer.geometry[rows], pixel / 2, preserve_topology=True)
    kinds = shapely.get_dimensions(geoms)
    big_enough = (kinds < 2) | (shapely.area(geoms) >= (SMALLEST_PX * pixel) ** 2)
    keep = big_enough & ~shapely.is_empty(geoms)
    geoms, rows = geoms[keep], rows[keep]
    return ZoomLayer(layer, geoms, rows, shapely.STRtree(geoms))


def _to_tile(geoms: np.ndarray, minx: float, miny: float, scale: float) -> np.ndarray:
    """Geometries in whole tile units (0–EXTENT, y up; the encoder turns y down).

    The encoder's own rounding, done for a whole array; repeated points dropped.
    """
    shifted = shapely.transform(geoms, lambda xy: np.round((xy - (minx, miny)) * scale))
    return shapely.remove_repeated_points(shifted)


def _merge_bare_points(features: list[dict]) -> list[dict]:
    """Points without attributes (a district's building points) as one multipoint feature.

    The same drawing, a fraction of the encoding.
    """
    bare = [f["geometry"] for f in features
            if not f["properties"] and f["geometry"].geom_type == "Point"]
    if len(bare) < 2:
        return features
    rest = [f for f in features if f["properties"] or f["geometry"].geom_type != "Point"]
    return [*rest, {"geometry": shapely.multipoints(bare), "properties": {}}]


def encode_tile(z: int, x: int, y: int, layers: list[ZoomLayer]) -> bytes | None:
    """The gzipped MVT of tile ``z/x/y`` (XYZ), or None when no feature touches it."""
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    pad = (maxx - minx) * BUFFER / EXTENT
    box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    query = shapely.box(*box)
    out = []
    for zl in layers:
        hits = np.sort(zl.tree.query(query, predicate="intersects"))
        if not len(hits):
            continue
        clipped = _to_tile(shapely.clip_by_rect(zl.geometry[hits], *box), minx, miny,
                           EXTENT / (maxx - minx))
        features = [
            {"geometry": g, "properties": zl.layer.properties[zl.rows[i]]}
            for g, i in zip(clipped, hits, strict=True) if not g.is_empty
        ]
        features = _merge_bare_points(features)
        if features:
            out.append({"name": zl.layer.name, "features": features})
    if not out:
        return None
    data = mapbox_vector_tile.encode(out, default_options={"extents": EXTENT})
    return gzip.compress(data, compresslevel=9, mtime=0)


def cut_zoom(z: int, layers: list[SourceLayer],
             bounds: tuple[float, float, float, float]) -> Iterator[Tile | None]:
    """Every tile of zoom ``z`` over ``bounds`` (Web Mercator), in column order.

    A :class:`Tile`, or None for an empty one (so a caller can count progress over the
    whole range).
    """
    shown = [zoom_layer(layer, z) for layer in layers]
    shown = [s for s in shown if len(s.geometry)]
    xs, ys = tile_range(z, bounds)
    for x in xs:
        for y in ys:
            data = encode_tile(z, x, y, shown)
            yield None if data is None else Tile(z, x, y, data)


def tile_count(z: int, bounds: tuple[float, float, float, float]) -> int:
    """How many tiles of zoom ``z`` cover ``bounds`` (empty ones included)."""
    xs, ys = tile_range(z, bounds)
    return len(xs) * len(ys)

