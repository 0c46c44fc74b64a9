"""What a bulletin (通报) says: the figures of two periods, rankings, report-ins.

:func:`build_bulletin` takes the incident frames of a period and of the one
before (see :mod:`gridgis.bulletin.source` for where they come from) and
computes everything the HTML page and the workbook show, with names for
the codes. Nothing here renders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from gridgis.analysis.assessment import LEVELS, assess, load_weights
from gridgis.analysis.seed_figures import PUBLISHED, SEED_FIGURES, platform_rates, seed_figures
from gridgis.bulletin.period import Period

__all__ = ["LEVEL_NAMES", "Bulletin", "Names", "build_bulletin", "top_and_bottom"]

CST = ZoneInfo("Asia/Shanghai")
LEVEL_NAMES: dict[str, str] = {"township": "乡镇(街道)", "community": "社区(村)",
                               "grid": "网格", "unit": "承办单位", "grid_worker": "网格员"}
"""The Chinese name of each level of the rankings."""


@dataclass
class Names:
    """Names of the codes a bulletin shows: areas (with their parent), units, workers."""

    areas: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_layers(cls, layers: object) -> Names:
        """Names of a district's townships, communities, grids and units."""
        areas: dict[str, str] = {}
        for name in ("townships", "communities", "grids"):
            frame = getattr(layers, name, None)
            if frame is not None:
                areas.update(zip(frame["code"].astype(str), frame["name"].astype(str),
                                 strict=True))
        units = getattr(layers, "units", None)
        return cls(areas, {} if units is None else dict(
            zip(units["unit_id"].astype(str), units["name"].astype(str), strict=True)))


@dataclass
class Bulletin:
    """Everything a bulletin shows.

    ``figures`` has one row per seed figure (:data:`SEED_FIGURES`) and the
    columns ``name``, ``kind``, ``this``, ``previous``, ``change`` and
    ``published`` (the seeds' own, where one is published); ``levels`` the
    ranked tables per level with a ``name`` (and ``parent``) column;
    ``report_in`` the departments' report-in figures.
    """

    title: str
    period: Period
    previous: Period
    now: pd.Timestamp
    previous_now: pd.Timestamp
    source: str
    figures: pd.DataFrame
    platforms: pd.DataFrame
    previous_platforms: pd.DataFrame
    levels: dict[str, pd.DataFrame]
    report_in: pd.DataFrame
    weights: pd.DataFrame
    matters: int
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(CST).replace(
        tzinfo=None, microsecond=0))  # China time, as every time the bulletin shows


def _named(table: pd.DataFrame, names: Mapping[str, str], *, parent: int | None = None,
           parent_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    out = table.copy()
    codes = out.index.astype(str)
    out.insert(0, "name", [names.get(c, c) for c in codes])
    if parent is not None:
        lookup = parent_names or names
        out.insert(1, "parent", [lookup.get(c[:parent], c[:parent]) for c in codes])
    return out


def build_bulletin(frame: pd.DataFrame, previous_frame: pd.DataFrame, *, period: Period,
                   now: pd.Timestamp, previous_now: pd.Timestamp, source: str,
                   names: Names | None = None, workers: pd.DataFrame | None = None,
                   weights: pd.DataFrame | None = None,
                   codes: Mapping[str, list[str]] | None = None,
                   title: str = "网格化服务管理工作通报") -> Bulletin:
    """The contents of the bulletin of ``period``.

    Parameters
    ----------
    frame, previous_frame : pandas.DataFrame
        Incident frames of the matters reported in the period and in the one
        before (:meth:`Period.previous`).
    period : Period
    now, previous_now : timestamp
        The moments each period's figures are taken at (its end, or the
        end of the data when that comes first).
    source : str
        Where the matters come from, as the bulletin says it.
    names : Names, optional
        Names of areas and units (codes are shown without).
    workers : pandas.DataFrame, optional
        :func:`~gridgis.analysis.assessment.workers_table`; without it no
        grid-worker ranking.
    weights : pandas.DataFrame, optional
        :func:`~gridgis.analysis.assessment.load_weights`; default the shipped table.
    codes : mapping, optional
        Per level the codes to list even without matters.
    title : str
        The bulletin's title.

    Returns
    -------
    Bulletin
    """
    names = names or Names()
    weights = load_weights() if weights is None else weights
    this = seed_figures(frame, now=now)
    before = seed_figures(previous_frame, now=previous_now)
    figures = pd.DataFrame({
        "name": [f.zh for f in SEED_FIGURES.values()],
        "kind": [f.kind for f in SEED_FIGURES.values()],
        "this": this.to_numpy(float), "previous": before.to_numpy(float),
    }, index=list(SEED_FIGURES))
    figures["change"] = figures["this"] - figures["previous"]
    figures["published"] = [PUBLISHED.get(k, (np.nan, ""))[0] for k in figures.index]
    a = assess(frame, now=now, weights=weights, workers=workers, codes=dict(codes or {}))
    parents = {"community": 9, "grid": 12}
    levels = {}
    for level, table in a.levels.items():
        if level in LEVELS:
            levels[level] = _named(table, names.areas, parent=parents.get(level))
        elif level == "unit":
            levels[level] = _named(table, names.units)
        else:  # grid workers: their grids by name
            levels[level] = table.assign(grids=table["grids"].map(
                lambda text: "、".join(names.areas.get(g, g) for g in str(text).split("、") if g)))
    report_in = _named(a.report_in, names.units).sort_values(
        ["report_in_rate", "calls"], ascending=[False, False], na_position="last")
    return Bulletin(title=title, period=period, previous=period.previous(), now=now,
                    previous_now=previous_now, source=source, figures=figures,
                    platforms=platform_rates(frame, now=now),
                    previous_platforms=platform_rates(previous_frame, now=previous_now),
                    levels=levels, report_in=report_in, weights=weights,
                    matters=int(this["matters"]) if np.isfinite(this["matters"]) else 0)


def top_and_bottom(table: pd.DataFrame, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The best ``n`` and the worst ``n`` ranked rows (all of them as "top" when few).

    Rows without a score are left out. With at most ``2 n`` ranked rows the
    first frame holds them all and the second is empty.
    """
    ranked = table[table["score"].notna()].sort_values(["rank", "score"],
                                                       ascending=[True, False], kind="stable")
    if len(ranked) <= 2 * n:
        return ranked, ranked.iloc[0:0]
    return ranked.head(n), ranked.tail(n)

