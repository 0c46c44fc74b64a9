"""``gridgis diff OLD NEW``: what a redraw moves, as sentences, a table, a map and files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from gridgis.errors import PlanError

__all__ = ["register"]

HEADERS = ("grid", "status", "area from (←) / to (→)", "Δ area m²", "hh old", "hh new",
           "Δ people", "inc. old", "inc. new", "Δ patrol km²/wk")


def _exchanged(row: pd.Series) -> str:
    parts = []
    if row["from_grids"]:
        parts.append(f"← {row['from_grids']}")
    if row["to_grids"]:
        parts.append(f"→ {row['to_grids']}")
    return "; ".join(parts)


def changed_table(changed: pd.DataFrame, rows: int, title: str) -> Table:
    """The changed grids as a rich table, largest household changes first."""
    frame = pd.DataFrame(changed.drop(columns=changed.geometry.name))
    frame = frame.assign(_size=frame["households_change"].abs()).sort_values(
        ["_size", "code"], ascending=[False, True]).head(rows)
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(HEADERS):
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


def register(app: typer.Typer) -> None:
    """Add the ``diff`` command to the ``gridgis`` application."""
    from gridgis.cli import clear_errors, err, out

    @app.command()
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
    ) -> None:
        """Show what moves between two grid plans: buildings, households, incidents, work."""
        from gridgis.layers import read_layers
        from gridgis.planning.diff import diff_plans

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
            out.print(changed_table(changed, rows, f"Changed grids{shown}"))
        if out_path is not None:
            result.write(out_path)
            err.print(f"wrote {out_path}", highlight=False)
        if csv_dir is not None:
            result.write_csv(csv_dir)
            err.print(f"wrote the tables to {csv_dir}", highlight=False)
        if map_path is not None:
            result.map(map_path, after)
            err.print(f"wrote the map {map_path}", highlight=False)
