"""The grid worker's task list (任务清单): visits, inspections and patrols due, day by day.

A task catalogue (:func:`load_task_catalogue`; the default
``gridgis/data/baseinfo_tasks.csv``, replaceable, Ouhai's list has 50 items)
says for each item what it applies to — people with a tag (``elderly_alone``)
or a residence (``migrant``), houses of a use (``rented``), organisations of a
kind (``restaurant``), or every grid (a patrol) — and how often, in days.

Each record an item applies to is due ``every_days`` after its last visit
(or from the day it was registered); :func:`task_list` answers for a day:
``done`` (visited that day), ``due`` (due that day) and ``overdue`` (due
before and not visited since), with a light for the console (green, yellow,
red). :func:`record_visit` writes a visit (走访记录) with time, place and notes.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from gridgis.baseinfo.access import check_keep
from gridgis.baseinfo.register import BaseInfoStore
from gridgis.baseinfo.tables import REGISTERS, visits
from gridgis.errors import InputError
from gridgis.people.staff import StaffMember
from gridgis.store.reading import reading

__all__ = ["LIGHTS", "TARGETS", "TaskItem", "load_task_catalogue", "record_visit",
           "task_list", "task_summary"]

TARGETS = ("people", "houses", "orgs", "grids")
LIGHTS = {"done": "green", "due": "yellow", "overdue": "red"}
"""The console's light for each state of a task."""
STATE_NAMES = {"done": "已完成", "due": "今日到期", "overdue": "逾期"}


@dataclass(frozen=True)
class TaskItem:
    """One item of the task catalogue."""

    code: str
    name: str
    name_en: str
    kind: str
    target: str
    match: str
    every_days: int


def load_task_catalogue(path: str | Path | None = None) -> dict[str, TaskItem]:
    """The task catalogue by code (default: the one shipped with gridgis).

    Raises
    ------
    InputError
        A malformed row (the message names the row and the column).

    Examples
    --------
    >>> catalogue = load_task_catalogue()
    >>> catalogue["V01"].every_days, catalogue["P01"].target
    (7, 'grids')
    """
    source = Path(path) if path is not None else files("gridgis") / "data" / \
        "baseinfo_tasks.csv"
    items: dict[str, TaskItem] = {}
    with source.open(encoding="utf-8-sig") as f:
        for number, row in enumerate(csv.DictReader(f), start=2):
            try:
                item = TaskItem(code=row["code"].strip(), name=row["name"].strip(),
                                name_en=row.get("name_en", "").strip(),
                                kind=row["kind"].strip(), target=row["target"].strip(),
                                match=row["match"].strip(), every_days=int(row["every_days"]))
            except (KeyError, ValueError, AttributeError) as exc:
                raise InputError(f"任务清单第 {number} 行有误 / task catalogue row {number} is "
                                 f"malformed ({exc})", field="catalogue") from None
            if item.target not in TARGETS or item.every_days < 1 or not item.code:
                raise InputError(f"任务清单第 {number} 行：target 须为 {'、'.join(TARGETS)}，"
                                 f"every_days ≥ 1 / row {number}: target is one of "
                                 f"{', '.join(TARGETS)} and every_days at least 1",
                                 field="catalogue")
            if item.code in items:
                raise InputError(f"任务清单第 {number} 行：编号 {item.code} 重复 / row {number}: "
                                 f"code {item.code} given twice", field="catalogue")
            items[item.code] = item
    return items


