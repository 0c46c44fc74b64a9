"""Plan versions: adopting a redraw keeps the old grids, and points are located as of a date."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from gridgis import GridIndex, read_layers, write_layers
from gridgis.cli import app
from gridgis.errors import PlanError
from gridgis.planning.versions import PlanHistory, adopt_plan, plan_as_of, plan_dates

FIRST = pd.Timestamp("2026-05-01")
SECOND = pd.Timestamp("2026-08-01")


def _neighbours(grids):
    """Two grids of one community that share an edge (lowest codes first)."""
    for _, group in grids.groupby("community_code"):
        group = group.sort_values("code")
        for i, a in enumerate(group.itertuples()):
            for b in group.iloc[i + 1:].itertuples():
                if shapely.intersection(a.geometry, b.geometry).length > 1e-5:
                    return a.code, b.code
    raise AssertionError("no neighbouring grids")


def _merged(layers, a: str, b: str, new_code: str):
    """The district with grids a and b merged into a new grid ``new_code``."""
    grids = layers.grids
    union = shapely.union(grids.loc[a, "geometry"], grids.loc[b, "geometry"])
    row = grids.loc[[a]].copy()
    row.index = [new_code]
    row["code"] = new_code
    row["name"] = "merged grid"
    row["households"] = int(grids.loc[[a, b], "households"].sum())
    row["population"] = int(grids.loc[[a, b], "population"].sum())
    row = row.set_geometry([union], crs=grids.crs)
    new_grids = pd.concat([grids.drop(index=[a, b]), row])
    new_grids = new_grids.set_crs(grids.crs, allow_override=True)
    buildings = layers.buildings.copy()
    buildings.loc[buildings["grid_code"].isin([a, b]), "grid_code"] = new_code
    zones = layers.patrol_zones.copy()
    zones.loc[zones["grid_code"].isin([a, b]), "grid_code"] = new_code
    return replace(layers, grids=new_grids, buildings=buildings, patrol_zones=zones)


def _free_code(grids, community: str) -> str:
    taken = {int(c[12:]) for c in grids["code"] if c.startswith(community)}
    return f"{community}{max(taken) + 1:03d}"


@pytest.fixture(scope="module")
def redrawn(small_layers):
    a, b = _neighbours(small_layers.grids)
    new_code = _free_code(small_layers.grids, a[:12])
    proposed = _merged(small_layers, a, b, new_code)
    return a, b, new_code, adopt_plan(small_layers, proposed, FIRST)


def test_adopting_a_redraw_keeps_the_retired_grids_with_their_dates(small_layers, redrawn):
    a, b, new_code, district = redrawn
    history = district.grid_history
    assert sorted(history["code"]) == sorted([a, b])
    assert (history["valid_to"] == FIRST).all()
    assert history["valid_from"].isna().all()
    assert set(history["version_id"]) == {f"{a}@2026-05-01", f"{b}@2026-05-01"}
    assert shapely.equals(history.set_index("code").loc[a, "geometry"],
                          small_layers.grids.loc[a, "geometry"])
    assert district.grids.loc[new_code, "valid_from"] == FIRST
    untouched = district.grids.drop(index=new_code)
    assert untouched["valid_from"].isna().all()
    assert len(district.grids) == len(small_layers.grids) - 1
    assert plan_dates(district) == [FIRST]
    assert small_layers.grid_history is None  # the input is left alone


def test_plan_as_of_gives_the_old_grids_before_and_the_new_after(small_layers, redrawn):
    a, _b, new_code, district = redrawn
    before = plan_as_of(district, "2026-04-30 23:59")
    after = plan_as_of(district, FIRST)
    assert set(before["code"]) == set(small_layers.grids["code"])
    assert set(after["code"]) == set(district.grids["code"])
    assert new_code not in set(before["code"]) and a not in set(after["code"])
    area = shapely.area(before.geometry.to_numpy()).sum()
    assert area == pytest.approx(shapely.area(after.geometry.to_numpy()).sum(), rel=1e-9)


def test_history_survives_the_geopackage(redrawn, tmp_path):
    *_, district = redrawn
    back = read_layers(write_layers(district, tmp_path / "d.gpkg"))
    assert back.grid_history is not None
    pd.testing.assert_series_equal(back.grid_history["valid_to"].reset_index(drop=True),
                                   district.grid_history["valid_to"].reset_index(drop=True))
    assert plan_dates(back) == [FIRST]


def test_incidents_are_located_in_the_plan_of_their_day(small_layers, redrawn):
    a, b, new_code, district = redrawn
    rng = np.random.default_rng(5)
    merged = district.grids.loc[new_code, "geometry"]
    x0, y0, x1, y1 = merged.bounds
    lon = rng.uniform(x0, x1, 400)
    lat = rng.uniform(y0, y1, 400)
    at = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.uniform(0, 240, 400), unit="D")
    got = PlanHistory(district).assign(lon, lat, at)
    old = GridIndex.from_layers(small_layers).assign(lon=lon, lat=lat)
    new = GridIndex.from_layers(district).assign(lon=lon, lat=lat)
    early = np.asarray(at < FIRST)
    assert early.any() and (~early).any()
    expect = np.where(early, old["grid_code"].astype(object), new["grid_code"].astype(object))
    assert list(got["grid_code"].astype(object)) == list(expect)
    assert got["grid_code"].astype(object).isin([a, b]).sum() > 0
    assert (got["grid_code"].astype(object)[~early] != a).all()
    assert (got.loc[early, "plan_start"].isna()).all()
    assert (got.loc[~early, "plan_start"] == FIRST).all()
    one = PlanHistory(district).locate(float(lon[0]), float(lat[0]), at=at[0])
    assert one.grid_code == expect[0]


def test_a_second_redraw_gives_three_plans(small_layers, redrawn):
    _a, _b, new_code, district = redrawn
    c, d = _neighbours(district.grids.drop(index=new_code))
    second = adopt_plan(district, _merged(district, c, d, _free_code(district.grids, c[:12])),
                        SECOND)
    periods = PlanHistory(second).periods()
    assert list(periods["grids"]) == [len(small_layers.grids), len(small_layers.grids) - 1,
                                      len(small_layers.grids) - 2]
    assert list(periods["start"].iloc[1:]) == [FIRST, SECOND]
    middle = plan_as_of(second, "2026-06-15")
    assert set(middle["code"]) == set(district.grids["code"])


def test_adopting_out_of_order_or_unchanged_is_refused(small_layers, redrawn):
    *_, district = redrawn
    with pytest.raises(PlanError, match="date order"):
        adopt_plan(district, district, "2026-04-01")
    with pytest.raises(PlanError, match="nothing to adopt"):
        adopt_plan(small_layers, small_layers, FIRST)
    with pytest.raises(PlanError, match="not a date"):
        adopt_plan(small_layers, small_layers, "someday")


def test_adopt_command_writes_a_district_with_both_plans(small_layers, redrawn, tmp_path):
    a, b, _new_code, district = redrawn
    current = write_layers(small_layers, tmp_path / "current.gpkg")
    proposed = write_layers(replace(district, grid_history=None), tmp_path / "proposed.gpkg")
    out = tmp_path / "adopted.gpkg"
    result = CliRunner().invoke(app, ["adopt", str(current), str(proposed), "--effective",
                                      "2026-05-01", "-o", str(out)])
    assert result.exit_code == 0, result.output
    back = read_layers(out)
    assert sorted(back.grid_history["code"]) == sorted([a, b])
    assert "2026-05-01" in result.output
    assert "nan" not in result.output and "NaT" not in result.output  # open ends show "—"
    refused = CliRunner().invoke(app, ["adopt", str(current), str(proposed), "--effective",
                                       "2026-05-01", "-o", str(current)])
    assert refused.exit_code == 2
    assert read_layers(current).grid_history is None
