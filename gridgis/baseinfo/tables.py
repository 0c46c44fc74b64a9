"""The store's tables of the base information, made where missing (``checkfirst``).

They live in the incidents' SQLite database beside the other tables, in a
metadata of their own: ``bi_addresses``, ``bi_houses``, ``bi_people``,
``bi_orgs`` (the four registers of 一标三实, one row per record, cancelled
records kept with ``status = 'cancelled'``), ``bi_history`` (every 新增,
变更, 注销 and grid re-assignment with who, when and the fields before and
after) and ``bi_visits`` (visits and inspections done: who, when, where,
notes). Every register row carries the grid, community and township it lies
in by location. Times are naive China time, as in the rest of the store.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["REGISTERS", "baseinfo_metadata", "create_baseinfo_tables", "history", "visits"]

baseinfo_metadata = sa.MetaData()


def _common() -> list[sa.Column]:
    """Grid columns, state and bookkeeping every register shares."""
    return [
        sa.Column("grid_code", sa.String(15), index=True),
        sa.Column("community_code", sa.String(12)),
        sa.Column("township_code", sa.String(9)),
        sa.Column("status", sa.String(12), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    ]


addresses = sa.Table(
    "bi_addresses", baseinfo_metadata,
    sa.Column("address_id", sa.String(32), primary_key=True),
    sa.Column("door_code", sa.String(24), nullable=False, unique=True),
    sa.Column("road", sa.String(64), nullable=False),
    sa.Column("door_no", sa.String(16), nullable=False),
    sa.Column("building_id", sa.String(40), index=True),
    sa.Column("full_text", sa.String(200), nullable=False, index=True),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    *_common(),
)
houses = sa.Table(
    "bi_houses", baseinfo_metadata,
    sa.Column("house_id", sa.String(40), primary_key=True),
    sa.Column("address_id", sa.String(32), nullable=False, index=True),
    sa.Column("room", sa.String(16), nullable=False),
    sa.Column("use", sa.String(16), nullable=False, index=True),
    sa.Column("floor_area_m2", sa.Float, nullable=False),
    *_common(),
)
people = sa.Table(
    "bi_people", baseinfo_metadata,
    sa.Column("person_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("phone", sa.String(20)),
    sa.Column("gender", sa.String(8), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("residence", sa.String(12), nullable=False, index=True),
    sa.Column("house_id", sa.String(40), index=True),
    sa.Column("address_id", sa.String(32), nullable=False, index=True),
    sa.Column("tags", sa.JSON, nullable=False),
    *_common(),
)
orgs = sa.Table(
    "bi_orgs", baseinfo_metadata,
    sa.Column("org_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, index=True),
    sa.Column("licence_id", sa.String(18), nullable=False, index=True),
    sa.Column("address_id", sa.String(32), index=True),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    *_common(),
)
history = sa.Table(
    "bi_history", baseinfo_metadata,
    sa.Column("history_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("record_id", sa.String(40), nullable=False),
    sa.Column("action", sa.String(12), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("changes", sa.JSON, nullable=False),
    sa.Column("note", sa.Text),
    sa.Index("ix_bi_history_record", "kind", "record_id"),
)
"""One row per change of a record: ``changes`` maps each field to ``[before, after]``."""
visits = sa.Table(
    "bi_visits", baseinfo_metadata,
    sa.Column("visit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task_code", sa.String(8), nullable=False, index=True),
    sa.Column("target_kind", sa.String(12), nullable=False),
    sa.Column("target_id", sa.String(40), nullable=False),
    sa.Column("staff_id", sa.String(64), nullable=False, index=True),
    sa.Column("grid_code", sa.String(15), nullable=False, index=True),
    sa.Column("done_at", sa.DateTime, nullable=False, index=True),
    sa.Column("lon", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("place", sa.String(200)),
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Index("ix_bi_visits_target", "target_kind", "target_id", "done_at"),
)
"""Visits (走访) and inspections (检查) done, each against a task of the catalogue."""

REGISTERS: dict[str, tuple[sa.Table, str]] = {
    "addresses": (addresses, "address_id"), "houses": (houses, "house_id"),
    "people": (people, "person_id"), "orgs": (orgs, "org_id")}
"""Each record kind's table and key column."""


def create_baseinfo_tables(conn: sa.Connection) -> None:
    """Create the base-information tables where missing (idempotent)."""
    baseinfo_metadata.create_all(conn, checkfirst=True)
