"""``gridgis adopt``: put a redrawn grid plan into force on a date."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from gridgis.errors import PlanError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``adopt`` command to the ``gridgis`` application."""
    from gridgis.cli import _frame_table, clear_errors, err, out

    @app.command()
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
        from gridgis.layers import read_layers, write_layers
        from gridgis.planning.versions import PlanHistory, adopt_plan

        for given in (current, proposed):
            if out_path.resolve() == given.resolve():
                raise PlanError(f"{out_path} is an input; write the adopted plan to a new file")
        district = adopt_plan(read_layers(current), read_layers(proposed), effective)
        write_layers(district, out_path)
        when = pd.Timestamp(effective)
        retired = district.grid_history[district.grid_history["valid_to"] == when]
        fresh = district.grids[district.grids["valid_from"] == when]
        err.print(f"wrote {out_path}", highlight=False)
        out.print(f"plan in force from {when:%Y-%m-%d}: {len(retired)} grid(s) retired, "
                  f"{len(fresh)} new or reshaped, "
                  f"{len(district.grids) - len(fresh)} unchanged", highlight=False)
        periods = PlanHistory(district).periods()
        periods.index = pd.RangeIndex(1, len(periods) + 1, name="plan")
        out.print(_frame_table(periods.astype(str), "Plans of the district"))