def _targets(engine: sa.Engine, item: TaskItem, areas: Sequence[str],
             grids: pd.DataFrame | None) -> pd.DataFrame:
    """The records an item applies to under ``areas``: id, label, grid, registered day."""
    if item.target == "grids":
        if grids is None:
            return pd.DataFrame(columns=["target_id", "label", "grid_code", "since"])
        codes = [g for g in grids["code"] if any(g.startswith(a) for a in areas)]
        return pd.DataFrame({"target_id": codes, "label": codes, "grid_code": codes,
                             "since": pd.NaT})
    table, key = REGISTERS[item.target]
    label = {"people": table.c.get("name"), "houses": table.c.get("room"),
             "orgs": table.c.get("name")}[item.target]
    where = BaseInfoStore._conditions(table, areas=areas, where=None, status="active")
    if item.target == "people":
        if item.match in ("registered", "migrant"):
            where.append(table.c.residence == item.match)
        else:
            where += BaseInfoStore._conditions(table, areas=None, where={"tag": item.match},
                                               status=None)
    elif item.target == "houses":
        where.append(table.c.use == item.match)
    elif item.match != "*":
        where.append(table.c.kind == item.match)
    query = sa.select(table.c[key], label, table.c.address_id, table.c.grid_code,
                      table.c.created_at).where(*where)
    with reading(engine) as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=["target_id", "label", "address_id", "grid_code",
                                       "since"])


def _last_visits(engine: sa.Engine, codes: Sequence[str], areas: Sequence[str],
                 before: dt.datetime) -> pd.DataFrame:
    where = [visits.c.task_code.in_(list(codes)), visits.c.done_at < before,
             sa.or_(*(visits.c.grid_code.startswith(a, autoescape=True) for a in areas))]
    query = (sa.select(visits.c.task_code, visits.c.target_id,
                       sa.func.max(visits.c.done_at).label("last_at"))
             .where(*where).group_by(visits.c.task_code, visits.c.target_id))
    with reading(engine) as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=["task_code", "target_id", "last_at"])


def task_list(engine: sa.Engine, areas: Sequence[str], day: dt.date, *,
              catalogue: dict[str, TaskItem] | None = None, grids: pd.DataFrame | None = None,
              include_done: bool = True) -> pd.DataFrame:
    """The tasks of ``day`` in the grids under ``areas`` (a grid worker's grids).

    Parameters
    ----------
    engine : sqlalchemy.Engine
    areas : sequence of str
        Grid codes (or prefixes) whose records count.
    day : date
    catalogue : dict, optional
        :func:`load_task_catalogue`'s answer; default the shipped one.
    grids : geopandas.GeoDataFrame, optional
        The grid layer (for the grid tasks such as the daily patrol).
    include_done : bool, default True
        Also list the tasks done on ``day``.

    Returns
    -------
    pandas.DataFrame
        One row per task: ``task_code``, ``task_name``, ``kind``, ``target_kind``,
        ``target_id``, ``label``, ``grid_code``, ``due_on``, ``last_at``,
        ``state`` (done / due / overdue), ``overdue_days``, ``light``; overdue
        first, most overdue first.
    """
    catalogue = catalogue if catalogue is not None else load_task_catalogue()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    last = _last_visits(engine, list(catalogue), areas, end)
    frames = []
    for item in catalogue.values():
        targets = _targets(engine, item, areas, grids)
        if targets.empty:
            continue
        mine = last[last["task_code"] == item.code]
        done = dict(zip(mine["target_id"], mine["last_at"], strict=True))
        t = targets.assign(task_code=item.code, task_name=item.name, kind=item.kind,
                           target_kind=item.target)
        t["last_at"] = pd.to_datetime(pd.Series([done.get(i) for i in t["target_id"]],
                                                index=t.index, dtype=object))
        since = pd.to_datetime(t["since"]).dt.normalize()
        start = since.fillna(pd.Timestamp(day))
        due = (t["last_at"].dt.normalize() + pd.Timedelta(days=item.every_days)).fillna(start)
        t["due_on"] = due.dt.date
        frames.append(t)
    columns = ["task_code", "task_name", "kind", "target_kind", "target_id", "label",
               "grid_code", "due_on", "last_at", "state", "overdue_days", "light"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)
    today = pd.Timestamp(day)
    visited_today = out["last_at"].dt.normalize() == today
    due = pd.to_datetime(out["due_on"])
    out["state"] = "due"
    out.loc[due < today, "state"] = "overdue"
    out.loc[visited_today, "state"] = "done"
    out = out[(due <= today) | visited_today]
    if not include_done:
        out = out[out["state"] != "done"]
    out = out.assign(overdue_days=(today - pd.to_datetime(out["due_on"])).dt.days.clip(lower=0)
                     .where(out["state"] == "overdue", 0).astype(int))
    out["light"] = out["state"].map(LIGHTS)
    rank = out["state"].map({"overdue": 0, "due": 1, "done": 2})
    out = out.assign(_rank=rank).sort_values(["_rank", "overdue_days", "task_code", "target_id"],
                                             ascending=[True, False, True, True])
    return out[columns].reset_index(drop=True)


