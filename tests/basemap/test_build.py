"""The basemap builder: tiles that decode back to the district's features, in the right places."""

from __future__ import annotations

import gzip
import json
import math
import sqlite3

import geopandas as gpd
import mapbox_vector_tile
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from gridgis.basemap import TileFile, build_basemap
from gridgis.basemap.files import basemap_path_for, is_current
from gridgis.basemap.layers import ROAD_MIN_ZOOM
from gridgis.cli import app
from gridgis.errors import BasemapError, InputError

MAX_ZOOM = 15
EXTENT = 4096


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, float, float]:
    """The XYZ tile holding a point and the point's position in it (0–1, y down)."""
    n = 2 ** z
    fx = (lon + 180) / 360 * n
    rad = math.radians(lat)
    fy = (1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n
    return int(fx), int(fy), fx - int(fx), fy - int(fy)


def _decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(gzip.decompress(data),
                                     default_options={"y_coord_down": True})


@pytest.fixture(scope="module")
def built(small_layers, tmp_path_factory):
    path = tmp_path_factory.mktemp("basemap") / "small.mbtiles"
    calls = []
    summary = build_basemap(small_layers, path, max_zoom=MAX_ZOOM,
                            progress=lambda done, total: calls.append((done, total)))
    return summary, TileFile(path), calls


def _all_tiles(path):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"
                          ).fetchall()


def test_the_file_is_mbtiles_with_its_metadata(built):
    summary, tiles, calls = built
    meta = tiles.metadata
    assert meta["format"] == "pbf" and meta["minzoom"] == "10" and meta["maxzoom"] == "15"
    lon0, lat0, lon1, lat1 = map(float, meta["bounds"].split(","))
    assert 120 < lon0 < lon1 < 121 and 27 < lat0 < lat1 < 29
    ids = {layer["id"] for layer in json.loads(meta["json"])["vector_layers"]}
    assert ids == {"roads", "buildings", "boundaries", "labels"}
    assert tiles.count() == summary.tiles > 0
    assert calls and calls[-1][0] == calls[-1][1]  # the progress reached its total


def test_tiles_cover_exactly_the_zoom_range(built):
    summary, tiles, _ = built
    zooms = {row[0] for row in _all_tiles(tiles.path)}
    assert zooms == set(range(10, MAX_ZOOM + 1))
    assert all(summary.tiles_per_zoom[z] > 0 for z in zooms)
    # every stored tile is gzip (1f 8b) and decodes
    for z, _, _, data in _all_tiles(tiles.path):
        assert data[:2] == b"\x1f\x8b", z
        assert _decode(data)


def test_rows_are_tms_and_a_township_label_sits_where_it_should(built, small_layers):
    _, tiles, _ = built
    town = small_layers.townships.iloc[0]
    point = town.geometry.representative_point()  # point_on_surface, as the builder
    z = 12
    x, y, fx, fy = _tile_of(point.x, point.y, z)
    with sqlite3.connect(tiles.path) as db:  # stored under the TMS row, from the south
        stored = db.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? "
                            "AND tile_row=?", (z, x, 2 ** z - 1 - y)).fetchone()
    assert stored is not None and bytes(stored[0]) == tiles.tile(z, x, y)
    labels = _decode(tiles.tile(z, x, y))["labels"]["features"]
    mine = [f for f in labels if f["properties"]["code"] == town["code"]]
    assert len(mine) == 1
    props = mine[0]["properties"]
    assert props == {"kind": "township", "name": town["name"], "code": town["code"]}
    px, py = mine[0]["geometry"]["coordinates"]
    assert abs(px - fx * EXTENT) <= 1.5 and abs(py - fy * EXTENT) <= 1.5


