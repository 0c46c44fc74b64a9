"""``gridgis import``: a planner's vendor files (GCJ-02 Shapefile, GK GeoJSON, Excel) in."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from gridgis.cli.application import app
from gridgis.crs import from_wgs84, gauss_kruger_epsg
from gridgis.errors import SourceFileError
from gridgis.layers import Layers, read_layers
from gridgis.planning.importing import import_district

MAPPING = """\
district_code = "{district}"

[layers.townships]
file = "townships.gpkg"
crs = "wgs84"
[layers.townships.columns]
code = "code"
name = "name"
district_code = "district_code"

[layers.communities]
file = "communities.geojson"
crs = "EPSG:{gk}"
[layers.communities.columns]
code = "社区编码"
name = "社区名称"
township_code = "所属街道"
kind = "类型"

[layers.grids]
file = "{grids}"
crs = "gcj02"
[layers.grids.columns]
code = "{code_column}"
name = "名称"
community_code = "社区"
workers = "人员"
worker_names = "网格员"

[[joins]]
file = "households.xlsx"
layer = "grids"
by = "code"
key = "网格编码"
[joins.columns]
households = "户数"
population = "人口"
"""


def _gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], "gcj02"))
    # a vendor's GCJ-02 edges are short (~10 m): the importer's densified conversion
    # then follows the straight WGS84 edges to the millimetre
    dense = shapely.segmentize(np.asarray(frame.geometry.array), 1e-4)
    return gpd.GeoSeries(shapely.transform(dense, shift), crs=4326)


@pytest.fixture(scope="module")
def vendor(small_layers: Layers, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small district as a vendor would deliver it, with a mapping file."""
    folder = tmp_path_factory.mktemp("vendor")
    small_layers.townships.reset_index(drop=True).to_file(folder / "townships.gpkg",
                                                           engine="pyogrio")
    gk = gauss_kruger_epsg(float(small_layers.grids.total_bounds[[0, 2]].mean()))
    c = small_layers.communities.reset_index(drop=True)
    communities = gpd.GeoDataFrame(
        {"社区编码": c["code"], "社区名称": c["name"], "所属街道": c["township_code"],
         "类型": c["kind"]}, geometry=c.geometry.to_crs(gk).to_numpy(), crs=gk)
    communities.to_file(folder / "communities.geojson", driver="GeoJSON", engine="pyogrio")
    g = small_layers.grids.reset_index(drop=True)
    grids = gpd.GeoDataFrame(  # Shapefile field names are at most 10 bytes: short Chinese names
        {"编码": g["code"], "名称": g["name"], "社区": g["community_code"],
         "人员": g["workers"], "网格员": g["worker_names"]},
        geometry=_gcj02(g).to_numpy(), crs=4326)  # vendors label GCJ-02 as WGS84
    grids.to_file(folder / "grids.shp", engine="pyogrio", encoding="UTF-8")
    bad = grids.copy()
    bad.loc[4, "编码"] = "33039900100X001"
    bad.to_file(folder / "bad_grids.shp", engine="pyogrio", encoding="UTF-8")
    pd.DataFrame({"网格编码": g["code"], "户数": g["households"],
                  "人口": g["population"]}).iloc[::-1].to_excel(
        folder / "households.xlsx", index=False, engine="openpyxl")
    district = str(small_layers.townships["district_code"].iloc[0])
    (folder / "mapping.toml").write_text(MAPPING.format(
        district=district, gk=gk, grids="grids.shp", code_column="编码"), encoding="utf-8")
    (folder / "unknown_column.toml").write_text(MAPPING.format(
        district=district, gk=gk, grids="grids.shp", code_column="网格号"), encoding="utf-8")
    (folder / "bad_code.toml").write_text(MAPPING.format(
        district=district, gk=gk, grids="bad_grids.shp", code_column="编码"), encoding="utf-8")
    (folder / "no_crs.toml").write_text(MAPPING.format(
        district=district, gk=gk, grids="grids.shp", code_column="编码").replace(
        'crs = "gcj02"\n', ""), encoding="utf-8")
    return folder


def _max_distance_m(a: gpd.GeoSeries, b: gpd.GeoSeries, epsg: int) -> float:
    # densified first: a long lon/lat edge bows away from its chord in the GK plane
    pa, pb = (gpd.GeoSeries(shapely.segmentize(np.asarray(s.array), 1e-4), crs=s.crs).to_crs(epsg)
              for s in (a, b))
    return float(max(shapely.hausdorff_distance(x, y) for x, y in zip(pa, pb, strict=True)))


