"""The gridgis HTTP service: locate, incidents, OGC API Features, Open311, the console."""

from api.main import create_app

__all__ = ["create_app"]
