"""统计图表: the statistics page's charts, drawn on the service as SVG (offline, no CDN).

``GET /statistics/charts?from=&to=&weeks=&lang=`` answers the period's
closure, on-time, satisfaction and report-in rates, the rankings of the
townships, units and grid workers of the signed-in person's jurisdiction
(scored with :func:`gridgis.analysis.assessment.score`) and the weekly trend
of the rates, each with an inline SVG chart (matplotlib, text kept as text:
the browser's CJK font draws it) and the figures it shows (a table for
screen readers and the tests). The period and scope are those of
``GET /statistics``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.auth import SignedIn
from api.deps import get_dispatcher
from api.errors import problem_responses
from api.routes.statistics import statistics
from api.settings import Settings
from gridgis.analysis.assessment import score, worker_measures, workers_table
from gridgis.analysis.trends import TREND_RATES, week_start, weekly_rates
from gridgis.bulletin.charts import bar_chart, line_chart
from gridgis.dispatch import Dispatcher
from gridgis.people.access import scope_of
from gridgis.store.frame import incident_frame

__all__ = ["ChartOut", "ChartRow", "StatisticsCharts", "create_router"]

TOP = 15
"""How many rows a ranking chart shows."""
TITLES: dict[str, tuple[str, str]] = {
    "rates": ("主要指标", "headline rates"),
    "townships": ("乡镇（街道）考核得分排名", "townships ranked by score"),
    "units": ("承办单位考核得分排名", "units ranked by score"),
    "workers": ("网格员考核得分排名", "grid workers ranked by score"),
    "trend": ("近 {weeks} 周趋势（按上报周）", "the last {weeks} weeks (by week reported)"),
}


class ChartRow(BaseModel):
    """One bar or point of a chart."""

    key: str = Field(description="代码或周一日期 / code, id, or the week's Monday")
    name: str = Field(description="名称 / label")
    value: float | None = Field(description="数值（比率为 0–1）/ value (rates 0-1)")
    series: str | None = Field(None, description="趋势图的指标 / the trend's measure")


class ChartOut(BaseModel):
    """A chart: its title, its SVG and the figures it draws."""

    key: str
    title: str
    svg: str | None = Field(description="SVG 图（无数据时为 null）/ the chart, null without data")
    rows: list[ChartRow]


class StatisticsCharts(BaseModel):
    """The statistics page: the period, the headline rates and the charts."""

    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    label: str
    figures: dict[str, float | None] = Field(description="办结率、按时办结率、满意率、报到率 / "
                                                         "the four headline rates")
    charts: list[ChartOut]

    model_config = {"populate_by_name": True}


def _number(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _ranking(key: str, title: str, rows: list[tuple[str, str, Any]]) -> ChartOut:
    ranked = sorted(((k, n, _number(v)) for k, n, v in rows if _number(v) is not None),
                    key=lambda r: -r[2])[:TOP]
    svg = bar_chart([n for _, n, _ in ranked], [v for *_, v in ranked], title=title,
                    limit=100) if ranked else None
    return ChartOut(key=key, title=title, svg=svg,
                    rows=[ChartRow(key=k, name=n, value=v) for k, n, v in ranked])


def _workers(dispatcher: Dispatcher, person: Any, frame: pd.DataFrame, as_of: pd.Timestamp
             ) -> list[tuple[str, str, Any]]:
    scope = scope_of(person)
    if scope.empty or scope.unit_ids:
        return []
    people = [p for p in dispatcher.store.staff.members(role="grid_worker")
              if any(g.startswith(a) for g in p.grids for a in scope.area_codes)]
    if not people:
        return []
    table = score(worker_measures(frame, workers_table(people), now=as_of))
    return [(sid, f"{row['name']}（{row['grids']}）", row["score"])
            for sid, row in table.iterrows()]


def charts(
    person: SignedIn,
    dispatcher: Annotated[Dispatcher, Depends(get_dispatcher)],
    start: Annotated[str | None, Query(alias="from", max_length=32,
                                       description="第一天 YYYY-MM-DD（默认本半月）/ first day")
                     ] = None,
    end: Annotated[str | None, Query(alias="to", max_length=32,
                                     description="最后一天（含）/ last day, included")] = None,
    weeks: Annotated[int, Query(ge=1, le=52, description="趋势周数 / weeks of the trend")] = 8,
    lang: Annotated[Literal["zh", "en"], Query(description="图中文字 / the charts' language")
                    ] = "zh",
) -> StatisticsCharts:
    """统计图表 / The statistics page's rates, rankings and weekly trend, as SVG charts.

    422 names ``from``, ``to``, ``weeks`` or ``lang`` when one is out of range.
    """
    i = 0 if lang == "zh" else 1
    stats = statistics(person, dispatcher, start, end)
    as_of = pd.Timestamp(stats.as_of).tz_localize(None) if pd.Timestamp(
        stats.as_of).tzinfo else pd.Timestamp(stats.as_of)
    figures = stats.figures.model_dump()
    rates = {k: _number(figures.get(k)) for k in TREND_RATES}
    names = {k: TREND_RATES[k][i] for k in TREND_RATES}
    shown = [(k, names[k], v) for k, v in rates.items() if v is not None]
    out = [ChartOut(key="rates", title=TITLES["rates"][i],
                    svg=bar_chart([n for _, n, _ in shown], [v for *_, v in shown],
                                  title=TITLES["rates"][i], percent=True, limit=1.12)
                    if shown else None,
                    rows=[ChartRow(key=k, name=names[k], value=v) for k, v in rates.items()])]
    out.append(_ranking("townships", TITLES["townships"][i],
                        [(r["code"], r["name"], r.get("score")) for r in
                         (t.model_dump() for t in stats.townships)]))
    out.append(_ranking("units", TITLES["units"][i],
                        [(r["unit_id"], r["name"], r.get("score")) for r in
                         (u.model_dump() for u in stats.units)]))
    scope = scope_of(person)
    first = week_start(as_of) - pd.Timedelta(weeks=weeks - 1)
    frame = incident_frame(dispatcher.store, reported_from=first.to_pydatetime(),
                           reported_to=as_of.to_pydatetime(), area_codes=scope.area_codes)
    if scope.unit_ids:
        frame = frame[frame["unit_id"].isin(scope.unit_ids)]
    period = frame[pd.to_datetime(frame["reported_at"]) >= pd.Timestamp(stats.start)]
    out.append(_ranking("workers", TITLES["workers"][i],
                        _workers(dispatcher, person, period, as_of)))
    trend = weekly_rates(frame, now=as_of, weeks=weeks)
    labels = [w.strftime("%m-%d") for w in trend.index]
    title = TITLES["trend"][i].format(weeks=weeks)
    series = {names[k]: trend[k].tolist() for k in TREND_RATES if trend[k].notna().any()}
    out.append(ChartOut(key="trend", title=title,
                        svg=line_chart(labels, series, title=title) if series else None,
                        rows=[ChartRow(key=w.date().isoformat(), name=label, series=k,
                                       value=_number(trend.loc[w, k]))
                              for k in TREND_RATES for w, label in zip(trend.index, labels,
                                                                      strict=True)]))
    return StatisticsCharts(start=stats.start, end=stats.end, label=stats.label,
                            figures=rates, charts=out)


def create_router(settings: Settings) -> APIRouter:
    """The statistics page's route (``GET /statistics/charts``)."""
    router = APIRouter(tags=["statistics"])
    router.get("/statistics/charts", response_model=StatisticsCharts,
               response_model_by_alias=True,
               responses=problem_responses(401, 422, 503))(charts)
    return router
