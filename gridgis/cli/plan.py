"""Planner commands: ``validate``, ``repair``, ``partition``, ``diff`` and ``adopt``.

Each takes district GeoPackages and never writes over one of its inputs; the
work is done by :mod:`gridgis.planning`, imported when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from gridgis.cli._output import clear_errors, err, frame_table, out
from gridgis.errors import PlanError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["adopt", "diff", "partition", "repair", "validate"]


@clear_errors
def validate(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A district GeoPackage.")],
    findings: Annotated[Path | None, typer.Option(
        help="Write the findings as layer 'findings' of this GeoPackage.")] = None,
    map_path: Annotated[Path | None, typer.Option(
        "--map", help="Write an offline HTML map of the findings.")] = None,
    households: Annotated[tuple[int, int], typer.Option(
        help="Households per urban grid, MIN MAX.")] = (300, 500),
    rural_households: Annotated[tuple[int, int], typer.Option(
        help="Households per rural grid, MIN MAX (0 0: do not check).")] = (200, 800),
    width_tolerance: Annotated[float, typer.Option(
        min=0.0, help="Gaps, overlaps and overhangs narrower than this many metres are not "
                      "defects (宽度容差).")] = 0.05,
) -> None:
    """Check FILE's grid plan; exit code 1 when it has errors, 2 when FILE is unreadable."""
    from gridgis.layers import read_layers
    from gridgis.planning.validate import validate as run
    from gridgis.qgis_styles import findings_style, write_layer_styles

    layers = read_layers(path, strict=False)
    rural = tuple(rural_households) if any(rural_households) else None
    report = run(layers, households=tuple(households), rural_households=rural,
                 width_tolerance_m=width_tolerance)
    if len(report.findings):
        out.print(report.table())
        counts = report.counts()
        out.print(frame_table(counts[counts.sum(axis=1) > 0], "各规则的问题数 Findings per rule"))
    else:
        out.print(f"校验通过：无错误、无警告，{len(report.rules)} 条规则全部通过 "
                  f"(Validation: no errors, no warnings)", highlight=False)
    if findings is not None:
        report.write(findings)
        write_layer_styles(findings, {"findings": findings_style(report.findings)})
        err.print(f"已写出 {len(report.findings)} 条问题到 {findings}", highlight=False)
    if map_path is not None:
        report.map(map_path, layers)
        err.print(f"已写出地图 {map_path}", highlight=False)
    if not report.ok:
        raise typer.Exit(code=1)


@clear_errors
def repair(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A district GeoPackage.")],
    out_path: Annotated[Path, typer.Option("-o", "--out", help="Repaired plan to write.")],
    make_valid: Annotated[bool, typer.Option(
        "--make-valid", help="Make invalid grid polygons valid.")] = False,
    snap: Annotated[float | None, typer.Option(
        help="Snap grid edges within this many metres of the community boundary onto it.")
    ] = None,
    fill_gaps: Annotated[bool, typer.Option(
        "--fill-gaps", help="Give gaps and slivers to the neighbour with the longest "
                            "shared edge.")] = False,
    clean: Annotated[bool, typer.Option(
        "--clean", help="Make each community's grids an exact coverage (GEOS coverage_clean): "
                        "clip to the community, resolve overlaps, merge narrow gaps.")] = False,
    gap_width: Annotated[float, typer.Option(
        min=0.0, help="With --clean: merge gaps up to this width in metres (缝隙宽度).")] = 2.0,
    overlap_rule: Annotated[str, typer.Option(
        help="With --clean: who keeps an overlap: longest_border, max_area, min_area or "
             "min_index (lower code).")] = "longest_border",
) -> None:
    """Repair FILE's grid plan mechanically and write the result to OUT (never FILE)."""
    from gridgis.layers import read_layers, write_layers
    from gridgis.planning.repair import repair as run
    from gridgis.planning.validate import validate as check
    from gridgis.qgis_styles import write_district_styles

    if out_path.resolve() == path.resolve() or (
            out_path.exists() and path.exists() and out_path.samefile(path)):
        raise PlanError(f"{out_path} is the input; write the repaired plan to a new file")
    from gridgis.planning.clean import OVERLAP_RULES
    from gridgis.planning.clean import clean as run_clean

    if not (make_valid or fill_gaps or clean or snap is not None):
        raise PlanError("请至少选择一种修复：--clean、--make-valid、--snap M、--fill-gaps "
                        "(choose at least one repair)")
    if overlap_rule not in OVERLAP_RULES:
        raise PlanError(f"未知的重叠规则 {overlap_rule!r}，可选 {'、'.join(OVERLAP_RULES)} "
                        f"(unknown --overlap-rule)")
    layers = read_layers(path, strict=False)
    fixed, report = run(layers, make_valid=make_valid, snap_m=snap, fill_gaps=fill_gaps)
    if clean:
        import pandas as pd

        fixed, cleaned = run_clean(fixed, gap_width_m=gap_width, overlap_rule=overlap_rule)
        report = pd.concat([report, cleaned], ignore_index=True) if len(report) else cleaned
    write_layers(fixed, out_path, strict=False)
    write_district_styles(out_path, fixed)
    err.print(f"wrote {out_path}", highlight=False)
    if len(report):
        report.index = report.index + 1
        out.print(frame_table(report, "修复 Repairs"))
    else:
        out.print("无需修复 (nothing to repair)")
    left = check(fixed)
    warnings = len(left.findings) - len(left.errors)
    out.print(f"修复后：{len(left.errors)} 个错误、{warnings} 个警告 "
              f"(after repair: {len(left.errors)} error(s), {warnings} warning(s))",
              highlight=False)


