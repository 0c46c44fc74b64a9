"""The ``gridgis`` command line: data on standard output, progress and errors on standard error.

Every command has ``--help``. A bad path or a bad file ends the command with
one line on standard error and exit code 2.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, TypeVar

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from gridgis.errors import GridGisError
from gridgis.layers import Layers, describe_layers, read_layers, write_layers
from gridgis.summary import township_summary

__all__ = ["app", "main"]

app = typer.Typer(
    name="gridgis",
    help="Grid-based community governance (网格化管理) on the map.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., object])


def clear_errors(func: F) -> F:
    """Turn expected failures into one line on stderr and exit code 2."""

    @wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return func(*args, **kwargs)
        except (GridGisError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def _frame_table(frame, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(frame.index.name or "", style="bold")
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for idx, row in frame.iterrows():
        table.add_row(str(idx), *[_fmt(v) for v in row])
    return table


def _fmt(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _print_summary(layers: Layers) -> None:
    out.print(_frame_table(township_summary(layers), "Townships"))


@app.command()
@clear_errors
def sample(
    out_path: Annotated[Path, typer.Argument(metavar="OUT.gpkg",
                                             help="GeoPackage file to write.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed, the same district.")
                    ] = 2026,
    scale: Annotated[float, typer.Option(min=0.01, max=4.0,
                                         help="Size relative to the full sample district.")
                     ] = 1.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Generate the built-in sample district and write it to OUT.gpkg."""
    from gridgis.sample import sample_district

    if out_path.suffix.lower() != ".gpkg":
        raise GridGisError(f"{out_path}: the output must be a GeoPackage ending in .gpkg")
    started = time.perf_counter()
    layers = sample_district(seed=seed, scale=scale, progress=not quiet)
    write_layers(layers, out_path)
    took = time.perf_counter() - started
    err.print(f"wrote {out_path} in {took:.1f} s", highlight=False)
    out.print(_frame_table(describe_layers(layers)[["features", "geometry", "crs"]],
                           f"Sample district → {out_path}"))
    _print_summary(layers)


@app.command()
@clear_errors
def info(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A district GeoPackage.")],
    summary: Annotated[bool, typer.Option(help="Also print the per-township summary.")
                       ] = False,
) -> None:
    """Print each layer of FILE: features, geometry, CRS, extent and columns."""
    layers = read_layers(path, strict=False)
    table = describe_layers(layers)
    table["extent"] = [f"{r.minx:.5f}, {r.miny:.5f}, {r.maxx:.5f}, {r.maxy:.5f}"
                       for r in table.itertuples()]
    out.print(_frame_table(table[["features", "geometry", "crs", "extent", "columns"]],
                           str(path)))
    if summary:
        _print_summary(layers)


@app.command()
@clear_errors
def assign(
    points: Annotated[Path, typer.Argument(metavar="INCIDENTS",
                                           help="Points: .gpkg, .parquet or .csv.")],
    grids: Annotated[Path, typer.Argument(metavar="GRIDS", help="District GeoPackage.")],
    out_path: Annotated[Path, typer.Option("-o", "--out", help="Output file (same kinds).")],
    lon_col: Annotated[str, typer.Option(help="CSV longitude column.")] = "lon",
    lat_col: Annotated[str, typer.Option(help="CSV latitude column.")] = "lat",
    crs: Annotated[str, typer.Option(help="CSV coordinates: wgs84, cgcs2000, gcj02, bd09.")
                   ] = "wgs84",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Assign every point of INCIDENTS to a grid of GRIDS and write OUT."""
    from gridgis.index.files import assign_file

    counts = assign_file(points, grids, out_path, lon_col=lon_col, lat_col=lat_col, crs=crs,
                         progress=not quiet)
    out.print(_frame_table(counts, f"{points} → {out_path}"))


@app.command()
@clear_errors
def serve(
    path: Annotated[Path | None, typer.Argument(
        metavar="[FILE]", help="District GeoPackage; default: the built-in sample district.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    store: Annotated[str | None, typer.Option(
        help="Incident database (SQLite file); default: beside FILE.")] = None,
    demo: Annotated[bool, typer.Option(
        help="Run the sample's clock (2026-11-01 09:00 onwards) and load the archive's "
             "open incidents into the store, so the console shows a live board.")] = False,
) -> None:
    """Serve the dispatch API (and the dispatcher console) on FILE."""
    import uvicorn

    from api.main import create_app
    from api.settings import Settings

    if path is not None and not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    clock = None
    if demo:
        from gridgis.sample import SAMPLE_END

        clock = SAMPLE_END.astype("datetime64[s]").item()
    settings = Settings(layers=path, store=store, clock=clock)
    err.print(f"loading {path or 'the built-in sample district'} …", highlight=False)
    application = create_app(settings)
    if demo:
        from gridgis.dispatch.seed import seed_open_incidents

        dispatcher = application.state.dispatcher
        if dispatcher.layers.incidents is not None:
            n = seed_open_incidents(dispatcher, dispatcher.layers.incidents)
            err.print(f"loaded {n} open incidents of the archive", highlight=False)
    err.print(f"serving on http://{host}:{port}/", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def schema() -> None:
    """Print the layer schemas as Markdown (the text of layers/README.md)."""
    from gridgis.schemas import schema_markdown

    sys.stdout.write(schema_markdown())


# -- planner commands (registered by gridgis.planning) --
from gridgis.planning import _cli_diff, _cli_plan, _cli_validate, _cli_versions  # noqa: E402

_cli_validate.register(app)
_cli_plan.register(app)
_cli_diff.register(app)
_cli_versions.register(app)
# -- end of planner commands --


def main() -> None:
    """Entry point of the ``gridgis`` console script."""
    app()
