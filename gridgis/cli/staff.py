"""``gridgis staff …``: the people who sign in: add, import, list, disable, enable, password.

STORE is the incident database (a SQLite file), or a district GeoPackage whose
database sits beside it (``district.incidents.sqlite``); given a GeoPackage,
``add`` and ``import`` also check grid codes, unit ids and area codes against
its layers. Phones are listed masked (138****1234). Passwords are typed twice
at a hidden prompt, or read from one line of standard input
(``--password-stdin``); rosters never hold them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from gridgis.cli._output import clear_errors, err, out
from gridgis.errors import GridGisError, StaffError

if TYPE_CHECKING:
    from gridgis.layers import Layers
    from gridgis.people.staff import StaffMember
    from gridgis.store import IncidentStore

__all__ = ["add", "app", "disable", "enable", "export", "import_", "list_", "open_cli_store",
           "password"]

app = typer.Typer(
    name="staff",
    help="人员：添加、导入、列出、停用、重设密码 / Staff: add, import, list, disable, reset "
         "passwords.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PROGRESS_FROM = 1000
"""Rosters of at least this many rows show a progress bar."""

StoreArg = Annotated[str, typer.Argument(
    metavar="STORE", help="事件数据库（SQLite 文件或 postgresql://…），或区县 GeoPackage（用其旁的"
    "数据库）/ The incident database (a SQLite file or postgresql://…), or a district "
    "GeoPackage (its database beside it).")]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="工号 / Staff id.")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="从标准输入读一行作为密码 / Read the password from one line of "
    "standard input.")]


def open_cli_store(spec: str, *, create: bool) -> IncidentStore:
    """The store named by STORE; ``create`` allows a new database file."""
    import sqlalchemy as sa

    from gridgis.store import SQLiteStore, is_postgres_url, open_store, store_path_for

    if is_postgres_url(spec):
        return open_store(spec)  # a database that cannot be used: StoreError, one line
    database = path = Path(spec)
    if path.suffix.lower() == ".gpkg":
        if not path.is_file():
            raise FileNotFoundError(f"{path}: 没有这个文件 / no such file")
        database = store_path_for(path)
    if path.is_dir() or database.is_dir():
        raise GridGisError(f"{database}: 是文件夹，不是数据库 / is a folder, not a database")
    if not create and not database.is_file():
        raise FileNotFoundError(f"{database}: 没有这个数据库 / no such database")
    try:
        return SQLiteStore(database)
    except (sa.exc.DBAPIError, RuntimeError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise GridGisError(f"{database}: 无法作为事件数据库打开 / cannot be opened as an "
                           f"incident store ({reason})") from None


def _district(store: str, layers: Path | None) -> Layers | None:
    """The layers to check codes against: --layers, or STORE when it is a GeoPackage."""
    from gridgis.layers import read_layers

    source = layers or (Path(store) if store.lower().endswith(".gpkg") else None)
    return None if source is None else read_layers(source, strict=False)


def _read_password(stdin: bool) -> str:
    from gridgis.people.passwords import check_password_strength

    if stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            raise StaffError("标准输入中没有密码 / no password on standard input",
                             field="password")
    else:
        secret = typer.prompt("密码 / password", hide_input=True)
        again = typer.prompt("再输入一次 / repeat the password", hide_input=True)
        if secret != again:
            raise StaffError("两次输入的密码不一致 / the two passwords differ", field="password")
    check_password_strength(secret)
    return secret


def _label(member: StaffMember) -> str:
    return f"{member.staff_id}（{member.name}，{member.title}）"


@clear_errors
def add(
    store: StoreArg,
    staff_id: Annotated[str, typer.Option("--id", help="工号 / Staff id (sign-in name).")],
    name: Annotated[str, typer.Option(help="姓名 / Display name.")],
    role: Annotated[str, typer.Option(
        help="角色 / Role: grid_worker community township command_centre unit analyst "
             "planner admin (or the Chinese name).")],
    grade: Annotated[str | None, typer.Option(
        help="网格员类别 / Grid worker's grade: grid_head full_time part_time informant "
             "(网格长 专职 兼职 信息员).")] = None,
    area: Annotated[str | None, typer.Option(
        help="辖区代码 / Area code (default for a grid worker: the community of the first "
             "grid).")] = None,
    unit: Annotated[str | None, typer.Option(help="单位编号 / Unit id (unit staff).")] = None,
    phone: Annotated[str | None, typer.Option(help="电话 / Phone.")] = None,
    grid: Annotated[list[str] | None, typer.Option(
        help="网格代码，可重复 / A grid code (repeat for several).")] = None,
    layers: Annotated[Path | None, typer.Option(
        help="核对代码用的区县 GeoPackage / District GeoPackage to check codes against.")
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add one person and set their password."""
    from gridgis.people.passwords import hash_password
    from gridgis.people.roles import StaffRole
    from gridgis.people.roster import check_in_district, parse_grade, parse_role
    from gridgis.people.staff import StaffMember

    the_role = parse_role(role)
    grids = tuple(grid or ())
    if area is None and the_role is StaffRole.GRID_WORKER and grids:
        area = grids[0][:12]
    member = StaffMember(staff_id=staff_id, name=name.strip(), role=the_role,
                         grade=parse_grade(grade), area_code=area, unit_id=unit,
                         phone=phone, grids=grids)
    district = _district(store, layers)
    if district is not None:
        check_in_district(member, district)
    directory = open_cli_store(store, create=True).staff
    if directory.find(member.staff_id) is not None:
        raise StaffError(f"工号 {member.staff_id} 已存在 / staff_id {member.staff_id} exists "
                         "already", field="staff_id")
    secret = _read_password(password_stdin)
    directory.save(member, password_hash=hash_password(secret), create_only=True)
    out.print(f"已添加 {_label(member)} / added {member.staff_id}", highlight=False)


