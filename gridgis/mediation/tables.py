"""The mediation platform's tables, in the incidents' database, made on open where missing.

Registries: ``mediation_organisations`` (调解组织), ``mediators`` (调解员),
``mediation_experts`` (专家库). Cases: ``mediation_cases`` (one row a case,
linked to the incident it came from where there is one), ``mediation_parties``
(当事人), ``mediation_case_experts`` (专家意见), ``mediation_sessions`` (调解过程),
``mediation_referrals`` (移交), ``mediation_followups`` (回访/跟踪任务), ``mediation_case_words`` (a
case's words for the similar-case search, segmented once) and
``mediation_alerts`` (预警通报); ``mediation_fulfilments`` (履行情况, each check of an
agreement), ``mediation_assessments`` (质量评估, a reviewer's scores of a closed case) and
``mediation_materials`` (学习资料: laws and regulations, training material and model-case
commentaries). Times are naive China time, as in the rest of
the store; amounts are yuan.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "alerts",
    "assessments",
    "case_experts",
    "case_words",
    "cases",
    "create_mediation_tables",
    "experts",
    "followups",
    "fulfilments",
    "materials",
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
    # two writers cannot take the same number of a case's session
    sa.Index("uq_mediation_sessions_case_seq", "case_id", "seq", unique=True),
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

fulfilments = sa.Table(
    "mediation_fulfilments", mediation_metadata,
    sa.Column("check_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(32), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),  # names.Fulfilment (not pending)
    sa.Column("checked_on", sa.Date, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Index("uq_mediation_fulfilments_case_day", "case_id", "checked_on", "status",
             unique=True),
)
assessments = sa.Table(
    "mediation_assessments", mediation_metadata,
    sa.Column("assessment_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(32), nullable=False, index=True),
    sa.Column("procedure", sa.Integer, nullable=False),  # 程序规范 0–100
    sa.Column("legality", sa.Integer, nullable=False),  # 合法合规 0–100
    sa.Column("satisfaction", sa.Integer, nullable=False),  # 当事人满意度 0–100
    sa.Column("fulfilment", sa.Integer),  # 协议履行 0–100 (agreements only)
    sa.Column("total", sa.Float, nullable=False),
    sa.Column("grade", sa.String(16), nullable=False),  # names.Grade
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("assessor", sa.String(64), nullable=False),  # a staff id
    sa.Column("assessor_name", sa.String(64), nullable=False),
    sa.Column("assessed_at", sa.DateTime, nullable=False, index=True),
    # one assessment of a case per reviewer
    sa.Index("uq_mediation_assessments_case_assessor", "case_id", "assessor", unique=True),
)
materials = sa.Table(
    "mediation_materials", mediation_metadata,
    sa.Column("material_id", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False, index=True),  # names.MaterialKind
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("source", sa.String(200), nullable=False),  # 出处: a law's article, a course
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("tags", sa.String(200), nullable=False),  # dispute types and words, comma-separated
    sa.Column("case_id", sa.String(32), index=True),  # the model case a commentary is on
    sa.Column("published_on", sa.Date, nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),  # 1, then one more at each rewrite
)


def create_mediation_tables(conn: sa.Connection) -> None:
    """Create the mediation tables and their indexes where missing (idempotent).

    A store made before an index was added gets it here too (``create_all``
    makes the indexes of new tables only).
    """
    mediation_metadata.create_all(conn, checkfirst=True)
    present = {i["name"] for i in sa.inspect(conn).get_indexes(sessions.name)}
    for index in sessions.indexes:
        if index.name not in present:
            index.create(conn)
