"""Planner tools: validate, edit, auto-partition, diff and version grid plans.

A plan is a :class:`gridgis.Layers` whose grid layer is the plan; every function
here returns a new plan and leaves its input untouched.

- :func:`validate` checks the unified grid's promise (no gap, no overlap, inside
  the community), codes, households and workers;
- :func:`repair` fixes what can be fixed mechanically (:func:`make_valid`,
  :func:`snap_to_community`, :func:`fill_gaps_and_slivers`), each fix reported;
- :func:`split_grid`, :func:`merge_grids`, :func:`move_buildings` edit a plan,
  :func:`reissue_codes` decides the codes;
- :func:`auto_partition` / :func:`partition_layers` redraw a community with
  PySAL spopt's max-p regions; :func:`plan_metrics` measures a plan;
- :func:`diff_plans` shows what a redraw moves;
- :func:`adopt_plan` puts a plan into force on a date and :class:`PlanHistory`
  locates points in the plan of their day.
"""

from gridgis.planning.diff import PlanDiff, diff_plans
from gridgis.planning.edits import merge_grids, move_buildings, reissue_codes, split_grid
from gridgis.planning.findings import ValidationReport
from gridgis.planning.metrics import plan_metrics, plan_summary
from gridgis.planning.partition import PartitionResult, auto_partition, partition_layers
from gridgis.planning.repair import (
    fill_gaps_and_slivers,
    make_valid,
    repair,
    snap_to_community,
)
from gridgis.planning.validate import RULE_NAMES, ValidationSettings, validate
from gridgis.planning.versions import PlanHistory, adopt_plan, plan_as_of, plan_dates

__all__ = [
    "RULE_NAMES",
    "PartitionResult",
    "PlanDiff",
    "PlanHistory",
    "ValidationReport",
    "ValidationSettings",
    "adopt_plan",
    "auto_partition",
    "diff_plans",
    "fill_gaps_and_slivers",
    "make_valid",
    "merge_grids",
    "move_buildings",
    "partition_layers",
    "plan_as_of",
    "plan_dates",
    "plan_metrics",
    "plan_summary",
    "reissue_codes",
    "repair",
    "snap_to_community",
    "split_grid",
    "validate",
]
