"""The figures the seeds publish, each computed from an incident frame (DESIGN §1).

Grid governance reports a few headline figures: Zhongshan district closed
96.5 % of 13,870 cases, Zhejiang resolved 95 % of its reports at township
level or below, and every platform reports its four-platform handling and
its satisfaction. :func:`seed_figures` computes them as of a moment ``now``
from the same incident frame as :mod:`gridgis.analysis.assessment` (the
same rules: a timestamp after ``now`` has not happened yet; rejected reports
are not valid matters):

- **办结率 closure rate** (``closure_rate``) = matters closed / all valid
  matters — of *all* matters, as Zhongshan's 96.5 % is; beside it
  ``closure_rate_due`` = closed / valid matters whose resolve limit has
  passed (a young period is not penalised for matters still in time);
- **四个平台处置率 four-platform handling rate** (``handling_rate``) =
  matters handled (resolved by the unit, or closed) / valid matters; per
  platform in :func:`platform_rates`;
- **乡镇及以下解决率 share solved at township or below**
  (``township_or_below_rate``) = closed matters held at escalation level
  0 or 1 (community or township) when closed / closed matters (Zhejiang's 95 %);
- **群众满意率 satisfaction rate** (``satisfied_rate``) = call backs that
  reached the reporter rated 4 or 5 / call backs rated, with the mean
  ``satisfaction`` (1–5);
- and the loop's own: on-time deploy, progress and resolve rates, matters
  overdue now, returns, reopened matters, supervision notices, whistle
  calls and the on-time report-in rate (see the assessment module).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridgis.analysis._loop_flags import group_sums, loop_flags, prepare, rates, ratio
from gridgis.analysis.assessment import report_in_rates
from gridgis.categories import PLATFORMS

__all__ = ["PLATFORM_NAMES", "PUBLISHED", "SEED_FIGURES", "Figure", "platform_rates",
           "seed_figures"]


@dataclass(frozen=True)
class Figure:
    """A headline figure: Chinese and English names, kind (``count``, ``rate``, ``mean5``)."""

    zh: str
    en: str
    kind: str


SEED_FIGURES: dict[str, Figure] = {k: Figure(*v) for k, v in {
    "matters": ("受理事项", "matters reported", "count"),
    "valid": ("有效事项", "valid matters (not rejected)", "count"),
    "closed": ("办结事项", "matters closed", "count"),
    "closure_rate": ("办结率", "closure rate (closed / all valid)", "rate"),
    "closure_rate_due": ("到期事项办结率", "closure rate of matters past their resolve limit",
                         "rate"),
    "handling_rate": ("四个平台处置率", "four-platform handling rate", "rate"),
    "township_or_below_rate": ("乡镇(街道)及以下解决率",
                               "closed at township level or below", "rate"),
    "satisfied_rate": ("群众满意率", "satisfaction rate (rated 4-5)", "rate"),
    "satisfaction": ("平均满意度", "mean satisfaction (1-5)", "mean5"),
    "rated": ("回访评价数", "call backs rated", "count"),
    "deploy_on_time_rate": ("按时派遣率", "deployed on time", "rate"),
    "progress_on_time_rate": ("按时反馈率", "progress reported on time", "rate"),
    "resolve_on_time_rate": ("按时办结率", "resolved on time", "rate"),
    "overdue": ("当前超期事项", "matters overdue now", "count"),
    "escalated": ("上报升级事项", "matters escalated", "count"),
    "returns": ("退回次数", "returns", "count"),
    "reopened": ("重办事项", "matters reopened", "count"),
    "supervisions": ("督办次数", "supervision notices", "count"),
    "calls": ("吹哨次数", "whistle calls", "count"),
    "report_in_rate": ("按时报到率", "reported in on time", "rate"),
}.items()}
"""The headline figures :func:`seed_figures` returns, in order."""
PUBLISHED: dict[str, tuple[float, str]] = {
    "closure_rate": (0.965, "大连市中山区：约四个月 13,870 件，办结 96.5% / Zhongshan district, "
                            "Dalian: 13,870 cases in about four months, 96.5 % closed"),
    "township_or_below_rate": (0.95, "浙江省 2016 年：95% 的事项在乡镇及以下解决 / Zhejiang "
                                     "province, 2016: 95 % resolved at township level or below"),
}
"""The seeds' published figures beside which the bulletin sets the district's."""
PLATFORM_NAMES: dict[str, str] = {
    "comprehensive_governance": "综治工作", "market_regulation": "市场监管",
    "law_enforcement": "综合执法", "public_service": "便民服务"}
"""The Chinese name of each of the four platforms (四个平台)."""


def seed_figures(frame: pd.DataFrame, *, now: Any) -> pd.Series:
    """The headline figures of all matters of ``frame`` as of ``now``.

    Parameters
    ----------
    frame : pandas.DataFrame
        An incident frame (a store's :func:`~gridgis.store.frame.incident_frame`
        or an archive's ``incidents`` layer), usually the matters reported in
        one period.
    now : timestamp
        The moment the figures are taken at.

    Returns
    -------
    pandas.Series
        Indexed by the names of :data:`SEED_FIGURES`; a figure the frame
        cannot give (a missing column, an empty denominator) is NaN.

    Examples
    --------
    >>> import gridgis
    >>> inc = gridgis.sample_district(scale=0.05).incidents
    >>> f = seed_figures(inc, now="2026-11-01")
    >>> bool(0.9 < f["closure_rate"] <= 1 and 0.9 < f["township_or_below_rate"] <= 1)
    True
    """
    prepared = prepare(frame)
    moment = pd.Timestamp(now)
    flags = loop_flags(prepared, now=moment)
    t = flags.table
    one = pd.Series("all", index=t.index)
    sums = group_sums(flags, one).reindex(["all"], fill_value=0)
    row = rates(sums, flags.missing).iloc[0]
    total = {c: float(t[c].sum()) if c in t.columns else np.nan
             for c in ("handled", "closed_low", "closure_due", "closed_due", "escalated")}
    out = pd.Series(np.nan, index=list(SEED_FIGURES), dtype=float)
    for name in ("matters", "valid", "closed", "closure_rate", "rated", "satisfied_rate",
                 "deploy_on_time_rate", "progress_on_time_rate", "resolve_on_time_rate",
                 "overdue", "returns", "reopened", "supervisions"):
        out[name] = row[name]
    out["satisfaction"] = t["score"].mean() if "score" in t.columns else np.nan
    out["closure_rate_due"] = _share(total["closed_due"], total["closure_due"])
    out["handling_rate"] = _share(total["handled"], float(t["valid"].sum()))
    out["township_or_below_rate"] = _share(total["closed_low"], float(t["closed"].sum()))
    out["escalated"] = total["escalated"]
    for name in ("closure_rate", "closure_rate_due"):
        if "closure" in flags.missing:
            out[name] = np.nan
    calls = report_in_rates(prepared, now=moment)
    if "whistle_calls" in prepared.columns:
        out["calls"] = float(calls["calls"].sum())
        out["report_in_rate"] = _share(float(calls["on_time"].sum()), float(calls["due"].sum()))
    return out


def _share(num: float, den: float) -> float:
    return num / den if np.isfinite(den) and den > 0 and np.isfinite(num) else np.nan


def platform_rates(frame: pd.DataFrame, *, now: Any) -> pd.DataFrame:
    """Handling per platform (四个平台处置率) as of ``now``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the four platforms (:data:`gridgis.categories.PLATFORMS`,
        and any other the frame names): ``name_zh``, ``valid``, ``handled``
        (resolved or closed), ``handling_rate``, ``closed``, ``closure_rate``
        and ``share`` (of all valid matters).

    Examples
    --------
    >>> import gridgis
    >>> inc = gridgis.sample_district(scale=0.05).incidents
    >>> p = platform_rates(inc, now="2026-11-01")
    >>> list(p.index[:4]) == list(gridgis.categories.PLATFORMS)
    True
    """
    prepared = prepare(frame)
    t = loop_flags(prepared, now=pd.Timestamp(now)).table
    keys = prepared["platform"].astype(object)
    sums = t.groupby(keys.where(keys.notna(), None).to_numpy(), dropna=True)[
        ["valid", "handled", "closed"]].sum()
    order = [*PLATFORMS, *sorted(set(sums.index) - set(PLATFORMS))]
    sums = sums.reindex(order, fill_value=0)
    out = pd.DataFrame(index=pd.Index(order, name="platform"))
    out["name_zh"] = [PLATFORM_NAMES.get(p, p) for p in order]
    out["valid"] = sums["valid"].astype(int)
    out["handled"] = sums["handled"].astype(int)
    out["handling_rate"] = ratio(sums["handled"], sums["valid"])
    out["closed"] = sums["closed"].astype(int)
    out["closure_rate"] = ratio(sums["closed"], sums["valid"])
    out["share"] = ratio(sums["valid"], pd.Series(float(sums["valid"].sum()), index=order))
    return out
