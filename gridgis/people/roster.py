"""Staff rosters (人员名册) in and out: CSV or Excel files of the people who sign in.

A roster has one person a row and these columns, headed in English or in
Chinese (a title row above the header, as Excel rosters often have, is
skipped; unknown columns such as 备注 are ignored):

=========  ========  ============================================================
English    Chinese   value
=========  ========  ============================================================
staff_id   工号      the sign-in name (2–32 letters, digits, ``_ . -``)
name       姓名      display name
role       角色      ``grid_worker`` … ``admin`` or the Chinese name (网格员 …)
grade      类别      a grid worker's grade: ``grid_head`` … or 网格长, 专职(网格员)…
area_code  辖区代码  the jurisdiction: community (12), township (9), county (6);
                     a grid worker's defaults to the community of their grids
unit_id    单位编号  the unit of a unit's staff
phone      电话      phone number
grids      网格      a grid worker's grids, separated by ``;`` (or ；、,)
=========  ========  ============================================================

Every row is checked before anything is saved; all bad rows are reported at
once (:class:`~gridgis.errors.RosterError`). A roster never holds passwords:
a file with a password column is refused. CSV files are read as UTF-8 (with
or without BOM) or GBK, the encoding Excel uses on Chinese Windows; codes
and phones that Excel turned into scientific notation (3.30399E+14) are
reported as such: keep those columns as text, or use .xlsx.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridgis.errors import RosterError, StaffError
from gridgis.people.roles import GRADE_NAMES, ROLE_NAMES, Grade, StaffRole
from gridgis.people.staff import StaffMember

if TYPE_CHECKING:
    from gridgis.layers import Layers

__all__ = ["CHINESE_HEADERS", "MAX_LISTED_PROBLEMS", "ROSTER_COLUMNS", "check_in_district",
           "load_roster", "parse_grade", "parse_role", "read_roster", "read_rows",
           "roster_frame", "roster_members", "roster_path_for", "write_roster"]

ROSTER_COLUMNS = ("staff_id", "name", "role", "grade", "area_code", "unit_id", "phone", "grids")
"""The columns of a roster, in the order files are written."""
CHINESE_HEADERS: dict[str, str] = {
    "staff_id": "工号", "name": "姓名", "role": "角色", "grade": "类别", "area_code": "辖区代码",
    "unit_id": "单位编号", "phone": "电话", "grids": "网格"}
"""The Chinese header of each column."""
MAX_LISTED_PROBLEMS = 20
"""How many bad rows the error message lists (the error's ``problems`` holds them all)."""

_REQUIRED = ("staff_id", "name", "role")
_ALIASES = {"账号": "staff_id", "手机": "phone", "手机号": "phone", "联系电话": "phone",
            "辖区": "area_code", "单位": "unit_id", "网格代码": "grids", "所属网格": "grids",
            "网格员类别": "grade"}
_HEADERS = ({c: c for c in ROSTER_COLUMNS} | {zh: c for c, zh in CHINESE_HEADERS.items()}
            | _ALIASES)
_PASSWORD_HEADERS = {"password", "password_hash", "密码", "口令"}
_HEADER_SEARCH_ROWS = 10
_EXCEL_NUMBER = re.compile(r"^\d(?:\.\d+)?E\+\d+$", re.IGNORECASE)
_GRID_SEPARATORS = re.compile(r"[;；,，、\s]+")
_ROLES: dict[str, StaffRole] = (
    {r.value: r for r in StaffRole} | {zh: r for r, zh in ROLE_NAMES.items()}
    | {"社区": StaffRole.COMMUNITY, "村": StaffRole.COMMUNITY, "乡镇": StaffRole.TOWNSHIP,
       "街道": StaffRole.TOWNSHIP, "县": StaffRole.COMMAND_CENTRE, "区": StaffRole.COMMAND_CENTRE,
       "指挥中心": StaffRole.COMMAND_CENTRE, "单位": StaffRole.UNIT})
_GRADES: dict[str, Grade] = (
    {g.value: g for g in Grade} | {zh: g for g, zh in GRADE_NAMES.items()}
    | {zh.removesuffix("网格员"): g for g, zh in GRADE_NAMES.items()})


def parse_role(value: str) -> StaffRole:
    """A role from its English value or its Chinese name.

    Raises
    ------
    StaffError
        Naming ``role``, for a value that is neither.

    Examples
    --------
    >>> parse_role("乡镇(街道)综治中心")
    <StaffRole.TOWNSHIP: 'township'>
    >>> parse_role("Grid_Worker")
    <StaffRole.GRID_WORKER: 'grid_worker'>
    """
    key = _clean(value)
    role = _ROLES.get(key) or _ROLES.get(key.lower()) or _ROLES.get(key.replace("（", "(")
                                                                    .replace("）", ")"))
    if role is None:
        raise StaffError(f"未知角色 {key!r}（可用：{'、'.join(ROLE_NAMES.values())}）/ unknown "
                         f"role {key!r}; roles are {', '.join(StaffRole)}", field="role")
    return role


def parse_grade(value: str | None) -> Grade | None:
    """A grid worker's grade from its English value or Chinese name (专职 or 专职网格员).

    Raises
    ------
    StaffError
        Naming ``grade``, for an unknown value.

    Examples
    --------
    >>> parse_grade("专职")
    <Grade.FULL_TIME: 'full_time'>
    >>> parse_grade("") is None
    True
    """
    key = _clean(value)
    if not key:
        return None
    grade = _GRADES.get(key) or _GRADES.get(key.lower())
    if grade is None:
        raise StaffError(f"未知类别 {key!r}（可用：{'、'.join(GRADE_NAMES.values())}）/ unknown "
                         f"grade {key!r}; grades are {', '.join(Grade)}", field="grade")
    return grade


def _clean(value: Any) -> str:
    """A cell as text: numbers without '.0', dates as ISO, blanks as ''."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def read_rows(path: Path) -> list[list[str]]:
    """The rows of a roster file as text cells.

    Parameters
    ----------
    path : Path
        A ``.xlsx`` workbook (its first sheet) or a CSV file in UTF-8 or GBK.

    Returns
    -------
    list of list of str
        Every row, the header row first, each cell as stripped text.
    """
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError … for bad files
            raise StaffError(f"{path}: 无法作为 Excel 文件打开 / cannot be opened as an .xlsx "
                             f"workbook ({type(exc).__name__})", field="file") from None
        try:
            sheet = book.worksheets[0]
            return [[_clean(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    if suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:  # Excel on Chinese Windows saves CSV in GBK
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError:
                raise StaffError(f"{path}: 不是 UTF-8 或 GBK 编码的文本 / not UTF-8 or GBK text",
                                 field="file") from None
        return [[_clean(v) for v in row] for row in csv.reader(io.StringIO(text))]
    raise StaffError(f"{path}: 名册须为 .csv 或 .xlsx 文件 / a roster is a .csv or .xlsx file",
                     field="file")


def _header_map(cells: Sequence[str]) -> dict[int, str]:
    found: dict[int, str] = {}
    for i, cell in enumerate(cells):
        key = cell.strip().lstrip("*＊").strip()
        column = _HEADERS.get(key) or _HEADERS.get(key.lower())
        if column is not None:
            found[i] = column
    return found


def read_roster(path: str | Path) -> pd.DataFrame:
    """Read a roster file (.csv in UTF-8 or GBK, or .xlsx) as text columns.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`ROSTER_COLUMNS` (text, "" when blank), indexed by
        the row number in the file (``row``: the first row of the file is 1);
        blank rows are left out.

    Raises
    ------
    FileNotFoundError
        For a missing file.
    StaffError
        For a file that is not a roster: not .csv or .xlsx, no header row,
        a missing required column (``staff_id``, ``name``, ``role``), a column
        given twice, or a password column.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 没有这个文件 / no such file")
    rows = read_rows(path)
    header_at, columns = -1, {}
    for i, cells in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        columns = _header_map(cells)
        if "staff_id" in columns.values():
            header_at = i
            break
    if header_at < 0:
        raise StaffError(f"{path}: 前 {_HEADER_SEARCH_ROWS} 行中没有表头（工号、姓名、角色……）/ no "
                         "header row (staff_id, name, role, …) in the first "
                         f"{_HEADER_SEARCH_ROWS} rows", field="staff_id")
    header = [c.strip().lower() for c in rows[header_at]]
    if _PASSWORD_HEADERS & set(header):
        raise StaffError(f"{path}: 名册不能含密码列，密码请用 gridgis staff password 逐人设置 / a "
                         "roster never holds passwords; set them with gridgis staff password",
                         field="password")
    named = list(columns.values())
    for column in ROSTER_COLUMNS:
        if named.count(column) > 1:
            raise StaffError(f"{path}: 列 {CHINESE_HEADERS[column]}（{column}）出现了两次 / "
                             f"column {column} appears twice", field=column)
    for column in _REQUIRED:
        if column not in named:
            raise StaffError(f"{path}: 缺少列 {CHINESE_HEADERS[column]} / the roster has no "
                             f"{column} column", field=column)
    records, numbers = [], []
    for number, cells in enumerate(rows[header_at + 1:], start=header_at + 2):
        if not any(cells):
            continue
        record = dict.fromkeys(ROSTER_COLUMNS, "")
        for i, column in columns.items():
            if i < len(cells):
                record[column] = cells[i]
        records.append(record)
        numbers.append(number)
    frame = pd.DataFrame(records, columns=list(ROSTER_COLUMNS),
                         index=pd.Index(numbers, name="row", dtype="int64"), dtype=object)
    return frame


def _grids(text: str) -> tuple[str, ...]:
    return tuple(g for g in _GRID_SEPARATORS.split(text) if g)


def _known_codes(layers: Layers) -> tuple[set[str], set[str] | None, set[str]]:
    grids = set(layers.grids["code"])
    units = None if layers.units is None else set(layers.units["unit_id"])
    areas = set(layers.communities["code"]) | set(layers.townships["code"])
    if "district_code" in layers.townships:
        areas |= set(layers.townships["district_code"].dropna())
    areas |= {code[:6] for code in layers.townships["code"]}
    return grids, units, areas


def _message(problems: list[tuple[int, str, str]]) -> str:
    lines = [f"名册有 {len(problems)} 处错误，未写入任何人 / {len(problems)} problem(s) in the "
             "roster; nothing was saved"]
    lines += [f"  第 {row} 行 / row {row} [{field}]: {reason}"
              for row, field, reason in problems[:MAX_LISTED_PROBLEMS]]
    if len(problems) > MAX_LISTED_PROBLEMS:
        more = len(problems) - MAX_LISTED_PROBLEMS
        lines.append(f"  …… 另有 {more} 处 / … and {more} more")
    return "\n".join(lines)


def roster_members(frame: pd.DataFrame, *, layers: Layers | None = None,
                   progress: Callable[[int], None] | None = None) -> list[StaffMember]:
    """Check every row of a roster and make its people.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns of :data:`ROSTER_COLUMNS` (as :func:`read_roster` or
        :func:`gridgis.sample.sample_roster` make them). Row numbers in
        messages are the index when it is named ``row``, else the position
        plus 2 (the row of a file with one header row).
    layers : Layers, optional
        The district: when given, grid codes must be grids of it, unit ids
        units of it, and area codes its county, townships or communities.
    progress : callable, optional
        Called with the number of rows checked since the last call.

    Returns
    -------
    list of StaffMember
        In the order of the rows.

    Raises
    ------
    RosterError
        Listing every bad row (row number, field, reason): a malformed value,
        an unknown role or grade, a staff id given twice, a code the district
        does not have.

    Examples
    --------
    >>> frame = pd.DataFrame([{"staff_id": "sq00100101", "name": "林芳", "role": "社区(村)综治中心",
    ...                        "area_code": "330399001001"}])
    >>> roster_members(frame)[0].role
    <StaffRole.COMMUNITY: 'community'>
    """
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise StaffError(f"名册缺少列 {'、'.join(CHINESE_HEADERS[c] for c in missing)} / the "
                         f"roster has no {', '.join(missing)} column", field=missing[0])
    numbers = (list(frame.index) if frame.index.name == "row"
               else list(range(2, len(frame) + 2)))
    known = _known_codes(layers) if layers is not None else None
    present = [c for c in ROSTER_COLUMNS if c in frame.columns]
    problems: list[tuple[int, str, str]] = []
    members: list[StaffMember] = []
    first_row: dict[str, int] = {}
    for count, (number, values) in enumerate(zip(numbers, frame[present].itertuples(
            index=False, name=None), strict=True), start=1):
        if progress is not None and count % 1000 == 0:
            progress(1000)
        cell = dict.fromkeys(ROSTER_COLUMNS, "") | {c: _clean(v) for c, v in
                                                    zip(present, values, strict=True)}
        if not any(cell.values()):
            continue
        mangled = [c for c in ("area_code", "phone", "grids") if _EXCEL_NUMBER.match(cell[c])]
        if mangled:
            problems.append((int(number), mangled[0], (
                f"{cell[mangled[0]]!r} 是 Excel 改成的科学计数法，请把该列设为文本或用 .xlsx / "
                "Excel turned this into scientific notation: format the column as text or "
                "use .xlsx")))
            continue
        try:
            role, grids = parse_role(cell["role"]), _grids(cell["grids"])
            area = cell["area_code"] or (grids[0][:12] if grids and role is StaffRole.GRID_WORKER
                                         else None)
            member = StaffMember(
                staff_id=cell["staff_id"], name=cell["name"], role=role,
                grade=parse_grade(cell["grade"]), area_code=area,
                unit_id=cell["unit_id"] or None,
                phone=re.sub(r"[\s()（）]", "", cell["phone"]) or None, grids=grids)
        except StaffError as exc:
            problems.append((int(number), exc.field or "row", str(exc)))
            continue
        if member.staff_id in first_row:
            problems.append((int(number), "staff_id",
                             f"工号 {member.staff_id} 与第 {first_row[member.staff_id]} 行重复 / "
                             f"staff_id {member.staff_id} repeats row "
                             f"{first_row[member.staff_id]}"))
            continue
        first_row[member.staff_id] = int(number)
        if known is not None:
            problem = _unknown_code(member, *known)
            if problem is not None:
                problems.append((int(number), *problem))
                continue
        members.append(member)
    if progress is not None and len(numbers) % 1000:
        progress(len(numbers) % 1000)
    if problems:
        raise RosterError(_message(problems), problems=problems)
    return members


def _unknown_code(member: StaffMember, grids: set[str], units: set[str] | None,
                  areas: set[str]) -> tuple[str, str] | None:
    for code in member.grids:
        if code not in grids:
            return "grids", f"辖区内没有网格 {code} / the district has no grid {code}"
    if member.unit_id is not None:
        if units is None:
            return "unit_id", "辖区没有承办单位图层 / the district has no units layer"
        if member.unit_id not in units:
            return "unit_id", (f"没有单位 {member.unit_id} / the district has no unit "
                               f"{member.unit_id}")
    if member.area_code is not None and member.area_code not in areas:
        return "area_code", (f"辖区内没有区划代码 {member.area_code} / the district has no "
                             f"county, township or community {member.area_code}")
    return None


def check_in_district(member: StaffMember, layers: Layers) -> None:
    """Refuse a person whose grids, unit or area code the district does not have.

    Raises
    ------
    StaffError
        Naming ``grids``, ``unit_id`` or ``area_code``.
    """
    problem = _unknown_code(member, *_known_codes(layers))
    if problem is not None:
        raise StaffError(problem[1], field=problem[0])


def load_roster(path: str | Path, *, layers: Layers | None = None,
                progress: Callable[[int], None] | None = None) -> list[StaffMember]:
    """Read a roster file and check it: :func:`read_roster` then :func:`roster_members`."""
    return roster_members(read_roster(path), layers=layers, progress=progress)


def roster_frame(members: Iterable[StaffMember]) -> pd.DataFrame:
    """People as a roster: the columns of :data:`ROSTER_COLUMNS`, None where blank.

    Examples
    --------
    >>> m = StaffMember("qx01", "陈静", StaffRole.COMMAND_CENTRE, "330399", phone="13857712345")
    >>> roster_frame([m]).iloc[0].to_dict()["role"]
    'command_centre'
    """
    rows = [{"staff_id": m.staff_id, "name": m.name, "role": m.role.value,
             "grade": m.grade.value if m.grade else None, "area_code": m.area_code,
             "unit_id": m.unit_id, "phone": m.phone, "grids": ";".join(m.grids) or None}
            for m in members]
    return pd.DataFrame(rows, columns=list(ROSTER_COLUMNS), dtype=object)


def roster_path_for(layers_path: str | Path) -> Path:
    """The roster file written beside a district GeoPackage by ``gridgis sample``.

    Examples
    --------
    >>> roster_path_for("layers/district.gpkg").name
    'district.roster.csv'
    """
    p = Path(layers_path)
    return p.with_name(f"{p.stem}.roster.csv")


def write_roster(roster: pd.DataFrame | Iterable[StaffMember], path: str | Path, *,
                 chinese: bool = True) -> Path:
    """Write a roster as .csv (UTF-8 with a BOM, so Excel opens it) or .xlsx.

    Parameters
    ----------
    roster : pandas.DataFrame or iterable of StaffMember
        A frame with the columns of :data:`ROSTER_COLUMNS`, or people.
    path : path-like
        Ends in ``.csv`` or ``.xlsx``.
    chinese : bool, default True
        Chinese headers and role and grade names (工号, 网格员, 网格长 …);
        False writes the English ones. :func:`read_roster` reads both.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise StaffError(f"{path}: 名册须为 .csv 或 .xlsx 文件 / a roster is a .csv or .xlsx file",
                         field="file")
    frame = roster if isinstance(roster, pd.DataFrame) else roster_frame(roster)
    frame = frame.reindex(columns=list(ROSTER_COLUMNS)).astype(object)
    frame = frame.where(frame.notna(), "")
    if chinese:
        frame["role"] = [ROLE_NAMES[parse_role(v)] if v else "" for v in frame["role"]]
        frame["grade"] = [GRADE_NAMES[g] if (g := parse_grade(v)) else "" for v in frame["grade"]]
        frame = frame.rename(columns=CHINESE_HEADERS)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        return path
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "人员名册"
    sheet.append(list(frame.columns))
    for values in frame.itertuples(index=False, name=None):
        sheet.append([str(v) if v != "" else None for v in values])
    for cells in sheet.iter_cols(min_row=1, max_row=1):  # codes and phones stay text
        sheet.column_dimensions[cells[0].column_letter].width = 16
    book.save(path)
    return path
