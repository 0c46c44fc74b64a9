"""Statistics (统计考核) of the signed-in person's jurisdiction: seed figures, areas, units.

``GET /statistics?from=YYYY-MM-DD&to=YYYY-MM-DD`` measures the matters
reported in the period (both days included; default the current
half-month) as of the end of the period or now, whichever comes first, with
the rules of :mod:`gridgis.analysis.assessment`. Only what the person may
read counts (:func:`gridgis.people.scope_of`): the county sees every
township, community and grid; a township its own figures, its communities
and grids; a community its grids; a grid worker their grids; unit staff
their unit's own figures (what it holds, returned and was whistled for).
Scores and ranks compare the areas listed, within the jurisdiction.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, create_model

from api.auth import SignedIn
from api.deps import get_dispatcher
from api.errors import problem_responses
from api.models import CstOut
from api.settings import Settings
from gridgis.analysis.assessment import (
    AREA_COLUMNS,
    LEVELS,
    MEASURES,
    UNIT_COLUMNS,
    area_measures,
    report_in_rates,
    score,
    unit_measures,
)
from gridgis.analysis.seed_figures import SEED_FIGURES, platform_rates, seed_figures
from gridgis.bulletin.content import Names
from gridgis.bulletin.period import Period, half_month, parse_period
from gridgis.dispatch import Dispatcher
from gridgis.people.access import scope_of
from gridgis.store.frame import incident_frame

__all__ = ["AreaRow", "PlatformRow", "SeedFigures", "Statistics", "UnitRow", "create_router"]


def _fields(names: tuple[str, ...] | list[str], *, integer: frozenset[str] = frozenset()
            ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        kind = int if name in integer else float
        out[name] = (kind | None, Field(None, description=f"{MEASURES[name].zh} / "
                                        f"{MEASURES[name].en}" if name in MEASURES else
                                        f"{SEED_FIGURES[name].zh} / {SEED_FIGURES[name].en}"))
    return out


SeedFigures = create_model(
    "SeedFigures", __doc__="各项指标（不可计算的为 null）/ the headline figures (null where the "
    "data cannot give one)", **_fields(list(SEED_FIGURES)))
AreaRow = create_model(
    "AreaRow", __doc__="一个区域的考核指标 / the measures of one area",
    code=(str, Field(description="区域代码 / area code")),
    name=(str, Field(description="名称 / name")),
    **_fields([*AREA_COLUMNS, "score"]),
    rank=(int | None, Field(None, description="在所列区域中的排名 / rank among the areas listed")))
UnitRow = create_model(
    "UnitRow", __doc__="一个承办单位的考核指标 / the measures of one unit",
    unit_id=(str, Field(description="单位代码 / unit id")),
    name=(str, Field(description="名称 / name")),
    **_fields([*UNIT_COLUMNS, "score"]),
    rank=(int | None, Field(None, description="在所列单位中的排名 / rank among the units listed")))


class PlatformRow(BaseModel):
    """One of the four platforms (四个平台): matters, handled, closed."""

    platform: str
    name_zh: str
    valid: int
    handled: int
    handling_rate: float | None = None
    closed: int
    closure_rate: float | None = None
    share: float | None = None


class Statistics(BaseModel):
    """The figures of a period within the signed-in person's jurisdiction."""

    start: dt.date = Field(alias="from", description="第一天 / first day")
    end: dt.date = Field(alias="to", description="最后一天（含）/ last day, included")
    label: str = Field(description="期间 / the period, e.g. 2026年10月下半月")
    as_of: CstOut = Field(description="指标截至 / the moment the figures are taken at")
    area_codes: list[str] = Field(description="辖区代码 / the jurisdiction's area codes")
    unit_ids: list[str] = Field(description="所属单位 / the person's units")
    figures: SeedFigures  # type: ignore[valid-type]
    platforms: list[PlatformRow]
    townships: list[AreaRow]  # type: ignore[valid-type]
    communities: list[AreaRow]  # type: ignore[valid-type]
    grids: list[AreaRow]  # type: ignore[valid-type]
    units: list[UnitRow]  # type: ignore[valid-type]

    model_config = {"populate_by_name": True}


