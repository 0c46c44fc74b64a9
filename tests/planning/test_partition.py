"""Auto-partition: grids within bounds, contiguous, tiling the community; plans that validate."""

from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from gridgis import read_layers, write_layers
from gridgis.cli import app
from gridgis.crs import local_crs
from gridgis.errors import PlanError
from gridgis.planning.edges import EdgeModel
from gridgis.planning.metrics import plan_metrics, plan_summary
from gridgis.planning.partition import auto_partition, partition_layers
from gridgis.planning.validate import validate

BOUNDS = (300, 500)


def _urban(layers):
    kind = layers.communities.set_index("code")["kind"]
    return [c for c in kind.index if kind[c] == "urban"]


def _check_tiles(community, grids, crs):
    """Tiles in the one edge model: topology in lon/lat, areas (m²) on densified edges."""
    model = EdgeModel(crs)
    geoms = grids.to_crs(4326).geometry.to_numpy()
    covered = shapely.union_all(geoms)
    m2 = model.area_m2
    assert m2([shapely.difference(community, covered)])[0] < 1.0  # no gap
    assert abs(m2(geoms).sum() - m2([covered])[0]) < 1.0  # no overlap
    assert m2([shapely.difference(covered, community)])[0] < 1.0  # nothing outside


def _partition_one(job):
    community, buildings = job
    return auto_partition(community, buildings, households=BOUNDS)


def test_every_urban_community_of_the_sample_partitions_within_bounds(sample_layers):
    crs = local_crs(sample_layers.communities)
    communities = sample_layers.communities.set_index("code", drop=False)
    buildings = sample_layers.buildings
    community_of = buildings["grid_code"].str[:12]
    codes = _urban(sample_layers)
    jobs = [(communities.loc[[code]], buildings[community_of == code]) for code in codes]
    # one community per process, as many at once as there are cores (the communities are
    # independent; each run keeps its own time budget on its own main thread)
    workers = min(len(jobs), os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_partition_one, jobs))
    all_metrics = []
    for code, (_, mine), result in zip(codes, jobs, results, strict=True):
        grids = result.grids
        total = int(mine["households"].sum())
        assert grids["households"].sum() == total
        assert len(grids) >= math.ceil(total / BOUNDS[1])
        _check_tiles(communities.loc[[code]].to_crs(4326).geometry.iloc[0], grids, crs)
        metrics = plan_metrics(grids, households=BOUNDS)
        assert metrics["contiguous"].all(), code
        all_metrics.append(metrics)
        assert set(result.building_region) == set(grids["code"])
    summary = plan_summary(pd.concat(all_metrics))
    print("urban auto-partition:", summary)  # the closing note quotes these
    assert summary["share_within_bounds"] >= 0.95
    assert summary["share_contiguous"] == 1.0
    assert summary["mean_polsby_popper"] > 0.3


def test_a_grid_drawn_again_unchanged_keeps_its_code(sample_layers):
    # a community of one grid, partitioned again into one grid: same shape, same code
    grids = sample_layers.grids
    counts = grids.groupby("community_code").size()
    urban = set(_urban(sample_layers))
    code = next(c for c in counts.index if counts[c] == 1 and c in urban)
    plan = partition_layers(sample_layers, code, households=BOUNDS)
    old = grids[grids["community_code"] == code]
    new = plan.grids[plan.grids["community_code"] == code]
    assert list(new.index) == list(old.index)


def test_partitioned_plan_validates_and_keeps_everything_else(small_layers):
    code = max(_urban(small_layers),
               key=lambda c: small_layers.grids.loc[small_layers.grids["community_code"] == c,
                                                    "households"].sum())
    plan = partition_layers(small_layers, code, households=BOUNDS, force=True)
    report = validate(plan)
    assert report.ok, report.errors.drop(columns="geometry")
    old = small_layers.grids[small_layers.grids["community_code"] == code]
    new = plan.grids[plan.grids["community_code"] == code]
    # a new grid covering most of an old one keeps its code, the others take the next
    # free numbers: never a code of another grid of the old plan
    crs = local_crs(small_layers.grids)
    o, w = old.to_crs(crs), new.to_crs(crs)
    last = max(int(c[12:]) for c in old.index)
    for c, geom in zip(w.index, w.geometry, strict=True):
        if c in o.index:
            assert shapely.area(shapely.intersection(geom, o.geometry[c])) >= \
                0.5 * o.geometry[c].area
        else:
            assert int(c[12:]) > last
    assert len(set(new.index)) == len(new)
    others = small_layers.grids[small_layers.grids["community_code"] != code]
    assert plan.grids.loc[others.index].geometry.geom_equals(others.geometry).all()
    moved = plan.buildings["grid_code"].str[:12] == code
    assert set(plan.buildings.loc[moved, "grid_code"]) == set(new.index)
    assert plan.buildings["households"].sum() == small_layers.buildings["households"].sum()
    assert plan.patrol_zones["grid_code"].isin(plan.grids.index).all()
    assert small_layers.grids.loc[old.index].shape[0] == len(old)  # input untouched


def test_small_community_gets_one_grid(sample_layers):
    communities = sample_layers.communities.set_index("code", drop=False)
    households = sample_layers.buildings.groupby(
        sample_layers.buildings["grid_code"].str[:12])["households"].sum()
    code = households[households <= BOUNDS[1]].index[0]
    mine = sample_layers.buildings[sample_layers.buildings["grid_code"].str[:12] == code]
    result = auto_partition(communities.loc[[code]], mine)
    assert len(result.grids) == 1
    assert result.grids["households"].iloc[0] == households[code]


def test_bad_requests_are_refused(small_layers):
    with pytest.raises(PlanError, match="no community"):
        partition_layers(small_layers, "330399999999")
    code = small_layers.communities["code"].iloc[0]
    with pytest.raises(PlanError, match="0 < min <= max"):
        partition_layers(small_layers, code, households=(500, 300))


def test_metrics_measure_compactness_and_balance(small_layers):
    grids = small_layers.grids
    metrics = plan_metrics(grids)
    square = grids.iloc[[0]].copy()
    x, y = square.geometry.iloc[0].representative_point().coords[0]
    square = square.set_geometry([shapely.box(x, y, x + 0.001, y + 0.001)], crs=grids.crs)
    assert plan_metrics(square)["polsby_popper"].iloc[0] == pytest.approx(math.pi / 4,
                                                                          rel=0.02)
    mean = grids.groupby("community_code")["households"].transform("mean")
    np.testing.assert_allclose(metrics["deviation"], grids["households"] / mean - 1)
    assert metrics["within_bounds"].sum() == grids["households"].between(300, 500).sum()


def test_partition_command_writes_a_new_plan(small_layers, tmp_path):
    source = write_layers(small_layers, tmp_path / "plan.gpkg")
    code = _urban(small_layers)[0]
    out = tmp_path / "new.gpkg"
    result = CliRunner().invoke(app, ["partition", str(source), code, "-o", str(out),
                                      "--force"])
    assert result.exit_code == 0, result.output
    assert "share_within_bounds" in result.output
    assert validate(read_layers(out)).ok
    same = CliRunner().invoke(app, ["partition", str(source), code, "-o", str(source)])
    assert same.exit_code == 2
