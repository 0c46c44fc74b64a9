"""Load an archive of patrols (the sample's season, another platform's export) into a store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import geopandas as gpd

from gridgis.patrols.records import build_records
from gridgis.patrols.settings import PatrolSettings
from gridgis.patrols.visits import ZonePlane

if TYPE_CHECKING:
    from gridgis.sample import PatrolArchive
    from gridgis.store.patrols import PatrolLog

__all__ = ["load_patrols"]


def load_patrols(log: PatrolLog, zones: gpd.GeoDataFrame, archive: PatrolArchive, *,
                 settings: PatrolSettings | None = None,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Measure the archive's tracks, find their visits and write them; patrols already there skip.

    Parameters
    ----------
    log : PatrolLog
        The store's patrol tables.
    zones : geopandas.GeoDataFrame
        The patrol-zone layer.
    archive : PatrolArchive
        ``meta`` and ``points`` (see :func:`gridgis.sample.sample_patrols`).
    settings : PatrolSettings, optional
    progress : callable, optional
        Called with (patrols written, patrols to write).

    Returns
    -------
    int
        Patrols written.
    """
    rows, visits = build_records(archive.meta, archive.points, ZonePlane.from_zones(zones),
                                 settings=settings)
    return log.add_many(rows, visits, progress=progress)
