"""Early warning on several dimensions (多维预警): area × type × month, party kind, organisation.

Each month, every cell of a dimension (a township × dispute type, a dispute
type against a kind of respondent such as hospitals or employers, large
claims of a type, an organisation's caseload) is compared with its own
baseline: the mean of the twelve months that end two months before (a
guard band, so a rise that has just begun does not raise its own
baseline), scaled by the type's season (the district's same calendar month
in the earlier years against their mean). The test is Poisson's upper
tail, P(X ≥ observed | expected); the p-values of a month are adjusted
together (Benjamini–Hochberg) and a cell is an alert when the adjusted
p-value is below ``alpha``, at least ``min_count`` cases came in and the
count is at least ``min_ratio`` × expected. Each alert carries its notice
(预警通报) addressed to the authority of the field (卫生健康局 for medical
disputes), and :func:`after_alert` gives the figures that followed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control, poisson

from gridgis.mediation.names import DISPUTE_TYPES, PARTY_KIND_NAMES

__all__ = ["DIMENSIONS", "WarningSettings", "after_alert", "monthly_counts", "scan", "warn"]

DIMENSIONS = ("area_type", "respondent_type", "large_amount", "organisation")
"""The dimensions watched (a cell of each is a key of its own)."""
LARGE_AMOUNT = 100_000
"""Yuan: a claim of at least this is a large one (重大纠纷)."""
TEST = "Poisson upper tail vs 12-month baseline (guard 2), seasonal; BH-adjusted"


@dataclass(frozen=True)
class WarningSettings:
    """Thresholds of an alert."""

    alpha: float = 0.01
    min_count: int = 4
    min_ratio: float = 1.5
    baseline_months: int = 12
    guard_months: int = 2


def _keys(cases: pd.DataFrame, dimension: str, area_digits: int) -> pd.DataFrame:
    out = pd.DataFrame({"dispute_type": cases["dispute_type"],
                        "month": pd.to_datetime(cases["received_at"]).dt.to_period("M")})
    if dimension == "area_type":
        out["area_code"] = cases["grid_code"].str[:area_digits]
        out["key"] = out["area_code"] + "×" + out["dispute_type"]
    elif dimension == "respondent_type":
        out = out[cases["respondent_kind"] != "person"].copy()
        out["area_code"] = None
        out["key"] = cases.loc[out.index, "respondent_kind"] + "×" + out["dispute_type"]
    elif dimension == "large_amount":
        out = out[cases["amount"].fillna(0) >= LARGE_AMOUNT].copy()
        out["area_code"] = None
        out["key"] = "large×" + out["dispute_type"]
    elif dimension == "organisation":
        out["area_code"] = None
        out["key"] = cases["org_id"]
        out["dispute_type"] = None
    else:
        raise ValueError(f"unknown dimension {dimension!r}; dimensions are {DIMENSIONS}")
    return out


def monthly_counts(cases: pd.DataFrame, dimension: str = "area_type", *,
                   area_digits: int = 9) -> pd.DataFrame:
    """Cases a month per key of a dimension (keys × months, zeros filled).

    Parameters
    ----------
    cases : pandas.DataFrame
        ``received_at``, ``dispute_type``, ``grid_code``, ``respondent_kind``,
        ``amount``, ``org_id``.
    dimension : str
        One of :data:`DIMENSIONS`.
    area_digits : int, default 9
        The area level of ``area_type`` (9 a township, 12 a community).
    """
    keyed = _keys(cases, dimension, area_digits)
    table = keyed.groupby(["key", "month"]).size().unstack("month", fill_value=0)
    if len(keyed):
        months = pd.period_range(keyed["month"].min(), keyed["month"].max(), freq="M")
        table = table.reindex(columns=months, fill_value=0)
    return table


def _season(cases: pd.DataFrame, month: pd.Period) -> dict[str, float]:
    """The season of each dispute type in ``month``'s calendar month (1 without history).

    Its district count in that month of the earlier whole years against its
    mean month in them, bounded to [0.5, 2].
    """
    per = pd.DataFrame({"t": cases["dispute_type"],
                        "m": pd.to_datetime(cases["received_at"]).dt.to_period("M")})
    per = per[per["m"] < month - 12 + 1]  # whole earlier years only
    out: dict[str, float] = {}
    for dtype, group in per.groupby("t"):
        counts = group.groupby("m").size()
        same = counts[[p.month == month.month for p in counts.index]]
        if len(counts) >= 12 and len(same):
            out[str(dtype)] = float(np.clip(same.mean() / counts.mean(), 0.5, 2.0))
    return out


def _prepare(cases: pd.DataFrame, dimensions: Sequence[str]
             ) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    out = {}
    for dimension in dimensions:
        keyed = _keys(cases, dimension, 9)
        table = monthly_counts(cases, dimension)
        info = keyed.drop_duplicates("key").set_index("key").reindex(table.index)
        out[dimension] = (table, info)
    return out


def warn(cases: pd.DataFrame, month: str | pd.Period, *, settings: WarningSettings | None = None,
         dimensions: Sequence[str] = DIMENSIONS, names: dict[str, str] | None = None,
         _prepared: dict | None = None) -> pd.DataFrame:
    """The alerts of one month.

    Parameters
    ----------
    cases : pandas.DataFrame
        Every case (at least the months of the baseline before ``month``).
    month : str or pandas.Period
        ``YYYY-MM``.
    settings : WarningSettings, optional
    dimensions : sequence of str
    names : dict, optional
        Area code or organisation id → its name, for the notices.

    Returns
    -------
    pandas.DataFrame
        One row per cell tested, sorted by adjusted p-value: ``dimension``,
        ``key``, ``dispute_type``, ``area_code``, ``month``, ``observed``,
        ``expected``, ``ratio``, ``same_month_last_year``, ``test``,
        ``p_value``, ``p_adjusted``, ``alert``, ``authority``, ``notice``.
    """
    settings = settings or WarningSettings()
    month = pd.Period(month, freq="M")
    season = _season(cases, month)
    names = names or {}
    prepared = _prepared or _prepare(cases, dimensions)
    frames = []
    for dimension in dimensions:
        table, info = prepared[dimension]
        if month not in table.columns:
            continue
        first = month - settings.guard_months - settings.baseline_months
        window = [m for m in table.columns if first <= m < month - settings.guard_months]
        if len(window) < settings.baseline_months // 2:
            continue
        base = table[window].to_numpy(float).mean(axis=1)
        factor = np.array([season.get(str(t), 1.0) for t in info["dispute_type"]])
        expected = np.maximum(base * factor, 0.5)
        observed = table[month].to_numpy(int)
        last = month - 12
        frames.append(pd.DataFrame({
            "dimension": dimension, "key": table.index.astype(str),
            "dispute_type": [t if isinstance(t, str) else None for t in info["dispute_type"]],
            "area_code": info["area_code"].to_numpy(), "month": str(month),
            "observed": observed, "expected": np.round(expected, 2),
            "ratio": np.round(observed / expected, 2),
            "same_month_last_year": table[last].to_numpy(int) if last in table.columns
            else None,
            "p_value": poisson.sf(observed - 1, expected)}))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if out.empty:
        return out
    out["p_adjusted"] = false_discovery_control(out["p_value"].to_numpy(), method="bh")
    out["test"] = TEST
    out["alert"] = ((out["p_adjusted"] < settings.alpha)
                    & (out["observed"] >= settings.min_count)
                    & (out["ratio"] >= settings.min_ratio))
    out["authority"] = [DISPUTE_TYPES[t].authority if isinstance(t, str) else "区司法局"
                        for t in out["dispute_type"]]
    out["notice"] = ""
    alerts = out["alert"].to_numpy()
    out.loc[alerts, "notice"] = [_notice(r, names) for r in out[alerts].to_dict("records")]
    return out.sort_values(["p_adjusted", "key"]).reset_index(drop=True)


def _describe(row: dict, names: dict[str, str]) -> str:
    dtype = row["dispute_type"]
    tname = DISPUTE_TYPES[dtype].name if isinstance(dtype, str) else "调解案件"
    if row["dimension"] == "area_type":
        return f"{names.get(row['area_code'], row['area_code'])}{tname}"
    if row["dimension"] == "respondent_type":
        kind = row["key"].split("×")[0]
        return f"涉{PARTY_KIND_NAMES.get(kind, kind)}的{tname}"  # type: ignore[call-overload]
    if row["dimension"] == "large_amount":
        return f"争议金额十万元以上的{tname}"
    return f"{names.get(row['key'], row['key'])}受理的调解案件"


def _notice(row: dict, names: dict[str, str]) -> str:
    what = _describe(row, names)
    rise = (row["observed"] / row["expected"] - 1) * 100
    yoy = ("" if row["same_month_last_year"] is None or pd.isna(row["same_month_last_year"])
           else f"，去年同月 {row['same_month_last_year']} 件")
    return (f"致{row['authority']}：关于{what}上升的预警通报。{row['month']} 受理{what} "
            f"{row['observed']} 件，较基线 {row['expected']:.1f} 件上升 {rise:.0f}%{yoy}。"
            f"检验：泊松上尾检验 p={row['p_value']:.2g}，经 Benjamini–Hochberg 校正 "
            f"p={row['p_adjusted']:.2g}。请关注成因并采取源头治理措施。 / Warning to "
            f"{row['authority']}: {row['key']} {row['month']} {row['observed']} cases against "
            f"{row['expected']:.1f} expected (Poisson upper tail p={row['p_value']:.2g}, "
            f"BH-adjusted {row['p_adjusted']:.2g}).")


def scan(cases: pd.DataFrame, *, start: str | None = None, end: str | None = None,
         settings: WarningSettings | None = None, dimensions: Sequence[str] = DIMENSIONS,
         names: dict[str, str] | None = None) -> pd.DataFrame:
    """The alerts of every month from ``start`` to ``end`` (both ``YYYY-MM``, included).

    Returns only the cells that are alerts, each with an ``alert_id`` (stable:
    the month, dimension and key).
    """
    months = pd.to_datetime(cases["received_at"]).dt.to_period("M")
    first = pd.Period(start, freq="M") if start else months.min() + 12
    last = pd.Period(end, freq="M") if end else months.max()
    found = []
    prepared = _prepare(cases, dimensions)
    for month in pd.period_range(first, last, freq="M"):
        got = warn(cases, month, settings=settings, dimensions=dimensions, names=names,
                   _prepared=prepared)
        if not got.empty:
            found.append(got[got["alert"]])
    if not found:
        return pd.DataFrame()
    out = pd.concat(found, ignore_index=True)
    out["alert_id"] = [
        "YJ" + hashlib.sha1(f"{m}|{d}|{k}".encode()).hexdigest()[:12]
        for m, d, k in zip(out["month"], out["dimension"], out["key"], strict=True)]
    return out


def after_alert(cases: pd.DataFrame, alert: dict, *, months: int = 12) -> pd.DataFrame:
    """The figures that followed an alert: the key's monthly counts around it.

    Returns
    -------
    pandas.DataFrame
        ``month``, ``cases`` from ``months`` before to ``months`` after the
        alert's month, with ``change_vs_year_before`` (the count against the
        same month a year earlier).
    """
    table = monthly_counts(cases, alert["dimension"])
    month = pd.Period(alert["month"], freq="M")
    series = table.loc[alert["key"]] if alert["key"] in table.index else pd.Series(dtype=int)
    span = pd.period_range(month - months, month + months, freq="M")
    series = series.reindex(span, fill_value=0)
    prior = series.shift(12)
    return pd.DataFrame({"month": [str(p) for p in span], "cases": series.to_numpy(int),
                         "change_vs_year_before": np.where(prior > 0, series / prior - 1,
                                                           np.nan)})
