"""``gridgis sample``, ``info``, ``assign``, ``schema``, ``compile``: district files in and out."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridgis.cli._output import clear_errors, err, frame_table, out
from gridgis.errors import GridGisError

if TYPE_CHECKING:
    from gridgis.layers import Layers

__all__ = ["assign", "compile_", "info", "sample", "schema"]


def _print_summary(layers: Layers) -> None:
    from gridgis.summary import township_summary

    out.print(frame_table(township_summary(layers), "Townships"))


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
    """Generate the built-in sample district and write it to OUT.gpkg.

    The district's staff roster is written beside it as OUT.roster.csv.
    """
    from gridgis.layers import describe_layers, write_layers
    from gridgis.people.roster import roster_path_for, write_roster
    from gridgis.qgis_styles import write_district_styles
    from gridgis.sample import sample_district, sample_roster

    if out_path.suffix.lower() != ".gpkg":
        raise GridGisError(f"{out_path}: the output must be a GeoPackage ending in .gpkg")
    started = time.perf_counter()
    layers = sample_district(seed=seed, scale=scale, progress=not quiet)
    write_layers(layers, out_path)
    write_district_styles(out_path, layers)
    roster = write_roster(sample_roster(layers, seed=seed), roster_path_for(out_path))
    took = time.perf_counter() - started
    err.print(f"wrote {out_path} in {took:.1f} s", highlight=False)
    err.print(f"已写出人员名册 {roster} / wrote the staff roster {roster}", highlight=False)
    out.print(frame_table(describe_layers(layers)[["features", "geometry", "crs"]],
                          f"Sample district → {out_path}"))
    _print_summary(layers)


@clear_errors
def info(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A district GeoPackage.")],
    summary: Annotated[bool, typer.Option(help="Also print the per-township summary.")
                       ] = False,
) -> None:
    """Print each layer of FILE: features, geometry, CRS, extent and columns."""
    from gridgis.layers import describe_layers, read_layers

    layers = read_layers(path, strict=False)
    table = describe_layers(layers)
    table["extent"] = [f"{r.minx:.5f}, {r.miny:.5f}, {r.maxx:.5f}, {r.maxy:.5f}"
                       for r in table.itertuples()]
    out.print(frame_table(table[["features", "geometry", "crs", "extent", "columns"]],
                          str(path)))
    if summary:
        _print_summary(layers)


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
    dask: Annotated[bool, typer.Option(
        "--dask", help="On a Dask cluster: INCIDENTS a GeoParquet file or folder of "
        "partitions, OUT a GeoParquet folder (…parquet). A local cluster unless "
        "--dask-scheduler names one.")] = False,
    dask_scheduler: Annotated[str | None, typer.Option(
        metavar="ADDRESS", help="A running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
        "(implies --dask; its workers must see GRIDS at the same path).")] = None,
    dask_workers: Annotated[int, typer.Option(
        min=1, max=256, help="Worker processes of the local Dask cluster.")] = 2,
) -> None:
    """Assign every point of INCIDENTS to a grid of GRIDS and write OUT."""
    if dask or dask_scheduler is not None:
        from gridgis.parallel import assign_dask, dask_client

        with dask_client(dask_scheduler, workers=dask_workers) as client:
            counts = assign_dask(points, grids, out_path, client=client)
        out.print(frame_table(counts, f"{points} → {out_path} (Dask)"))
        return
    from gridgis.index.files import assign_file

    counts = assign_file(points, grids, out_path, lon_col=lon_col, lat_col=lat_col, crs=crs,
                         progress=not quiet)
    out.print(frame_table(counts, f"{points} → {out_path}"))


def schema() -> None:
    """Print the layer schemas as Markdown (the text of layers/README.md)."""
    from gridgis.schemas import schema_markdown

    sys.stdout.write(schema_markdown())


@clear_errors
def compile_() -> None:
    """Compile the assignment kernels once (numba), so no later command waits for it.

    Later runs load them from numba's cache in a moment; the cache notices a change
    in any kernel source and compiles again. ``make demo`` and ``make test`` run this.
    """
    from gridgis.index.warmup import compile_kernels, kernels_cached

    compiling = not kernels_cached()
    if compiling:
        err.print("正在编译分配内核（约需一两分钟）/ compiling the assignment kernels "
                  "(a minute or two) …", highlight=False)
    took = compile_kernels()
    done = "编译完成 / compiled" if compiling else "已从缓存加载 / loaded from the cache"
    err.print(f"分配内核{done} in {took:.1f} s", highlight=False)
