"""Who reads which mediation cases, and how they see the parties.

Cases follow the incidents' jurisdiction (:func:`gridgis.people.access.scope_of`):
a grid worker reads the cases of their grids, a community, township or the
county those of its area, unit staff the cases referred to their unit.
Cases marked sensitive (敏感案件) are shared only with the courts' and petition
office's side: the county command centre (综治中心, which hosts the petition
desk), administrators, and the staff of the unit the case was referred to.
Parties' names and phones are shown whole to the mediation desks
(community, township and county staff, :data:`~gridgis.people.access.CALLBACK`)
and masked (张**, 138****1234) for everyone else; organisations' names are
not personal data and are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gridgis.errors import AccessDeniedError
from gridgis.people.access import CALLBACK, scope_of
from gridgis.people.privacy import mask_name, mask_phone, mask_phones_in_text
from gridgis.people.roles import StaffRole
from gridgis.people.staff import StaffMember

__all__ = ["SENSITIVE_READERS", "CaseScope", "case_scope", "party_as_seen", "text_as_seen"]

SENSITIVE_READERS = frozenset({StaffRole.COMMAND_CENTRE, StaffRole.ADMIN})
"""Roles that read sensitive cases in their area (besides the unit the case went to)."""


@dataclass(frozen=True)
class CaseScope:
    """The cases a person may read.

    ``area_codes`` are prefixes of the case's grid code; ``unit_ids`` the
    units whose referred cases are read (sensitive or not); ``sensitive``
    whether the sensitive cases of the area are read too; ``unmasked``
    whether parties are shown whole.
    """

    area_codes: tuple[str, ...]
    unit_ids: tuple[str, ...]
    sensitive: bool
    unmasked: bool


def case_scope(person: StaffMember) -> CaseScope:
    """The mediation cases ``person`` may read.

    Raises
    ------
    AccessDeniedError
        For a disabled account.

    Examples
    --------
    >>> s = case_scope(StaffMember("jd01", "李敏", "township", "330399001"))
    >>> s.area_codes, s.sensitive, s.unmasked
    (('330399001',), False, True)
    """
    if not person.active:
        raise AccessDeniedError("账号已停用 / this account is disabled")
    scope = scope_of(person)
    return CaseScope(area_codes=scope.area_codes, unit_ids=scope.unit_ids,
                     sensitive=person.role in SENSITIVE_READERS,
                     unmasked=person.role in CALLBACK)


def party_as_seen(scope: CaseScope, party: Mapping[str, Any]) -> dict[str, Any]:
    """A party as the reader may see it (a person's name and phone masked unless unmasked)."""
    out = {k: party.get(k) for k in ("side", "kind", "name", "phone")}
    if scope.unmasked:
        out["masked"] = False
        return out
    if out["kind"] == "person":
        out["name"] = mask_name(out["name"])
    out["phone"] = mask_phone(out["phone"])
    out["masked"] = True
    return out


def text_as_seen(scope: CaseScope, text: str | None) -> str | None:
    """Free text as the reader may see it (phone numbers typed into it masked unless unmasked)."""
    return text if scope.unmasked else mask_phones_in_text(text)
