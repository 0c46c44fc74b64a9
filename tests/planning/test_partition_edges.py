"""Partition on the one edge model: grids end on the community edges; no worse plan unasked."""

from __future__ import annotations

import pytest
import shapely
from typer.testing import CliRunner

from gridgis import read_layers, write_layers
from gridgis.cli import app
from gridgis.errors import PlanError, PlanWorseError
from gridgis.planning.metrics import OBJECTIVES, compare_plans
from gridgis.planning.partition import partition_layers
from gridgis.planning.validate import validate

URBAN = "330399001002"  # two grids; a redraw balances them better but is less compact
VILLAGE = "330399001201"
GEOMETRY = ["overlap", "gap", "outside_community", "multipart", "invalid_geometry"]


def _exact(plan, code):
    """The redrawn grids tile their community to the millimetre."""
    report = validate(plan, width_tolerance_m=0.001, overlap_tolerance_m2=0.0,
                      gap_tolerance_m2=0.0, outside_tolerance_m2=0.0)
    errors = report.errors[report.errors["rule"].isin(GEOMETRY)]
    assert errors.empty, errors.drop(columns="geometry")
    community = plan.communities.set_index("code").geometry[code]
    grids = plan.grids[plan.grids["community_code"] == code].geometry.to_numpy()
    assert shapely.area(shapely.symmetric_difference(shapely.union_all(grids), community)) \
        < 1e-14  # square degrees: about 1e-4 m²


def test_redrawn_village_grids_end_on_the_community_edges(small_layers):
    plan = partition_layers(small_layers, VILLAGE)  # balance: not worse here
    assert validate(plan).ok
    _exact(plan, VILLAGE)


def test_a_worse_redraw_is_refused_with_both_plans_figures(small_layers, tmp_path):
    source = write_layers(small_layers, tmp_path / "plan.gpkg")
    out = tmp_path / "new.gpkg"
    runner = CliRunner()
    refused = runner.invoke(app, ["partition", str(source), URBAN, "-o", str(out),
                                  "--objective", "compactness"])
    assert refused.exit_code == 2, refused.output
    assert "比现行方案差" in refused.output and "mean_polsby_popper" in refused.output
    assert "现行 current" in refused.output and not out.exists()
    forced = runner.invoke(app, ["partition", str(source), URBAN, "-o", str(out),
                                 "--objective", "compactness", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "现行 current" in forced.output and "方案 proposed" in forced.output
    plan = read_layers(out)
    assert validate(plan).ok
    _exact(plan, URBAN)  # urban grids end on the community edges too
    with pytest.raises(PlanError, match="未知的目标"):
        partition_layers(small_layers, URBAN, objective="beauty")


def test_objectives_compare_in_their_direction():
    current = {"mean_abs_deviation": 0.09, "mean_polsby_popper": 0.74,
               "share_within_bounds": 1.0}
    proposed = {"mean_abs_deviation": 0.126, "mean_polsby_popper": 0.44,
                "share_within_bounds": 1.0}
    assert compare_plans(current, proposed, "balance")
    assert compare_plans(current, proposed, "compactness")
    assert not compare_plans(current, proposed, "bounds")  # a tie is not worse
    assert not compare_plans(proposed, current, "balance")
    assert set(OBJECTIVES) == {"balance", "compactness", "bounds"}
    assert issubclass(PlanWorseError, PlanError)
