"""The offline basemap: ``GET /tiles/{z}/{x}/{y}.mvt`` from the tile file, ``GET /basemap``.

The tiles come from the MBTiles file of ``GRIDGIS_BASEMAP`` (``gridgis basemap``),
gzipped as stored (``Content-Encoding: gzip``; unpacked for a client that does not
accept gzip), as ``application/vnd.mapbox-vector-tile``, with an ``ETag`` and
``Cache-Control: public, max-age=3600``. A position inside the file's zooms where no
feature lies answers 204 (an empty tile); a zoom outside the file's range, or a service
without a basemap, 404; a ``z``, ``x`` or ``y`` that is not a tile of the grid, 422.

No sign-in: the tiles hold only what the public collections show to anyone (townships,
communities, grids, buildings and roads: names, codes and shapes; no households, no
population, no grid workers' names), and the console draws them before anyone signs
in, as it draws the grids. ``GET /basemap`` tells the console what to draw: the vector
tiles (a TileJSON 3.0.0 document) and the optional intranet raster tiles
(``GRIDGIS_BASEMAP_URL``) with their coordinate system.
"""

from __future__ import annotations

import gzip
import hashlib
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.errors import problem_responses
from api.settings import Settings
from gridgis.basemap import TileFile
from gridgis.errors import RecordNotFoundError

__all__ = ["MVT", "BasemapConfig", "RasterBasemap", "create_router", "open_basemap",
           "page_policy"]

MVT = "application/vnd.mapbox-vector-tile"
CACHE_CONTROL = "public, max-age=3600"
"""Tiles change only when the basemap is rebuilt: an hour in the browser, then the ETag."""
MAX_Z = 22
GZIP_MAGIC = b"\x1f\x8b"
TILE_PATH = "/tiles/{z}/{x}/{y}.mvt"
CRS_NAMES = {"wgs84": "WGS84", "cgcs2000": "CGCS2000（与 WGS84 相差厘米级）",
             "gcj02": "GCJ-02（国测局加偏坐标）"}


class RasterBasemap(BaseModel):
    """An intranet raster tile service drawn under the vector basemap (天地图 or the like)."""

    url: str = Field(description="XYZ 瓦片地址模板 / the tile URL template ({z}/{x}/{y}, {s})")
    subdomains: str = Field(description="{s} 的取值 / the values of {s}, one per character")
    crs: Literal["wgs84", "cgcs2000", "gcj02"] = Field(
        description="瓦片的坐标系 / the tiles' coordinate system; gcj02 tiles are shifted "
                    "onto the WGS84 layers by the console")
    crs_name: str
    attribution: str


class BasemapConfig(BaseModel):
    """What the console draws under the district's layers."""

    vector: dict[str, Any] | None = Field(
        description="离线矢量底图（TileJSON 3.0.0）/ the offline vector tiles as TileJSON; "
                    "None without GRIDGIS_BASEMAP")
    raster: RasterBasemap | None = Field(
        description="内网栅格底图 / the intranet raster tiles; None without GRIDGIS_BASEMAP_URL")


def open_basemap(settings: Settings) -> TileFile | None:
    """The tile file of ``GRIDGIS_BASEMAP``, opened (BasemapError when unusable), or None."""
    return None if settings.basemap is None else TileFile(settings.basemap)


def _csp_source(url: str) -> str:
    """The CSP source of a tile URL's origin (a ``{s}`` label becomes ``*``)."""
    parts = urlsplit(url.replace("{s}", "s-s"))
    host = ".".join("*" if "s-s" in label else label for label in parts.netloc.split("."))
    return f"{parts.scheme}://{host}"


def page_policy(settings: Settings, base: str) -> dict[str, str]:
    """Headers of the console page: ``base``, the service's CSP, widened when needed.

    With ``GRIDGIS_BASEMAP_URL`` the intranet tile server's origin may serve images.
    """
    if settings.basemap_url is None:
        return {}
    source = _csp_source(settings.basemap_url)
    return {"Content-Security-Policy": base.replace("img-src 'self'", f"img-src 'self' {source}")}


