"""``gridgis basemap``: the district's own layers as an offline basemap (vector tiles)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridgis.cli._output import clear_errors, err, out

if TYPE_CHECKING:
    from rich.console import Console

    from gridgis.basemap import BasemapSummary

__all__ = ["basemap", "build_with_progress", "same_source"]


def build_with_progress(source: Path, target: Path, *, min_zoom: int, max_zoom: int,
                        console: Console, quiet: bool = False) -> BasemapSummary:
    """Build the basemap of the district file ``source`` into ``target``, with a progress bar."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from gridgis.basemap import build_basemap
    from gridgis.basemap.files import read_water
    from gridgis.layers import read_layers

    layers = read_layers(source)
    water = read_water(source)
    if quiet:
        return build_basemap(layers, target, water=water, min_zoom=min_zoom, max_zoom=max_zoom)
    with Progress(TextColumn("切片 / cutting tiles"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task("tiles", total=None)
        return build_basemap(
            layers, target, water=water, min_zoom=min_zoom, max_zoom=max_zoom,
            progress=lambda done, total: bar.update(task, completed=done, total=total))


def same_source(target: Path, source: Path) -> bool:
    """Whether ``target`` was built from what ``source`` holds now (then marked current).

    A district file written again with the same layers (``make demo`` writes the sample
    each time) keeps its basemap: the source layers' fingerprint is compared.
    """
    import os

    from gridgis.basemap import TileFile
    from gridgis.basemap.build import source_fingerprint
    from gridgis.basemap.files import read_water
    from gridgis.basemap.layers import basemap_layers
    from gridgis.errors import BasemapError
    from gridgis.layers import read_layers

    try:
        tiles = TileFile(target)
    except BasemapError:
        return False
    stored = tiles.metadata.get("source_sha256")
    tiles.close()
    sources = basemap_layers(read_layers(source), water=read_water(source))
    if stored != source_fingerprint(sources):
        return False
    os.utime(target)
    return True


@clear_errors
def basemap(
    source: Annotated[Path, typer.Argument(
        metavar="FILE", help="区县图层文件 / The district GeoPackage.")],
    target: Annotated[Path, typer.Argument(
        metavar="OUT.mbtiles", help="写出的底图瓦片文件 / The tile file to write (MBTiles).")],
    min_zoom: Annotated[int, typer.Option(min=0, max=20, help="最小缩放级别 / Lowest zoom.")
                        ] = 10,
    max_zoom: Annotated[int, typer.Option(
        min=0, max=20, help="最大缩放级别（更高级别由浏览器放大绘制）/ Highest zoom built; the "
                            "console magnifies it for closer zooms.")] = 16,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度 / No progress bar.")
                     ] = False,
) -> None:
    """离线底图 / Cut the district's layers into vector tiles for the console's basemap.

    Roads, buildings, water, boundaries and labels as Mapbox Vector Tiles in an
    MBTiles file.

    Serve it with GRIDGIS_BASEMAP=OUT.mbtiles gridgis serve FILE.
    """
    if not source.is_file():
        raise FileNotFoundError(f"{source}：没有这个区县图层文件 / no such file")
    if target.suffix.lower() != ".mbtiles":
        raise typer.BadParameter("底图文件须以 .mbtiles 结尾 / OUT must end in .mbtiles",
                                 param_hint="OUT.mbtiles")
    summary = build_with_progress(source, target, min_zoom=min_zoom, max_zoom=max_zoom,
                                  console=err, quiet=quiet)
    per_zoom = "，".join(f"{z}级 {n:,}" for z, n in summary.tiles_per_zoom.items())
    layers = "、".join(f"{k} {v:,}" for k, v in summary.layers.items())
    out.print(f"已写入底图 {summary.path}：{summary.tiles:,} 个瓦片（{per_zoom}），"
              f"{summary.bytes / 1e6:.1f} MB，用时 {summary.seconds:.1f} 秒；要素：{layers} / "
              f"wrote {summary.tiles:,} tiles, {summary.bytes:,} bytes in "
              f"{summary.seconds:.1f} s", highlight=False)
