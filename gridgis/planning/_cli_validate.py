"""``gridgis validate``: check a grid plan and report its findings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``validate`` command to the ``gridgis`` application."""
    from gridgis.cli import _frame_table, clear_errors, err, out

    @app.command()
    @clear_errors
    def validate(
        path: Annotated[Path, typer.Argument(metavar="FILE", help="A district GeoPackage.")],
        findings: Annotated[Path | None, typer.Option(
            help="Write the findings as layer 'findings' of this GeoPackage.")] = None,
        map_path: Annotated[Path | None, typer.Option(
            "--map", help="Write an offline HTML map of the findings.")] = None,
        households: Annotated[tuple[int, int], typer.Option(
            help="Households per urban grid, MIN MAX.")] = (300, 500),
    ) -> None:
        """Check FILE's grid plan; exit code 1 when it has errors."""
        from gridgis.layers import read_layers
        from gridgis.planning.validate import validate as run

        layers = read_layers(path, strict=False)
        report = run(layers, households=tuple(households))
        out.print(report.table())
        counts = report.counts()
        out.print(_frame_table(counts[counts.sum(axis=1) > 0], "Findings per rule")
                  if len(report.findings) else "every rule passed")
        if findings is not None:
            report.write(findings)
            err.print(f"wrote {len(report.findings)} finding(s) to {findings}", highlight=False)
        if map_path is not None:
            report.map(map_path, layers)
            err.print(f"wrote the map {map_path}", highlight=False)
        if not report.ok:
            raise typer.Exit(code=1)
