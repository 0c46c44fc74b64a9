"""The registers of 一标三实 in the store: 新增, 变更, 注销 with history, scoped reads.

:class:`BaseInfoStore` keeps the four registers over one store's engine. Every
write names the signed-in person (checked with :func:`~gridgis.baseinfo.access.check_keep`
against the grid the record lies in) and leaves a row in ``bi_history`` with
the fields before and after. Addresses and organisations are located in a
grid by their point (:class:`gridgis.GridIndex`); a house takes its
address's grid, a person their address's. A cancelled record (注销) stays in
the register with ``status = 'cancelled'``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from gridgis.baseinfo.access import check_keep
from gridgis.baseinfo.records import clean_fields
from gridgis.baseinfo.tables import REGISTERS, addresses, create_baseinfo_tables, history
from gridgis.baseinfo.terms import KIND_NAMES, KINDS
from gridgis.errors import ConflictError, InputError, RecordNotFoundError
from gridgis.people.staff import StaffMember
from gridgis.store.dialects import json_strings
from gridgis.store.reading import reading

__all__ = ["GRID_FIELDS", "BaseInfoStore", "Locator", "locator_of"]

GRID_FIELDS = ("grid_code", "community_code", "township_code")
Locator = Callable[[Sequence[float], Sequence[float]], list[dict[str, str | None]]]
"""Grid, community and township codes of points (lon, lat in WGS84)."""
_PREFIX = {"addresses": "A", "houses": "H", "people": "P", "orgs": "O"}


def locator_of(index: Any) -> Locator:
    """A :data:`Locator` over a :class:`gridgis.GridIndex` (vectorised ``assign``)."""
    def locate(lon: Sequence[float], lat: Sequence[float]) -> list[dict[str, str | None]]:
        got = index.assign(lon=list(lon), lat=list(lat), with_distance=False)
        out = got[list(GRID_FIELDS)].astype(object)
        return out.where(out.notna(), None).to_dict("records")
    return locate


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _kind(kind: str) -> tuple[sa.Table, str]:
    if kind not in REGISTERS:
        raise InputError(f"没有 {kind} 这类记录（可用：{'、'.join(KINDS)}）/ no record kind "
                         f"{kind!r}; kinds are {', '.join(KINDS)}", field="kind")
    return REGISTERS[kind]


class BaseInfoStore:
    """The base-information registers of one store.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine (``store.engine``); the tables are made where missing.
    locate : Locator, optional
        Grid codes of points; :func:`locator_of` over the district's
        :class:`~gridgis.GridIndex`. Needed to add or move addresses and
        organisations.
    clock : callable, optional
        "now" (naive China time); default the wall clock.

    Examples
    --------
    >>> from gridgis.store import SQLiteStore
    >>> BaseInfoStore(SQLiteStore(":memory:").engine).counts()
    {'addresses': 0, 'houses': 0, 'people': 0, 'orgs': 0}
    """

    def __init__(self, engine: sa.Engine, *, locate: Locator | None = None,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.engine = engine
        self.locate = locate
        self.clock = clock or (lambda: dt.datetime.now().replace(microsecond=0))
        with engine.begin() as conn:
            create_baseinfo_tables(conn)

    # -- reads -----------------------------------------------------------------------------
    def get(self, kind: str, record_id: str, *, conn: sa.Connection | None = None
            ) -> dict[str, Any]:
        """One record (cancelled ones too).

        Raises
        ------
        RecordNotFoundError
        """
        table, key = _kind(kind)
        query = sa.select(table).where(table.c[key] == record_id)
        if conn is not None:
            row = conn.execute(query).mappings().first()
        else:
            with reading(self.engine) as c:
                row = c.execute(query).mappings().first()
        if row is None:
            raise RecordNotFoundError(f"没有{KIND_NAMES[kind]} {record_id} / no {kind} record "
                                      f"{record_id!r}", field=key)
        return dict(row)

    def list(self, kind: str, *, areas: Sequence[str] | None = None,
             where: Mapping[str, Any] | None = None, text: str | None = None,
             status: str | None = "active", limit: int = 100, offset: int = 0
             ) -> tuple[list[dict[str, Any]], int]:
        """Records under ``areas`` (grid-code prefixes; None: all), and how many match.

        ``where`` filters by equal columns; ``text`` finds addresses by their
        full text, people and organisations by name (substring).
        """
        table, key = _kind(kind)
        conds = self._conditions(table, areas=areas, where=where, status=status)
        if text:
            column = table.c.full_text if kind == "addresses" else (
                table.c.room if kind == "houses" else table.c.name)
            conds.append(column.contains(text, autoescape=True))
        with reading(self.engine) as conn:
            matched = conn.execute(sa.select(sa.func.count()).select_from(table)
                                   .where(*conds)).scalar_one()
            rows = conn.execute(sa.select(table).where(*conds).order_by(table.c[key])
                                .limit(limit).offset(offset)).mappings().all()
        return [dict(r) for r in rows], int(matched)

    @staticmethod
    def _conditions(table: sa.Table, *, areas: Sequence[str] | None,
                    where: Mapping[str, Any] | None, status: str | None
                    ) -> list[sa.ColumnElement[bool]]:
        conds: list[sa.ColumnElement[bool]] = []
        if areas is not None:
            conds.append(sa.or_(*(table.c.grid_code.startswith(a, autoescape=True)
                                  for a in areas)) if areas else sa.false())
        for column, value in (where or {}).items():
            if column == "tag":
                conds.append(sa.exists(sa.select(1).select_from(
                    json_strings(table.c.tags).table_valued("value").alias("t"))
                    .where(sa.literal_column("t.value") == value)))
            else:
                conds.append(table.c[column] == value)
        if status is not None:
            conds.append(table.c.status == status)
        return conds

    def history(self, kind: str, record_id: str) -> list[dict[str, Any]]:
        """The record's changes, oldest first."""
        _kind(kind)
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(history).where(
                history.c.kind == kind, history.c.record_id == record_id)
                .order_by(history.c.history_id)).mappings().all()
        return [dict(r) for r in rows]

    def counts(self, *, status: str = "active") -> dict[str, int]:
        """Records of each kind in the register."""
        out = {}
        with reading(self.engine) as conn:
            for kind, (table, _) in REGISTERS.items():
                out[kind] = int(conn.execute(sa.select(sa.func.count()).select_from(table)
                                             .where(table.c.status == status)).scalar_one())
        return out

    # -- writes ----------------------------------------------------------------------------
    def _grid_of(self, conn: sa.Connection, kind: str, fields: Mapping[str, Any],
                 old: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The grid columns of a record from its point or its address."""
        merged = {**(old or {}), **fields}
        if kind in ("addresses", "orgs") and (old is None or "lon" in fields or "lat" in fields):
            if self.locate is None:
                raise InputError("未加载网格图层，无法定位 / no grid index to locate the point",
                                 field="lon")
            found = self.locate([merged["lon"]], [merged["lat"]])[0]
            if not found.get("grid_code"):
                raise InputError("该位置不在任何网格内 / the point lies in no grid",
                                 field="lon")
            return {k: found[k] for k in GRID_FIELDS}
        if kind in ("houses", "people") and (old is None or "address_id" in fields):
            row = conn.execute(sa.select(*(addresses.c[k] for k in GRID_FIELDS)).where(
                addresses.c.address_id == merged["address_id"],
                addresses.c.status == "active")).mappings().first()
            if row is None:
                raise InputError(f"标准地址 {merged['address_id']} 不存在或已注销 / no active "
                                 f"address {merged['address_id']!r}", field="address_id")
            return dict(row)
        return {}

    def _log(self, conn: sa.Connection, kind: str, record_id: str, action: str,
             person: StaffMember, changes: Mapping[str, Any], note: str | None,
             at: dt.datetime) -> None:
        conn.execute(sa.insert(history).values(
            kind=kind, record_id=record_id, action=action, at=at, actor=person.staff_id,
            role=person.role.value, note=note,
            changes={k: [_jsonable(a), _jsonable(b)] for k, (a, b) in changes.items()}))

    def add(self, kind: str, values: Mapping[str, Any], person: StaffMember, *,
            note: str | None = None, record_id: str | None = None) -> dict[str, Any]:
        """新增: add a record in a grid ``person`` keeps; the stored record.

        Raises
        ------
        InputError
            A field at fault (named), or a point in no grid.
        AccessDeniedError
            The record would lie outside ``person``'s grids.
        """
        table, key = _kind(kind)
        fields = clean_fields(kind, values, new=True)
        now = self.clock()
        with self.engine.begin() as conn:
            fields.update(self._grid_of(conn, kind, fields))
            check_keep(person, fields.get("grid_code"))
            if kind == "addresses":
                fields.update(self._address_codes(conn, fields))
            self._check_duplicate(conn, kind, fields, None)
            if kind == "people" and fields.get("house_id"):
                self._check_house(conn, fields)
            rid = record_id or fields.get(key) or f"{_PREFIX[kind]}{secrets.token_hex(6)}"
            row = {**fields, key: rid, "status": "active", "version": 1, "created_at": now,
                   "updated_at": now, "updated_by": person.staff_id}
            if kind == "people":
                row.setdefault("tags", [])
            try:
                conn.execute(sa.insert(table).values(**row))
            except sa.exc.IntegrityError:
                raise ConflictError(f"{KIND_NAMES[kind]} {rid} 已存在 / {kind} record {rid} "
                                    "exists already") from None
            self._log(conn, kind, rid, "add", person,
                      {k: (None, v) for k, v in row.items() if k not in (
                          "version", "created_at", "updated_at", "updated_by")}, note, now)
        return self.get(kind, rid)

    def _address_codes(self, conn: sa.Connection, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A new address's door-plate code (community + 6-digit sequence) and full text."""
        community = fields.get("community_code") or ""
        last = conn.execute(sa.select(sa.func.max(addresses.c.door_code)).where(
            addresses.c.door_code.startswith(community, autoescape=True))).scalar()
        seq = int(last[len(community):]) + 1 if last and last[len(community):].isdigit() else 1
        code = f"{community}{seq:06d}"
        return {"door_code": code, "address_id": f"A{code}",
                "full_text": f"{fields['road']}{fields['door_no']}"}

    @staticmethod
    def _check_duplicate(conn: sa.Connection, kind: str, fields: Mapping[str, Any],
                         record_id: str | None) -> None:
        """Refuse a person whose identity number, or an address whose text, is on file."""
        from gridgis.baseinfo.duplicates import same_address, same_id_number

        if kind == "people" and fields.get("id_number"):
            found = same_id_number(conn, fields["id_number"], other_than=record_id)
            if found:
                raise ConflictError(f"身份证号已登记为 {found}，请变更该记录而不是新增 / the "
                                    f"identity number is registered as {found}; change that "
                                    "record instead")
        if kind == "addresses" and fields.get("full_text"):
            found = same_address(conn, fields.get("community_code"), fields["full_text"],
                                 other_than=record_id)
            if found:
                raise ConflictError(f"地址「{fields['full_text']}」已登记为 {found} / the "
                                    f"address {fields['full_text']} is registered as {found}")

    @staticmethod
    def _check_house(conn: sa.Connection, fields: Mapping[str, Any]) -> None:
        from gridgis.baseinfo.tables import houses

        got = conn.execute(sa.select(houses.c.address_id).where(
            houses.c.house_id == fields["house_id"], houses.c.status == "active")).scalar()
        if got is None:
            raise InputError(f"房屋 {fields['house_id']} 不存在或已注销 / no active house "
                             f"{fields['house_id']!r}", field="house_id")
        if got != fields.get("address_id"):
            raise InputError(f"房屋 {fields['house_id']} 不在地址 {fields.get('address_id')} / "
                             f"house {fields['house_id']} is not at that address",
                             field="house_id")

    def change(self, kind: str, record_id: str, values: Mapping[str, Any],
               person: StaffMember, *, expected_version: int | None = None,
               note: str | None = None) -> dict[str, Any]:
        """变更: change fields of an active record (moving it re-locates its grid).

        Raises
        ------
        RecordNotFoundError, InputError, AccessDeniedError
        ConflictError
            The record changed meanwhile (``expected_version`` differs) or is cancelled.
        """
        return self._write(kind, record_id, person, values=values, action="change",
                           expected_version=expected_version, note=note)

    def cancel(self, kind: str, record_id: str, person: StaffMember, *, note: str,
               expected_version: int | None = None) -> dict[str, Any]:
        """注销: take a record off the register (kept, with its history); ``note`` says why."""
        if not str(note or "").strip():
            raise InputError("注销须写明原因 / say why the record is cancelled", field="note")
        return self._write(kind, record_id, person, values={}, action="cancel",
                           expected_version=expected_version, note=note)

    def _write(self, kind: str, record_id: str, person: StaffMember, *,
               values: Mapping[str, Any], action: str, expected_version: int | None,
               note: str | None) -> dict[str, Any]:
        table, key = _kind(kind)
        fields = clean_fields(kind, values, new=False)
        now = self.clock()
        with self.engine.begin() as conn:
            old = self.get(kind, record_id, conn=conn)
            check_keep(person, old.get("grid_code"))
            if old["status"] != "active":
                raise ConflictError(f"{KIND_NAMES[kind]} {record_id} 已注销 / {kind} record "
                                    f"{record_id} is cancelled")
            if expected_version is not None and expected_version != old["version"]:
                raise ConflictError(f"{record_id} 已被他人修改（版本 {old['version']}，您的是 "
                                    f"{expected_version}），请刷新后重试 / {record_id} changed "
                                    f"meanwhile (version {old['version']}); reload it")
            if action == "cancel":
                fields = {"status": "cancelled"}
            else:
                fields.update(self._grid_of(conn, kind, fields, old))
                check_keep(person, fields.get("grid_code", old.get("grid_code")))
                if kind == "people" and ("house_id" in fields or "address_id" in fields) \
                        and (fields.get("house_id", old.get("house_id"))):
                    self._check_house(conn, {"house_id": fields.get("house_id",
                                                                     old.get("house_id")),
                                             "address_id": fields.get("address_id",
                                                                      old["address_id"])})
                if kind == "addresses" and ({"road", "door_no"} & set(fields)):
                    fields["full_text"] = (f"{fields.get('road', old['road'])}"
                                           f"{fields.get('door_no', old['door_no'])}")
            if action == "change":
                self._check_duplicate(conn, kind, {**old, **fields} if kind == "addresses"
                                      else fields, record_id)
            diff = {k: (old.get(k), v) for k, v in fields.items() if old.get(k) != v}
            if not diff and action == "change":
                return old
            conn.execute(sa.update(table).where(table.c[key] == record_id).values(
                **fields, version=old["version"] + 1, updated_at=now,
                updated_by=person.staff_id))
            self._log(conn, kind, record_id, action, person, diff, note, now)
            if kind == "addresses" and any(k in diff for k in GRID_FIELDS):
                from gridgis.baseinfo.relocate import follow_addresses

                follow_addresses(conn, [record_id], at=now, actor=person)
        return self.get(kind, record_id)
