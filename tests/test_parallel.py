"""The Dask path gives the single-machine answers, exactly, on the sample district.

A local cluster of two worker processes assigns the sample's incidents from a
folder of GeoParquet partitions and sums the analyses' inputs; each answer is
compared, value for value, with the one-process functions on the same data.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gridgis import write_layers
from gridgis.analysis import early_warning, grid_workload, incident_metrics
from gridgis.cli import app
from gridgis.index.files import assign_file
from gridgis.parallel import (
    area_counts_dask,
    assign_dask,
    dask_client,
    early_warning_dask,
    metrics_dask,
    workload_dask,
)
from gridgis.parallel.assign import ASSIGNED

dask_geopandas = pytest.importorskip("dask_geopandas")
PARTS = 4


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def archive(sample_layers, tmp_path_factory):
    """The sample district's GeoPackage and its incidents as one file and as partitions."""
    folder = tmp_path_factory.mktemp("parallel")
    gpkg = write_layers(sample_layers, folder / "district.gpkg")
    points = sample_layers.incidents.drop(columns=[c for c in ASSIGNED
                                                   if c in sample_layers.incidents])
    points = points.reset_index(drop=True)
    whole = folder / "points.parquet"
    points.to_parquet(whole)
    parts = folder / "points.parts"
    parts.mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(len(points)), PARTS)):
        points.iloc[chunk].to_parquet(parts / f"part.{i}.parquet")
    return gpkg, whole, parts


@pytest.fixture(scope="module")
def incidents(sample_layers, tmp_path_factory):
    """The sample's incidents layer (assigned, with their loop's times) in partitions."""
    folder = tmp_path_factory.mktemp("incidents") / "incidents.parts"
    folder.mkdir()
    frame = sample_layers.incidents
    for i, chunk in enumerate(np.array_split(np.arange(len(frame)), PARTS)):
        frame.iloc[chunk].to_parquet(folder / f"part.{i}.parquet")
    return folder


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(frame.drop(columns="geometry")).reset_index(drop=True)
    for column in ("grid_code", "community_code", "township_code", "patrol_level", "match"):
        text = out[column].astype(object)
        out[column] = text.where(pd.notna(text), None).astype(object)
    return out


def test_assignment_on_the_cluster_is_the_single_machines(client, archive, tmp_path):
    gpkg, whole, parts = archive
    single = tmp_path / "single.parquet"
    counts = assign_file(whole, gpkg, single)
    spread = tmp_path / "spread.parquet"
    dask_counts = assign_dask(parts, gpkg, spread, client=client)
    assert len(list(spread.glob("*.parquet"))) == PARTS  # one output file a partition
    one, many = gpd.read_parquet(single), gpd.read_parquet(spread)
    assert list(many.columns) == list(one.columns)
    pd.testing.assert_frame_equal(_comparable(many), _comparable(one), check_exact=True,
                                  check_dtype=False, check_categorical=False)
    assert many.geometry.geom_equals_exact(one.geometry, tolerance=0).all()
    assert dask_counts["points"].sort_index().to_dict() == \
        counts["points"].sort_index().to_dict()
    assert (one["match"] == "inside").mean() > 0.5  # the sample's points do lie in grids


def test_the_command_runs_on_a_scheduler_address(client, archive, tmp_path):
    gpkg, whole, parts = archive
    out = tmp_path / "assigned.parquet"
    result = CliRunner().invoke(app, ["assign", str(parts), str(gpkg), "-o", str(out),
                                      "--dask-scheduler", client.scheduler.address])
    assert result.exit_code == 0, result.output
    assert "Dask" in result.output and "inside" in result.output
    assert len(gpd.read_parquet(out)) == len(gpd.read_parquet(whole))


def test_a_dask_output_must_be_a_geoparquet_folder(client, archive, tmp_path):
    gpkg, _, parts = archive
    result = CliRunner().invoke(app, ["assign", str(parts), str(gpkg), "-o",
                                      str(tmp_path / "out.csv"), "--dask-scheduler",
                                      client.scheduler.address])
    assert result.exit_code != 0 and "parquet" in result.output


@pytest.mark.parametrize("by", [(), "township_code", ["grid_code", "category"], "month",
                                ["week", "source"]])
def test_rates_on_the_cluster_are_the_single_machines(client, incidents, sample_layers, by):
    spread = dask_geopandas.read_parquet(str(incidents))
    assert spread.npartitions == PARTS
    expected = incident_metrics(sample_layers.incidents, by=by)
    got = metrics_dask(spread, by=by)
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_dtype=False,
                                  check_index_type=False, check_names=True)
    assert int(got["incidents"].sum()) == len(sample_layers.incidents)


def test_the_hotspots_input_on_the_cluster(client, incidents, sample_layers):
    counts = area_counts_dask(dask_geopandas.read_parquet(str(incidents)), "grid_code")
    expected = sample_layers.incidents["grid_code"].dropna().astype(str).value_counts()
    assert counts.to_dict() == expected.to_dict()
    on_grids = counts.reindex(sample_layers.grids["code"], fill_value=0)
    assert int(on_grids.sum()) == int(sample_layers.incidents["grid_code"].notna().sum())


@pytest.mark.parametrize("options", [{}, {"level": "grid", "window_days": 14},
                                     {"level": "district", "baseline_days": 90},
                                     {"level": "community", "categories": ["D01", "E02"]}])
def test_early_warning_on_the_cluster_is_the_single_machines(client, incidents, sample_layers,
                                                             options):
    expected = early_warning(sample_layers.incidents, **options)
    got = early_warning_dask(dask_geopandas.read_parquet(str(incidents)), **options)
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_dtype=False,
                                  check_index_type=False)
    assert got.attrs == expected.attrs
    if not options:  # the sample's planted surge is found on both
        assert got["alert"].any()


def test_workload_on_the_cluster_is_the_single_machines(client, incidents, sample_layers):
    expected = grid_workload(sample_layers.grids, incidents=sample_layers.incidents,
                             zones=sample_layers.patrol_zones)
    got = workload_dask(sample_layers.grids, dask_geopandas.read_parquet(str(incidents)),
                        zones=sample_layers.patrol_zones)
    pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                  pd.DataFrame(expected.drop(columns="geometry")),
                                  check_exact=True)
    assert got["incidents"].sum() == sample_layers.incidents["grid_code"].notna().sum()
