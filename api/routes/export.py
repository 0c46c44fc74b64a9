"""``GET /export/incidents``: the board's list as a spreadsheet (Excel or CSV), in Chinese.

The same filters as ``GET /incidents`` and the same jurisdiction (only what the signed-in
person may read), every matching row (up to ``MAX_ROWS``), red first. No reporter's
contact details are written (personal data stays in the service), and a cell that a
spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``) is written as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from api.auth import SignedIn
from api.deps import comma_list, get_dispatcher
from api.errors import problem_responses
from gridgis.dispatch import Dispatcher
from gridgis.incidents.names import Light

__all__ = ["COLUMNS", "MAX_ROWS", "create_router", "rows"]

MAX_ROWS = 100_000
"""The most rows one export writes."""
_PAGE = 1_000

STATUS_ZH = {
    "reported": "待受理", "accepted": "已立案", "rejected": "不予受理", "dispatched": "已派遣",
    "in_progress": "处置中", "resolved": "待核查", "reopened": "重新办理", "verified": "待回访",
    "closed": "已结案", "shelved": "挂账"}
LIGHT_ZH = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "none": "无灯"}
PRIORITY_ZH = {"urgent": "紧急", "high": "较急", "normal": "一般"}
COLUMNS: tuple[str, ...] = (
    "事件编号", "类别", "状态", "亮灯", "缓急", "乡镇(街道)", "社区(村)", "网格", "网格编码",
    "承办单位", "描述", "上报时间", "当前时限", "办结时间", "督办次数", "满意度")
"""The sheet's header row."""
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

Dispatch = Annotated[Dispatcher, Depends(get_dispatcher)]


def _time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _safe(value: Any) -> Any:
    """A text a spreadsheet would run as a formula, kept as text (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def rows(dispatcher: Dispatcher, person: Any, **filters: Any) -> Iterator[list[Any]]:
    """Every incident the person may read under ``filters``, one row per incident.

    Parameters
    ----------
    dispatcher : Dispatcher
        The district's dispatcher.
    person : StaffMember
        The signed-in person: the rows are their jurisdiction's.
    **filters
        ``status``, ``light``, ``category`` (tuples), ``grid_code``, ``community_code``,
        ``township_code``.

    Yields
    ------
    list
        The cells of one row, in the order of :data:`COLUMNS`.
    """
    units = dict(zip(dispatcher.layers.units["unit_id"], dispatcher.layers.units["name"],
                     strict=True))
    names = dispatcher.categories["name_zh"].to_dict()
    offset = 0
    while offset < MAX_ROWS:
        page = dispatcher.incidents(person=person, offset=offset, limit=_PAGE, **filters)
        for i in page.items:
            yield [_safe(v) for v in (
                i["incident_id"], names.get(i["category"], i["category"]),
                STATUS_ZH.get(i["status"], i["status"]), LIGHT_ZH.get(i["light"], i["light"]),
                PRIORITY_ZH.get(i["priority"], i["priority"]), i.get("township_name") or "",
                i.get("community_name") or "", i.get("grid_name") or "", i.get("grid_code") or "",
                units.get(i.get("unit_id"), i.get("unit_id") or ""), i["description"],
                _time(i.get("reported_at")), _time(i.get("due_at")), _time(i.get("closed_at")),
                i.get("supervisions") or 0,
                "" if i.get("satisfaction") is None else i["satisfaction"])]
        offset += len(page.items)
        if not page.items or offset >= page.matched:
            return


def _csv(table: Iterator[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(table)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel reads it as UTF-8


def _xlsx(table: Iterator[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "事件列表"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        # control characters a report may carry have no place in a worksheet's XML
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLMNOP", (16, 12, 8, 6, 6, 12, 12, 14, 16, 20, 40,
                                                   16, 16, 16, 8, 6), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def create_router() -> APIRouter:
    """The ``/export/incidents`` route."""
    router = APIRouter(tags=["incidents"])

    @router.get("/export/incidents", responses={
        200: {"content": {MEDIA["xlsx"]: {}, "text/csv": {}},
              "description": "事件列表（Excel 或 CSV）/ the list as a spreadsheet"},
        **problem_responses(401, 422, 503)})
    def export_incidents(
        person: SignedIn,
        dispatcher: Dispatch,
        format: Literal["xlsx", "csv"] = "xlsx",
        status: Annotated[str | None, Query(max_length=500)] = None,
        light: Annotated[str | None, Query(max_length=100)] = None,
        category: Annotated[str | None, Query(max_length=500)] = None,
        grid: Annotated[str | None, Query(max_length=32)] = None,
        community: Annotated[str | None, Query(max_length=32)] = None,
        township: Annotated[str | None, Query(max_length=32)] = None,
    ) -> Response:
        """Every incident of your jurisdiction under the filters, as Excel (.xlsx) or CSV."""
        lights = comma_list(light)
        if set(lights) - set(Light):
            raise RequestValidationError([{"loc": ("query", "light"), "type": "value_error",
                                           "msg": f"light is one of {', '.join(Light)}"}])
        table = rows(dispatcher, person, status=comma_list(status), light=lights,
                     category=comma_list(category), grid_code=grid, community_code=community,
                     township_code=township)
        body = _csv(table) if format == "csv" else _xlsx(table)
        return Response(body, media_type=MEDIA[format], headers={
            "Content-Disposition": f'attachment; filename="incidents.{format}"'})

    return router
