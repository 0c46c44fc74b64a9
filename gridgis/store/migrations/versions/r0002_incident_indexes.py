"""Indexes for a province's store: incidents by township, community and unit.

A store holding millions of incidents lists them by township (a township's board, the
county's filters) and by unit; the columns were not indexed in revision 0001's tables.
Indexes change no answer, so the schema version stays 4.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the incidents' and events' indexes the tables lack."""
    from gridgis.store.sqlite import create_missing_indexes

    create_missing_indexes(op.get_bind())


def downgrade() -> None:
    """Drop the three indexes this revision adds."""
    for column in ("township_code", "community_code", "unit_id"):
        op.execute(f"DROP INDEX IF EXISTS ix_incidents_{column}")