def _refuse_overwrite(out_path: Path, *inputs: Path) -> None:
    for given in inputs:
        if out_path.exists() and given.exists() and out_path.resolve() == given.resolve():
            raise PlanError(f"{out_path} is an input; write the new plan to a new file")


@clear_errors
def partition(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A district GeoPackage.")],
    community: Annotated[list[str], typer.Argument(metavar="COMMUNITY_CODE...",
                                                   help="Communities to redraw.")],
    out_path: Annotated[Path, typer.Option("-o", "--out", help="New plan to write.")],
    households: Annotated[tuple[int, int], typer.Option(
        help="Households per grid, MIN MAX.")] = (300, 500),
    objective: Annotated[str, typer.Option(
        help="Refuse a redraw that is worse than the current grids on this: balance "
             "(household deviation), compactness (Polsby-Popper) or bounds (share within "
             "the household range).")] = "balance",
    force: Annotated[bool, typer.Option(
        "--force", help="Write the redraw even when it is worse on the objective.")] = False,
) -> None:
    """Redraw the grids of communities with spopt max-p; write the new plan to OUT."""
    import pandas as pd

    from gridgis.errors import PlanWorseError
    from gridgis.layers import read_layers, write_layers
    from gridgis.planning.metrics import plan_metrics, plan_summary
    from gridgis.planning.partition import partition_layers
    from gridgis.qgis_styles import write_district_styles

    _refuse_overwrite(out_path, path)
    layers = read_layers(path)
    plan = layers
    for code in community:
        try:
            plan = partition_layers(plan, code, households=tuple(households),
                                    objective=objective, force=force)
        except PlanWorseError as exc:
            table = pd.DataFrame({"现行 current": exc.current, "方案 proposed": exc.proposed})
            out.print(frame_table(table, f"社区 {code}：现行方案与新方案 (not written)"))
            raise
    write_layers(plan, out_path)
    write_district_styles(out_path, plan)
    err.print(f"已写出 {out_path}", highlight=False)
    rows = {}
    for name, frame in (("现行 current", layers.grids), ("方案 proposed", plan.grids)):
        mine = frame[frame["community_code"].isin(community)]
        rows[name] = plan_summary(plan_metrics(mine, households=tuple(households)))
    title = "重划社区的方案指标 Plan metrics of the redrawn communities"
    if force:
        title += "（--force：未与现行方案比较把关）"
    out.print(frame_table(pd.DataFrame(rows), title))


