"""Incident stores: the interface and the embedded SQLite implementation."""

from gridgis.store.base import Event, IncidentQuery, IncidentStore, Page, Reporter
from gridgis.store.sqlite import SCHEMA_VERSION, SQLiteStore, store_path_for

__all__ = [
    "SCHEMA_VERSION",
    "Event",
    "IncidentQuery",
    "IncidentStore",
    "Page",
    "Reporter",
    "SQLiteStore",
    "store_path_for",
]
