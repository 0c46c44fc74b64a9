"""``gridgis validate`` and ``gridgis repair``: check a grid plan, fix what is mechanical."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``validate`` and ``repair`` commands to the ``gridgis`` application."""
    _register_validate(app)
    _register_repair(app)


def _register_validate(app: typer.Typer) -> None:
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
        rural_households: Annotated[tuple[int, int], typer.Option(
            help="Households per rural grid, MIN MAX (0 0: do not check).")] = (200, 800),
    ) -> None:
        """Check FILE's grid plan; exit code 1 when it has errors, 2 when FILE is unreadable."""
        from gridgis.layers import read_layers
        from gridgis.planning.validate import validate as run

        layers = read_layers(path, strict=False)
        rural = tuple(rural_households) if any(rural_households) else None
        report = run(layers, households=tuple(households), rural_households=rural)
        if len(report.findings):
            out.print(report.table())
            counts = report.counts()
            out.print(_frame_table(counts[counts.sum(axis=1) > 0], "Findings per rule"))
        else:
            out.print(f"Validation: no errors, no warnings; all {len(report.rules)} rules passed",
                      highlight=False)
        if findings is not None:
            report.write(findings)
            err.print(f"wrote {len(report.findings)} finding(s) to {findings}", highlight=False)
        if map_path is not None:
            report.map(map_path, layers)
            err.print(f"wrote the map {map_path}", highlight=False)
        if not report.ok:
            raise typer.Exit(code=1)


def _register_repair(app: typer.Typer) -> None:
    from gridgis.cli import _frame_table, clear_errors, err, out
    from gridgis.errors import PlanError

    @app.command()
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
    ) -> None:
        """Repair FILE's grid plan mechanically and write the result to OUT (never FILE)."""
        from gridgis.layers import read_layers, write_layers
        from gridgis.planning.repair import repair as run
        from gridgis.planning.validate import validate as check

        if out_path.resolve() == path.resolve() or (
                out_path.exists() and path.exists() and out_path.samefile(path)):
            raise PlanError(f"{out_path} is the input; write the repaired plan to a new file")
        if not (make_valid or fill_gaps or snap is not None):
            raise PlanError("choose at least one repair: --make-valid, --snap M, --fill-gaps")
        layers = read_layers(path, strict=False)
        fixed, report = run(layers, make_valid=make_valid, snap_m=snap, fill_gaps=fill_gaps)
        write_layers(fixed, out_path, strict=False)
        err.print(f"wrote {out_path}", highlight=False)
        if len(report):
            report.index = report.index + 1
            out.print(_frame_table(report, "Repairs"))
        else:
            out.print("nothing to repair")
        left = check(fixed)
        out.print(f"after repair: {len(left.errors)} error(s), "
                  f"{len(left.findings) - len(left.errors)} warning(s)", highlight=False)