_DIFF_HEADERS = ("grid", "status", "area from (←) / to (→)", "Δ area m²", "hh old", "hh new",
                 "Δ people", "inc. old", "inc. new", "Δ patrol km²/wk")


def _exchanged(row: pd.Series) -> str:
    parts = []
    if row["from_grids"]:
        parts.append(f"← {row['from_grids']}")
    if row["to_grids"]:
        parts.append(f"→ {row['to_grids']}")
    return "; ".join(parts)


def _changed_table(changed: pd.DataFrame, rows: int, title: str) -> Table:
    """The changed grids as a rich table, largest household changes first."""
    import pandas as pd

    frame = pd.DataFrame(changed.drop(columns=changed.geometry.name))
    frame = frame.assign(_size=frame["households_change"].abs()).sort_values(
        ["_size", "code"], ascending=[False, True]).head(rows)
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(_DIFF_HEADERS):
        if i == 0:
            table.add_column(header, style="bold", no_wrap=True)
        elif i == 2:
            table.add_column(header, overflow="fold", ratio=1)
        else:
            table.add_column(header, justify="left" if i == 1 else "right")
    for _, row in frame.iterrows():
        status = f"{row['status']} ↔ {row['renamed']}" if row["renamed"] else row["status"]
        table.add_row(row["code"], status, _exchanged(row), f"{row['area_change_m2']:+,.0f}",
                      f"{row['households_old']:,}", f"{row['households_new']:,}",
                      f"{row['population_change']:+,}", f"{row['incidents_old']:,}",
                      f"{row['incidents_new']:,}", f"{row['patrol_km2_week_change']:+.2f}")
    return table


@clear_errors
def diff(
    old: Annotated[Path, typer.Argument(metavar="OLD.gpkg", help="The plan in force.")],
    new: Annotated[Path, typer.Argument(metavar="NEW.gpkg", help="The proposed plan.")],
    map_path: Annotated[Path | None, typer.Option(
        "--map", metavar="OUT.html", help="Write an offline HTML map of what moves.")
    ] = None,
    out_path: Annotated[Path | None, typer.Option(
        "--out", metavar="OUT.gpkg",
        help="Write the per-grid changes, old boundaries and moved buildings and "
             "incidents (GeoPackage).")] = None,
    csv_dir: Annotated[Path | None, typer.Option(
        "--csv", metavar="DIR", help="Write the tables as CSV files into DIR.")] = None,
    as_of: Annotated[str | None, typer.Option(
        help="End of the incident year (YYYY-MM-DD); default the latest report.")
    ] = None,
    rows: Annotated[int, typer.Option(min=0, help="Changed grids shown in the table.")
                    ] = 40,
    store: Annotated[Path | None, typer.Option(
        "--store", help="基础信息所在的事件数据库，默认在 OLD 旁 / The store holding the base "
                        "information; default beside OLD.")] = None,
) -> None:
    """Show what moves between two grid plans: buildings, households, incidents, work.

    When the store beside OLD (or ``--store``) keeps base information (一标三实),
    the addresses, houses, people and organisations that change grid are counted
    too, per grid.
    """
    from gridgis.layers import read_layers
    from gridgis.planning.diff import diff_plans
    from gridgis.qgis_styles import diff_styles, write_layer_styles

    for given in (out_path, map_path):
        if given is not None and given.exists() and \
                given.resolve() in (old.resolve(), new.resolve()):
            raise PlanError(f"{given} is an input; write to a new file")
    before, after = read_layers(old), read_layers(new)
    result = diff_plans(before, after, as_of=as_of)
    out.print(result.summary_text(), highlight=False)
    changed = result.changed
    if len(changed):
        shown = f" ({rows} of {len(changed)})" if len(changed) > rows else ""
        out.print(_changed_table(changed, rows, f"Changed grids{shown}"))
    if out_path is not None:
        result.write(out_path)
        write_layer_styles(out_path, diff_styles())
        err.print(f"wrote {out_path}", highlight=False)
    if csv_dir is not None:
        result.write_csv(csv_dir)
        err.print(f"wrote the tables to {csv_dir}", highlight=False)
    if map_path is not None:
        result.map(map_path, after)
        err.print(f"wrote the map {map_path}", highlight=False)
    moves = _baseinfo_moves(store, old, new, before, after)
    if moves is not None:
        table, summary = moves
        out.print("基础信息变动 / base information that changes grid: " + "，".join(
            f"{name} {summary[f'{kind}_moved']:,}" for kind, name in _BASEINFO_KINDS.items()),
            highlight=False)
        if csv_dir is not None:
            table.to_csv(Path(csv_dir) / "baseinfo_moves.csv", encoding="utf-8-sig")


