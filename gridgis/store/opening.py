"""Open the store a ``--store`` value names: a SQLite file or a PostgreSQL database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gridgis.store.base import IncidentStore

__all__ = ["is_postgres_url", "open_store"]

_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def is_postgres_url(spec: str | os.PathLike[str]) -> bool:
    """Whether a ``--store`` value names a PostgreSQL database rather than a SQLite file.

    Examples
    --------
    >>> is_postgres_url("postgresql://gis@db/gridgis"), is_postgres_url("d.incidents.sqlite")
    (True, False)
    """
    return str(spec).startswith(_SCHEMES)


def open_store(spec: str | os.PathLike[str], *,
               attachments_folder: str | os.PathLike[str] | None = None,
               layers: str | os.PathLike[str] | None = None,
               **options: Any) -> IncidentStore:
    """The incident store of ``spec``, its schema created or migrated.

    Parameters
    ----------
    spec : str or path-like
        A SQLite file (or ``":memory:"``), or ``postgresql://user@host/database``
        (PostgreSQL with PostGIS, :class:`~gridgis.store.postgis.PostGISStore`).
    attachments_folder : path-like, optional
        For PostgreSQL: where photos and videos go; default beside ``layers``
        (``district.attachments/``, as a SQLite store there would keep them),
        or a temporary folder without ``layers``. A SQLite file keeps them in
        the folder beside it.
    layers : path-like, optional
        The district GeoPackage the store serves.
    **options
        More keyword arguments of the store's class (``busy_timeout``).

    Returns
    -------
    IncidentStore
    """
    if is_postgres_url(spec):
        from gridgis.store.attachments import attachment_folder_for
        from gridgis.store.postgis import PostGISStore
        from gridgis.store.sqlite import store_path_for

        if attachments_folder is None and layers is not None:
            attachments_folder = attachment_folder_for(store_path_for(layers))

        return PostGISStore(str(spec), attachments_folder=attachments_folder, **options)
    from gridgis.store.sqlite import SQLiteStore

    return SQLiteStore(spec if str(spec) == ":memory:" else Path(spec), **options)
