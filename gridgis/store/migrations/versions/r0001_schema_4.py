"""The PostGIS store at schema version 4: every table of the SQLite store, and the point.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables (where missing) and record schema version 4."""
    from gridgis.store.postgis import ALL_METADATA
    from gridgis.store.sqlite import schema_version

    conn = op.get_bind()
    for meta in ALL_METADATA:
        meta.create_all(conn, checkfirst=True)
    if conn.execute(sa.select(sa.func.count()).select_from(schema_version)).scalar() == 0:
        conn.execute(sa.insert(schema_version).values(version=4))


def downgrade() -> None:
    """Drop every table of the store."""
    from gridgis.store.postgis import ALL_METADATA

    conn = op.get_bind()
    for meta in reversed(ALL_METADATA):
        meta.drop_all(conn, checkfirst=True)