def test_import_gives_back_the_district_within_centimetres(
        vendor: Path, small_layers: Layers, tmp_path: Path) -> None:
    out = tmp_path / "imported.gpkg"
    result = CliRunner().invoke(app, ["import", str(vendor / "mapping.toml"), str(out)])
    assert result.exit_code == 0, result.output
    imported = read_layers(out)
    gk = gauss_kruger_epsg(float(small_layers.grids.total_bounds[[0, 2]].mean()))
    for name in ("townships", "communities", "grids"):
        want = getattr(small_layers, name).sort_values("code").reset_index(drop=True)
        got = getattr(imported, name).sort_values("code").reset_index(drop=True)
        assert list(got["code"]) == list(want["code"])
        columns = [c for c in want.columns if c not in ("geometry", "valid_from")]
        pd.testing.assert_frame_equal(pd.DataFrame(got[columns]), pd.DataFrame(want[columns]),
                                      check_dtype=False)
        assert _max_distance_m(got.geometry, want.geometry, gk) < 0.01, name
    # the GCJ-02 offset (hundreds of metres) was removed vertex by vertex
    raw = gpd.read_file(vendor / "grids.shp", engine="pyogrio")
    assert _max_distance_m(raw.geometry.set_crs(4326, allow_override=True),
                           small_layers.grids.reset_index(drop=True).geometry, gk) > 50
    checked = CliRunner().invoke(app, ["validate", str(out)])
    assert checked.exit_code == 0, checked.output  # a clean plan stays clean
    assert CliRunner().invoke(app, ["info", str(out)]).exit_code == 0


def test_codes_are_issued_when_missing(vendor: Path, small_layers: Layers,
                                       tmp_path: Path) -> None:
    text = (vendor / "mapping.toml").read_text(encoding="utf-8")
    text = text.replace('code = "编码"\n', "").replace(
        'crs = "gcj02"\n', 'crs = "gcj02"\nissue_codes = true\n').replace(
        '[[joins]]', '[layers.grids.values]\nhouseholds = 0\npopulation = 0\n\n#')
    text = text.split("\n#")[0] + "\n"
    mapping = tmp_path / "issue.toml"
    mapping.write_text(text.replace('file = "', f'file = "{vendor}/'), encoding="utf-8")
    layers, report = import_district(mapping, tmp_path / "issued.gpkg")
    grids = layers.grids
    assert len(report.issued["grids"]) == len(small_layers.grids)
    assert grids["code"].is_unique
    assert all(c.startswith(p) for c, p in zip(grids["code"], grids["community_code"],
                                               strict=True))


