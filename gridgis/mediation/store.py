"""Read and write the mediation platform's tables of one store, within a reader's scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from gridgis.errors import ConflictError
from gridgis.mediation import tables as t
from gridgis.mediation.access import CaseScope, party_as_seen, text_as_seen
from gridgis.store.reading import reading

__all__ = ["CASE_FIELDS", "CaseNotFoundError", "MediationStore", "conflict", "scope_clause"]

CASE_FIELDS = [c.name for c in t.cases.columns]
CHUNK = 2000


def conflict(message: str, field: str) -> ConflictError:
    """A 409 that names its field (``seq``, ``case_id`` …) in the problem answer."""
    err = ConflictError(message)
    err.field = field
    return err


class CaseNotFoundError(LookupError):
    """No such case, or none the reader may see (the same answer: existence is not leaked)."""


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for r in out:
        for k, v in r.items():
            if isinstance(v, pd.Timestamp):
                r[k] = v.to_pydatetime()
            elif hasattr(v, "item") and not isinstance(v, bytes | str):
                r[k] = v.item()
    return out


def _starts(column: sa.Column, prefixes: Sequence[str]) -> sa.ColumnElement[bool]:
    return sa.or_(sa.false(), *(column.startswith(p, autoescape=True) for p in prefixes))


def scope_clause(scope: CaseScope | None) -> sa.ColumnElement[bool]:
    """The SQL condition of the cases ``scope`` reads (None: every case, for the library)."""
    if scope is None:
        return sa.true()
    referred = sa.select(t.referrals.c.case_id).where(t.referrals.c.to_unit.in_(scope.unit_ids))
    mine = t.cases.c.case_id.in_(referred) if scope.unit_ids else sa.false()
    area = _starts(t.cases.c.grid_code, scope.area_codes)
    if not scope.sensitive:
        area = sa.and_(area, t.cases.c.sensitive.is_(False))
    return sa.or_(area, mine)


class MediationStore:
    """The mediation tables of one store (made where missing when opened).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine (``SQLiteStore.engine``).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        with engine.begin() as conn:
            t.create_mediation_tables(conn)

    # -- writing ---------------------------------------------------------------------------

    def load(self, frames: Mapping[str, pd.DataFrame], *, replace: bool = False) -> int:
        """Write registries and cases from frames named as the tables (a sample, an import).

        Parameters
        ----------
        frames : mapping of str to pandas.DataFrame
            Keys among ``organisations``, ``mediators``, ``experts``, ``cases``,
            ``parties``, ``case_experts``, ``sessions``, ``referrals``, ``followups``,
            ``fulfilments``, ``assessments``, ``materials``.
        replace : bool, default False
            Empty the mediation tables first.

        Returns
        -------
        int
            Cases written.
        """
        order = ("organisations", "mediators", "experts", "cases", "parties", "case_experts",
                 "sessions", "referrals", "followups", "fulfilments", "assessments", "materials")
        with self.engine.begin() as conn:
            if replace:
                for table in reversed(t.mediation_metadata.sorted_tables):
                    conn.execute(sa.delete(table))
            for name in order:
                frame = frames.get(name)
                if frame is None or frame.empty:
                    continue
                table = getattr(t, name)
                rows = _records(frame[[c.name for c in table.columns if c.name in frame]])
                for start in range(0, len(rows), CHUNK):
                    conn.execute(sa.insert(table), rows[start:start + CHUNK])
        return 0 if frames.get("cases") is None else len(frames["cases"])

    def refer(self, case_id: str, *, to_kind: str, reason: str, by: str, at: dt.datetime,
              to_unit: str | None = None) -> dict[str, Any]:
        """Record a referral (移交) of a case to a court, the petition office or arbitration."""
        row = {"case_id": case_id, "to_kind": to_kind, "to_unit": to_unit, "referred_at": at,
               "reason": reason, "recorded_by": by}
        with self.engine.begin() as conn:
            if conn.execute(sa.select(t.cases.c.case_id).where(
                    t.cases.c.case_id == case_id)).first() is None:
                raise CaseNotFoundError(case_id)
            conn.execute(sa.insert(t.referrals).values(**row))
        return row

    def words(self) -> dict[str, list[str]]:
        """The stored search words of each case that has them."""
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(t.case_words.c.case_id, t.case_words.c.words)).all()
        return {c: w.split(" ") if w else [] for c, w in rows}

    def save_words(self, words: Mapping[str, Sequence[str]]) -> int:
        """Store the search words of cases (segmented once, read by every index build)."""
        rows = [{"case_id": c, "words": " ".join(w)} for c, w in words.items()]
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t.case_words).where(t.case_words.c.case_id.in_(list(words))))
            for start in range(0, len(rows), CHUNK):
                conn.execute(sa.insert(t.case_words), rows[start:start + CHUNK])
        return len(rows)

    def referred_units(self) -> dict[str, tuple[str, ...]]:
        """The units each case was referred to (by case id)."""
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(t.referrals.c.case_id, t.referrals.c.to_unit).where(
                t.referrals.c.to_unit.is_not(None))).all()
        out: dict[str, tuple[str, ...]] = {}
        for case_id, unit in rows:
            out[case_id] = (*out.get(case_id, ()), unit)
        return out

    def save_alerts(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Record warning notices (those already recorded under the same id are kept)."""
        with self.engine.begin() as conn:
            known = set(conn.execute(sa.select(t.alerts.c.alert_id)).scalars())
            new = [dict(r) for r in rows if r["alert_id"] not in known]
            if new:
                conn.execute(sa.insert(t.alerts), new)
        return len(new)

    # -- reading ---------------------------------------------------------------------------

    def count(self) -> int:
        """How many cases the store holds."""
        with reading(self.engine) as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t.cases)).scalar_one())

    def version(self) -> tuple[Any, ...]:
        """A cheap fingerprint of the cases: an index is stale when it changes.

        The count and last id (cases added), the closed cases (an outcome and
        its terms written), the referrals, the sensitive cases (a failure
        referred to the petition office changes who reads it) and the model
        cases (boosted).
        """
        with reading(self.engine) as conn:
            n, last, closed, sensitive, model = conn.execute(sa.select(
                sa.func.count(), sa.func.max(t.cases.c.case_id), sa.func.count(t.cases.c.outcome),
                sa.func.sum(sa.cast(t.cases.c.sensitive, sa.Integer)),
                sa.func.sum(sa.cast(t.cases.c.model_case, sa.Integer)))).one()
            referred = conn.execute(sa.select(sa.func.count()).select_from(t.referrals)
                                    ).scalar_one()
        return int(n), last, int(closed), int(sensitive or 0), int(referred), int(model or 0)

    def cases(self, *, scope: CaseScope | None = None, dispute_type: str | None = None,
              area: str | None = None, start: dt.datetime | None = None,
              end: dt.datetime | None = None, columns: Sequence[str] | None = None
              ) -> pd.DataFrame:
        """Cases received in [start, end) as a frame (no parties), within ``scope``.

        Parameters
        ----------
        scope : CaseScope, optional
            The reader's; None reads every case (library use, the CLI).
        dispute_type : str, optional
        area : str, optional
            A code prefix of the case's grid (township, community or grid).
        start, end : datetime, optional
        columns : sequence of str, optional
            Default: every column.
        """
        cols = [t.cases.c[c] for c in (columns or CASE_FIELDS)]
        query = sa.select(*cols).where(scope_clause(scope))
        if dispute_type is not None:
            query = query.where(t.cases.c.dispute_type == dispute_type)
        if area is not None:
            query = query.where(t.cases.c.grid_code.startswith(area, autoescape=True))
        if start is not None:
            query = query.where(t.cases.c.received_at >= start)
        if end is not None:
            query = query.where(t.cases.c.received_at < end)
        with reading(self.engine) as conn:
            rows = conn.execute(query.order_by(t.cases.c.case_id)).all()
        return pd.DataFrame(rows, columns=[c.name for c in cols])

    def table(self, name: str) -> pd.DataFrame:
        """A whole mediation table as a frame (registries, referrals, follow-ups, alerts)."""
        table = getattr(t, name)
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(table)).all()
        return pd.DataFrame(rows, columns=[c.name for c in table.columns])

    def case(self, case_id: str, *, scope: CaseScope) -> dict[str, Any]:
        """One case with its parties, sessions, experts, referrals and follow-ups.

        Parties and free text are shown as the reader may see them.

        Raises
        ------
        CaseNotFoundError
            When there is no such case or the reader may not see it.
        """
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(t.cases).where(
                t.cases.c.case_id == case_id, scope_clause(scope))).mappings().first()
            if row is None:
                raise CaseNotFoundError(case_id)
            out = dict(row)

            def rows(table: sa.Table, order: sa.Column) -> list[dict[str, Any]]:
                return [dict(r) for r in conn.execute(sa.select(table).where(
                    table.c.case_id == case_id).order_by(order)).mappings()]

            out["parties"] = [party_as_seen(scope, p)
                              for p in rows(t.parties, t.parties.c.party_id)]
            out["sessions"] = rows(t.sessions, t.sessions.c.seq)
            out["experts"] = [dict(r) for r in conn.execute(
                sa.select(t.case_experts.c.expert_id, t.case_experts.c.opinion,
                          t.experts.c.name, t.experts.c.field, t.experts.c.title)
                .join(t.experts, t.experts.c.expert_id == t.case_experts.c.expert_id)
                .where(t.case_experts.c.case_id == case_id)).mappings()]
            out["referrals"] = rows(t.referrals, t.referrals.c.referred_at)
            out["followups"] = rows(t.followups, t.followups.c.due_at)
            out["fulfilment_checks"] = rows(t.fulfilments, t.fulfilments.c.check_id)
            out["assessments"] = rows(t.assessments, t.assessments.c.assessment_id)
            commentary = conn.execute(sa.select(t.materials.c.body).where(
                t.materials.c.case_id == case_id)).scalar()
            out["commentary"] = commentary
        for key in ("facts", "claim", "terms", "commentary"):
            out[key] = text_as_seen(scope, out[key])
        return out
