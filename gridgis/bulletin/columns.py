"""How the bulletin shows a value: column headings in Chinese, numbers as text, "—" for none."""

from __future__ import annotations

import math

from gridgis.analysis.assessment import MEASURES

__all__ = ["HEADINGS", "KINDS", "SHOWN", "change", "heading", "kind_of", "shown"]

HEADINGS: dict[str, str] = {
    "name": "名称", "parent": "所属", "grids": "网格", "due": "应报到", "reported_in": "已报到",
    "on_time": "按时报到", "this": "本期", "previous": "上期", "change": "增减",
    "published": "参考（公开数据）", "name_zh": "平台", "valid": "有效事项",
    "handled": "已处置", "handling_rate": "处置率", "share": "占比", "verify_due": "应核查",
    "weight": "权重", "direction": "方向",
    **{m: d.zh for m, d in MEASURES.items()},
}
"""The Chinese heading of every column the bulletin shows."""
KINDS: dict[str, str] = {
    **{m: d.kind for m, d in MEASURES.items()},
    "handling_rate": "rate", "share": "rate", "valid": "count", "handled": "count",
    "due": "count", "reported_in": "count", "on_time": "count", "verify_due": "count",
    "weight": "count",
}
"""The kind of every numeric column: count, rate, mean5, hours, score, rank."""
SHOWN: dict[str, tuple[str, ...]] = {
    "township": ("name", "matters", "deploy_on_time_rate", "progress_on_time_rate",
                 "resolve_on_time_rate", "overdue", "closure_rate", "satisfaction", "score",
                 "rank"),
    "community": ("name", "parent", "matters", "deploy_on_time_rate", "progress_on_time_rate",
                  "resolve_on_time_rate", "overdue", "closure_rate", "satisfaction", "score",
                  "rank"),
    "grid": ("name", "parent", "matters", "found_rate", "resolve_on_time_rate", "overdue",
             "closure_rate", "score", "rank"),
    "unit": ("name", "matters", "progress_on_time_rate", "resolve_on_time_rate", "overdue",
             "returns", "reopened", "report_in_rate", "satisfaction", "score", "rank"),
    "grid_worker": ("name", "grids", "reports_found", "verifications", "verify_on_time_rate",
                    "score", "rank"),
    "report_in": ("name", "calls", "due", "reported_in", "on_time", "report_in_rate",
                  "report_in_hours"),
}
"""The columns the HTML page shows per table (the workbook has them all)."""


def heading(column: str) -> str:
    """The Chinese heading of a column (its own name when it has none)."""
    return HEADINGS.get(column, column)


def kind_of(column: str) -> str | None:
    """The kind of a numeric column, None for text."""
    return KINDS.get(column)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or \
        str(value) in ("<NA>", "NaT", "nan")


def shown(value: object, kind: str | None) -> str:
    """A value as the page prints it.

    Examples
    --------
    >>> shown(0.9653, "rate"), shown(4.318, "mean5"), shown(float("nan"), "rate")
    ('96.5%', '4.32', '—')
    >>> shown(1.5, "count"), shown(12.0, "count")
    ('1.5', '12')
    """
    if _missing(value):
        return "—"
    if kind is None:
        return str(value)
    v = float(value)  # type: ignore[arg-type]
    if kind == "rate":
        return f"{v:.1%}"
    if kind == "mean5":
        return f"{v:.2f}"
    if kind in ("hours", "score"):
        return f"{v:.1f}"
    return f"{v:,.0f}" if v == round(v) else f"{v:,.1f}"


def change(value: object, kind: str | None) -> str:
    """A change between periods: percentage points for rates, signed otherwise.

    Examples
    --------
    >>> change(0.012, "rate"), change(-3.0, "count"), change(float("nan"), "rate")
    ('+1.2个百分点', '-3', '—')
    """
    if _missing(value):
        return "—"
    v = float(value)  # type: ignore[arg-type]
    if kind == "rate":
        return f"{v * 100:+.1f}个百分点"
    if kind == "mean5":
        return f"{v:+.2f}"
    return f"{v:+,.0f}" if v == round(v) else f"{v:+,.1f}"
