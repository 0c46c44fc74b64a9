"""People of a command centre: staff, roles, jurisdictions, access rules and personal data."""

from gridgis.people.access import (
    ACCESS,
    Relation,
    Scope,
    check_action,
    check_report,
    in_scope,
    permitted_actions,
    scope_of,
)
from gridgis.people.roles import Grade, StaffRole, loop_role
from gridgis.people.staff import StaffMember

__all__ = [
    "ACCESS",
    "Grade",
    "Relation",
    "Scope",
    "StaffMember",
    "StaffRole",
    "check_action",
    "check_report",
    "in_scope",
    "loop_role",
    "permitted_actions",
    "scope_of",
]
