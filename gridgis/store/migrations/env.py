"""Alembic's environment: migrate the connection the PostGIS store hands over."""

from __future__ import annotations

from alembic import context

from gridgis.store.postgis import ALL_METADATA

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=list(ALL_METADATA),
                  transaction_per_migration=False)
context.run_migrations()
