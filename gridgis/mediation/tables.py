"""The mediation platform's tables, in the incidents' database, made on open where missing.

Registries: ``mediation_organisations`` (调解组织), ``mediators`` (调解员),
``mediation_experts`` (专家库). Cases: ``mediation_cases`` (one row a case,
linked to the incident it came from where there is one), ``mediation_parties``
(当事人), ``mediation_case_experts`` (专家意见), ``mediation_sessions`` (调解过程),
``mediation_referrals`` (移交), ``mediation_followups`` (回访/跟踪任务), ``mediation_case_words`` (a
case's words for the similar-case search, segmented once) and
``mediation_alerts`` (预警通报). Times are naive China time, as in the rest of
the store; amounts are yuan.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "alerts",
    "case_experts",
    "case_words",
    "cases",
    "create_mediation_tables",
    "experts",
    "followups",
    "mediation_metadata",
    "mediators",
    "organisations",
    "parties",
    "referrals",
    "sessions",
]

mediation_metadata = sa.MetaData()
organisations = sa.Table(
    "mediation_organisations", mediation_metadata,
    sa.Column("org_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # names.OrgKind
    sa.Column("area_code", sa.String(15), nullable=False, index=True),
    sa.Column("speciality", sa.String(8)),  # a dispute type for a professional committee
)
mediators = sa.Table(
    "mediators", mediation_metadata,
    sa.Column("mediator_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("org_id", sa.String(32), nullable=False, index=True),
    sa.Column("full_time", sa.Boolean, nullable=False),
    sa.Column("qualification", sa.String(64), nullable=False),
    sa.Column("specialities", sa.String(64), nullable=False),  # dispute types, comma-separated
    sa.Column("phone", sa.String(20)),
    sa.Column("since", sa.Date, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)
experts = sa.Table(
    "mediation_experts", mediation_metadata,
    sa.Column("expert_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("field", sa.String(32), nullable=False),  # 医学, 法律, 劳动保障 …
    sa.Column("title", sa.String(64), nullable=False),
    sa.Column("employer", sa.String(128), nullable=False),
    sa.Column("phone", sa.String(20)),
)
cases = sa.Table(
    "mediation_cases", mediation_metadata,
    sa.Column("case_id", sa.String(32), primary_key=True),
    sa.Column("incident_id", sa.String(32), index=True),
    sa.Column("dispute_type", sa.String(8), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("facts", sa.Text, nullable=False),  # 纠纷事实
    sa.Column("claim", sa.Text, nullable=False),  # 申请人诉求
    sa.Column("amount", sa.Float),  # 争议金额（元）
    sa.Column("grid_code", sa.String(15), nullable=False, index=True),
    sa.Column("org_id", sa.String(32), nullable=False, index=True),
    sa.Column("mediator_id", sa.String(32), nullable=False, index=True),
    sa.Column("source", sa.String(16), nullable=False),  # incident / walk_in / court / hotline
    sa.Column("respondent_kind", sa.String(24), nullable=False, index=True),  # names.PartyKind
    sa.Column("received_at", sa.DateTime, nullable=False, index=True),
    sa.Column("closed_at", sa.DateTime),
    sa.Column("outcome", sa.String(16)),  # names.Outcome; None while open
    sa.Column("terms", sa.Text),  # 协议内容
    sa.Column("agreed_amount", sa.Float),
    sa.Column("fulfilment", sa.String(16)),  # names.Fulfilment
    sa.Column("sensitive", sa.Boolean, nullable=False),
    sa.Column("model_case", sa.Boolean, nullable=False),  # 典型案例
    sa.Column("recorded_by", sa.String(64), nullable=False),
)
parties = sa.Table(
    "mediation_parties", mediation_metadata,
    sa.Column("party_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(32), nullable=False, index=True),
    sa.Column("side", sa.String(12), nullable=False),  # applicant / respondent
    sa.Column("kind", sa.String(24), nullable=False),  # names.PartyKind
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("phone", sa.String(20)),
)
case_experts = sa.Table(
    "mediation_case_experts", mediation_metadata,
    sa.Column("case_id", sa.String(32), primary_key=True),
    sa.Column("expert_id", sa.String(32), primary_key=True),
    sa.Column("opinion", sa.Text, nullable=False),
)
sessions = sa.Table(
    "mediation_sessions", mediation_metadata,
    sa.Column("session_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(32), nullable=False, index=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("held_at", sa.DateTime, nullable=False),
    sa.Column("mediator_id", sa.String(32), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)
referrals = sa.Table(
    "mediation_referrals", mediation_metadata,
    sa.Column("referral_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(32), nullable=False, index=True),
    sa.Column("to_kind", sa.String(16), nullable=False),  # names.Referral
    sa.Column("to_unit", sa.String(64)),  # the receiving unit of the district, when known
    sa.Column("referred_at", sa.DateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
)
followups = sa.Table(
    "mediation_followups", mediation_metadata,
    sa.Column("task_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(32), nullable=False, index=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("due_at", sa.DateTime, nullable=False, index=True),
    sa.Column("done_at", sa.DateTime),
    sa.Column("assignee", sa.String(32), nullable=False),
)
case_words = sa.Table(
    "mediation_case_words", mediation_metadata,
    sa.Column("case_id", sa.String(32), primary_key=True),
    sa.Column("words", sa.Text, nullable=False),  # the case's search words, space-separated
)
alerts = sa.Table(
    "mediation_alerts", mediation_metadata,
    sa.Column("alert_id", sa.String(32), primary_key=True),
    sa.Column("raised_at", sa.DateTime, nullable=False, index=True),
    sa.Column("dimension", sa.String(32), nullable=False),
    sa.Column("key", sa.String(128), nullable=False),
    sa.Column("dispute_type", sa.String(8)),
    sa.Column("area_code", sa.String(15), index=True),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("observed", sa.Integer, nullable=False),
    sa.Column("expected", sa.Float, nullable=False),
    sa.Column("test", sa.String(64), nullable=False),
    sa.Column("p_value", sa.Float, nullable=False),
    sa.Column("p_adjusted", sa.Float, nullable=False),
    sa.Column("authority", sa.String(64), nullable=False),
    sa.Column("notice", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
)


def create_mediation_tables(conn: sa.Connection) -> None:
    """Create the mediation tables where missing (idempotent)."""
    mediation_metadata.create_all(conn, checkfirst=True)
