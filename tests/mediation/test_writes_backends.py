"""Mediation writes on both stores: one number per session, the store's write lock taken."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from gridgis.errors import ConflictError, StoreBusyError
from gridgis.mediation import MediationStore, case_scope
from gridgis.mediation import tables as t
from gridgis.mediation.writes import add_session, register_case
from gridgis.people import StaffMember

AT = dt.datetime(2026, 11, 2, 9)
WRITERS = 4


def _registered(store, sample) -> tuple[MediationStore, StaffMember, str]:
    """The sample's registries in ``store`` and one case registered by its community desk."""
    cases = MediationStore(store.engine)
    cases.load({k: sample.frames()[k] for k in ("organisations", "mediators", "experts")})
    m = sample.mediators
    org = m.loc[m["active"] & m["org_id"].str.startswith("TW"), ["org_id", "mediator_id"]]
    org_id, mediator_id = (str(v) for v in org.iloc[0])
    grid = next(str(g) for g in sample.cases["grid_code"] if g.startswith(org_id[2:]))
    desk = StaffMember(f"sq{grid[:12]}", "社区", "community", grid[:12])
    case_id, _ = register_case(
        cases, desk, key="race", at=AT - dt.timedelta(days=1), grid_code=grid,
        dispute_type="M01", title="楼上漏水", facts="楼上漏水致天花板霉变", claim="赔偿",
        org_id=org_id, mediator_id=mediator_id,
        parties=[{"side": "applicant", "kind": "person", "name": "王小明"},
                 {"side": "respondent", "kind": "person", "name": "李大海"}])
    return cases, desk, case_id


def test_writers_racing_for_one_session_number_get_one_each(backend, mediation_sample):
    store = backend.open()
    try:
        cases, desk, case_id = _registered(store, mediation_sample)
        scope = case_scope(desk)
        start = threading.Barrier(WRITERS)
        results: list[object] = []

        def write(i: int) -> None:
            start.wait()
            try:
                results.append(add_session(cases, desk, scope, case_id, seq=1,
                                           note=f"第 {i} 位写入", at=AT))
            except Exception as exc:  # what each writer got is the result
                results.append(exc)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if not isinstance(r, dict)]
        assert len(won) == 1, results
        assert all(isinstance(r, ConflictError) and r.field == "seq" for r in lost), lost
        with store.engine.connect() as conn:
            seqs = conn.execute(sa.select(t.sessions.c.seq).where(
                t.sessions.c.case_id == case_id)).scalars().all()
        assert seqs == [1]
        assert add_session(cases, desk, scope, case_id, seq=2, note="第二次", at=AT)["seq"] == 2
    finally:
        store.close()


def test_the_database_keeps_session_numbers_unique(backend, mediation_sample):
    store = backend.open()
    try:
        cases, desk, case_id = _registered(store, mediation_sample)
        add_session(cases, desk, case_scope(desk), case_id, seq=1, note="首次", at=AT)
        row = {"case_id": case_id, "seq": 1, "held_at": AT, "mediator_id": "x", "note": "绕过"}
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.execute(sa.insert(t.sessions).values(**row))
    finally:
        store.close()
    # a store made before the index was added gets it when opened
    backend.sql("DROP INDEX uq_mediation_sessions_case_seq")
    store = backend.open()
    try:
        MediationStore(store.engine)
        with store.engine.connect() as conn:
            names = {i["name"] for i in sa.inspect(conn).get_indexes("mediation_sessions")}
        assert "uq_mediation_sessions_case_seq" in names
    finally:
        store.close()


def test_a_mediation_write_waits_for_the_postgis_write_lock(postgis, mediation_sample):
    from gridgis.store.postgis import WRITE_LOCK

    store = postgis.open()
    try:
        cases, desk, case_id = _registered(store, mediation_sample)
    finally:
        store.close()
    store = postgis.open(busy_timeout=0.5)
    holder = sa.create_engine(postgis.spec.replace("postgresql://", "postgresql+psycopg://", 1),
                              poolclass=sa.pool.NullPool)
    try:
        cases = MediationStore(store.engine)
        with holder.connect() as other:
            other.exec_driver_sql(f"SELECT pg_advisory_lock({WRITE_LOCK})")  # another writer
            with pytest.raises(StoreBusyError, match="稍后重试"):
                add_session(cases, desk, case_scope(desk), case_id, seq=1, note="等锁",
                            at=AT)
            other.exec_driver_sql(f"SELECT pg_advisory_unlock({WRITE_LOCK})")
        assert add_session(cases, desk, case_scope(desk), case_id, seq=1, note="锁已释放",
                           at=AT)["seq"] == 1
    finally:
        holder.dispose()
        store.close()
