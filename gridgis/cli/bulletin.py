"""``gridgis bulletin``: the half-monthly bulletin (通报) of a district, as HTML or Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridgis.cli._output import clear_errors, err, frame_table, out
from gridgis.errors import InputError

__all__ = ["bulletin"]

SUFFIXES = {".html": "html", ".htm": "html", ".xlsx": "xlsx"}
"""Output file suffix → format."""


def _target(path: Path, out_path: Path | None, fmt: str | None, start: str, end: str
            ) -> tuple[Path, str]:
    """Where to write and in which format: --format, else the --out suffix, else HTML."""
    if fmt is None:
        fmt = SUFFIXES.get(out_path.suffix.lower(), "html") if out_path else "html"
    if out_path is None:
        return path.with_name(f"{path.stem}.bulletin-{start}_{end}.{fmt}"), fmt
    if out_path.suffix.lower() not in SUFFIXES:
        return out_path.with_name(f"{out_path.name}.{fmt}"), fmt
    if SUFFIXES[out_path.suffix.lower()] != fmt:
        raise InputError(f"--out {out_path.name} 与 --format {fmt} 不一致 / --out "
                         f"{out_path.name} does not end in .{fmt}", field="out")
    return out_path, fmt


@clear_errors
def bulletin(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="区县图层文件 / A district "
                                         "GeoPackage (its incident store beside it is read "
                                         "when it holds matters of the period).")],
    start: Annotated[str, typer.Option("--from", metavar="DATE",
                                       help="第一天 / First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", metavar="DATE",
                                     help="最后一天（含）/ Last day, YYYY-MM-DD, included.")],
    out_path: Annotated[Path | None, typer.Option(
        "--out", "-o", help="输出文件 / File to write (default beside FILE: "
                            "FILE.bulletin-FROM_TO.html).")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="html 或 xlsx / html or xlsx (default: from --out, else html).")
                   ] = None,
    weights: Annotated[Path | None, typer.Option(
        help="评分权重表 / A weights CSV (measure, weight, direction) replacing the shipped "
             "one.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度 / No progress bar.")
                     ] = False,
) -> None:
    """半月通报 / Write the half-monthly bulletin (通报) of FILE for --from … --to.

    The seeds' figures of the period beside the previous period's, rankings of
    townships, communities, units and grid workers (top and bottom 10), the
    departments' report-in rates (吹哨报到) and charts: one self-contained HTML
    page, or an Excel workbook with one sheet per table (full rankings).
    """
    from gridgis._progress import steps
    from gridgis.analysis.assessment import load_weights
    from gridgis.bulletin import bulletin_html, district_bulletin, parse_period
    from gridgis.bulletin.period import Period
    from gridgis.bulletin.workbook import write_bulletin_xlsx

    if fmt is not None and fmt not in set(SUFFIXES.values()):
        raise InputError(f"--format 须为 html 或 xlsx / --format is html or xlsx, got {fmt!r}",
                         field="format")
    period: Period = parse_period(start, end)
    if not path.exists():
        raise FileNotFoundError(f"{path}: 没有这个文件 / no such file")
    target, kind = _target(path, out_path, fmt, period.start.isoformat(),
                           period.end.isoformat())
    table = None if weights is None else load_weights(weights)
    with steps("通报 / bulletin", 4, show=not quiet) as step:
        made = district_bulletin(path, period, weights=table, step=step)
        if kind == "html":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(bulletin_html(made), encoding="utf-8")
        else:
            write_bulletin_xlsx(made, target)
        step("写出 / written")
    err.print(f"数据来源：{made.source}", highlight=False)
    err.print(f"已写出通报 {target} / wrote the bulletin {target}", highlight=False)
    import pandas as pd

    from gridgis.bulletin.columns import change, shown

    f = made.figures
    figures = pd.DataFrame({
        f"本期 {period.label}": [shown(v, k) for v, k in zip(f["this"], f["kind"], strict=True)],
        f"上期 {made.previous.label}": [shown(v, k) for v, k in zip(f["previous"], f["kind"],
                                                                   strict=True)],
        "增减": [change(v, k) for v, k in zip(f["change"], f["kind"], strict=True)],
    }, index=pd.Index(f["name"], name="指标"))
    out.print(frame_table(figures, f"{made.title}（{period.label}）"))
