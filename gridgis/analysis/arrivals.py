"""Response and arrival of emergency forces (应急力量响应与到场), by township and unit kind.

An incident that starts an emergency plan records its force: one entry per
unit in ``emergency_forces`` with ``kind``, ``dispatched_at``, ``departed_at``,
``arrived_at`` and the kind's arrival limit ``limit_min`` (see
:mod:`gridgis.dispatch.forces`). :func:`force_arrivals` lays those entries out
as one row per unit sent, with the minutes from dispatch to departure, to
arrival (到场) and on the road; :func:`arrival_summary` gives per group
(township and kind by default) the median and 90th percentile of the arrival
minutes and the share of units on site within their limit — a unit that never
arrived counts as not within it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridgis.analysis._common import require_columns
from gridgis.analysis.coverage import kind_name

__all__ = ["ARRIVAL_LABELS", "DEFAULT_LIMIT_MIN", "arrival_summary", "force_arrivals"]

DEFAULT_LIMIT_MIN = 15.0
"""The arrival limit of a force entry that records none (the seed's 15 minutes)."""

ARRIVAL_LABELS = {
    "forces": "出动单位次数",
    "arrived": "到场次数",
    "median_departure_min": "出发用时中位数（分钟）",
    "median_arrival_min": "到场用时中位数（分钟）",
    "p90_arrival_min": "到场用时P90（分钟）",
    "within_limit_share": "时限内到场比例",
}
"""Chinese headings of :func:`arrival_summary`'s columns."""

_COLUMNS = ("incident_id", "township_code", "category", "plan_code", "unit_id", "kind",
            "reinforced", "dispatched_at", "departed_at", "arrived_at", "limit_min",
            "departure_min", "arrival_min", "travel_min", "within_limit")


def _entries(value: object) -> list[dict]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    return [dict(v) for v in value]  # type: ignore[union-attr]


def force_arrivals(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per unit sent to an emergency, with its response and arrival minutes.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents with ``incident_id`` and ``emergency_forces`` (a list of
        dicts per incident, or its JSON text, as the store keeps it);
        ``township_code``, ``category``, ``plan_code`` and ``plan_limit_min``
        are used when present.

    Returns
    -------
    pandas.DataFrame
        ``incident_id``, ``township_code``, ``category``, ``plan_code``,
        ``unit_id``, ``kind``, ``reinforced``, the three times, ``limit_min``,
        ``departure_min`` (dispatch → departure), ``arrival_min`` (dispatch →
        on site), ``travel_min`` (departure → on site; NaN when not recorded)
        and ``within_limit`` (on site within ``limit_min`` of the dispatch).
    """
    require_columns(incidents, ("incident_id", "emergency_forces"), layer="incidents",
                    what="arrival analysis (到场分析)")
    rows = []
    get = {c: (incidents[c].to_numpy() if c in incidents.columns else [None] * len(incidents))
           for c in ("township_code", "category", "plan_code", "plan_limit_min")}
    for i, (incident, forces) in enumerate(zip(incidents["incident_id"].to_numpy(),
                                               incidents["emergency_forces"].to_numpy(),
                                               strict=True)):
        for force in _entries(forces):
            limit = force.get("limit_min") or get["plan_limit_min"][i] or DEFAULT_LIMIT_MIN
            rows.append({"incident_id": incident, "township_code": get["township_code"][i],
                         "category": get["category"][i], "plan_code": get["plan_code"][i],
                         "unit_id": force.get("unit_id"), "kind": force.get("kind"),
                         "reinforced": bool(force.get("reinforced", False)),
                         "dispatched_at": force.get("dispatched_at"),
                         "departed_at": force.get("departed_at"),
                         "arrived_at": force.get("arrived_at"), "limit_min": float(limit)})
    frame = pd.DataFrame(rows, columns=list(_COLUMNS[:11]))
    for col in ("dispatched_at", "departed_at", "arrived_at"):
        frame[col] = pd.to_datetime(frame[col], errors="coerce", format="ISO8601")
    minute = pd.Timedelta(minutes=1)
    frame["departure_min"] = (frame["departed_at"] - frame["dispatched_at"]) / minute
    frame["arrival_min"] = (frame["arrived_at"] - frame["dispatched_at"]) / minute
    frame["travel_min"] = (frame["arrived_at"] - frame["departed_at"]) / minute
    frame["within_limit"] = (frame["arrival_min"] <= frame["limit_min"]).to_numpy(dtype=bool)
    return frame


def arrival_summary(arrivals: pd.DataFrame,
                    by: Sequence[str] = ("township_code", "kind")) -> pd.DataFrame:
    """Median and 90th percentile of the arrival minutes and the share on time, per group.

    Parameters
    ----------
    arrivals : pandas.DataFrame
        From :func:`force_arrivals`.
    by : sequence of str, default ("township_code", "kind")
        The columns to group by (any of the frame's, e.g. ``("kind",)``).

    Returns
    -------
    pandas.DataFrame
        Per group: ``forces``, ``arrived``, ``median_departure_min``,
        ``median_arrival_min``, ``p90_arrival_min`` (of the units that arrived)
        and ``within_limit_share`` (of all units sent); a ``kind_name`` column
        when grouped by kind.
    """
    require_columns(arrivals, (*by, "arrival_min", "departure_min", "within_limit"),
                    layer="arrivals", what="arrival summary (到场统计)")
    groups = arrivals.groupby(list(by), sort=True, dropna=False)
    out = pd.DataFrame({
        "forces": groups.size(),
        "arrived": groups["arrival_min"].count(),
        "median_departure_min": groups["departure_min"].median(),
        "median_arrival_min": groups["arrival_min"].median(),
        "p90_arrival_min": groups["arrival_min"].quantile(0.9),
        "within_limit_share": groups["within_limit"].mean(),
    })
    if "kind" in by:
        kinds = out.index.get_level_values("kind")
        out.insert(0, "kind_name", [kind_name(k) for k in kinds])
    return out
