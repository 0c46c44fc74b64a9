"""吹哨报到 in the sample's archive: the community calls departments in, they report in.

A share of the matters that need several departments — disputes (D01–D06),
mass gatherings (X01) and the law-enforcement categories that name several
unit kinds — get a whistle from the community that holds them, after the
dispatch: it names 2–4 departments of the kinds the matter needs, the
nearest of each kind (in the matter's township when there is one), and a
report-in limit by priority. Most departments report in at the community
centre within the limit; some late, a few never, and how often depends on
the kind of department, so per-department report-in rates differ. The
matter is resolved after the departments came.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.sample._loop_history import MINUTE, NAT, Deployment
from gridgis.sample._names import person_names

__all__ = ["REPORT_IN_HOURS", "REPORT_IN_RISK", "WHISTLE_SHARE", "Call", "blow_whistles"]

WHISTLE_SHARE = 0.10
"""Share of the matters that need several departments that get a whistle."""
REPORT_IN_HOURS = {"urgent": 2, "high": 12, "normal": 24}
"""The report-in limit a whistle sets, by the matter's priority (hours)."""
# besides the category's own unit kinds, who else is called in
COMPANIONS = {
    "D": ("police_station", "judicial_office", "community_service", "mediation_committee"),
    "X": ("judicial_office", "labour_inspection", "community_service"),
    "E": ("enforcement_squad", "municipal_works", "sanitation", "market_regulation"),
    "S": ("emergency", "enforcement_squad", "market_regulation"),
}
REPORT_IN_RISK = {
    "police_station": (.06, .02), "fire_station": (.05, .02), "emergency": (.08, .03),
    "mediation_committee": (.09, .03), "community_service": (.08, .03),
    "judicial_office": (.12, .05), "sanitation": (.11, .04), "power_supply": (.1, .04),
    "enforcement_squad": (.13, .05), "market_regulation": (.15, .06),
    "municipal_works": (.17, .07), "health": (.18, .07), "labour_inspection": (.2, .09),
}
"""Per kind of department: the share that reports in late, and the share that never does."""
REASONS = {
    "D": ("矛盾纠纷涉及多个部门职责，请到社区联合调处", "需司法、公安与调解力量共同参与调处",
          "当事人诉求涉及多部门，请到社区会商"),
    "X": ("群体性事件，请相关部门立即到社区处置", "突发事件需多部门联合处置"),
    "E": ("需多部门联合执法", "涉及多个部门职责，请到社区会商处置"),
    "S": ("安全隐患涉及多个部门，请到现场联合处置", "需多部门联合排查整治"),
}


@dataclass
class Call:
    """One department called in by a whistle, and its report-in (NaT: not (yet))."""

    unit_id: str
    kind: str
    called: np.datetime64
    due: np.datetime64
    reported_in: np.datetime64
    place: str
    staff: str
    reason: str


def _needs_several(categories: pd.DataFrame) -> set[str]:
    return {code for code, kinds in categories["unit_kinds"].items()
            if code[0] in "DX" or (code[0] in "ES" and len(kinds) > 1)}


def blow_whistles(rng: np.random.Generator, cat: np.ndarray, priority: np.ndarray,
                  dep: Deployment, xy: np.ndarray, town: np.ndarray, place: np.ndarray,
                  units: gpd.GeoDataFrame, categories: pd.DataFrame, now: np.datetime64
                  ) -> tuple[dict[int, list[Call]], np.ndarray]:
    """Whistles of the community-held matters: the calls of each row, and when all came.

    Returns
    -------
    dict
        Row → its calls (rows without a whistle are absent).
    numpy.ndarray
        When the matter can be resolved, the departments having come
        (datetime64[m], NaT for matters without a whistle).
    """
    n = len(cat)
    ready = np.full(n, NAT)
    several = np.isin(cat, sorted(_needs_several(categories)))
    d = dep.dispatched
    pick = several & (dep.level == 0) & ~np.isnat(d) & (rng.random(n) < WHISTLE_SHARE)
    typical = np.minimum(120.0, 0.25 * dep.progress.astype("int64"))
    after = np.maximum(np.round(typical * np.exp(rng.normal(0, 0.7, n))), 1)
    called = d + after.astype("int64").astype("timedelta64[m]")
    rows = np.flatnonzero(pick & (called <= now))
    # which kinds each whistle calls: the category's own first, then companions
    wanted: list[tuple[int, str]] = []
    for i in rows:
        kinds = list(categories.at[cat[i], "unit_kinds"])
        extra = list(rng.permutation(COMPANIONS[cat[i][0]]))
        pool = list(dict.fromkeys(kinds + extra))
        m = min(int(rng.choice([2, 3, 4], p=[.5, .35, .15])), len(pool))
        wanted += [(i, k) for k in pool[:m]]
    unit_of = _nearest_of_kind(wanted, xy, town, units)
    staff = person_names(rng, 3 * len(wanted))
    calls: dict[int, list[Call]] = {}
    for j, (i, kind) in enumerate(wanted):
        hours = REPORT_IN_HOURS[priority[i]]
        limit = hours * 60
        late_p, never_p = REPORT_IN_RISK.get(kind, (.12, .05))
        u = rng.random()
        if u < never_p:
            came = NAT
        elif u < never_p + late_p:
            came = called[i] + np.timedelta64(
                limit + max(1, round(0.3 * limit * np.exp(rng.normal(0, 0.8)))), "m")
        else:
            share = min(0.35 * np.exp(rng.normal(0, 0.6)), 0.97)
            came = called[i] + np.timedelta64(max(5, round(share * limit)), "m")
        who = "、".join(staff[3 * j: 3 * j + int(rng.integers(1, 4))])
        reason = str(rng.choice(REASONS[cat[i][0]]))
        calls.setdefault(i, []).append(Call(
            unit_id=unit_of[j], kind=kind, called=called[i],
            due=called[i] + np.timedelta64(limit, "m"), reported_in=came,
            place=f"{place[i]}党群服务中心", staff=who, reason=reason))
    for i, row in calls.items():
        reason = row[0].reason  # one whistle, one reason
        for call in row:
            call.reason = reason
        came = [c.reported_in for c in row if not np.isnat(c.reported_in)]
        ready[i] = max([called[i] + 60 * MINUTE] + [t + 30 * MINUTE for t in came])
        for call in row:  # what has not happened by the archive's end is not on it
            if call.reported_in > now:
                call.reported_in = NAT
    return calls, ready


def _nearest_of_kind(wanted: list[tuple[int, str]], xy: np.ndarray, town: np.ndarray,
                     units: gpd.GeoDataFrame) -> list[str]:
    """The nearest unit of each wanted kind, preferring units of the matter's township."""
    out = [""] * len(wanted)
    if not wanted:
        return out
    uxy = shapely.get_coordinates(units.geometry.values)
    kinds = units["kind"].to_numpy()
    utown = units["township_code"].to_numpy()
    ids = units["unit_id"].to_numpy()
    pairs = np.array([k for _, k in wanted], dtype=object)
    rows = np.array([i for i, _ in wanted])
    for kind in np.unique(pairs):
        sel = np.flatnonzero(pairs == kind)
        cand = np.flatnonzero(kinds == kind)
        r = rows[sel]
        dist = np.hypot(xy[r, None, 0] - uxy[None, cand, 0], xy[r, None, 1] - uxy[None, cand, 1])
        dist += np.where(town[r, None] == utown[None, cand], 0, 1e7)
        best = ids[cand[np.argmin(dist, axis=1)]]
        for j, unit in zip(sel, best, strict=True):
            out[j] = unit
    return out
