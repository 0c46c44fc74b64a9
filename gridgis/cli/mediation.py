"""``gridgis mediation …``: the people's mediation platform (人民调解) from the command line.

DISTRICT is a district GeoPackage; the mediation tables live in the incident
database beside it (``district.incidents.sqlite``), made there where missing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridgis.cli._output import clear_errors, err, frame_table, out
from gridgis.errors import GridGisError

if TYPE_CHECKING:
    from gridgis.mediation import MediationStore

__all__ = ["app", "sample"]

app = typer.Typer(
    name="mediation",
    help="人民调解：样例案件、类案检索、预警 / People's mediation: sample cases, similar-case "
         "search, early warning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DistrictArg = Annotated[Path, typer.Argument(
    metavar="DISTRICT.gpkg", help="区县 GeoPackage（调解数据在其旁的数据库）/ The district "
    "GeoPackage (the mediation data sit in the database beside it).")]


def _open(district: Path) -> MediationStore:
    from gridgis.mediation import MediationStore
    from gridgis.store import SQLiteStore, store_path_for

    if district.suffix.lower() != ".gpkg":
        raise GridGisError(f"{district}: 须为区县 GeoPackage（.gpkg）/ a district GeoPackage "
                           "(.gpkg) is expected")
    if not district.is_file():
        raise GridGisError(f"{district}: 没有这个文件 / no such file")
    return MediationStore(SQLiteStore(store_path_for(district)).engine)


@app.command()
@clear_errors
def sample(
    district: DistrictArg,
    seed: Annotated[int, typer.Option(help="随机种子 / Random seed.")] = 2026,
    per_year: Annotated[int, typer.Option(min=10, max=200000, help="每年案件数（预警前）/ "
                                          "Cases a year (before the medical rise).")] = 2000,
    replace: Annotated[bool, typer.Option(help="先清空调解数据 / Empty the mediation tables "
                                          "first.")] = True,
    words: Annotated[bool, typer.Option(help="同时为类案检索分词 / Segment the cases' words "
                                        "for the similar-case search now.")] = True,
) -> None:
    """写入三年的样例调解案件 / Write three years of sample mediation cases to the store."""
    from gridgis.layers import read_layers
    from gridgis.mediation.sample import sample_mediation

    store = _open(district)
    started = time.perf_counter()
    layers = read_layers(district, strict=False)
    made = sample_mediation(layers, seed=seed, per_year=per_year)
    written = store.load(made.frames(), replace=replace)
    err.print(f"已写入 {written} 件调解案件，用时 {time.perf_counter() - started:.1f} 秒 / wrote "
              f"{written} cases", highlight=False)
    if words:
        from gridgis.mediation.search import index_of_store

        started = time.perf_counter()
        index = index_of_store(store)
        err.print(f"已为类案检索分词 {len(index.new_words)} 件，用时 "
                  f"{time.perf_counter() - started:.1f} 秒 / segmented the words of "
                  f"{len(index.new_words)} cases", highlight=False)
    cases = made.cases
    import pandas as pd

    from gridgis.mediation.names import DISPUTE_TYPES

    groups = cases.groupby("dispute_type")
    table = pd.DataFrame({
        "纠纷类型": [DISPUTE_TYPES[c].name for c in groups.groups],
        "cases": groups.size().astype(str),
        "调解成功率": groups["outcome"].apply(lambda s: f"{(s == 'agreement').mean():.1%}")})
    out.print(frame_table(table, "调解案件 / mediation cases"))
