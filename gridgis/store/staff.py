"""The staff directory: people, their roles and jurisdictions, and grid workers' grids.

Kept in the same database as the incidents (tables ``staff`` and
``staff_grids``); a grid worker's link to their grids replaces the free-text
``worker_names`` of the grid layer. Passwords are stored only as argon2 hashes
(:mod:`gridgis.people.passwords`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from gridgis.errors import StaffError
from gridgis.people.staff import StaffMember
from gridgis.store.freshness import Memo
from gridgis.store.reading import reading

__all__ = ["STAMP_QUERY", "StaffDirectory", "create_staff_stamp", "create_staff_tables",
           "has_staff_stamp", "staff", "staff_grids", "staff_metadata"]

CHUNK = 500
"""People written (and ids looked up) per statement by :meth:`StaffDirectory.save_many`."""

staff_metadata = sa.MetaData()
staff = sa.Table(
    "staff", staff_metadata,
    sa.Column("staff_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(32), nullable=False, index=True),
    sa.Column("grade", sa.String(16)),
    sa.Column("area_code", sa.String(15), index=True),
    sa.Column("unit_id", sa.String(32), index=True),
    sa.Column("phone", sa.String(20)),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("password_hash", sa.String(256)),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
staff_grids = sa.Table(
    "staff_grids", staff_metadata,
    sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff.staff_id"), primary_key=True),
    sa.Column("grid_code", sa.String(15), primary_key=True, index=True),
)


_PERSON = sa.select(staff).where(staff.c.staff_id == sa.bindparam("staff_id"))
_GRIDS_OF = sa.select(staff_grids.c.grid_code).where(
    staff_grids.c.staff_id == sa.bindparam("staff_id"))
_LINKS = sa.select(staff_grids).where(
    staff_grids.c.staff_id.in_(sa.bindparam("ids", expanding=True)))
_MEMBERS: dict[tuple[bool, bool, bool | None, bool], sa.Select[Any]] = {}
"""Statements of :meth:`StaffDirectory.members` by the filters given (their values bound)."""


def _members_statement(shape: tuple[bool, bool, bool | None, bool],
                       area_code: str | None) -> sa.Select[Any]:
    """The listing of :meth:`StaffDirectory.members` by the filters given (values bound)."""
    role, unit_id, active, grid_code = shape
    where = []
    if role:
        where.append(staff.c.role == sa.bindparam("role"))
    if area_code:  # a prefix, escaped: inline, so built for each call
        where.append(staff.c.area_code.startswith(area_code, autoescape=True))
    if unit_id:
        where.append(staff.c.unit_id == sa.bindparam("unit_id"))
    if active is not None:
        where.append(staff.c.active.is_(active))
    if grid_code:
        where.append(staff.c.staff_id.in_(sa.select(staff_grids.c.staff_id).where(
            staff_grids.c.grid_code == sa.bindparam("grid_code"))))
    return sa.select(staff).where(*where).order_by(staff.c.staff_id)


def create_staff_tables(conn: sa.Connection) -> None:
    """Create the directory's tables (a store migration calls this)."""
    staff_metadata.create_all(conn, tables=[staff, staff_grids])


STAMP_QUERY = "SELECT n FROM staff_changes"
"""The directory's change counter (SQLite), moved on by triggers on both its tables."""
_STAMP_TRIGGERS = [f"staff_changes_{table}_{op.lower()}" for table in ("staff", "staff_grids")
                   for op in ("INSERT", "UPDATE", "DELETE")]


def has_staff_stamp(conn: sa.Connection) -> bool:
    """Whether a SQLite file has the change counter and its triggers (a read)."""
    names = {r[0] for r in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE name = 'staff_changes' "
        "OR name LIKE 'staff_changes_%'")}
    return "staff_changes" in names and names.issuperset(_STAMP_TRIGGERS)


def create_staff_stamp(conn: sa.Connection) -> None:
    """SQLite: a one-row counter that every change to ``staff`` or ``staff_grids`` moves on.

    Triggers in the file move it, whoever writes (another gridgis, the sqlite3
    shell), so a service's remembered answers (:class:`Memo`) survive the
    commits of reports but not a change to the directory. Not a table of the
    schema's: a file without it is read as before, forgetting on every commit.
    """
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS staff_changes (n INTEGER NOT NULL)")
    conn.exec_driver_sql("INSERT INTO staff_changes (n) SELECT 0 "
                         "WHERE NOT EXISTS (SELECT 1 FROM staff_changes)")
    for table in ("staff", "staff_grids"):
        for op in ("INSERT", "UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS staff_changes_{table}_{op.lower()} AFTER {op} "
                f"ON {table} BEGIN UPDATE staff_changes SET n = n + 1; END")


