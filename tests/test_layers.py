import sqlite3
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from gridgis import (
    LayerError,
    Layers,
    MissingLayerError,
    describe_layers,
    read_layers,
    write_layers,
)
from gridgis.schemas import LAYER_NAMES, SCHEMAS


def _raw_write(layers: Layers, path, **override):
    """Write layers with pyogrio directly, bypassing the checks (to make broken files)."""
    for name in LAYER_NAMES:
        frame = override.get(name, getattr(layers, name))
        if frame is None:
            continue
        pyogrio.write_dataframe(frame.reset_index(drop=True), path, layer=name, driver="GPKG")
    return path


def test_round_trip_keeps_every_value(small_layers, tmp_path):
    path = write_layers(small_layers, tmp_path / "d.gpkg")
    back = read_layers(path)
    assert back.names() == small_layers.names() == [n for n in LAYER_NAMES if n != "grid_history"]
    for name, frame in small_layers.items():
        got = back[name]
        assert list(got.index) == list(frame[SCHEMAS[name].key])
        cols = list(SCHEMAS[name].column_names)
        pd.testing.assert_frame_equal(
            got[cols].reset_index(drop=True), frame[cols].reset_index(drop=True),
            check_dtype=False)
        assert shapely.equals_exact(got.geometry.values, frame.geometry.values,
                                    tolerance=1e-9).all()
        assert got.crs.to_epsg() == 4326


def test_written_file_is_an_ordinary_geopackage(small_gpkg, small_layers):
    with sqlite3.connect(small_gpkg) as db:
        contents = dict(db.execute("select table_name, data_type from gpkg_contents"))
        srs = {r[0] for r in db.execute("select srs_id from gpkg_geometry_columns")}
        geom = dict(db.execute("select table_name, geometry_type_name from gpkg_geometry_columns"))
    assert contents == {name: "features" for name in small_layers.names()}
    assert srs == {4326}
    assert geom["incidents"] == "POINT"
    assert geom["grids"] in ("POLYGON", "GEOMETRY", "MULTIPOLYGON")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_layers(tmp_path / "nope.gpkg")
    with pytest.raises(LayerError, match="is a folder"):
        read_layers(tmp_path)


def test_not_a_geopackage(tmp_path):
    path = tmp_path / "notes.gpkg"
    path.write_text("hello")
    with pytest.raises(LayerError, match="cannot be opened"):
        read_layers(path)


def test_missing_layer_names_it_and_what_is_there(small_layers, tmp_path):
    path = _raw_write(replace(small_layers, grids=None), tmp_path / "d.gpkg")
    with pytest.raises(MissingLayerError, match="no 'grids' layer") as info:
        read_layers(path)
    assert info.value.layer == "grids"
    assert "townships" in str(info.value)


def test_optional_layers_may_be_absent(small_layers, tmp_path):
    path = _raw_write(replace(small_layers, incidents=None, buildings=None), tmp_path / "d.gpkg")
    layers = read_layers(path)
    assert layers.incidents is None and layers.buildings is None
    with pytest.raises(MissingLayerError, match="no 'incidents' layer"):
        layers["incidents"]


def test_missing_column(small_layers, tmp_path):
    grids = small_layers.grids.drop(columns="households")
    path = _raw_write(small_layers, tmp_path / "d.gpkg", grids=grids)
    with pytest.raises(LayerError, match=r"lacks column.*'households'") as info:
        read_layers(path)
    assert (info.value.layer, info.value.column) == ("grids", "households")


def test_mistyped_column_names_rows(small_layers, tmp_path):
    grids = small_layers.grids.copy()
    grids["households"] = grids["households"].astype(str)
    grids.iloc[3, grids.columns.get_loc("households")] = "about 400"
    path = _raw_write(small_layers, tmp_path / "d.gpkg", grids=grids)
    with pytest.raises(LayerError, match="not whole numbers") as info:
        read_layers(path)
    assert info.value.column == "households"
    assert info.value.rows == [grids["code"].iloc[3]]
    assert "about 400" in str(info.value)


