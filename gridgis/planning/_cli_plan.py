"""``gridgis partition``: redraw the grids of communities with spopt max-p."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from gridgis.errors import PlanError

__all__ = ["register"]


def _refuse_overwrite(out_path: Path, *inputs: Path) -> None:
    for given in inputs:
        if out_path.exists() and given.exists() and out_path.resolve() == given.resolve():
            raise PlanError(f"{out_path} is an input; write the new plan to a new file")


def register(app: typer.Typer) -> None:
    """Add the ``partition`` command to the ``gridgis`` application."""
    from gridgis.cli import _frame_table, clear_errors, err, out

    @app.command()
    @clear_errors
    def partition(
        path: Annotated[Path, typer.Argument(metavar="FILE", help="A district GeoPackage.")],
        community: Annotated[list[str], typer.Argument(metavar="COMMUNITY_CODE...",
                                                       help="Communities to redraw.")],
        out_path: Annotated[Path, typer.Option("-o", "--out", help="New plan to write.")],
        households: Annotated[tuple[int, int], typer.Option(
            help="Households per grid, MIN MAX.")] = (300, 500),
    ) -> None:
        """Redraw the grids of communities with spopt max-p; write the new plan to OUT."""
        from gridgis.layers import read_layers, write_layers
        from gridgis.planning.metrics import plan_metrics, plan_summary
        from gridgis.planning.partition import partition_layers

        _refuse_overwrite(out_path, path)
        layers = read_layers(path)
        plan = layers
        for code in community:
            plan = partition_layers(plan, code, households=tuple(households))
        write_layers(plan, out_path)
        err.print(f"wrote {out_path}", highlight=False)
        rows = {}
        for name, frame in (("before", layers.grids), ("after", plan.grids)):
            mine = frame[frame["community_code"].isin(community)]
            rows[name] = plan_summary(plan_metrics(mine, households=tuple(households)))
        out.print(_frame_table(pd.DataFrame(rows), "Plan metrics of the redrawn communities"))
