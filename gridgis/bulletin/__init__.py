"""The half-monthly bulletin (通报): figures, rankings and charts of a period.

- :mod:`~gridgis.bulletin.period`: the period (half-months by habit) and the one before;
- :mod:`~gridgis.bulletin.source`: the matters, from the store beside a district
  file or from its archive layer;
- :mod:`~gridgis.bulletin.content`: what the bulletin says (:func:`build_bulletin`);
- :mod:`~gridgis.bulletin.page`, :mod:`~gridgis.bulletin.workbook`,
  :mod:`~gridgis.bulletin.charts`: the HTML page, the Excel workbook, the SVG charts.

:func:`district_bulletin` puts them together for a district file
(``gridgis bulletin FILE --from --to``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

import pandas as pd

from gridgis.bulletin.content import Bulletin, Names, build_bulletin
from gridgis.bulletin.page import bulletin_html
from gridgis.bulletin.period import Period, half_month, parse_period
from gridgis.bulletin.source import district_incidents
from gridgis.bulletin.workbook import write_bulletin_xlsx

__all__ = [
    "Bulletin",
    "Names",
    "Period",
    "build_bulletin",
    "bulletin_html",
    "district_bulletin",
    "half_month",
    "parse_period",
    "write_bulletin_xlsx",
]


def district_bulletin(path: str | os.PathLike[str], period: Period, *,
                      weights: pd.DataFrame | None = None,
                      clock: Callable[[], dt.datetime] | None = None,
                      step: Callable[[str], None] | None = None) -> Bulletin:
    """The bulletin of a district file for ``period``.

    Parameters
    ----------
    path : path-like
        A district GeoPackage; its store is read when it sits beside the file
        and holds matters of the period, else its ``incidents`` layer.
    period : Period
    weights : pandas.DataFrame, optional
        :func:`~gridgis.analysis.load_weights`; default the shipped table.
    clock : callable, optional
        "Now" of a live store.
    step : callable, optional
        Told the name of each step done (a progress bar).

    Returns
    -------
    Bulletin

    Raises
    ------
    FileNotFoundError, LayerError
        For a missing or unreadable file.
    InputError
        When no matter was reported in the period.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from gridgis import sample_district, write_layers
    >>> out = write_layers(sample_district(scale=0.05), pathlib.Path(tempfile.mkdtemp()) / "d.gpkg")
    >>> b = district_bulletin(out, parse_period("2026-10-01", "2026-10-15"))
    >>> b.period.label, b.source.startswith("存档图层")
    ('2026年10月上半月', True)
    """
    found = district_incidents(path, period, clock=clock, step=step)
    out = build_bulletin(found.frame, found.previous, period=period, now=found.now,
                         previous_now=found.previous_now, source=found.source,
                         names=found.names, workers=found.workers, weights=weights,
                         codes=found.codes)
    if step is not None:
        step("计算指标 / figures computed")
    return out
