"""``gridgis roads``: a real road network from an OpenStreetMap extract, into a district file."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridgis.cli._output import clear_errors, err, frame_table, out

if TYPE_CHECKING:
    import shapely

__all__ = ["roads"]


def _bounds(bounds: tuple[float, ...]) -> str:
    return ", ".join(f"{v:.4f}" for v in bounds)


def _district_extent(path: Path) -> shapely.Polygon | None:
    """The box around the district's townships, or None when the file has none."""
    import pyogrio
    import shapely

    if "townships" not in pyogrio.list_layers(path)[:, 0]:
        return None
    bounds = pyogrio.read_info(path, layer="townships", force_total_bounds=True)["total_bounds"]
    return shapely.box(*bounds) if all(map(math.isfinite, bounds)) else None


@clear_errors
def roads(
    source: Annotated[Path, typer.Argument(
        metavar="IN.osm.pbf", help="OSM 数据文件 / An OpenStreetMap extract (.osm.pbf), e.g. "
                                   "a Geofabrik province extract.")],
    district: Annotated[Path, typer.Argument(
        metavar="INTO.gpkg", help="区县图层文件，其道路图层被写入或替换 / The district "
                                  "GeoPackage whose roads layer is written or replaced.")],
    bbox: Annotated[str | None, typer.Option(
        metavar="MINLON,MINLAT,MAXLON,MAXLAT",
        help="只取此经纬度范围内的道路 / Only the roads in this lon/lat box (default: the "
             "whole extract).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="不显示进度 / No progress bar.")
                     ] = False,
) -> None:
    """道路图层 / Load the drivable roads of IN.osm.pbf into the roads layer of INTO.gpkg.

    OSM highway values map to the road classes (高速/快速路, 主干路, 次干路,
    支路/街巷, 村道, 内部道路), maxspeed to the speed (else the class's
    default), oneway to the direction; ways are split at their junctions. The
    other layers of INTO.gpkg stay as they are.
    """
    import pyogrio
    import shapely

    from gridgis.crs import local_crs
    from gridgis.errors import CoordinateError, LayerError
    from gridgis.layers import replace_layer
    from gridgis.roads import load_road_classes, roads_from_osm
    from gridgis.roads.osm import parse_bbox

    box = None if bbox is None else parse_bbox(bbox)
    if not source.is_file():
        raise FileNotFoundError(f"{source}：没有这个文件 / no such file")
    if not district.is_file():
        raise FileNotFoundError(f"{district}：没有这个区县图层文件 / no such file")
    try:
        pyogrio.list_layers(district)
    except Exception:
        raise LayerError(f"{district} 不是 GeoPackage 图层文件 / {district} cannot be opened as "
                         "a GeoPackage", layer="*") from None
    started = time.perf_counter()
    network = roads_from_osm(source, bbox=box, progress=not quiet)
    replace_layer(district, "roads", network)
    extent = _district_extent(district)
    if extent is not None and not shapely.intersects(shapely.box(*network.total_bounds),
                                                     extent):
        err.print(f"注意：道路不在区县范围内（道路 {_bounds(network.total_bounds)}，区县 "
                  f"{_bounds(extent.bounds)}），请检查 OSM 文件或 --bbox / warning: the roads "
                  "lie outside the district's townships", highlight=False)
    try:
        plane = local_crs(network)
    except CoordinateError:  # outside China's Gauss-Krüger zones: the local UTM zone
        plane = network.estimate_utm_crs()
    metres = network.to_crs(plane)
    classes = load_road_classes()
    table = metres.assign(km=metres.length / 1000).groupby("road_class").agg(
        条数=("road_id", "size"), 公里=("km", "sum"), 单行=("oneway", "sum"),
        平均速度=("speed_kmh", "mean"))
    table = table.reindex([c for c in classes.index if c in table.index]).astype(object)
    table["条数"] = [f"{int(v):,}" for v in table["条数"]]
    table["公里"] = [f"{v:,.1f}" for v in table["公里"]]
    table["单行"] = [f"{int(v):,}" for v in table["单行"]]
    table["平均速度"] = [f"{v:.0f} km/h" for v in table["平均速度"]]
    table.index = [f"{c} {classes.loc[c, 'name_zh']}" for c in table.index]
    table.index.name = "等级 / class"
    took = time.perf_counter() - started
    out.print(frame_table(table, f"道路 / roads → {district}"))
    km = metres.length.sum() / 1000
    err.print(f"已写入道路图层：{len(network):,} 条道路，共 {km:,.1f} 公里，"
              f"用时 {took:.1f} 秒 → {district} / wrote the roads layer of {district}",
              highlight=False)