def task_summary(tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks per grid and state (done, due, overdue), with the share done.

    Examples
    --------
    >>> t = pd.DataFrame({"grid_code": ["g1", "g1", "g2"], "state": ["done", "overdue", "due"]})
    >>> task_summary(t).loc["g1", ["done", "due", "overdue", "total"]].tolist()
    [1, 0, 1, 2]
    """
    table = pd.crosstab(tasks["grid_code"], tasks["state"]).reindex(
        columns=["done", "due", "overdue"], fill_value=0)
    table["total"] = table.sum(axis=1)
    table["done_share"] = (table["done"] / table["total"]).round(4)
    table.columns.name = None
    return table


def record_visit(register: BaseInfoStore, person: StaffMember, *, task_code: str,
                 target_id: str, at: dt.datetime | None = None, lon: float | None = None,
                 lat: float | None = None, place: str | None = None, note: str | None = None,
                 catalogue: dict[str, TaskItem] | None = None,
                 grids: pd.DataFrame | None = None) -> dict[str, Any]:
    """Record a visit or inspection (走访/检查) of a task, by the signed-in person.

    Parameters
    ----------
    register : BaseInfoStore
    person : StaffMember
        A grid worker of the record's grid, or staff of its community.
    task_code : str
        An item of the catalogue; its target kind says what ``target_id`` is.
    target_id : str
        The person, house or organisation visited (a grid code for a grid task).
    at : datetime, optional
        When (naive China time; default now). Not in the future.
    lon, lat : float, optional
        Where (WGS84), from the terminal.
    place, note : str, optional
        Where in words, and what was found (≤ 2,000 characters).

    Returns
    -------
    dict
        The stored visit.

    Raises
    ------
    InputError, RecordNotFoundError, AccessDeniedError
    """
    catalogue = catalogue if catalogue is not None else load_task_catalogue()
    item = catalogue.get(task_code)
    if item is None:
        raise InputError(f"任务清单中没有 {task_code} / no task {task_code!r} in the catalogue",
                         field="task_code")
    now = register.clock()
    at = at or now
    if at > now + dt.timedelta(minutes=5):
        raise InputError("走访时间不能晚于现在 / a visit cannot be in the future", field="at")
    if note is not None and len(note) > 2000:
        raise InputError("备注不能超过 2000 字 / a note has at most 2,000 characters",
                         field="note")
    if (lon is None) != (lat is None):
        raise InputError("经纬度须同时给出 / give lon and lat together", field="lon")
    if item.target == "grids":
        if grids is not None and target_id not in set(grids["code"]):
            raise InputError(f"没有网格 {target_id} / no grid {target_id}", field="target_id")
        grid = target_id
    else:
        record = register.get(item.target, target_id)
        if record["status"] != "active":
            raise InputError(f"{target_id} 已注销 / {target_id} is cancelled", field="target_id")
        grid = record["grid_code"]
    check_keep(person, grid)
    row = {"task_code": item.code, "target_kind": item.target, "target_id": target_id,
           "staff_id": person.staff_id, "grid_code": grid, "done_at": at, "lon": lon,
           "lat": lat, "place": place, "note": note, "recorded_at": now}
    with register.engine.begin() as conn:
        visit_id = conn.execute(sa.insert(visits).values(**row)).inserted_primary_key[0]
    return {"visit_id": int(visit_id), **row}
