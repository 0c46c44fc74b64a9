"""Importing rosters (台账) of addresses, houses, people or organisations from Excel or CSV.

A roster has one record a row under a header in English or Chinese (a title
row above the header is skipped; unknown columns such as 备注 are ignored):

================  ==============================  ==================================
field             Chinese headers                 value
================  ==============================  ==================================
road              道路 / 街路巷                    street (addresses)
door_no           门牌号                           door number (addresses)
building_id       楼栋编号                         building (addresses, optional)
lon, lat          经度, 纬度                       WGS84 (addresses, organisations)
address_id        地址编号                         standard address (houses, people, orgs)
room              室号 / 房号                      room (houses)
use               房屋用途 / 用途                  自住 出租 空置 商铺 (houses)
floor_area_m2     建筑面积 / 面积                  m² (houses)
name              姓名 / 单位名称 / 名称           people, organisations
id_number         公民身份号码 / 身份证号          people
phone             联系电话 / 电话                  people (optional)
residence         人口类别 / 户籍类别              户籍人口 流动人口 (people)
house_id          房屋编号                         people (optional)
tags              人员标签 / 标签                  独居老人;残疾人… (people, optional)
kind              单位类别 / 类别                  商铺 餐饮 企业… (organisations)
licence_id        统一社会信用代码                 organisations
================  ==============================  ==================================

Every row is checked — its fields, its grid (the point, or the address), that
the importer keeps that grid, and duplicates in the file and in the register
— before anything is written; all bad rows are reported at once with their
row number and column (:class:`~gridgis.errors.RosterError`). Identity numbers
that Excel turned into numbers (3.30399E+17) are reported as such: keep the
column as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridgis.baseinfo.access import check_keep
from gridgis.baseinfo.bulk import load_records
from gridgis.baseinfo.duplicates import address_key, same_address, same_id_number
from gridgis.baseinfo.records import EDITABLE, clean_fields
from gridgis.baseinfo.register import GRID_FIELDS, BaseInfoStore
from gridgis.baseinfo.terms import KIND_NAMES, KINDS
from gridgis.errors import AccessDeniedError, InputError, RosterError
from gridgis.people.roster import read_rows
from gridgis.people.staff import StaffMember

__all__ = ["HEADERS", "ImportResult", "import_roster", "read_records"]

HEADERS: dict[str, str] = {
    "道路": "road", "街路巷": "road", "门牌号": "door_no", "楼栋编号": "building_id",
    "经度": "lon", "纬度": "lat", "地址编号": "address_id", "标准地址编号": "address_id",
    "室号": "room", "房号": "room", "房屋用途": "use", "用途": "use",
    "建筑面积": "floor_area_m2", "面积": "floor_area_m2", "姓名": "name", "单位名称": "name",
    "名称": "name", "公民身份号码": "id_number", "身份证号": "id_number",
    "身份证号码": "id_number", "联系电话": "phone", "电话": "phone", "人口类别": "residence",
    "户籍类别": "residence", "房屋编号": "house_id", "人员标签": "tags", "标签": "tags",
    "单位类别": "kind", "类别": "kind", "统一社会信用代码": "licence_id"}
"""Chinese headers and the field each names (the English field names work too)."""
_EXCEL_NUMBER = re.compile(r"^\d(?:\.\d+)?E\+\d+$", re.IGNORECASE)
_SEARCH_ROWS = 10
MAX_LISTED = 20


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: records per kind, and the row number of each new id."""

    kind: str
    added: int
    ids: dict[int, str]


def _column(cell: str, fields: tuple[str, ...]) -> str | None:
    key = cell.strip().lstrip("*＊").strip()
    name = HEADERS.get(key) or key.lower()
    return name if name in fields else None


def read_records(path: str | Path, kind: str) -> pd.DataFrame:
    """The rows of a roster file as text, indexed by their row number in the file.

    Raises
    ------
    FileNotFoundError
    RosterError
        No header row naming the required fields in the first ten rows.
    """
    if kind not in KINDS:
        raise InputError(f"没有 {kind} 这类记录 / no record kind {kind!r}", field="kind")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 没有这个文件 / no such file")
    rows = read_rows(path)
    fields = EDITABLE[kind]
    header_at, columns = -1, {}
    for i, cells in enumerate(rows[:_SEARCH_ROWS]):
        columns = {j: c for j, cell in enumerate(cells) if (c := _column(cell, fields))}
        if len(columns) >= 2:
            header_at = i
            break
    if header_at < 0:
        raise RosterError(f"{path}: 前 {_SEARCH_ROWS} 行中没有{KIND_NAMES[kind]}的表头 / no "
                          f"header row of {kind} in the first {_SEARCH_ROWS} rows",
                          problems=[(1, fields[0], "no header")])
    records, numbers = [], []
    for number, cells in enumerate(rows[header_at + 1:], start=header_at + 2):
        if not any(cells):
            continue
        records.append({c: cells[i] if i < len(cells) else "" for i, c in columns.items()})
        numbers.append(number)
    return pd.DataFrame(records, columns=list(dict.fromkeys(columns.values())),
                        index=pd.Index(numbers, name="row"), dtype=object)


