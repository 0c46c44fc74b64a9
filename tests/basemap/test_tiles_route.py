"""``GET /tiles/{z}/{x}/{y}.mvt`` and ``GET /basemap``: tiles as stored, 4xx for bad input."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api import create_app
from api.settings import Settings
from gridgis.basemap import TileFile, build_basemap
from gridgis.errors import BasemapError
from gridgis.store import SQLiteStore

MAX_ZOOM = 14
TDT = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"


@pytest.fixture(scope="module")
def tile_file(small_layers, tmp_path_factory):
    path = tmp_path_factory.mktemp("tiles") / "b.mbtiles"
    build_basemap(small_layers, path, max_zoom=MAX_ZOOM)
    return path


def _client(layers, tmp_path, **settings):
    store = SQLiteStore(tmp_path / "s.sqlite")
    app = create_app(Settings(**settings), layers=layers, store=store)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def served(small_layers, tile_file, tmp_path):
    with _client(small_layers, tmp_path, basemap=tile_file) as c:
        yield c


def _label_tile(layers, z):
    p = layers.townships.geometry.iloc[0].representative_point()
    n = 2 ** z
    rad = math.radians(p.y)
    return (int((p.x + 180) / 360 * n),
            int((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n))


def test_a_tile_is_served_gzipped_as_stored_with_its_headers(served, small_layers, tile_file):
    x, y = _label_tile(small_layers, 12)
    r = served.get(f"/tiles/12/{x}/{y}.mvt")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"] == "public, max-age=3600"
    assert r.headers["vary"] == "Accept-Encoding"
    assert int(r.headers["content-length"]) == len(TileFile(tile_file).tile(12, x, y))
    tile = mapbox_vector_tile.decode(r.content)  # httpx has unpacked the gzip
    names = {f["properties"]["name"] for f in tile["labels"]["features"]}
    assert small_layers.townships["name"].iloc[0] in names
    again = served.get(f"/tiles/12/{x}/{y}.mvt", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    plain = served.get(f"/tiles/12/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == gzip.decompress(TileFile(tile_file).tile(12, x, y))


def test_empty_tiles_answer_204_and_other_zooms_404(served):
    r = served.get("/tiles/10/0/0.mvt")  # inside the zoom range, nothing there
    assert r.status_code == 204 and r.headers["cache-control"] == "public, max-age=3600"
    r = served.get(f"/tiles/{MAX_ZOOM + 1}/0/0.mvt")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert "底图只有 10–14 级瓦片" in r.json()["detail"] and r.json()["field"] == "z"


def test_a_service_without_a_basemap_says_so(small_layers, tmp_path):
    with _client(small_layers, tmp_path) as c:
        r = c.get("/tiles/12/3400/1700.mvt")
        assert r.status_code == 404 and "未配置离线底图" in r.json()["detail"]
        assert c.get("/basemap").json() == {"vector": None, "raster": None}
        page = c.get("/", headers={"Accept": "text/html"})
    assert "img-src 'self' data: blob:" in page.headers["content-security-policy"]


@pytest.mark.parametrize("path", [
    "/tiles/-1/0/0.mvt", "/tiles/23/0/0.mvt", "/tiles/a/0/0.mvt", "/tiles/12/4096/0.mvt",
    "/tiles/12/0/4096.mvt", "/tiles/0/1/0.mvt", "/tiles/12/-5/3.mvt", "/tiles/1.5/0/0.mvt",
    "/tiles/12/0x10/3.mvt", "/tiles/12/1e3/3.mvt", "/tiles/12/%20/3.mvt",
    "/tiles/12/99999999999999999999999999/3.mvt", "/tiles/12/3/%E7%BD%91.mvt",
    "/tiles/12//3.mvt", "/tiles/12/3/4.png", "/tiles/12/3.mvt", "/tiles/%00/0/0.mvt",
])
def test_bad_addresses_answer_4xx_never_5xx(served, path):
    r = served.get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code)
    assert r.headers["content-type"] == "application/problem+json"


def test_the_console_config_names_the_tiles_and_the_intranet_service(small_layers, tile_file,
                                                                     tmp_path):
    with _client(small_layers, tmp_path, basemap=tile_file, basemap_url=TDT,
                 basemap_subdomains="01234567", basemap_crs="cgcs2000",
                 basemap_attribution="天地图") as c:
        config = c.get("/basemap").json()
        page = c.get("/", headers={"Accept": "text/html"})
    vector = config["vector"]
    assert vector["tilejson"] == "3.0.0" and vector["tiles"] == ["/tiles/{z}/{x}/{y}.mvt"]
    assert (vector["minzoom"], vector["maxzoom"]) == (10, MAX_ZOOM)
    assert {v["id"] for v in vector["vector_layers"]} >= {"roads", "labels", "buildings"}
    assert config["raster"] == {"url": TDT, "subdomains": "01234567", "crs": "cgcs2000",
                                "crs_name": "CGCS2000（与 WGS84 相差厘米级）",
                                "attribution": "天地图"}
    # the console page may load the intranet tiles, and only those, from elsewhere
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' https://*.tianditu.gov.cn data: blob:" in policy
    assert "connect-src 'self';" in policy


def test_gcj02_tiles_are_declared(small_layers, tmp_path):
    url = "http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png"
    with _client(small_layers, tmp_path, basemap_url=url, basemap_crs="gcj02") as c:
        raster = c.get("/basemap").json()["raster"]
        policy = c.get("/", headers={"Accept": "text/html"}).headers["content-security-policy"]
    assert raster["crs"] == "gcj02" and "GCJ-02" in raster["crs_name"]
    assert "img-src 'self' http://10.1.2.3:8080 data:" in policy


@pytest.mark.parametrize("url", ["ftp://a.b/{z}/{x}/{y}", "https://a.b/tiles", "javascript:1",
                                 "https://a.b/{z}/{x}/{y}.png\" onerror=x",
                                 "https://a b/{z}/{x}/{y}"])
def test_a_bad_intranet_url_is_refused(url):
    with pytest.raises(ValidationError, match="basemap_url"):
        Settings(basemap_url=url)
    with pytest.raises(ValidationError):
        Settings(basemap_crs="bd09")


def test_an_unusable_tile_file_ends_start_up(small_layers, tmp_path):
    bad = tmp_path / "bad.mbtiles"
    bad.write_bytes(b"\x00" * 2048)
    with pytest.raises(BasemapError):
        _client(small_layers, tmp_path, basemap=bad)
    with pytest.raises(BasemapError, match="不存在"):
        _client(small_layers, tmp_path, basemap=tmp_path / "missing.mbtiles")


def test_tiles_stored_unpacked_by_another_tool_are_served_as_they_are(small_layers, tile_file,
                                                                      tmp_path):
    import shutil
    import sqlite3

    other = tmp_path / "other.mbtiles"
    shutil.copy(tile_file, other)
    with sqlite3.connect(other) as db:
        z, x, row, data = db.execute("SELECT * FROM tiles LIMIT 1").fetchone()
        db.execute("UPDATE tiles SET tile_data=? WHERE zoom_level=? AND tile_column=? AND "
                   "tile_row=?", (gzip.decompress(data), z, x, row))
    with _client(small_layers, tmp_path, basemap=other) as c:
        r = c.get(f"/tiles/{z}/{x}/{2 ** z - 1 - row}.mvt")
    assert r.status_code == 200 and "content-encoding" not in r.headers
    assert r.content == gzip.decompress(data)


def test_every_worker_serves_the_same_basemap(tile_file, monkeypatch):
    import os

    from gridgis.cli.serve import _worker_environment

    # the variables the command sets for its workers stay inside this test
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items()
                                        if not k.startswith("GRIDGIS_")})
    _worker_environment(Settings(layers=tile_file, basemap=tile_file), "s.sqlite")
    assert os.environ["GRIDGIS_BASEMAP"] == str(tile_file)
    assert Settings().basemap == tile_file  # what each worker reads
