"""The table of road classes: code, Chinese name, default speed and the OSM ``highway`` values.

The default table ships as ``gridgis/data/road_classes.csv`` (columns ``code,
name, name_zh, speed_kmh, osm_highway``), one row per class of
:data:`gridgis.schemas.ROAD_CLASSES`; a district replaces it with its own CSV
of the same columns (its own speeds, say). ``osm_highway`` lists, separated by
spaces, the OpenStreetMap ``highway`` values that load as the class.

=========== ============ ========================================
code        名称          default speed (km/h), shipped table
=========== ============ ========================================
expressway  高速/快速路    80
arterial    主干路         50
secondary   次干路         40
street      支路/街巷      25
village     村道           20
service     内部道路        15
=========== ============ ========================================
"""

from __future__ import annotations

import math
import os

import pandas as pd

from gridgis._data_tables import read_data_table
from gridgis.errors import CategoryError
from gridgis.schemas import ROAD_CLASSES

__all__ = ["class_of_highway", "default_speeds", "load_road_classes"]

_COLUMNS = ("code", "name", "name_zh", "speed_kmh", "osm_highway")


def _bad(where: object, rows: pd.Series, what: tuple[str, str]) -> CategoryError:
    codes = ", ".join(rows.index[rows.to_numpy()].astype(str))
    return CategoryError(f"道路等级表 {where}：{what[0]} / road class table {where}: "
                         f"{what[1]} (classes {codes})")


def load_road_classes(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load and check the road class table.

    Parameters
    ----------
    path : path-like, optional
        A CSV with the columns of the shipped table; default the shipped table.

    Returns
    -------
    pandas.DataFrame
        Indexed by class code in the order of :data:`~gridgis.schemas.ROAD_CLASSES`,
        with ``name``, ``name_zh``, ``speed_kmh`` (float) and ``osm_highway``
        (a tuple of OSM ``highway`` values).

    Raises
    ------
    CategoryError
        For a missing file or column, a code outside
        :data:`~gridgis.schemas.ROAD_CLASSES` or missing from the table, a
        repeated code, a speed that is not a finite number above 0, or an OSM
        ``highway`` value given to two classes.

    Examples
    --------
    >>> classes = load_road_classes()
    >>> classes.loc["arterial", "name_zh"], float(classes.loc["arterial", "speed_kmh"])
    ('主干路', 50.0)
    >>> "residential" in classes.loc["street", "osm_highway"]
    True
    """
    try:
        raw, where = read_data_table(path, "road_classes.csv")
    except FileNotFoundError:
        raise CategoryError(f"道路等级表 {path} 不存在 / road class table {path}: "
                            "no such file") from None
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise CategoryError(f"道路等级表 {where} 缺列 {', '.join(missing)} / road class table "
                            f"{where}: missing column(s) {', '.join(missing)}; expected "
                            f"{', '.join(_COLUMNS)}")
    table = raw[list(_COLUMNS)].apply(lambda s: s.str.strip())
    table.index = pd.Index(table["code"].to_numpy(), dtype=object)
    bad = ~table["code"].isin(ROAD_CLASSES)
    if bad.any():
        raise _bad(where, bad, (f"等级须为 {'、'.join(ROAD_CLASSES)}",
                                f"code must be one of {', '.join(ROAD_CLASSES)}"))
    bad = pd.Series(table["code"].duplicated(keep=False).to_numpy(), index=table.index)
    if bad.any():
        raise _bad(where, bad, ("等级重复", "a class appears twice"))
    absent = [c for c in ROAD_CLASSES if c not in set(table["code"])]
    if absent:
        raise CategoryError(f"道路等级表 {where} 缺少等级 {'、'.join(absent)} / road class "
                            f"table {where}: no row for {', '.join(absent)}")
    speed = pd.to_numeric(table["speed_kmh"], errors="coerce")
    bad = speed.isna() | ~speed.map(lambda v: math.isfinite(v) and v > 0).astype(bool)
    if bad.any():
        raise _bad(where, bad, ("速度须为大于 0 的数值（公里/小时）",
                                "speed_kmh must be a number above 0 (km/h)"))
    table["speed_kmh"] = speed.astype(float)
    table["osm_highway"] = table["osm_highway"].map(lambda s: tuple(s.split()))
    values = table["osm_highway"].explode().dropna()
    twice = set(values[values.duplicated()])
    if twice:
        bad = table["osm_highway"].map(lambda v: bool(twice & set(v))).astype(bool)
        raise _bad(where, bad, (f"OSM highway 值 {'、'.join(sorted(twice))} 归入了两个等级",
                                f"the OSM highway value(s) {', '.join(sorted(twice))} are "
                                "given to two classes"))
    return table.loc[list(ROAD_CLASSES)].drop(columns="code")


def default_speeds(classes: pd.DataFrame | None = None) -> dict[str, float]:
    """Default travel speed (km/h) of each road class.

    Examples
    --------
    >>> default_speeds()["village"]
    20.0
    """
    table = load_road_classes() if classes is None else classes
    return {str(k): float(v) for k, v in table["speed_kmh"].items()}


def class_of_highway(classes: pd.DataFrame | None = None) -> dict[str, str]:
    """The road class of each OSM ``highway`` value the table names.

    Examples
    --------
    >>> mapping = class_of_highway()
    >>> mapping["motorway"], mapping["tertiary"], mapping["service"]
    ('expressway', 'secondary', 'service')
    """
    table = load_road_classes() if classes is None else classes
    return {str(h): str(code) for code, values in table["osm_highway"].items() for h in values}
