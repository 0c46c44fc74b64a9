"""Base information (一标三实): find an address, keep households, record visits, share counts.

- ``GET /baseinfo/{kind}`` lists addresses, houses, people or organisations
  of one's area (``q`` finds an address by its text, a person or an
  organisation by name); ``GET /baseinfo/{kind}/{id}`` one record with its
  history. People's name, identity number, phone and birth date are masked
  (``张**``) unless the reader keeps the record (a grid worker of its grid,
  staff of its community).
- ``POST /baseinfo/{kind}`` 新增, ``PATCH /baseinfo/{kind}/{id}`` 变更 (naming
  the ``version`` read: 409 when someone changed it meanwhile),
  ``POST /baseinfo/{kind}/{id}/cancel`` 注销 with the reason — by a grid
  worker in their grids or community staff in their community; the record
  is located in its grid by its point or its address.
- ``GET /baseinfo/tasks`` the day's task list (done, due, overdue with their
  lights); ``POST /baseinfo/visits`` records a visit with time, place, notes.
- ``GET /baseinfo/statistics`` counts per grid, community or township;
  ``GET /baseinfo/export.xlsx`` the registers of one's area, masked as above.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import SignedIn
from api.deps import Offset, limit_query
from api.errors import problem_responses
from api.models import CrsName, CstIn, CstOut
from api.settings import Settings
from gridgis.baseinfo.access import present_person, read_areas
from gridgis.baseinfo.register import BaseInfoStore
from gridgis.baseinfo.tables import REGISTERS
from gridgis.baseinfo.terms import KIND_NAMES
from gridgis.errors import AccessDeniedError, InputError, RecordNotFoundError

__all__ = ["create_router", "get_register"]

Kind = Literal["addresses", "houses", "people", "orgs"]
Level = Literal["grid", "community", "township"]


def get_register(request: Request) -> BaseInfoStore:
    """The service's base-information registers, built at start-up."""
    register = getattr(request.app.state, "baseinfo", None)
    if register is None:
        raise AccessDeniedError("本服务未启用基础信息 / this service keeps no base information")
    return register


Register = Annotated[BaseInfoStore, Depends(get_register)]


class RecordIn(BaseModel):
    """Fields of a record (新增: those its kind requires; 变更: those that change)."""

    model_config = ConfigDict(extra="forbid")

    road: str | None = Field(None, max_length=64, description="街路巷 / street (addresses)")
    door_no: str | None = Field(None, max_length=16, description="门牌号 / door number")
    building_id: str | None = Field(None, max_length=40)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    crs: CrsName = "wgs84"
    address_id: str | None = Field(None, max_length=32, description="标准地址编号")
    room: str | None = Field(None, max_length=16, description="室号 (houses)")
    use: str | None = Field(None, max_length=16,
                            description="房屋用途: owner_occupied 自住 / rented 出租 / vacant "
                                        "空置 / shop 商铺")
    floor_area_m2: float | None = Field(None, gt=0, le=100_000)
    name: str | None = Field(None, max_length=100)
    id_number: str | None = Field(None, max_length=18, description="公民身份号码 (people)")
    phone: str | None = Field(None, max_length=20)
    residence: str | None = Field(None, max_length=12,
                                  description="registered 户籍人口 / migrant 流动人口")
    house_id: str | None = Field(None, max_length=40)
    tags: list[Annotated[str, Field(max_length=32)]] | None = Field(
        None, max_length=20, description="人员标签 / tags, e.g. elderly_alone 独居老人")
    kind: str | None = Field(None, max_length=16, description="单位类别 (orgs)")
    licence_id: str | None = Field(None, max_length=18, description="统一社会信用代码 (orgs)")

    def fields(self) -> dict[str, Any]:
        """The fields set, the point converted to WGS84."""
        from gridgis.crs import to_wgs84

        out = self.model_dump(exclude_unset=True, exclude={"crs"})
        if ("lon" in out) != ("lat" in out):
            raise InputError("经纬度须同时给出 / give lon and lat together", field="lon")
        if out.get("lon") is not None and out.get("lat") is not None:
            x, y = to_wgs84([out["lon"]], [out["lat"]], self.crs)
            out["lon"], out["lat"] = float(x[0]), float(y[0])
        return out