@clear_errors
def import_(
    store: StoreArg,
    roster: Annotated[Path, typer.Argument(
        metavar="ROSTER", help="人员名册 .csv 或 .xlsx / Roster file, .csv or .xlsx.")],
    layers: Annotated[Path | None, typer.Option(
        help="核对代码用的区县 GeoPackage / District GeoPackage to check codes against.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度条 / No progress bar."
                                        )] = False,
) -> None:
    """Add or update everyone of a roster (all rows or none); passwords are kept."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from gridgis.people.roster import read_roster, roster_members

    frame = read_roster(roster)
    district = _district(store, layers)
    directory = open_cli_store(store, create=True).staff
    show = not quiet and len(frame) >= PROGRESS_FROM
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, disable=not show) as bar:
        checking = bar.add_task("检查 / checking", total=len(frame))
        members = roster_members(frame, layers=district,
                                 progress=lambda n: bar.advance(checking, n))
        saving = bar.add_task("写入 / saving", total=len(members))
        added, updated = directory.save_many(members, progress=lambda n: bar.advance(saving, n))
    out.print(f"已导入 {len(members)} 人：新增 {added}，更新 {updated} / imported "
              f"{len(members)}: {added} added, {updated} updated", highlight=False)


@clear_errors
def list_(
    store: StoreArg,
    role: Annotated[str | None, typer.Option(help="只列此角色 / Only this role.")] = None,
    area: Annotated[str | None, typer.Option(
        help="只列此辖区（代码前缀）/ Only this area (a code prefix).")] = None,
    active: Annotated[bool, typer.Option(
        "--active/--all", help="只列在岗人员，或全部 / Active people only, or everyone.")
    ] = True,
    fmt: Annotated[Literal["table", "csv", "json"], typer.Option(
        "--format", help="输出格式 / Output format.")] = "table",
) -> None:
    """List people, phones masked."""
    from gridgis.people.privacy import mask_phone
    from gridgis.people.roster import parse_role

    the_role = None if role is None else parse_role(role).value
    people = open_cli_store(store, create=False).staff.members(
        role=the_role, area_code=area, active=True if active else None)
    rows = [{"staff_id": m.staff_id, "name": m.name, "role": m.role.value,
             "grade": m.grade.value if m.grade else None, "area_code": m.area_code,
             "unit_id": m.unit_id, "phone": mask_phone(m.phone), "grids": ";".join(m.grids),
             "active": m.active} for m in people]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    if fmt == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else
                                ["staff_id", "name", "role", "grade", "area_code", "unit_id",
                                 "phone", "grids", "active"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    from rich.table import Table

    table = Table(title=f"人员 / staff: {len(rows)}", title_justify="left")
    for header in ("工号 / id", "姓名 / name", "角色 / role", "辖区 / area", "单位 / unit",
                   "电话 / phone", "网格 / grids", "在岗 / active"):
        table.add_column(header, overflow="fold")
    for m, row in zip(people, rows, strict=True):
        table.add_row(m.staff_id, m.name, m.title, m.area_code or "—", m.unit_id or "—",
                      row["phone"] or "—", row["grids"] or "—", "是" if m.active else "否")
    out.print(table)


def _set_active(store: str, staff_id: str, active: bool) -> None:
    directory = open_cli_store(store, create=False).staff
    member = directory.find(staff_id)
    if member is None:
        raise StaffError(f"没有工号 {staff_id} / no staff {staff_id!r}", field="staff_id")
    directory.set_active(staff_id, active)
    done = "已启用 / enabled" if active else "已停用 / disabled"
    out.print(f"{done} {_label(member)}", highlight=False)


@clear_errors
def disable(store: StoreArg, staff_id: IdArg) -> None:
    """Disable a person: they can no longer sign in (their record and history stay)."""
    _set_active(store, staff_id, False)


@clear_errors
def enable(store: StoreArg, staff_id: IdArg) -> None:
    """Enable a disabled person again."""
    _set_active(store, staff_id, True)


@clear_errors
def password(store: StoreArg, staff_id: IdArg, password_stdin: PasswordStdin = False) -> None:
    """Set (reset) a person's password."""
    from gridgis.people.passwords import hash_password

    directory = open_cli_store(store, create=False).staff
    member = directory.find(staff_id)
    if member is None:
        raise StaffError(f"没有工号 {staff_id} / no staff {staff_id!r}", field="staff_id")
    directory.set_password_hash(staff_id, hash_password(_read_password(password_stdin)))
    out.print(f"已重设密码 / password set: {_label(member)}", highlight=False)


@clear_errors
def export(
    store: StoreArg,
    out_path: Annotated[Path, typer.Argument(
        metavar="OUT", help="名册文件 .csv 或 .xlsx / Roster file to write, .csv or .xlsx.")],
    english: Annotated[bool, typer.Option(
        "--english", help="英文表头和角色名 / English headers and role names.")] = False,
) -> None:
    """Write everyone (active or not) as a roster to edit and import again; no passwords."""
    from gridgis.people.roster import write_roster

    people = open_cli_store(store, create=False).staff.members()
    write_roster(people, out_path, chinese=not english)
    err.print(f"已写出 {len(people)} 人到 {out_path} / wrote {len(people)} people to "
              f"{out_path}", highlight=False)


COMMANDS = (add, import_, list_, disable, enable, password, export)
"""The staff commands, in the order ``gridgis staff --help`` lists them."""

for _command in COMMANDS:
    app.command(name=_command.__name__.rstrip("_"))(_command)
