"""``gridgis audit verify``: check an incident store's tamper-evident trail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridgis.cli._output import clear_errors, err, out

__all__ = ["app", "verify"]

app = typer.Typer(help="留痕核验 / Check the trail of events (全程留痕).", no_args_is_help=True)


@app.command()
@clear_errors
def verify(
    store: Annotated[str, typer.Argument(metavar="FILE",
                                         help="事件库 / The incident store (SQLite), the "
                                              "district GeoPackage it sits beside, or a "
                                              "PostGIS store's postgresql://… URL.")],
) -> None:
    """核验每个事件的哈希链 / Verify every incident's chain of events, changing nothing.

    Exit code 0 when the trail holds, 1 when any event was changed, removed
    or inserted (each break is listed), 2 when the file cannot be read.
    """
    from rich.table import Table

    from gridgis.store import is_postgres_url, store_path_for
    from gridgis.store.trail import verify_store_file

    path: str | Path = store if is_postgres_url(store) else Path(store)
    if isinstance(path, Path) and path.suffix.lower() == ".gpkg":
        path = store_path_for(path)
    report = verify_store_file(path)
    if report.intact:
        out.print(f"留痕完整：{report.incidents} 件事件、{report.events} 条记录，哈希链无断点 / "
                  f"the trail holds: {report.events} events of {report.incidents} incidents, "
                  "no break", highlight=False)
        return
    table = Table(title=f"留痕断点 / breaks in the trail of {report.path}", title_justify="left")
    for column in ("事件 incident", "记录 event", "原因 reason"):
        table.add_column(column, overflow="fold")
    for b in report.breaks:
        table.add_row(b.incident_id, "—" if b.event_id is None else str(b.event_id), b.reason)
    out.print(table)
    err.print(f"留痕有 {len(report.breaks)} 处断点 / {len(report.breaks)} breaks in the trail "
              f"({report.events} events checked)", highlight=False)
    raise typer.Exit(code=1)
