"""``gridgis baseinfo …``: the base information (一标三实) of a district's store.

DISTRICT is the district GeoPackage; the registers live in the incident store
beside it (``district.incidents.sqlite``) or in ``--store``.

- ``sample``: a synthetic population for the district's buildings (no real person);
- ``reassign``: after ``gridgis adopt``, every record in the grid of the new plan;
- ``stats``: counts per grid, community or township;
- ``import``: a roster (.xlsx/.csv) of addresses, houses, people or organisations,
  as a member of staff (their grids are checked; every bad row is named);
- ``export``: the registers of a member of staff's area, masked as they may see
  them, to .xlsx or .gpkg.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridgis.cli._output import clear_errors, err, frame_table, out
from gridgis.errors import GridGisError

if TYPE_CHECKING:
    from gridgis.baseinfo import BaseInfoStore
    from gridgis.index.grid import GridIndex
    from gridgis.layers import Layers
    from gridgis.people.staff import StaffMember

__all__ = ["app", "export", "import_", "reassign", "sample", "stats"]

app = typer.Typer(
    name="baseinfo",
    help="基础信息（一标三实）：样例、调整网格、统计、导入、导出 / Base information: sample, "
         "re-assign, statistics, import, export.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

DistrictArg = Annotated[Path, typer.Argument(metavar="DISTRICT", help="区县 GeoPackage / The "
                                             "district GeoPackage.")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="事件数据库，默认在 DISTRICT 旁 / "
                                               "The store; default beside DISTRICT.")]
AsOpt = Annotated[str, typer.Option("--as", help="以此工号的身份 / As this member of staff.")]


def _open(district: Path, store: Path | None) -> tuple[Layers, GridIndex, BaseInfoStore]:
    from gridgis.baseinfo import BaseInfoStore, locator_of
    from gridgis.cli.staff import open_cli_store
    from gridgis.index.cache import cached_index
    from gridgis.layers import read_layers

    layers = read_layers(district)
    index = cached_index(district, layers)
    opened = open_cli_store(store or district, create=True)
    return layers, index, BaseInfoStore(opened.engine, locate=locator_of(index))


def _person(register: BaseInfoStore, staff_id: str) -> StaffMember:
    from gridgis.store.staff import StaffDirectory

    found = StaffDirectory(register.engine).find(staff_id)
    if found is None or not found.active:
        raise GridGisError(f"没有在岗的工号 {staff_id} / no active staff {staff_id!r}")
    return found


@app.command()
@clear_errors
def sample(district: DistrictArg, store: StoreOpt = None, seed: int = 2026) -> None:
    """Fill empty registers with a synthetic population of the district's buildings."""
    import time

    from gridgis.baseinfo import load_sample, sample_baseinfo
    from gridgis.baseinfo.sample import sample_visits

    layers, index, register = _open(district, store)
    if any(register.counts(status="active").values()):
        raise GridGisError("基础信息库已有记录，不再生成样例 / the registers hold records "
                           "already; no sample is added")
    began = time.perf_counter()
    made = sample_baseinfo(layers, index=index, seed=seed)
    counts = load_sample(register.engine, made, visits=sample_visits(made, seed=seed))
    err.print(f"用时 {time.perf_counter() - began:.1f} 秒 / took "
              f"{time.perf_counter() - began:.1f} s")
    out.print(counts)


@app.command()
@clear_errors
def reassign(district: DistrictArg, store: StoreOpt = None) -> None:
    """Put every record in its grid of DISTRICT's plan (run after ``gridgis adopt``)."""
    from gridgis.baseinfo import reassign_all

    _layers, index, register = _open(district, store)
    done = reassign_all(register.engine, index, at=register.clock(), actor="plan",
                        note=f"plan of {district.name}")
    out.print({"moved": done.moved, "outside": done.outside,
               "seconds": round(done.seconds, 2)})


@app.command()
@clear_errors
def stats(district: DistrictArg, store: StoreOpt = None, level: str = "township") -> None:
    """Counts per grid, community or township (``--level``)."""
    from gridgis.baseinfo.stats import baseinfo_statistics

    _layers, _index, register = _open(district, store)
    try:
        table = baseinfo_statistics(register.engine, level=level)
    except ValueError as exc:
        raise GridGisError(f"--level 须为 grid、community 或 township / {exc}") from None
    out.print(frame_table(table.T, f"基础信息统计 / base information by {level}"))


@app.command("import")
@clear_errors
def import_(district: DistrictArg, kind: str, file: Path, as_: AsOpt,
            store: StoreOpt = None, dry_run: bool = False) -> None:
    """Import a roster of KIND (addresses, houses, people, orgs) from FILE."""
    from gridgis.baseinfo.roster import import_roster

    _layers, _index, register = _open(district, store)
    result = import_roster(register, kind, file, _person(register, as_), dry_run=dry_run)
    out.print({"kind": kind, "rows": len(result.ids), "added": result.added})


@app.command()
@clear_errors
def export(district: DistrictArg, path: Path, as_: AsOpt, store: StoreOpt = None,
           level: str = "grid") -> None:
    """Export the registers of a member of staff's area to PATH (.xlsx or .gpkg), masked."""
    from gridgis.baseinfo.access import read_areas
    from gridgis.baseinfo.export import export_frames, write_excel, write_geopackage
    from gridgis.baseinfo.stats import baseinfo_statistics

    _layers, _index, register = _open(district, store)
    person = _person(register, as_)
    areas = read_areas(person)
    frames = export_frames(register.engine, person, areas=areas, today=dt.date.today())
    if path.suffix.lower() == ".xlsx":
        write_excel(frames, path, statistics=baseinfo_statistics(register.engine, level=level,
                                                                 areas=areas))
    elif path.suffix.lower() == ".gpkg":
        write_geopackage(frames, path)
    else:
        raise GridGisError(f"{path}: 导出为 .xlsx 或 .gpkg / export to .xlsx or .gpkg")
    err.print(f"已写入 / wrote {path}")
