import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from gridgis.cli import app
from gridgis.crs import wgs84_to_gcj02
from gridgis.index.files import assign_file


def test_csv_in_gcj02_out_csv(small_layers, small_gpkg, tmp_path):
    inc = small_layers.incidents.iloc[:300]
    lon, lat = wgs84_to_gcj02(inc.geometry.x.to_numpy(), inc.geometry.y.to_numpy())
    src = tmp_path / "phones.csv"
    pd.DataFrame({"id": inc["incident_id"].to_numpy(), "x": lon, "y": lat}).to_csv(src,
                                                                               index=False)
    out = tmp_path / "out.csv"
    counts = assign_file(src, small_gpkg, out, lon_col="x", lat_col="y", crs="gcj02",
                         chunk_size=100)
    got = pd.read_csv(out, dtype={"grid_code": str})
    assert list(got["id"]) == list(inc["incident_id"])
    assert (got["grid_code"].to_numpy() == inc["grid_code"].to_numpy()).all()
    assert counts.loc["inside", "points"] == 300


def test_geopackage_and_parquet_round_trip(small_layers, small_gpkg, tmp_path):
    out = tmp_path / "assigned.gpkg"
    assign_file(small_gpkg, small_gpkg, out)
    got = gpd.read_file(out, layer="assigned")
    assert len(got) == len(small_layers.incidents)
    assert (got["grid_code"].to_numpy() == small_layers.incidents["grid_code"].to_numpy()).all()
    pq = tmp_path / "in.parquet"
    small_layers.incidents.iloc[:50].to_parquet(pq)
    assign_file(pq, small_gpkg, tmp_path / "out.parquet")
    assert len(gpd.read_parquet(tmp_path / "out.parquet")) == 50


def test_cli_assign_and_its_errors(small_gpkg, tmp_path):
    runner = CliRunner()
    out = tmp_path / "o.csv"
    src = tmp_path / "p.csv"
    pd.DataFrame({"lon": [120.6, float("nan")], "lat": [28.0, 28.0]}).to_csv(src, index=False)
    r = runner.invoke(app, ["assign", str(src), str(small_gpkg), "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out)["match"].iloc[1] == "invalid"
    r = runner.invoke(app, ["assign", str(src), str(small_gpkg), "-o", str(out),
                            "--lon-col", "east", "-q"])
    assert r.exit_code == 2 and "no column 'east'" in r.output
    r = runner.invoke(app, ["assign", str(tmp_path / "none.csv"), str(small_gpkg), "-o",
                            str(out)])
    assert r.exit_code == 2


@pytest.mark.parametrize("name", ["points.txt"])
def test_unknown_format(small_gpkg, tmp_path, name):
    (tmp_path / name).write_text("x")
    with pytest.raises(Exception, match="unknown format"):
        assign_file(tmp_path / name, small_gpkg, tmp_path / "o.csv")
