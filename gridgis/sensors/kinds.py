"""The table of sensor kinds: what each measures, its threshold(s) and the category raised.

The default table ships as ``gridgis/data/sensor_kinds.csv``, one row per
threshold of a kind (columns ``kind, name, name_zh, measure_zh, unit,
threshold, category, heartbeat_minutes``). A kind may have several rows: a
reading at or over a threshold raises the category of the highest threshold
it reaches (a deeper flood, a higher gas level can raise a graver category).
``heartbeat_minutes`` is the kind's usual heartbeat interval, used where a
device's own is not known (the sample district's devices).
"""

from __future__ import annotations

import math
import os

import pandas as pd

from gridgis._data_tables import read_data_table
from gridgis.errors import CategoryError
from gridgis.schemas import SENSOR_KINDS

__all__ = ["alarm_text", "level_of", "load_sensor_kinds"]

_COLUMNS = ("kind", "name", "name_zh", "measure_zh", "unit", "threshold", "category",
            "heartbeat_minutes")


def _bad(where: object, rows: pd.Series, what: str) -> CategoryError:
    kinds = ", ".join(dict.fromkeys(rows.index[rows.to_numpy()].astype(str)))
    return CategoryError(f"传感器类型表 {where}：{what[0]} / sensor kind table {where}: "
                         f"{what[1]} (kinds {kinds})")


def load_sensor_kinds(path: str | os.PathLike[str] | None = None, *,
                      categories: pd.DataFrame | None = None) -> pd.DataFrame:
    """Load and check the sensor kind table.

    Parameters
    ----------
    path : path-like, optional
        A CSV with the columns of the shipped table; default the shipped table.
    categories : pandas.DataFrame, optional
        The category table the ``category`` codes must belong to; default
        :func:`gridgis.load_categories`.

    Returns
    -------
    pandas.DataFrame
        Indexed by kind, in the order of :data:`~gridgis.schemas.SENSOR_KINDS`
        (a kind with several thresholds has several rows, in increasing
        threshold); ``threshold`` is a float and
        ``heartbeat_minutes`` an int.

    Raises
    ------
    CategoryError
        For a missing column, a kind outside :data:`gridgis.schemas.SENSOR_KINDS`,
        a kind without a row, a threshold that is not a finite number or
        repeats, a category the category table lacks, or a heartbeat interval
        that is not a positive whole number of minutes (or differs between the
        rows of a kind).

    Examples
    --------
    >>> kinds = load_sensor_kinds()
    >>> gas = kinds.loc["gas"]
    >>> gas["name_zh"], gas["unit"], float(gas["threshold"]), gas["category"]
    ('燃气', '%LEL', 20.0, 'S04')
    """
    from gridgis.categories import load_categories

    try:
        raw, where = read_data_table(path, "sensor_kinds.csv")
    except FileNotFoundError:
        raise CategoryError(f"传感器类型表 {path} 不存在 / sensor kind table {path}: "
                            "no such file") from None
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise CategoryError(f"传感器类型表 {where} 缺列 {', '.join(missing)} / sensor kind "
                            f"table {where}: missing column(s) {', '.join(missing)}; expected "
                            f"{', '.join(_COLUMNS)}")
    table = raw[list(_COLUMNS)].apply(lambda s: s.str.strip())
    table.index = pd.Index(table["kind"].to_numpy(), dtype=object)
    bad = ~table["kind"].isin(SENSOR_KINDS)
    if bad.any():
        raise _bad(where, bad, (f"类型须为 {'、'.join(SENSOR_KINDS)}",
                                f"kind must be one of {', '.join(SENSOR_KINDS)}"))
    absent = [k for k in SENSOR_KINDS if k not in set(table["kind"])]
    if absent:
        raise CategoryError(f"传感器类型表 {where} 缺少类型 {'、'.join(absent)} / sensor kind "
                            f"table {where}: no row for {', '.join(absent)}")
    threshold = pd.to_numeric(table["threshold"], errors="coerce")
    bad = threshold.isna() | ~threshold.map(math.isfinite).astype(bool)
    if bad.any():
        raise _bad(where, bad, ("阈值须为有限数值", "threshold must be a finite number"))
    table["threshold"] = threshold.astype(float)
    bad = pd.Series(table.duplicated(["kind", "threshold"], keep=False).to_numpy(),
                    index=table.index)
    if bad.any():
        raise _bad(where, bad, ("同一类型的阈值重复", "a kind repeats a threshold"))
    known = load_categories() if categories is None else categories
    bad = ~table["category"].isin(known.index)
    if bad.any():
        raise _bad(where, bad, ("类别不在类别表中", "category is not in the category table"))
    minutes = pd.to_numeric(table["heartbeat_minutes"], errors="coerce")
    bad = minutes.isna() | (minutes <= 0) | (minutes % 1 != 0)
    if bad.any():
        raise _bad(where, bad, ("心跳间隔须为正整数分钟",
                                "heartbeat_minutes must be a positive whole number"))
    table["heartbeat_minutes"] = minutes.astype(int)
    bad = table.groupby(level=0)["heartbeat_minutes"].transform("nunique") > 1
    if bad.any():
        raise _bad(where, bad, ("同一类型的心跳间隔不一致",
                                "the rows of a kind give different heartbeat_minutes"))
    order = table["kind"].map({k: i for i, k in enumerate(SENSOR_KINDS)})
    return table.assign(_order=order).sort_values(["_order", "threshold"]).drop(
        columns="_order")


def level_of(kinds: pd.DataFrame, kind: str, reading: float) -> pd.Series | None:
    """The row of the highest threshold of ``kind`` that ``reading`` reaches, or None.

    Examples
    --------
    >>> kinds = load_sensor_kinds()
    >>> level_of(kinds, "water_level", 22.5)["category"]
    'E01'
    >>> level_of(kinds, "water_level", 3.0) is None
    True
    """
    rows = kinds.loc[[kind]]
    reached = rows[rows["threshold"] <= reading]
    return None if reached.empty else reached.iloc[-1]


def alarm_text(level: pd.Series, *, device_id: str, name: str, reading: float) -> str:
    """The Chinese description of an alarm: the kind, the device, the reading and its unit.

    Examples
    --------
    >>> kinds = load_sensor_kinds()
    >>> alarm_text(level_of(kinds, "gas", 35), device_id="GS0001", name="美食街3号燃气监测",
    ...            reading=35)
    '燃气报警：美食街3号燃气监测（GS0001）可燃气体浓度 35 %LEL，超过阈值 20 %LEL'
    """
    unit = level["unit"]
    sep = "" if unit in ("°",) else " "
    return (f"{level['name_zh']}报警：{name}（{device_id}）{level['measure_zh']} "
            f"{reading:g}{sep}{unit}，超过阈值 {level['threshold']:g}{sep}{unit}")