class ChangeIn(BaseModel):
    """变更: the fields that change, the version read, why."""

    model_config = ConfigDict(extra="forbid")

    fields: RecordIn
    version: int | None = Field(None, ge=1, description="读到的版本 / the version you read")
    note: str | None = Field(None, max_length=500)


class CancelIn(BaseModel):
    """注销: why, and the version read."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=500, description="注销原因 / why")
    version: int | None = Field(None, ge=1)


class RecordOut(BaseModel):
    """A record of a register (the columns of its kind, see layers/README.md)."""

    model_config = ConfigDict(extra="allow")

    grid_code: str | None
    status: str
    version: int
    updated_at: CstOut
    masked: bool | None = Field(None, description="个人信息已脱敏 / personal data masked")


class RecordPage(BaseModel):
    """A page of records."""

    kind: str
    items: list[RecordOut]
    matched: int
    returned: int


class HistoryOut(BaseModel):
    """One change of a record."""

    action: str = Field(description="add 新增 / change 变更 / cancel 注销 / reassign 调整网格 / "
                                    "import 导入")
    at: CstOut
    actor: str
    role: str
    changes: dict[str, Any]
    note: str | None


class RecordDetail(BaseModel):
    """A record and its history."""

    record: RecordOut
    history: list[HistoryOut]


class TaskOut(BaseModel):
    """A task of the day."""

    task_code: str
    task_name: str
    kind: str
    target_kind: str
    target_id: str
    label: str | None
    grid_code: str | None
    due_on: dt.date
    last_at: CstOut | None
    state: str = Field(description="done 已完成 / due 今日到期 / overdue 逾期")
    overdue_days: int
    light: str = Field(description="green / yellow / red")


class TaskList(BaseModel):
    """A day's tasks and their counts."""

    day: dt.date
    counts: dict[str, int]
    items: list[TaskOut]


class VisitIn(BaseModel):
    """A visit or inspection done (走访/检查)."""

    model_config = ConfigDict(extra="forbid")

    task_code: str = Field(max_length=8)
    target_id: str = Field(max_length=40)
    at: CstIn | None = Field(None, description="走访时间，默认现在 / when; default now")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    crs: CrsName = "wgs84"
    place: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)


class VisitOut(BaseModel):
    """A recorded visit."""

    visit_id: int
    task_code: str
    target_kind: str
    target_id: str
    staff_id: str
    grid_code: str
    done_at: CstOut
    lon: float | None
    lat: float | None
    place: str | None
    note: str | None


class StatisticsOut(BaseModel):
    """Counts per area of a level (column names in ``names``)."""

    level: str
    names: dict[str, str]
    items: list[dict[str, Any]]


def _in_scope(areas: tuple[str, ...], record: dict[str, Any]) -> bool:
    return any((record.get("grid_code") or "").startswith(a) for a in areas)


def _out(person: Any, kind: str, record: dict[str, Any], today: dt.date) -> RecordOut:
    if kind == "people":
        record = present_person(person, record, today=today)
    return RecordOut(**record)