@pytest.mark.parametrize(("mapping", "needles"), [
    ("unknown_column.toml", ["grids.shp", "网格号", "编码"]),
    ("bad_code.toml", ["bad_grids.shp", "第 5 行", "「编码」", "33039900100X001"]),
    ("no_crs.toml", ["no_crs.toml", "layers.grids.crs", "grids.shp", "坐标系"]),
])
def test_bad_inputs_name_the_file_row_and_column(vendor: Path, tmp_path: Path, mapping: str,
                                                 needles: list[str]) -> None:
    with pytest.raises(SourceFileError) as caught:
        import_district(vendor / mapping, tmp_path / "out.gpkg")
    for needle in needles:
        assert needle in str(caught.value)
    result = CliRunner().invoke(app, ["import", str(vendor / mapping), str(tmp_path / "o.gpkg")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.gpkg").exists()


def test_a_household_list_row_without_a_grid_is_named(vendor: Path, tmp_path: Path) -> None:
    table = pd.read_excel(vendor / "households.xlsx", dtype=str)
    table.loc[2, "网格编码"] = "330399009009009"
    table.to_excel(tmp_path / "households.xlsx", index=False)
    text = (vendor / "mapping.toml").read_text(encoding="utf-8")
    text = text.replace('file = "', f'file = "{vendor}/').replace(
        f'{vendor}/households.xlsx', str(tmp_path / "households.xlsx"))
    (tmp_path / "m.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SourceFileError, match=r"households\.xlsx 第 4 行 列「网格编码」"):
        import_district(tmp_path / "m.toml", tmp_path / "out.gpkg")


def _bd09(frame: gpd.GeoDataFrame) -> np.ndarray:
    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(from_wgs84(xy[:, 0], xy[:, 1], "bd09"))
    return shapely.transform(np.asarray(frame.geometry.array), shift)


def test_households_by_address_from_buildings_in_bd09(vendor: Path, small_layers: Layers,
                                                       tmp_path: Path) -> None:
    b = small_layers.buildings.reset_index(drop=True)
    addresses = [f"梅圩路{i + 1}号" for i in range(len(b))]
    gpd.GeoDataFrame({"楼栋编号": b["building_id"], "地址": addresses},
                     geometry=_bd09(b), crs=4326).to_file(
        tmp_path / "buildings.gpkg", layer="楼栋", engine="pyogrio")
    pd.DataFrame({"门牌地址": addresses, "户数": b["households"],
                  "人数": b["population"]}).sample(frac=1.0, random_state=3).to_csv(
        tmp_path / "buildings.csv", index=False, encoding="utf-8-sig")
    text = (vendor / "mapping.toml").read_text(encoding="utf-8").split("[[joins]]")[0]
    text = text.replace('file = "', f'file = "{vendor}/').replace(
        'crs = "gcj02"\n', 'crs = "gcj02"\ntotals_from = "buildings"\n')
    text += f"""
[layers.buildings]
file = "{tmp_path}/buildings.gpkg"
layer = "楼栋"
crs = "bd-09"
[layers.buildings.columns]
building_id = "楼栋编号"

[[joins]]
file = "buildings.csv"
layer = "buildings"
by = "地址"
key = "门牌地址"
[joins.columns]
households = "户数"
population = "人数"
"""
    (tmp_path / "m.toml").write_text(text, encoding="utf-8")
    layers, report = import_district(tmp_path / "m.toml", tmp_path / "out.gpkg")
    assert report.joined == {"buildings.csv": len(b)}
    got = layers.buildings.set_index("building_id").loc[b["building_id"]]
    assert list(got["grid_code"]) == list(b["grid_code"])  # located in the imported grids
    assert list(got["households"]) == list(b["households"])
    gk = gauss_kruger_epsg(float(small_layers.grids.total_bounds[[0, 2]].mean()))
    assert _max_distance_m(gpd.GeoSeries(got.geometry.to_numpy(), crs=4326), b.geometry,
                           gk) < 0.01
    grids = layers.grids.set_index("code").loc[small_layers.grids.index]
    assert list(grids["households"]) == list(small_layers.grids["households"])
    assert list(grids["population"]) == list(small_layers.grids["population"])


@pytest.mark.parametrize(("edit", "needles"), [
    (('crs = "gcj02"', 'crs = "mars"'), ["mapping.toml", "layers.grids.crs", "mars"]),
    (("[layers.grids.columns]", "[layers.grids.columns]\nheight = \"高度\""),
     ["mapping.toml", "layers.grids.columns.height"]),
    (('key = "网格编码"', 'key = "编号"'), ["households.xlsx", "「编号」", "网格编码"]),
])
def test_mapping_mistakes_are_named(vendor: Path, tmp_path: Path, edit: tuple[str, str],
                                    needles: list[str]) -> None:
    text = (vendor / "mapping.toml").read_text(encoding="utf-8").replace(*edit)
    (tmp_path / "mapping.toml").write_text(
        text.replace('file = "', f'file = "{vendor}/'), encoding="utf-8")
    with pytest.raises(SourceFileError) as caught:
        import_district(tmp_path / "mapping.toml", tmp_path / "out.gpkg")
    for needle in needles:
        assert needle in str(caught.value)


def test_a_gbk_shapefile_without_cpg_is_read_with_the_mapped_encoding(
        vendor: Path, small_layers: Layers, tmp_path: Path) -> None:
    grids = gpd.read_file(vendor / "grids.shp", engine="pyogrio")
    grids.to_file(tmp_path / "grids.shp", engine="pyogrio", encoding="GBK")
    (tmp_path / "grids.cpg").unlink(missing_ok=True)  # as many vendors deliver them
    for suffix in (".shp", ".shx", ".dbf", ".prj"):
        (tmp_path / f"grids{suffix}").rename(tmp_path / f"网格{suffix}")
    text = (vendor / "mapping.toml").read_text(encoding="utf-8")
    text = text.replace('file = "', f'file = "{vendor}/').replace(
        f'{vendor}/grids.shp"', f'{tmp_path}/网格.shp"\nencoding = "GBK"')
    (tmp_path / "m.toml").write_text(text, encoding="utf-8")
    layers, _ = import_district(tmp_path / "m.toml", tmp_path / "out.gpkg")
    names = layers.grids.set_index("code").loc[small_layers.grids.index, "name"]
    assert list(names) == list(small_layers.grids["name"])


@pytest.mark.parametrize(("edit", "needles"), [
    (('crs = "EPSG:', 'crs = "EPSG:32650" #'), ["communities.geojson", "不符"]),  # UTM 50N
    (('crs = "EPSG:', 'crs = "gcj02"\n#'), ["communities.geojson", "投影"]),
])
def test_a_crs_that_contradicts_the_file_is_refused(vendor: Path, tmp_path: Path,
                                                    edit: tuple[str, str],
                                                    needles: list[str]) -> None:
    text = (vendor / "mapping.toml").read_text(encoding="utf-8").replace(*edit)
    (tmp_path / "m.toml").write_text(text.replace('file = "', f'file = "{vendor}/'),
                                     encoding="utf-8")
    with pytest.raises(SourceFileError) as caught:
        import_district(tmp_path / "m.toml", tmp_path / "out.gpkg")
    for needle in needles:
        assert needle in str(caught.value)