def test_numeric_codes_lose_zeros_and_are_refused(small_layers, tmp_path):
    towns = small_layers.townships.copy()
    towns["code"] = towns["code"].astype(np.int64)
    path = _raw_write(small_layers, tmp_path / "d.gpkg", townships=towns)
    with pytest.raises(LayerError, match="where text is declared") as info:
        read_layers(path)
    assert (info.value.layer, info.value.column) == ("townships", "code")


def test_malformed_code(small_layers, tmp_path):
    grids = small_layers.grids.copy()
    grids.iloc[2, grids.columns.get_loc("code")] = "33039900100"
    path = _raw_write(small_layers, tmp_path / "d.gpkg", grids=grids)
    with pytest.raises(LayerError, match=r"pattern \\d\{15\}") as info:
        read_layers(path)
    assert info.value.rows == ["33039900100"]
    assert read_layers(path, strict=False).grids["code"].iloc[2] == "33039900100"


def test_bad_choice(small_layers, tmp_path):
    zones = small_layers.patrol_zones.copy()
    zones.iloc[0, zones.columns.get_loc("level")] = "sometimes"
    path = _raw_write(small_layers, tmp_path / "d.gpkg", patrol_zones=zones)
    with pytest.raises(LayerError, match="not one of high, medium, low"):
        read_layers(path)


def test_wrong_geometry_type(small_layers, tmp_path):
    grids = small_layers.grids.copy()
    grids = grids.set_geometry(shapely.centroid(grids.geometry.values))
    path = _raw_write(small_layers, tmp_path / "d.gpkg", grids=grids)
    with pytest.raises(LayerError, match="not Polygon or MultiPolygon"):
        read_layers(path)


def test_empty_geometry(small_layers, tmp_path):
    units = small_layers.units.copy()
    units.loc[units.index[5], "geometry"] = None
    path = _raw_write(small_layers, tmp_path / "d.gpkg", units=units)
    with pytest.raises(LayerError, match="empty or missing geometry") as info:
        read_layers(path)
    assert info.value.rows == [units["unit_id"].iloc[5]]


def test_invalid_geometry_reports_the_reason(small_layers, tmp_path):
    grids = small_layers.grids.copy()
    x0, y0, x1, y1 = grids.geometry.iloc[1].bounds
    bowtie = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    grids.loc[grids.index[1], "geometry"] = bowtie
    path = _raw_write(small_layers, tmp_path / "d.gpkg", grids=grids)
    with pytest.raises(LayerError, match=r"invalid geometry.*Self-intersection"):
        read_layers(path)
    assert not read_layers(path, strict=False).grids.geometry.iloc[1].is_valid


def test_duplicate_key(small_layers, tmp_path):
    units = small_layers.units.copy()
    units.iloc[1, units.columns.get_loc("unit_id")] = units["unit_id"].iloc[0]
    path = _raw_write(small_layers, tmp_path / "d.gpkg", units=units)
    with pytest.raises(LayerError, match="repeat a key"):
        read_layers(path)


def test_no_crs(small_layers, tmp_path):
    towns = small_layers.townships.copy().set_crs(None, allow_override=True)
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        path = _raw_write(small_layers, tmp_path / "d.gpkg", townships=towns)
    with pytest.raises(LayerError, match=r"no coordinate reference system.*set_crs"):
        read_layers(path)


def test_projected_layer_is_brought_to_lonlat(small_layers, tmp_path):
    units = small_layers.units.to_crs(4549)
    path = _raw_write(small_layers, tmp_path / "d.gpkg", units=units)
    back = read_layers(path).units
    assert back.crs.to_epsg() == 4326
    gap = shapely.distance(back.geometry.values, small_layers.units.geometry.values)
    assert gap.max() < 1e-7


def test_cgcs2000_is_kept(small_layers, tmp_path):
    towns = small_layers.townships.set_crs(4490, allow_override=True)
    path = _raw_write(small_layers, tmp_path / "d.gpkg", townships=towns)
    assert read_layers(path).townships.crs.to_epsg() == 4490


