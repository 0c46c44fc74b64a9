"""The offline basemap in the console: vector tiles drawn on canvas, an intranet GCJ-02 layer.

Headless Chromium with every request off 127.0.0.1 blocked (the intranet tile server of the
second test is answered by the test itself), at a desktop's and a phone's size. The
basemap's canvases must show pixels other than the background, and no script error may be
logged. Screenshots go to artifacts/.
"""

# ruff: noqa: F811 - the fixtures come from test_console and are named as parameters
from __future__ import annotations

import gzip
import io
import math

import mapbox_vector_tile
import pytest

from gridgis.basemap import TileFile, build_basemap
from gridgis.crs import wgs84_to_gcj02
from tests.conftest import serving
from tests.console.test_console import (  # noqa: F401 - fixtures
    _new_page,
    _open,
    _shot,
    _sign_in,
    browser,
    cast,
    district,
    expect,
    prepared,
)

SIZES = {"desktop": (1920, 1080), "phone": (390, 844)}
INTRANET = "http://tiles.intranet.test"
BACKGROUND = (0xF4, 0xF2, 0xEC)

# pixels of the basemap's drawn canvases that are not the plain background, and their colours
PIXELS = """([r, g, b]) => {
  let other = 0, total = 0; const colours = new Set();
  for (const c of document.querySelectorAll("canvas.gridgis-basemap-tile[data-drawn]")) {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 16) {
      total += 1;
      if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) > 6) {
        other += 1; colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      }
    }
  }
  return {other, total, colours: colours.size};
}"""


@pytest.fixture(scope="module")
def basemap_file(district, tmp_path_factory):
    layers, _ = district
    path = tmp_path_factory.mktemp("basemap") / "two.basemap.mbtiles"
    build_basemap(layers, path)
    return path


def _serve(district, prepared, basemap_file, name, **env):
    (where, _), (_, gpkg) = prepared, district
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRIDGIS_SIGNIN_PER_MINUTE", "1000")
        patch.setenv("GRIDGIS_BASEMAP", str(basemap_file))
        for key, value in env.items():
            patch.setenv(key, value)
        with serving(gpkg, where / "console.sqlite", where / f"{name}.log") as base:
            yield base


@pytest.fixture(scope="module")
def offline(district, prepared, basemap_file):
    yield from _serve(district, prepared, basemap_file, "basemap")


@pytest.fixture(scope="module")
def intranet(district, prepared, basemap_file):
    yield from _serve(district, prepared, basemap_file, "intranet",
                      GRIDGIS_BASEMAP_URL=INTRANET + "/{z}/{x}/{y}.png",
                      GRIDGIS_BASEMAP_CRS="gcj02", GRIDGIS_BASEMAP_ATTRIBUTION="政务地图")


def _view(pg, lon, lat, zoom):
    pg.evaluate("""([lat, lon, z]) => map.setView([lat, lon], z, {animate: false})""",
                [lat, lon, zoom])
    pg.wait_for_function("""() => { const v = gridBasemap.state.vector;
        return v && !v.isLoading() && v.drawnTiles > 0; }""")


def _town_point(district):
    layers, _ = district
    p = layers.townships.geometry.iloc[0].representative_point()
    return p.x, p.y


@pytest.mark.parametrize("size", list(SIZES))
def test_the_basemap_draws_offline_under_the_layers(browser, offline, cast, district, size,
                                                    basemap_file):
    width, height = SIZES[size]
    context, pg = _new_page(browser, {"width": width, "height": height})
    try:
        _open(pg, offline)
        _sign_in(pg, cast.county)
        if size == "phone":
            pg.locator("#tab-map").click()
            expect(pg.locator("#map")).to_be_visible()
        pg.wait_for_function("() => gridBasemap.state.vector !== null")
        # the layer control names it 底图, ticked
        control = pg.locator(".leaflet-control-layers-overlays label", has_text="底图")
        expect(control).to_have_count(1)
        expect(control.locator("input")).to_be_checked()
        pg.evaluate("map.removeLayer(layers.patrol)")  # its colours would hide the basemap
        lon, lat = _town_point(district)
        for zoom in (12, 15, 18):  # 18: the file's zoom 16, magnified and drawn crisp
            _view(pg, lon, lat, zoom)
            seen = pg.evaluate(PIXELS, BACKGROUND)
            assert seen["total"] > 0 and seen["other"] > seen["total"] * 0.01, (zoom, seen)
            assert seen["colours"] >= 4, (zoom, seen)
            _shot(pg, f"basemap-{size}-z{zoom}")
        if size == "desktop":
            _decodes_as_python_does(pg, offline, basemap_file, lon, lat)
        # the tiles it asked for were all answered (no 404 logged), none from elsewhere
        assert pg.errors == [] and pg.blocked == []
        if size == "desktop":  # unticking the entry removes the canvases
            control.locator("input").uncheck()
            expect(pg.locator("canvas.gridgis-basemap-tile")).to_have_count(0)
    finally:
        context.close()


