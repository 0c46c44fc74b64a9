"""The ``import`` command: a planner's own files into a district GeoPackage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridgis.cli._output import clear_errors, err, out

__all__ = ["import_"]


@clear_errors
def import_(
    mapping: Annotated[Path, typer.Argument(
        metavar="MAPPING", help="TOML mapping file: files, CRS and columns (映射文件).")],
    output: Annotated[Path, typer.Argument(
        metavar="OUT", help="District GeoPackage to write.")],
) -> None:
    """Import a planner's Shapefile/GeoJSON/GeoPackage and Excel/CSV files (导入) into OUT."""
    from gridgis.planning.importing import import_district
    from gridgis.qgis_styles import write_district_styles

    if output.resolve() == mapping.resolve():
        err.print("输出文件不能是映射文件本身 (OUT must differ from MAPPING)")
        raise typer.Exit(2)
    layers, report = import_district(mapping, output)
    write_district_styles(output, layers)
    for name, n in report.features.items():
        issued = len(report.issued.get(name, []))
        extra = f"，新编码 {issued} 个" if issued else ""
        out.print(f"{name}: {n} 个要素{extra}", highlight=False)
    for file, n in report.joined.items():
        out.print(f"已连接清单 {file}: {n} 行", highlight=False)
    err.print(f"已写出 {output}", highlight=False)