def test_timestamps_survive_as_local_time(small_layers, tmp_path):
    path = write_layers(small_layers, tmp_path / "d.gpkg")
    got = read_layers(path).incidents["reported_at"]
    assert got.dt.tz is None
    assert (got.to_numpy() == small_layers.incidents["reported_at"].to_numpy()).all()


def test_failed_write_keeps_the_old_file(small_layers, tmp_path):
    path = write_layers(small_layers, tmp_path / "d.gpkg")
    before = path.read_bytes()
    grids = small_layers.grids.copy()
    grids["workers"] = grids["workers"].astype(float)
    grids.iloc[0, grids.columns.get_loc("workers")] = 1.5
    with pytest.raises(LayerError, match="workers"):
        write_layers(replace(small_layers, grids=grids), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.gpkg"]


def test_layers_object(small_layers):
    with pytest.raises(MissingLayerError, match="gridgis layers are"):
        small_layers["rivers"]
    table = describe_layers(small_layers)
    assert table.loc["grids", "features"] == len(small_layers.grids)
    assert table.loc["incidents", "geometry"] == "Point"
    assert table.loc["grids", "crs"] == "EPSG:4326"


def test_non_geodataframe_is_refused(small_layers):
    bad = replace(small_layers, units=pd.DataFrame(small_layers.units.drop(columns="geometry")))
    with pytest.raises(LayerError, match="not a GeoDataFrame"):
        bad.check()


def test_gdf_helper_types(small_layers):
    assert isinstance(small_layers.grids, gpd.GeoDataFrame)
    assert small_layers.grids["households"].dtype == np.int64
    assert small_layers.incidents["reported_at"].dtype == "datetime64[ms]"


def test_optional_column_may_be_absent_and_reads_as_nulls(small_layers, tmp_path):
    grids = small_layers.grids.drop(columns="valid_from")
    checked = Layers(small_layers.townships, small_layers.communities, grids).check()
    assert checked.grids["valid_from"].isna().all()
    assert str(checked.grids["valid_from"].dtype).startswith("datetime64")
    path = write_layers(checked, tmp_path / "d.gpkg")
    assert "valid_from" in pyogrio.read_info(path, layer="grids")["fields"]


def test_an_archive_without_the_loop_columns_reads_with_them_empty(small_layers, tmp_path):
    loop = [c.name for c in SCHEMAS["incidents"].columns if c.optional]
    assert {"progress_at", "whistle_calls", "callback_outcome", "has_photos"} <= set(loop)
    bare = small_layers.incidents.drop(columns=loop, errors="ignore")
    back = read_layers(_raw_write(small_layers, tmp_path / "d.gpkg", incidents=bare))
    assert back.incidents[loop].isna().all().all()
    assert str(back.incidents["has_photos"].dtype) == "boolean"
    assert str(back.incidents["progress_at"].dtype).startswith("datetime64")


def test_true_false_columns_take_1_and_0_and_refuse_other_values(small_layers, tmp_path):
    incidents = small_layers.incidents.copy()
    photos = np.arange(len(incidents)) % 3 == 0
    incidents["has_photos"] = np.where(photos, 1.0, 0.0)
    incidents.iloc[0, incidents.columns.get_loc("has_photos")] = np.nan
    back = read_layers(_raw_write(small_layers, tmp_path / "a.gpkg", incidents=incidents))
    got = back.incidents["has_photos"]
    assert pd.isna(got.iloc[0]) and str(got.dtype) == "boolean"
    assert (got.iloc[1:] == photos[1:]).all()
    incidents["has_photos"] = np.where(photos, "true", "False")
    back = read_layers(_raw_write(small_layers, tmp_path / "t.gpkg", incidents=incidents))
    assert back.incidents["has_photos"].dtype == bool
    assert (back.incidents["has_photos"] == photos).all()
    incidents.iloc[2, incidents.columns.get_loc("has_photos")] = "yes"
    with pytest.raises(LayerError, match="not true/false") as info:
        read_layers(_raw_write(small_layers, tmp_path / "b.gpkg", incidents=incidents))
    assert info.value.column == "has_photos"
    assert info.value.rows == [incidents["incident_id"].iloc[2]]
