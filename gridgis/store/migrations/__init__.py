"""Alembic migrations of the PostGIS store (run by :class:`~gridgis.store.postgis.PostGISStore`).

The store runs ``upgrade head`` on the connection it opens, inside its write
lock, so one process migrates while the others wait. The first revision is the
schema of :data:`gridgis.store.sqlite.SCHEMA_VERSION` 4; later changes of the
tables add a revision here (and a step of the SQLite file's own migration).
"""