def _tilejson(tiles: TileFile) -> dict[str, Any]:
    meta = tiles.metadata
    lon, lat, zoom = (float(v) for v in meta.get("center", "0,0,0").split(","))
    return {"tilejson": "3.0.0", "name": meta.get("name", "basemap"), "tiles": [TILE_PATH],
            "scheme": "xyz", "minzoom": tiles.min_zoom, "maxzoom": tiles.max_zoom,
            "bounds": [float(v) for v in meta.get("bounds", "-180,-85,180,85").split(",")],
            "center": [lon, lat, int(zoom)], "attribution": meta.get("attribution", ""),
            "vector_layers": tiles.vector_layers}


def _bad(field: str, reason: str, value: object) -> RequestValidationError:
    return RequestValidationError([{"loc": ("path", field), "msg": reason,
                                    "type": "value_error", "input": value}])


def create_router(settings: Settings) -> APIRouter:
    """The ``/basemap`` and ``/tiles/{z}/{x}/{y}.mvt`` routes."""
    router = APIRouter(tags=["basemap"])
    raster = None if settings.basemap_url is None else RasterBasemap(
        url=settings.basemap_url, subdomains=settings.basemap_subdomains,
        crs=settings.basemap_crs, crs_name=CRS_NAMES[settings.basemap_crs],
        attribution=settings.basemap_attribution)

    @router.get("/basemap", response_model=BasemapConfig)
    def basemap(request: Request) -> BasemapConfig:
        """底图配置 / What the console draws under the layers: vector tiles, intranet tiles."""
        tiles: TileFile | None = request.app.state.basemap
        return BasemapConfig(vector=None if tiles is None else _tilejson(tiles), raster=raster)

    @router.get(TILE_PATH, response_class=Response, responses={
        200: {"content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
              "description": "矢量瓦片 / a Mapbox Vector Tile (gzip)"},
        204: {"description": "此处无要素 / an empty tile"},
        304: {"description": "未变 / not modified (If-None-Match)"},
        **problem_responses(404, 422)})
    def tile(request: Request,
             z: Annotated[int, PathParam(ge=0, le=MAX_Z, description="缩放级别 / zoom")],
             x: Annotated[int, PathParam(ge=0, description="列 / column, from the west")],
             y: Annotated[int, PathParam(ge=0, description="行 / row, from the north (XYZ)")],
             ) -> Response:
        """离线底图瓦片 / One vector tile of the offline basemap (XYZ address)."""
        for name, value in (("x", x), ("y", y)):
            if value >= 1 << z:
                raise _bad(name, f"{name} 应小于 2^z = {1 << z} / {name} must be below 2^z",
                           value)
        tiles: TileFile | None = request.app.state.basemap
        if tiles is None:
            raise RecordNotFoundError("未配置离线底图（GRIDGIS_BASEMAP）/ this service has no "
                                      "basemap", field="GRIDGIS_BASEMAP")
        if not tiles.min_zoom <= z <= tiles.max_zoom:
            raise RecordNotFoundError(
                f"底图只有 {tiles.min_zoom}–{tiles.max_zoom} 级瓦片 / the basemap has zooms "
                f"{tiles.min_zoom}–{tiles.max_zoom} only", field="z")
        headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
        data = tiles.tile(z, x, y)
        if data is None:
            return Response(status_code=204, headers=headers)
        headers["ETag"] = f'"{hashlib.blake2b(data, digest_size=12).hexdigest()}"'
        if headers["ETag"] in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if data[:2] == GZIP_MAGIC:  # gridgis stores tiles gzipped; other tools may not
            if "gzip" in request.headers.get("accept-encoding", ""):
                headers["Content-Encoding"] = "gzip"
            else:
                data = gzip.decompress(data)
        return Response(data, media_type=MVT, headers=headers)

    return router
