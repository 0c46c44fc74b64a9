"""``gridgis coverage``: emergency coverage by road (应急力量覆盖), a table and map layers.

The work is done by :mod:`gridgis.analysis.coverage`, imported when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridgis.cli._output import clear_errors, err, frame_table, out
from gridgis.errors import GridGisError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = ["coverage"]

ISOCHRONE_MINUTES = (5.0, 10.0, 15.0)
"""The isochrones written for every unit (the limit is added when it is another)."""


def _percent(value: float) -> str:
    return "—" if value != value else f"{100 * value:.1f}%"


def coverage_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The coverage summary as the command prints it: Chinese headings, shares in per cent."""
    import pandas as pd

    from gridgis.analysis.coverage import kind_name

    table = pd.DataFrame({
        "单位数\nunits": summary["units"].astype(int).to_numpy(),
        "覆盖人口比例\npopulation": summary["population_share"].map(_percent).to_numpy(),
        "覆盖建筑比例\nbuildings": summary["buildings_share"].map(_percent).to_numpy(),
        "覆盖网格比例\ngrids": summary["grids_share"].map(_percent).to_numpy(),
        "网格代表点覆盖\ngrid points": summary["grids_point_share"].map(_percent).to_numpy(),
        "未覆盖人口\nuncovered people": summary["population_uncovered"].round().astype(int)
        .to_numpy(),
    }, index=pd.Index([f"{kind_name(k)} {k}" if kind_name(k) != k else k
                       for k in summary.index], name="单位类型 unit kind"))
    return table


def _write(path: Path, frames: dict[str, gpd.GeoDataFrame]) -> None:
    """Write the layers to a new GeoPackage next to `path`, then move it into place."""
    import os
    import tempfile

    import numpy as np
    import pyogrio

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(suffix=".gpkg", prefix=f".{path.stem}-", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()
    try:
        for layer, frame in frames.items():
            frame = frame.reset_index(drop=True)
            numeric = frame.select_dtypes("number").columns
            frame[numeric] = frame[numeric].replace([np.inf, -np.inf], np.nan)
            pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG",
                                    promote_to_multi=True)
        tmp.replace(path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)


@clear_errors
def coverage(
    path: Annotated[Path, typer.Argument(metavar="FILE.gpkg",
                                         help="A district GeoPackage with a roads layer.")],
    minutes: Annotated[float, typer.Option(
        "--minutes", min=0.1, help="Arrival limit in minutes (到场时限).")] = 15.0,
    out_path: Annotated[Path, typer.Option(
        "--out", "-o", help="GeoPackage to write the isochrones and uncovered areas to.")
    ] = Path("coverage.gpkg"),
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="A unit kind to measure (repeat; default the emergency kinds).")
    ] = None,
    source: Annotated[str, typer.Option(
        help="Default kinds: 'plans' (the emergency plans' kinds) or 'urgent' (the urgent "
             "categories' kinds).")] = "plans",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Emergency coverage: share of population, buildings and grids within reach by road.

    Prints one row per unit kind (覆盖人口比例/建筑/网格) and writes the layers
    ``isochrones`` (5/10/15 minutes of every unit of those kinds) and
    ``uncovered_areas`` (where people live beyond the limit) to OUT.
    """
    from gridgis.analysis.coverage import emergency_coverage, unit_isochrones
    from gridgis.analysis.uncovered import uncovered_areas
    from gridgis.layers import read_layers
    from gridgis.roads import RoadNetwork

    if out_path.exists() and path.exists() and out_path.resolve() == path.resolve():
        raise GridGisError(f"{out_path} 是输入文件，请写到新文件 / {out_path} is the input; "
                           "write the layers to a new file")
    layers = read_layers(path, strict=False)
    roads = getattr(layers, "roads", None)
    if roads is None or len(roads) == 0:
        raise GridGisError(f"{path} 没有道路图层（roads），无法按路网计算应急覆盖 / {path} has "
                           "no roads layer: coverage is measured on the road network")
    network = RoadNetwork(roads)
    result = emergency_coverage(layers, network, kinds=kind, limit_min=minutes, source=source)
    out.print(frame_table(coverage_table(result.summary),
                          f"{minutes:g} 分钟应急覆盖 / emergency coverage within {minutes:g} min"))
    limits = tuple(sorted({*ISOCHRONE_MINUTES, float(minutes)}))
    iso = unit_isochrones(layers.units, network, kinds=result.kinds, minutes=limits,
                          progress=not quiet)
    areas = uncovered_areas(result, layers, network)
    _write(out_path, {"isochrones": iso, "uncovered_areas": areas})
    err.print(f"已写出 {out_path}：等时圈 {len(iso)} 个，未覆盖区域 {len(areas)} 个 / wrote "
              f"{out_path}: {len(iso)} isochrones, {len(areas)} uncovered areas",
              highlight=False)