def test_a_road_runs_through_its_tile_at_max_zoom(built, small_layers):
    _, tiles, _ = built
    road = small_layers.roads.sort_values("road_id").iloc[len(small_layers.roads) // 2]
    mid = road.geometry.interpolate(0.5, normalized=True)
    x, y, fx, fy = _tile_of(mid.x, mid.y, MAX_ZOOM)
    roads = _decode(tiles.tile(MAX_ZOOM, x, y))["roads"]["features"]
    # the tile's line nearest the road's midpoint passes within a unit or two of it
    here = shapely.Point(fx * EXTENT, fy * EXTENT)
    nearest = min(roads, key=lambda f: shapely.geometry.shape(f["geometry"]).distance(here))
    assert shapely.geometry.shape(nearest["geometry"]).distance(here) < 3
    assert nearest["properties"]["class"] == road["road_class"]


def test_labels_of_each_kind_and_fewer_features_at_low_zooms(built):
    _, tiles, _ = built
    kinds: dict[int, set[str]] = {}
    classes: dict[int, set[str]] = {}
    layers_at: dict[int, set[str]] = {}
    for z, _, _, data in _all_tiles(tiles.path):
        tile = _decode(data)
        layers_at.setdefault(z, set()).update(tile)
        for f in tile.get("labels", {}).get("features", []):
            kinds.setdefault(z, set()).add(f["properties"]["kind"])
        for f in tile.get("roads", {}).get("features", []):
            classes.setdefault(z, set()).add(f["properties"]["class"])
    assert kinds[10] == {"township"}
    assert kinds[MAX_ZOOM] == {"township", "community", "grid", "road"}
    assert "buildings" not in layers_at[13] and "buildings" in layers_at[MAX_ZOOM]
    assert all(ROAD_MIN_ZOOM[c] <= 10 for c in classes[10])
    assert "street" in classes[MAX_ZOOM]
    # nothing personal: no counts of people, no worker names
    for _z, _, _, data in _all_tiles(tiles.path):
        for layer in _decode(data).values():
            for f in layer["features"]:
                assert not {"households", "population", "worker_names"} & set(f["properties"])


def test_missing_tiles_read_as_none_and_bad_files_are_refused(built, tmp_path):
    _, tiles, _ = built
    assert tiles.tile(10, 0, 0) is None
    assert tiles.tile(3, 6, 3) is None  # outside the zoom range
    with pytest.raises(BasemapError, match="不存在"):
        TileFile(tmp_path / "none.mbtiles")
    (tmp_path / "text.mbtiles").write_text("not sqlite " * 100)
    with pytest.raises(BasemapError, match="MBTiles"):
        TileFile(tmp_path / "text.mbtiles")


def test_a_bad_zoom_range_is_refused_and_leaves_no_file(small_layers, tmp_path):
    out = tmp_path / "b.mbtiles"
    with pytest.raises(InputError, match="缩放级别"):
        build_basemap(small_layers, out, min_zoom=14, max_zoom=12)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_the_command_builds_water_from_the_district_file(small_gpkg, small_layers, tmp_path):
    district = tmp_path / "d.gpkg"
    district.write_bytes(small_gpkg.read_bytes())
    x0, y0, x1, y1 = small_layers.townships.total_bounds
    lake = shapely.box(x0 + (x1 - x0) * 0.4, y0 + (y1 - y0) * 0.4, x0 + (x1 - x0) * 0.45,
                       y0 + (y1 - y0) * 0.45)
    pyogrio.write_dataframe(gpd.GeoDataFrame({"name": ["东湖"]}, geometry=[lake], crs=4326),
                            district, layer="water")
    out = basemap_path_for(district)
    assert out.name == "d.basemap.mbtiles" and not is_current(out, district)
    result = CliRunner().invoke(app, ["basemap", str(district), str(out), "--max-zoom", "12",
                                      "--quiet"])
    assert result.exit_code == 0, result.output
    assert "已写入底图" in result.stdout and is_current(out, district)
    c = lake.centroid
    x, y, fx, fy = _tile_of(c.x, c.y, 12)
    water = _decode(TileFile(out).tile(12, x, y))["water"]["features"]
    assert water[0]["properties"]["name"] == "东湖"
    assert water[0]["geometry"]["type"] == "Polygon"
    drawn = shapely.geometry.shape(water[0]["geometry"])
    assert drawn.contains(shapely.Point(fx * EXTENT, fy * EXTENT))  # the lake's middle


def test_the_command_refuses_what_it_cannot_write(small_gpkg, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["basemap", str(small_gpkg), str(tmp_path / "x.pmtiles")])
    assert result.exit_code == 2 and ".mbtiles" in result.output
    result = runner.invoke(app, ["basemap", str(tmp_path / "none.gpkg"),
                                 str(tmp_path / "x.mbtiles")])
    assert result.exit_code == 2 and "没有这个区县图层文件" in result.output


def test_the_demonstration_builds_the_basemap_once_beside_its_file(small_gpkg, tmp_path):
    from gridgis import read_layers, write_layers
    from gridgis.cli.serve import _demo_basemap

    district = tmp_path / "demo.gpkg"
    district.write_bytes(small_gpkg.read_bytes())
    target = _demo_basemap(district)
    assert target == tmp_path / "demo.basemap.mbtiles" and TileFile(target).count() > 0
    built, inode = target.stat().st_mtime_ns, target.stat().st_ino  # a build: a new file
    stored = TileFile(target).metadata["source_sha256"]
    assert _demo_basemap(district) == target and target.stat().st_mtime_ns == built
    district.write_bytes(district.read_bytes())  # written again, the same layers: kept
    assert _demo_basemap(district) == target and target.stat().st_mtime_ns > built
    assert target.stat().st_ino == inode
    assert TileFile(target).metadata["source_sha256"] == stored
    layers = read_layers(district)  # the layers changed: built again
    layers.grids.loc[layers.grids.index[0], "name"] = "新改名网格"
    write_layers(layers, district)
    _demo_basemap(district)
    assert TileFile(target).metadata["source_sha256"] != stored
    assert target.stat().st_ino != inode
