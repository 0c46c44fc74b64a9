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


@app.command()
@clear_errors
def warn(
    district: DistrictArg,
    start: Annotated[str | None, typer.Option("--from", help="首月 YYYY-MM（默认有一年基线后）/ "
                                              "first month")] = None,
    end: Annotated[str | None, typer.Option("--to", help="末月 YYYY-MM（含）/ last month")
                   ] = None,
    record: Annotated[bool, typer.Option(help="记录预警通报 / Record the notices in the "
                                         "store.")] = False,
) -> None:
    """多维预警：区域×类型×月份、当事人类别、大额、调解组织 / Early warning."""
    import re

    import pandas as pd

    from gridgis.dispatch import china_now
    from gridgis.layers import read_layers
    from gridgis.mediation.names import DISPUTE_TYPES
    from gridgis.mediation.warning import scan

    for name, value in (("--from", start), ("--to", end)):
        if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            raise GridGisError(f"{name}: 月份须为 YYYY-MM / a month is YYYY-MM, not {value!r}")
    store = _open(district)
    cases = store.cases()
    if cases.empty:
        raise GridGisError(f"{district}: 没有调解案件（先运行 gridgis mediation sample）/ no "
                           "mediation cases")
    layers = read_layers(district, strict=False)
    names = {**dict(zip(layers.townships["code"], layers.townships["name"], strict=True)),
             **dict(zip(store.table("organisations")["org_id"],
                        store.table("organisations")["name"], strict=True))}
    alerts = scan(cases, start=start, end=end, names=names)
    if alerts.empty:
        err.print("没有预警 / no alerts", highlight=False)
        return
    shown = pd.DataFrame({
        "月份": alerts["month"], "维度": alerts["dimension"],
        "对象": [names.get(str(k).split("×")[0], str(k).split("×")[0]) + (
            f"×{DISPUTE_TYPES[t].name}" if isinstance(t, str) else "")
            for k, t in zip(alerts["key"], alerts["dispute_type"], strict=True)],
        "observed": alerts["observed"].astype(str),
        "expected": alerts["expected"].map("{:.1f}".format),
        "p(BH)": alerts["p_adjusted"].map("{:.2g}".format),
        "致": alerts["authority"]})
    out.print(frame_table(shown.set_index("月份"), "预警 / alerts"))
    if record:
        now = china_now()
        rows = [{**{k: r[k] for k in ("alert_id", "dimension", "key", "dispute_type",
                                      "area_code", "month", "observed", "expected", "test",
                                      "p_value", "p_adjusted", "authority", "notice")},
                 "raised_at": now, "recorded_by": "cli"} for r in alerts.to_dict("records")]
        for r in rows:
            r["area_code"] = r["area_code"] if isinstance(r["area_code"], str) else None
            r["observed"] = int(r["observed"])
        written = store.save_alerts(rows)
        err.print(f"已记录预警通报 {written} 条 / recorded {written} notices", highlight=False)
