"""Incident stores: the interface, the embedded SQLite store and the PostGIS one."""

from gridgis.store.base import Event, IncidentQuery, IncidentStore, Page, Reporter
from gridgis.store.opening import is_postgres_url, open_store
from gridgis.store.sqlite import SCHEMA_VERSION, SQLiteStore, store_path_for

__all__ = [
    "SCHEMA_VERSION",
    "Event",
    "IncidentQuery",
    "IncidentStore",
    "Page",
    "Reporter",
    "SQLiteStore",
    "is_postgres_url",
    "open_store",
    "store_path_for",
]