def _message(problems: list[tuple[int, str, str]], kind: str) -> str:
    lines = [f"{KIND_NAMES[kind]}台账有 {len(problems)} 处错误，未写入任何记录 / "
             f"{len(problems)} problem(s) in the {kind} roster; nothing was saved"]
    lines += [f"  第 {r} 行「{f}」/ row {r} [{f}]: {why}" for r, f, why in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"  …… 另有 {len(problems) - MAX_LISTED} 处 / … and "
                     f"{len(problems) - MAX_LISTED} more")
    return "\n".join(lines)


def import_roster(register: BaseInfoStore, kind: str, path: str | Path,
                  person: StaffMember, *, dry_run: bool = False) -> ImportResult:
    """Check a roster file and add its records to the register in one transaction.

    Parameters
    ----------
    register : BaseInfoStore
        With a locator (addresses and organisations are located by their point).
    kind : str
        ``addresses``, ``houses``, ``people`` or ``orgs``.
    path : path-like
        ``.xlsx`` or ``.csv`` (UTF-8 or GBK).
    person : StaffMember
        Who imports: a grid worker or community staff keeping every row's grid.
    dry_run : bool, default False
        Check only.

    Returns
    -------
    ImportResult

    Raises
    ------
    RosterError
        Every bad row: ``problems`` lists (row, field, reason); nothing is written.
    """
    frame = read_records(path, kind)
    problems: list[tuple[int, str, str]] = []
    clean: list[dict[str, Any]] = []
    rows: list[int] = []
    seen: dict[str, int] = {}
    with register.engine.connect() as conn:
        for number, raw in frame.iterrows():
            values = {k: (v if str(v).strip() != "" else None) for k, v in raw.items()}
            try:
                for name in ("id_number", "phone", "licence_id"):
                    if values.get(name) and _EXCEL_NUMBER.match(str(values[name])):
                        raise InputError("被 Excel 改成了科学计数法，请将该列设为文本 / "
                                         "Excel turned it into a number; format the "
                                         "column as text", field=name)
                fields = clean_fields(kind, {k: v for k, v in values.items()
                                             if v is not None}, new=True)
                fields.update(register._grid_of(conn, kind, fields))
                check_keep(person, fields.get("grid_code"))
                if kind == "addresses":
                    fields["full_text"] = f"{fields['road']}{fields['door_no']}"
                    key = address_key(fields.get("community_code"), fields["full_text"])
                    found = same_address(conn, fields.get("community_code"),
                                         fields["full_text"])
                    what = "full_text"
                elif kind == "people":
                    key, found = fields["id_number"], same_id_number(conn, fields["id_number"])
                    what = "id_number"
                    if fields.get("house_id"):
                        register._check_house(conn, fields)
                else:
                    key, found, what = None, None, ""
                if found:
                    raise InputError(f"已登记为 {found} / already registered as {found}",
                                     field=what)
                if key is not None and key in seen:
                    raise InputError(f"与第 {seen[key]} 行重复 / the same as row {seen[key]}",
                                     field=what)
                if key is not None:
                    seen[key] = int(number)
            except InputError as exc:
                problems.append((int(number), exc.field, str(exc)))
                continue
            except AccessDeniedError as exc:
                problems.append((int(number), "grid_code", str(exc)))
                continue
            clean.append(fields)
            rows.append(int(number))
    if problems:
        raise RosterError(_message(problems, kind), problems=problems)
    table = pd.DataFrame(clean)
    if kind == "addresses" and len(table):
        table = _address_codes(register, table)
    key = {"addresses": "address_id", "houses": "house_id", "people": "person_id",
           "orgs": "org_id"}[kind]
    if key not in table or table[key].isna().any():
        import secrets

        prefix = {"houses": "H", "people": "P", "orgs": "O"}.get(kind, "A")
        table[key] = [f"{prefix}{secrets.token_hex(6)}" for _ in range(len(table))]
    if kind == "people":
        tags = table["tags"] if "tags" in table else [None] * len(table)
        table["tags"] = [t if isinstance(t, list) else [] for t in tags]
    if not dry_run and len(table):
        load_records(register.engine, kind, table, at=register.clock(), actor=person.staff_id,
                     role=person.role.value, log=True)
    return ImportResult(kind, 0 if dry_run else len(table), dict(zip(rows, table[key],
                                                                     strict=True)))


def _address_codes(register: BaseInfoStore, table: pd.DataFrame) -> pd.DataFrame:
    """Door-plate codes for new addresses, continuing each community's sequence."""
    import sqlalchemy as sa

    from gridgis.baseinfo.tables import addresses

    codes = []
    with register.engine.connect() as conn:
        last: dict[str, int] = {}
        for community in table["community_code"]:
            if community not in last:
                top = conn.execute(sa.select(sa.func.max(addresses.c.door_code)).where(
                    addresses.c.door_code.startswith(community, autoescape=True))).scalar()
                last[community] = int(top[len(community):]) if top else 0
            last[community] += 1
            codes.append(f"{community}{last[community]:06d}")
    table = table.copy()
    table["door_code"] = codes
    table["address_id"] = "A" + table["door_code"]
    assert set(GRID_FIELDS) <= set(table.columns)
    return table