def _decodes_as_python_does(pg, base, basemap_file, lon, lat):
    """The page's MVT decoder reads a tile as mapbox-vector-tile does: layers, names, points."""
    z = 15
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    data = TileFile(basemap_file).tile(z, x, y)
    expected = mapbox_vector_tile.decode(gzip.decompress(data),
                                         default_options={"y_coord_down": True})
    got = pg.evaluate("""async (url) => {
        const r = await fetch(url);
        const layers = gridBasemap.decode(new Uint8Array(await r.arrayBuffer()));
        const out = {};
        for (const [name, layer] of Object.entries(layers)) {
          out[name] = layer.features.map((f) => ({type: f.type, properties: f.properties,
                                                  first: f.parts[0][0]}));
        }
        return out;
    }""", f"{base}/tiles/{z}/{x}/{y}.mvt")
    assert set(got) == set(expected)
    kinds = {"Point": 1, "MultiPoint": 1, "LineString": 2, "MultiLineString": 2, "Polygon": 3,
             "MultiPolygon": 3}
    for name, layer in expected.items():
        assert len(got[name]) == len(layer["features"]), name
        for mine, theirs in zip(got[name], layer["features"], strict=True):
            assert mine["properties"] == theirs["properties"]
            assert mine["type"] == kinds[theirs["geometry"]["type"]]
            coords = theirs["geometry"]["coordinates"]
            while isinstance(coords[0], list):
                coords = coords[0]
            assert mine["first"] == list(coords)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 220, 240)).save(out, "PNG")
    return out.getvalue()


def test_an_intranet_gcj02_service_is_shifted_onto_the_wgs84_layers(browser, intranet, cast,
                                                                    district):
    context, pg = _new_page(browser, {"width": 1920, "height": 1080})
    asked = []
    tile = _png()

    def answer(route):  # the intranet tile server, played by the test
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=tile)

    pg.route(f"{INTRANET}/**", answer)
    try:
        _open(pg, intranet)
        _sign_in(pg, cast.county)
        pg.wait_for_function("() => gridBasemap.state.raster !== null")
        config = pg.evaluate("gridBasemap.state.config.raster")
        assert config["crs"] == "gcj02" and config["url"] == INTRANET + "/{z}/{x}/{y}.png"
        expect(pg.locator(".leaflet-control-layers-overlays label",
                          has_text="内网底图")).to_have_count(1)
        expect(pg.locator(".leaflet-control-attribution")).to_contain_text("GCJ-02")
        pg.evaluate("map.removeLayer(layers.patrol)")
        lon, lat = _town_point(district)
        _view(pg, lon, lat, 16)
        pg.wait_for_function("""() => [...document.querySelectorAll(".leaflet-intranet-pane img")]
            .some((i) => i.complete && i.naturalWidth === 256)""")
        assert asked and all(u.startswith(INTRANET + "/16/") for u in asked[-4:])
        # the JS offset is the library's, and the pane moves by it in pixels
        centre = pg.evaluate("() => { const c = map.getCenter(); return [c.lng, c.lat]; }")
        js = pg.evaluate("([lon, lat]) => gridBasemap.wgs84ToGcj02(lon, lat)", centre)
        glon, glat = (float(v) for v in wgs84_to_gcj02(*centre))
        assert abs(js[0] - glon) < 1e-9 and abs(js[1] - glat) < 1e-9
        dx, dy = map(float, pg.get_attribute(".leaflet-intranet-pane", "data-shift").split(","))
        metres_per_px = 2 * math.pi * 6378137 / (256 * 2 ** 16)
        east = (glon - centre[0]) * math.pi / 180 * 6378137 / metres_per_px
        north = (math.log(math.tan(math.pi / 4 + math.radians(glat) / 2)) -
                 math.log(math.tan(math.pi / 4 + math.radians(centre[1]) / 2))) * 6378137 \
            / metres_per_px
        assert abs(dx + east) < 1.0 and abs(dy - north) < 1.0, (dx, dy, east, north)
        assert math.hypot(dx, dy) > 50  # hundreds of metres at zoom 16: a real shift
        # the vector basemap stays drawn on top, without its background
        seen = pg.evaluate(PIXELS, BACKGROUND)
        assert seen["other"] > 0
        assert pg.errors == [] and pg.blocked == []
        _shot(pg, "basemap-intranet-gcj02")
    finally:
        context.close()
