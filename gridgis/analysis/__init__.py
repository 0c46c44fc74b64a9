"""Analysis of a district's incidents, grids, patrol zones and workers (分析).

Functions take GeoDataFrames (the layers of :class:`gridgis.Layers`) and
return (Geo)DataFrames with the input's index preserved, so results map
straight back onto the layers:

- :mod:`~gridgis.analysis.rates`: counts, closure, on-time, handling-time,
  escalation and satisfaction rates by area, category and month;
- :mod:`~gridgis.analysis.hotspots`: Getis-Ord Gi* hotspots with a
  multiple-testing correction;
- :mod:`~gridgis.analysis.early_warning`: a category rising in an area
  against its own history;
- :mod:`~gridgis.analysis.patrol`: incidents and patrol effort in the
  high / medium / low patrol zones, and zones whose level should change;
- :mod:`~gridgis.analysis.patrol_compliance`: patrol visits against each
  zone's required frequency (达标率), missed high zones, per worker and grid,
  and patrol effort against incident density;
- :mod:`~gridgis.analysis.workload`: grid-worker workload and on-site
  verification on time;
- :mod:`~gridgis.analysis.assessment`: assessment (考核) of grid workers,
  grids, communities, townships and units, weighted scores and ranks;
- :mod:`~gridgis.analysis.coverage`: emergency coverage by road (应急力量覆盖):
  population, buildings and grids within reach of each unit kind, isochrones;
- :mod:`~gridgis.analysis.uncovered`: the uncovered areas, where people live
  beyond the limit;
- :mod:`~gridgis.analysis.arrivals`: response and arrival (到场) of emergency
  forces by township and unit kind: median, 90th percentile, share on time;
- :mod:`~gridgis.analysis.siting`: where one more unit closes the largest gap
  (spopt's maximal covering location, MCLP);
- :mod:`~gridgis.analysis.seed_figures`: the seeds' headline figures
  (closure, four-platform handling, solved at township or below, satisfaction);
- :mod:`~gridgis.analysis.emergency`: whether emergency plans (应急预案) can be
  met: each required kind's arrival time against its limit.
"""

from gridgis.analysis.arrivals import ARRIVAL_LABELS, arrival_summary, force_arrivals
from gridgis.analysis.assessment import Assessment, assess, load_weights
from gridgis.analysis.coverage import (
    Coverage,
    emergency_coverage,
    emergency_kinds,
    kind_name,
    unit_isochrones,
)
from gridgis.analysis.early_warning import early_warning, rate_increase_pvalue
from gridgis.analysis.emergency import feasibility_summary, plan_feasibility
from gridgis.analysis.hotspots import HOTSPOT_LABELS, HotspotModel, hotspots
from gridgis.analysis.patrol import patrol_coverage, patrol_level_review, patrol_summary
from gridgis.analysis.patrol_compliance import (
    compliance_summary,
    patrol_vs_incidents,
    worker_compliance,
    zone_compliance,
)
from gridgis.analysis.rates import METRIC_COLUMNS, area_rates, counts_over_time, incident_metrics
from gridgis.analysis.seed_figures import platform_rates, seed_figures
from gridgis.analysis.siting import SiteProposal, propose_sites
from gridgis.analysis.uncovered import uncovered_areas
from gridgis.analysis.workload import grid_workload
from gridgis.visits import DEFAULT_VISITS_PER_WEEK

__all__ = [
    "ARRIVAL_LABELS",
    "DEFAULT_VISITS_PER_WEEK",
    "HOTSPOT_LABELS",
    "METRIC_COLUMNS",
    "Assessment",
    "Coverage",
    "HotspotModel",
    "SiteProposal",
    "area_rates",
    "arrival_summary",
    "assess",
    "compliance_summary",
    "counts_over_time",
    "early_warning",
    "emergency_coverage",
    "emergency_kinds",
    "feasibility_summary",
    "force_arrivals",
    "grid_workload",
    "hotspots",
    "incident_metrics",
    "kind_name",
    "load_weights",
    "patrol_coverage",
    "patrol_level_review",
    "patrol_summary",
    "patrol_vs_incidents",
    "plan_feasibility",
    "platform_rates",
    "propose_sites",
    "rate_increase_pvalue",
    "seed_figures",
    "uncovered_areas",
    "unit_isochrones",
    "worker_compliance",
    "zone_compliance",
]