def create_router(settings: Settings) -> APIRouter:
    """The base-information routes."""
    router = APIRouter(prefix="/baseinfo", tags=["baseinfo"])
    bounded_limit = Depends(limit_query(default=settings.incidents_limit_default,
                                        maximum=settings.incidents_limit_max))

    @router.get("/statistics", response_model=StatisticsOut,
                responses=problem_responses(401, 403, 422, 503))
    def statistics(person: SignedIn, register: Register, level: Level = "grid") -> StatisticsOut:
        """Counts of one's area per grid, community or township (信息共享)."""
        from gridgis.baseinfo.stats import STAT_NAMES, baseinfo_statistics

        table = baseinfo_statistics(register.engine, level=level, areas=read_areas(person))
        items = [{"code": code, **{k: int(v) for k, v in row.items()}}
                 for code, row in table.iterrows()]
        return StatisticsOut(level=level, names=STAT_NAMES, items=items)

    @router.get("/export.xlsx", response_class=Response, responses={
        **problem_responses(401, 403, 422, 503),
        200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                          {"schema": {"type": "string", "format": "binary"}}}}})
    def export(person: SignedIn, register: Register, level: Level = "grid") -> Response:
        """The registers of one's area as an Excel workbook (statistics first), masked."""
        from gridgis.baseinfo.export import export_frames, write_excel
        from gridgis.baseinfo.stats import baseinfo_statistics

        areas = read_areas(person)
        frames = export_frames(register.engine, person, areas=areas,
                               today=register.clock().date())
        stats = baseinfo_statistics(register.engine, level=level, areas=areas)
        with tempfile.TemporaryDirectory() as folder:
            path = write_excel(frames, FilePath(folder) / "baseinfo.xlsx", statistics=stats)
            content = path.read_bytes()
        return Response(content, media_type="application/vnd.openxmlformats-officedocument."
                                            "spreadsheetml.sheet",
                        headers={"Content-Disposition": 'attachment; filename="baseinfo.xlsx"'})

    @router.get("/tasks", response_model=TaskList,
                responses=problem_responses(401, 403, 422, 503))
    def tasks(person: SignedIn, register: Register, request: Request,
              day: dt.date | None = None,
              staff: Annotated[str | None, Query(max_length=64, alias="person")] = None,
              include_done: bool = True) -> TaskList:
        """The day's task list of a grid worker (default: yourself, today), overdue first."""
        from gridgis.baseinfo.tasks import task_list

        day = day or register.clock().date()
        if abs((day - register.clock().date()).days) > 3660:
            raise InputError("日期须在十年之内 / the day lies within ten years of today",
                             field="day")
        target = person
        if staff not in (None, person.staff_id):
            target = request.app.state.dispatcher.store.staff.find(staff)
            areas = read_areas(person)
            if target is None or target.role != "grid_worker" or not any(
                    g.startswith(areas) for g in target.grids):
                raise AccessDeniedError("只能查看本人或本辖区网格员的任务 / the tasks of yourself "
                                        "or a grid worker of your area")
        if target.role != "grid_worker":
            raise AccessDeniedError("任务清单属于网格员，请用 person 指定网格员 / task lists "
                                    "belong to grid workers; name one with person")
        table = task_list(register.engine, target.grids, day,
                          grids=request.app.state.dispatcher.layers.grids,
                          include_done=include_done)
        counts = table["state"].value_counts().reindex(["done", "due", "overdue"],
                                                       fill_value=0)
        items = [TaskOut(**{k: (None if v != v else v) for k, v in r.items()})
                 for r in table.to_dict("records")]
        for item in items:  # pandas gives Timestamps; NaT above became None
            if item.last_at is not None:
                item.last_at = item.last_at.replace(tzinfo=None)
        return TaskList(day=day, counts={k: int(v) for k, v in counts.items()}, items=items)

    @router.post("/visits", response_model=VisitOut, status_code=201,
                 responses=problem_responses(400, 401, 403, 404, 422, 503))
    def visit(person: SignedIn, register: Register, request: Request,
              body: VisitIn) -> VisitOut:
        """Record a visit or inspection of a task (走访记录), under the signed-in person."""
        from gridgis.baseinfo.tasks import record_visit
        from gridgis.crs import to_wgs84

        lon, lat = body.lon, body.lat
        if lon is not None and lat is not None:
            x, y = to_wgs84([lon], [lat], body.crs)
            lon, lat = float(x[0]), float(y[0])
        stored = record_visit(register, person, task_code=body.task_code,
                              target_id=body.target_id, at=body.at, lon=lon, lat=lat,
                              place=body.place, note=body.note,
                              grids=request.app.state.dispatcher.layers.grids)
        return VisitOut(**stored)

    @router.get("/duplicates", responses=problem_responses(401, 403, 422, 503))
    def duplicates(person: SignedIn, register: Register,
                   kind: Literal["people", "addresses"] = "people") -> dict[str, Any]:
        """Likely duplicates among one's area's people or addresses (查重)."""
        from gridgis.baseinfo.duplicates import find_duplicates

        found = find_duplicates(register.engine, kind, areas=read_areas(person))
        return {"kind": kind, "items": found.to_dict("records")}

    @router.get("/{kind}", response_model=RecordPage,
                responses=problem_responses(401, 403, 422, 503))
    def list_records(
        person: SignedIn, register: Register, kind: Kind,
        q: Annotated[str | None, Query(max_length=100, description="地址文字或姓名/名称 / an "
                                                                    "address's text, a name")
                     ] = None,
        grid: Annotated[str | None, Query(max_length=15)] = None,
        tag: Annotated[str | None, Query(max_length=32)] = None,
        use: Annotated[str | None, Query(max_length=16)] = None,
        residence: Annotated[str | None, Query(max_length=12)] = None,
        address_id: Annotated[str | None, Query(max_length=32)] = None,
        status: Literal["active", "cancelled"] = "active",
        limit: int = bounded_limit, offset: Offset = 0,
    ) -> RecordPage:
        """Records of one's area (找地址: ``q`` on addresses)."""
        table = REGISTERS[kind][0]
        where = {k: v for k, v in (("grid_code", grid), ("tag", tag), ("use", use),
                                   ("residence", residence), ("address_id", address_id))
                 if v is not None}
        for column in where:
            if column != "tag" and column not in table.c:
                raise InputError(f"{KIND_NAMES[kind]}没有 {column} / {kind} have no {column}",
                                 field=column)
        if "tag" in where and kind != "people":
            raise InputError("只有人口有标签 / only people have tags", field="tag")
        items, matched = register.list(kind, areas=read_areas(person), where=where, text=q,
                                       status=status, limit=limit, offset=offset)
        today = register.clock().date()
        return RecordPage(kind=kind, items=[_out(person, kind, r, today) for r in items],
                          matched=matched, returned=len(items))

    @router.post("/{kind}", response_model=RecordOut, status_code=201,
                 responses=problem_responses(400, 401, 403, 409, 422, 503))
    def add(person: SignedIn, register: Register, kind: Kind, body: RecordIn,
            response: Response) -> RecordOut:
        """新增: a record in one of your grids (located by its point or address)."""
        stored = register.add(kind, body.fields(), person)
        key = REGISTERS[kind][1]
        response.headers["Location"] = f"/baseinfo/{kind}/{stored[key]}"
        return _out(person, kind, stored, register.clock().date())

    def _readable(person: Any, register: BaseInfoStore, kind: str, record_id: str
                  ) -> dict[str, Any]:
        record = register.get(kind, record_id)
        if not _in_scope(read_areas(person), record):  # no hint that it exists elsewhere
            raise RecordNotFoundError(f"没有{KIND_NAMES[kind]} {record_id} / no {kind} record "
                                      f"{record_id!r}", field=REGISTERS[kind][1])
        return record

    @router.get("/{kind}/{record_id}", response_model=RecordDetail,
                responses=problem_responses(401, 403, 404, 422, 503))
    def read(person: SignedIn, register: Register, kind: Kind,
             record_id: Annotated[str, Path(max_length=40)]) -> RecordDetail:
        """One record of your area with its history (新增/变更/注销/调整网格)."""
        record = _readable(person, register, kind, record_id)
        history = register.history(kind, record_id)
        if kind == "people" and present_person(person, record,
                                               today=register.clock().date())["masked"]:
            for h in history:  # the before/after of personal fields stay hidden too
                h["changes"] = {k: ["***", "***"] if k in ("name", "id_number", "phone",
                                                         "birth_date") else v
                                for k, v in h["changes"].items()}
        return RecordDetail(record=_out(person, kind, record, register.clock().date()),
                            history=[HistoryOut(**h) for h in history])

    @router.patch("/{kind}/{record_id}", response_model=RecordOut,
                  responses=problem_responses(400, 401, 403, 404, 409, 422, 503))
    def change(person: SignedIn, register: Register, kind: Kind,
               record_id: Annotated[str, Path(max_length=40)], body: ChangeIn) -> RecordOut:
        """变更: change fields of a record you keep (moving an address moves its households)."""
        _readable(person, register, kind, record_id)
        stored = register.change(kind, record_id, body.fields.fields(), person,
                                 expected_version=body.version, note=body.note)
        return _out(person, kind, stored, register.clock().date())

    @router.post("/{kind}/{record_id}/cancel", response_model=RecordOut,
                 responses=problem_responses(400, 401, 403, 404, 409, 422, 503))
    def cancel(person: SignedIn, register: Register, kind: Kind,
               record_id: Annotated[str, Path(max_length=40)], body: CancelIn) -> RecordOut:
        """注销: take a record you keep off the register, saying why (kept with its history)."""
        _readable(person, register, kind, record_id)
        stored = register.cancel(kind, record_id, person, note=body.note,
                                 expected_version=body.version)
        return _out(person, kind, stored, register.clock().date())

    return router