def _values(member: StaffMember) -> dict[str, Any]:
    """The ``staff`` columns of a person, but the id and the password hash."""
    return {"name": member.name, "role": member.role.value,
            "grade": member.grade.value if member.grade else None,
            "area_code": member.area_code, "unit_id": member.unit_id,
            "phone": member.phone, "active": member.active,
            "updated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)}


def _member(row: Any, grids: Iterable[str]) -> StaffMember:
    return StaffMember(staff_id=row.staff_id, name=row.name, role=row.role,
                       area_code=row.area_code, grade=row.grade, unit_id=row.unit_id,
                       phone=row.phone, active=bool(row.active), grids=tuple(sorted(grids)))


class StaffDirectory:
    """Read and write the staff of one store.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine (the tables exist: the store's migration made them).

    Notes
    -----
    :meth:`find` and :meth:`members` answers of a SQLite file are remembered
    until any connection commits a change to the file (:class:`Memo`), so a
    service asks the database once per person and grid, and a disabled account
    or a moved grid worker shows at the next request all the same.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._memo = Memo(engine, stamp=STAMP_QUERY)

    def save(self, member: StaffMember, *, password_hash: str | None = None,
             create_only: bool = False) -> bool:
        """Add a person, or update one with the same ``staff_id``.

        Parameters
        ----------
        member : StaffMember
        password_hash : str, optional
            A new password's hash; None keeps the stored one.
        create_only : bool, default False
            Refuse (StaffError naming ``staff_id``) when the person exists.

        Returns
        -------
        bool
            True when the person was added, False when updated.
        """
        row = _values(member)
        if password_hash is not None:
            row["password_hash"] = password_hash
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(staff.c.staff_id).where(
                staff.c.staff_id == member.staff_id)).first() is not None
            if exists and create_only:
                raise StaffError(f"工号 {member.staff_id} 已存在 / staff_id {member.staff_id} "
                                 "exists already", field="staff_id")
            if exists:
                conn.execute(sa.update(staff).where(staff.c.staff_id == member.staff_id)
                             .values(**row))
                conn.execute(sa.delete(staff_grids).where(
                    staff_grids.c.staff_id == member.staff_id))
            else:
                conn.execute(sa.insert(staff).values(staff_id=member.staff_id, **row))
            if member.grids:
                conn.execute(sa.insert(staff_grids), [
                    {"staff_id": member.staff_id, "grid_code": g} for g in member.grids])
        return not exists

    def save_many(self, members: Sequence[StaffMember], *, password_hash: str | None = None,
                  keep_active: bool = True,
                  progress: Callable[[int], None] | None = None) -> tuple[int, int]:
        """Add or update many people in one transaction: all of them, or none.

        Parameters
        ----------
        members : sequence of StaffMember
            Each ``staff_id`` once.
        password_hash : str, optional
            One hash set for every person saved (a demonstration's shared
            password); None keeps the stored hashes (new people have none).
        keep_active : bool, default True
            People already stored keep their active flag (a roster import does
            not enable again someone disabled); False writes each member's.
        progress : callable, optional
            Called with the number of people written since the last call.

        Returns
        -------
        (int, int)
            How many were added and how many updated.

        Raises
        ------
        StaffError
            Naming ``staff_id``, when one is given twice.
        """
        ids = [m.staff_id for m in members]
        if len(set(ids)) != len(ids):
            twice = sorted(i for i, n in Counter(ids).items() if n > 1)[:5]
            raise StaffError(f"工号重复：{'、'.join(twice)} / staff_id given twice: "
                             f"{', '.join(twice)}", field="staff_id")
        extra = {} if password_hash is None else {"password_hash": password_hash}
        update = sa.update(staff).where(staff.c.staff_id == sa.bindparam("b_staff_id"))
        added = 0
        with self.engine.begin() as conn:
            for start in range(0, len(members), CHUNK):
                chunk = members[start:start + CHUNK]
                chunk_ids = [m.staff_id for m in chunk]
                known = set(conn.execute(sa.select(staff.c.staff_id).where(
                    staff.c.staff_id.in_(chunk_ids))).scalars())
                new = [{"staff_id": m.staff_id, **_values(m), **extra}
                       for m in chunk if m.staff_id not in known]
                old = [{"b_staff_id": m.staff_id, **_values(m), **extra}
                       for m in chunk if m.staff_id in known]
                if keep_active:
                    for row in old:
                        del row["active"]
                if new:
                    conn.execute(sa.insert(staff), new)
                if old:
                    conn.execute(update, old)
                    conn.execute(sa.delete(staff_grids).where(staff_grids.c.staff_id.in_(
                        [m.staff_id for m in chunk if m.staff_id in known])))
                links = [{"staff_id": m.staff_id, "grid_code": g} for m in chunk for g in m.grids]
                if links:
                    conn.execute(sa.insert(staff_grids), links)
                added += len(new)
                if progress is not None:
                    progress(len(chunk))
        return added, len(members) - added

    def find(self, staff_id: str) -> StaffMember | None:
        """The person with this ``staff_id``, or None."""
        return self._memo.get(("find", staff_id), lambda: self._find(staff_id))

    def _find(self, staff_id: str) -> StaffMember | None:
        with reading(self.engine) as conn:
            row = conn.execute(_PERSON, {"staff_id": staff_id}).first()
            if row is None:
                return None
            grids = conn.execute(_GRIDS_OF, {"staff_id": staff_id}).scalars().all()
        return _member(row, grids)

    def members(self, *, role: str | None = None, area_code: str | None = None,
                unit_id: str | None = None, grid_code: str | None = None,
                active: bool | None = None) -> list[StaffMember]:
        """People, filtered: by role, by jurisdiction (a code prefix), unit, grid, activity.

        Returns
        -------
        list of StaffMember
            Ordered by ``staff_id``.
        """
        key = ("members", role, area_code, unit_id, grid_code, active)
        return list(self._memo.get(key, lambda: tuple(self._members(
            role=role, area_code=area_code, unit_id=unit_id, grid_code=grid_code,
            active=active))))

    def _members(self, *, role: str | None, area_code: str | None, unit_id: str | None,
                 grid_code: str | None, active: bool | None) -> list[StaffMember]:
        params = {name: value for name, value in (("role", role), ("unit_id", unit_id),
                                                  ("grid_code", grid_code)) if value is not None}
        shape = (role is not None, unit_id is not None, active, grid_code is not None)
        statement = None if area_code else _MEMBERS.get(shape)
        if statement is None:
            statement = _members_statement(shape, area_code)
            if not area_code:  # one statement per shape of the filters, compiled once
                _MEMBERS[shape] = statement
        with reading(self.engine) as conn:
            rows = conn.execute(statement, params).all()
            links: dict[str, list[str]] = {}
            ids = [r.staff_id for r in rows if r.role == "grid_worker"]
            for start in range(0, len(ids), 500):
                for sid, grid in conn.execute(_LINKS, {"ids": ids[start:start + 500]}).all():
                    links.setdefault(sid, []).append(grid)
        return [_member(r, links.get(r.staff_id, ())) for r in rows]

    def set_active(self, staff_id: str, active: bool) -> None:
        """Enable or disable a person (a disabled person's tokens stop working at once)."""
        with self.engine.begin() as conn:
            done = conn.execute(sa.update(staff).where(staff.c.staff_id == staff_id)
                                .values(active=active)).rowcount
        if not done:
            raise StaffError(f"没有工号 {staff_id} / no staff {staff_id!r}", field="staff_id")

    def set_password_hash(self, staff_id: str, password_hash: str) -> None:
        """Store a new password hash for a person."""
        with self.engine.begin() as conn:
            done = conn.execute(sa.update(staff).where(staff.c.staff_id == staff_id)
                                .values(password_hash=password_hash)).rowcount
        if not done:
            raise StaffError(f"没有工号 {staff_id} / no staff {staff_id!r}", field="staff_id")

    def password_hash(self, staff_id: str) -> str | None:
        """The stored password hash of an active person (None: unknown, disabled or unset)."""
        with reading(self.engine) as conn:
            return conn.execute(sa.select(staff.c.password_hash).where(
                staff.c.staff_id == staff_id, staff.c.active.is_(True))).scalar()

    def close(self) -> None:
        """Close the connection that watches the file for changes."""
        self._memo.close()

    def count(self) -> int:
        """How many people the directory holds."""
        with reading(self.engine) as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(staff)).scalar_one())