def _value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    return value


def _rows(table: pd.DataFrame, key: str, names: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for code, row in table.iterrows():
        item = {k: _value(v) for k, v in row.items()}
        out.append({key: str(code), "name": names.get(str(code), str(code)), **item})
    return out


def _period(start: str | None, end: str | None, today: dt.date) -> Period:
    if start is None and end is None:
        return half_month(today)
    if start is None:
        end_day = parse_period(str(end), str(end), names=("to", "to"), fields=("to", "to")).end
        start = half_month(end_day).start.isoformat()
    return parse_period(start, end if end is not None else today.isoformat(),
                        names=("from", "to"))


def statistics(
    person: SignedIn,
    dispatcher: Annotated[Dispatcher, Depends(get_dispatcher)],
    start: Annotated[str | None, Query(alias="from", max_length=32,
                                       description="第一天 YYYY-MM-DD（默认本半月）/ first day")
                     ] = None,
    end: Annotated[str | None, Query(alias="to", max_length=32,
                                     description="最后一天（含）/ last day, included (default "
                                                 "today, or the half-month's end)")] = None,
) -> Statistics:
    """统计考核 / The seed figures and per-area and per-unit measures of your jurisdiction.

    422 names ``from`` or ``to`` when a day is not a date (YYYY-MM-DD), the
    end comes before the start, or the period is longer than 366 days.
    """
    now = dispatcher.clock()
    period = _period(start, end, now.date())
    as_of = min(period.end_at, pd.Timestamp(now))
    scope = scope_of(person)
    names = Names.from_layers(dispatcher.layers)
    readable = incident_frame(dispatcher.store, reported_from=period.start_at.to_pydatetime(),
                              reported_to=period.end_at.to_pydatetime(),
                              area_codes=scope.area_codes)
    levels: dict[str, list[dict[str, Any]]] = {level: [] for level in LEVELS}
    units_table, calls = None, None
    if scope.empty:
        frame = readable.iloc[0:0]
    elif scope.unit_ids:  # unit staff: their own unit's figures (what it holds; its calls)
        units_table = unit_measures(readable, now=as_of, unit_ids=scope.unit_ids)
        calls = report_in_rates(readable, now=as_of).reindex(list(scope.unit_ids)).fillna(0)
        frame = readable[readable["unit_id"].isin(scope.unit_ids)]
    else:
        frame = readable
        units_table = unit_measures(frame, now=as_of)
        for level in LEVELS:
            table = area_measures(frame, level, now=as_of)
            inside = [c for c in table.index.astype(str)
                      if any(c.startswith(a) for a in scope.area_codes)]
            levels[level] = _rows(score(table.loc[inside]), "code", names.areas)
    figures = seed_figures(frame, now=as_of)
    if calls is not None:
        figures["calls"] = float(calls["calls"].sum())
        due = float(calls["due"].sum())
        figures["report_in_rate"] = float(calls["on_time"].sum()) / due if due else math.nan
    units = [] if units_table is None else _rows(score(units_table), "unit_id", names.units)
    return Statistics(
        start=period.start, end=period.end, label=period.label,
        as_of=as_of.to_pydatetime(), area_codes=list(scope.area_codes),
        unit_ids=list(scope.unit_ids),
        figures=SeedFigures(**{k: _value(v) for k, v in figures.items()}),
        platforms=[PlatformRow(platform=str(p), **{k: _value(v) for k, v in row.items()})
                   for p, row in platform_rates(frame, now=as_of).iterrows()],
        townships=levels["township"], communities=levels["community"], grids=levels["grid"],
        units=units)


def create_router(settings: Settings) -> APIRouter:
    """The statistics route (``GET /statistics``)."""
    router = APIRouter(tags=["statistics"])
    router.get("/statistics", response_model=Statistics, response_model_by_alias=True,
               responses=problem_responses(401, 422, 503))(statistics)
    return router
