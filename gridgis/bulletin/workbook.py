"""The bulletin as an Excel workbook (openpyxl): one sheet per table, full rankings."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from gridgis.analysis.assessment import MEASURES
from gridgis.bulletin.columns import heading, kind_of
from gridgis.bulletin.content import LEVEL_NAMES, Bulletin

__all__ = ["SHEETS", "write_bulletin_xlsx"]

SHEETS = ("主要指标", "四个平台", "乡镇排名", "社区排名", "网格排名", "单位排名", "网格员排名",
          "吹哨报到", "评分权重")
"""The sheets of the workbook, in order (a level without a table has no sheet)."""
FORMATS = {"rate": "0.0%", "mean5": "0.00", "hours": "0.0", "score": "0.00"}
"""Excel number formats per kind of value (counts keep the general format)."""


def _cell(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _sheet(book: object, title: str, frame: pd.DataFrame, *, index: str | None = None,
           kinds: dict[str, str] | None = None, lead: list[str] | None = None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(title)  # type: ignore[attr-defined]
    for line in lead or []:
        ws.append([line])
    if lead:
        ws.append([])
    data = frame.reset_index() if index is not None else frame
    columns = list(data.columns)
    header_row = ws.max_row + 1 if lead else 1
    ws.append([index if (index and c == data.columns[0]) else heading(str(c))
               for c in columns])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF3FA")
    for cell in ws[header_row]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in data.itertuples(index=False):
        ws.append([_cell(v) for v in row])
    for n, column in enumerate(columns, start=1):
        kind = (kinds or {}).get(str(column)) or kind_of(str(column))
        if kind in FORMATS:
            for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=n, max_col=n):
                cell.number_format = FORMATS[kind]
        width = max([len(str(heading(str(column)))) * 2, 8,
                     *[len(str(v)) + 2 for v in data[column].head(200)]])
        ws.column_dimensions[get_column_letter(n)].width = min(width, 40)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def write_bulletin_xlsx(b: Bulletin, path: str | os.PathLike[str]) -> Path:
    """Write the bulletin's tables to an .xlsx workbook, one sheet per table.

    Parameters
    ----------
    b : Bulletin
    path : path-like
        The workbook to write (replaced when it exists).

    Returns
    -------
    pathlib.Path
    """
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    lead = [f"{b.title}（{b.period.label}，{b.period.start} 至 {b.period.end}）",
            f"数据来源：{b.source}", f"指标截至 {b.now:%Y-%m-%d %H:%M}；上期 "
            f"{b.previous.label}，截至 {b.previous_now:%Y-%m-%d %H:%M}"]
    figures = b.figures.rename(columns={"this": f"本期 {b.period.label}",
                                        "previous": f"上期 {b.previous.label}"})
    kinds = dict(zip(figures.index, figures["kind"], strict=True))
    rows = figures.drop(columns=["kind"]).rename(columns={"name": "指标"})
    _write_figures(book, rows, kinds, lead)
    _sheet(book, SHEETS[1], b.platforms, index="平台代码")
    for sheet, level in zip(SHEETS[2:7], ("township", "community", "grid", "unit",
                                          "grid_worker"), strict=True):
        table = b.levels.get(level)
        if table is not None:
            _sheet(book, sheet, table, index=f"{LEVEL_NAMES[level]}代码")
    _sheet(book, SHEETS[7], b.report_in, index="单位代码")
    weights = b.weights.assign(name=[MEASURES[m].zh for m in b.weights.index])
    _sheet(book, SHEETS[8], weights[["name", "weight", "direction"]], index="指标代码")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out


def _write_figures(book: object, rows: pd.DataFrame, kinds: dict[str, str],
                   lead: list[str]) -> None:
    """The first sheet: one figure a row, each value formatted by the figure's own kind."""
    _sheet(book, SHEETS[0], rows, index="指标代码", lead=lead)
    ws = book[SHEETS[0]]  # type: ignore[index]
    first = len(lead) + 3  # lead lines, a blank row, the header
    for offset, key in enumerate(rows.index):
        fmt = FORMATS.get(kinds[key], "General")
        for cell in ws[first + offset][2:]:
            cell.number_format = fmt