_BASEINFO_KINDS = {"addresses": "标准地址", "houses": "实有房屋", "people": "实有人口",
                  "orgs": "实有单位"}
"""The registers of base information a plan change moves, with their Chinese names."""


def _baseinfo_moves(store: Path | None, old: Path, new: Path, before: Any, after: Any
                    ) -> tuple[Any, dict[str, int]] | None:
    """Per-grid counts of the base information a redraw moves, or None without registers."""
    import sqlalchemy as sa

    from gridgis.baseinfo import count_moves
    from gridgis.index.cache import cached_index
    from gridgis.store import SQLiteStore, store_path_for

    path = store if store is not None else store_path_for(old)
    if not Path(path).is_file():
        if store is not None:
            raise PlanError(f"{store} 不存在 / does not exist")
        return None
    opened = SQLiteStore(path)
    try:
        if not sa.inspect(opened.engine).has_table("bi_addresses"):
            return None
        return count_moves(opened.engine, cached_index(old, before), cached_index(new, after))
    finally:
        opened.close()


@clear_errors
def adopt(
    current: Annotated[Path, typer.Argument(metavar="CURRENT.gpkg",
                                            help="The district with the plan in force.")],
    proposed: Annotated[Path, typer.Argument(metavar="PROPOSED.gpkg",
                                             help="The district with the redrawn grids.")],
    effective: Annotated[str, typer.Option(help="Day the new plan takes effect, "
                                                "YYYY-MM-DD.")],
    out_path: Annotated[Path, typer.Option("-o", "--out", help="District to write.")],
) -> None:
    """Adopt PROPOSED from a date: OUT holds the new grids and, as history, the old ones."""
    import pandas as pd

    from gridgis.layers import read_layers, write_layers
    from gridgis.planning.versions import PlanHistory, adopt_plan
    from gridgis.qgis_styles import write_district_styles
    from gridgis.store import store_path_for

    for given in (current, proposed):
        if out_path.resolve() == given.resolve():
            raise PlanError(f"{out_path} is an input; write the adopted plan to a new file")
    before = read_layers(current)
    district = adopt_plan(before, read_layers(proposed), effective)
    write_layers(district, out_path)
    write_district_styles(out_path, district)
    when = pd.Timestamp(effective)
    retired = district.grid_history[district.grid_history["valid_to"] == when]
    fresh = district.grids[district.grids["valid_from"] == when]
    err.print(f"wrote {out_path}", highlight=False)
    out.print(f"plan in force from {when:%Y-%m-%d}: {len(retired)} grid(s) retired, "
              f"{len(fresh)} new or reshaped, "
              f"{len(district.grids) - len(fresh)} unchanged", highlight=False)
    periods = PlanHistory(district).periods()
    periods.index = pd.RangeIndex(1, len(periods) + 1, name="plan")
    out.print(frame_table(periods.astype(str), "Plans of the district"))
    moves = _baseinfo_moves(None, current, out_path, before, district)
    if moves is not None:
        _table, summary = moves
        store = store_path_for(current)
        out.print("基础信息：新方案生效之日运行 gridgis baseinfo reassign "
                  f"{out_path} --store {store}，将 " + "，".join(
                      f"{name} {summary[f'{kind}_moved']:,}"
                      for kind, name in _BASEINFO_KINDS.items())
                  + " 归入新网格 / base information: on the day the plan takes effect, run "
                  "gridgis baseinfo reassign to move these records to their new grids",
                  highlight=False)
