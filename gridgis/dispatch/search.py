"""搜索: what a search box's words match among incidents (server side, on the store).

A term matches an incident whose id contains it (any case: ``0012`` or
``e20261202-0012``), whose grid code starts with it (a grid, community or
township code), whose description contains it (the reporter's words: the
address as the reporter gave it, 瓯江路12号, and what was found), or that lies
in a grid, community or township whose name contains it (柳亭康社区).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MAX_NAMED_AREAS", "clean_term", "named_areas"]

MAX_NAMED_AREAS = 200
"""At most this many areas whose name matches a term are searched (the nearest codes first)."""


def clean_term(text: str | None) -> str | None:
    """The search term: whitespace trimmed and runs of it made one space; None when empty.

    Examples
    --------
    >>> clean_term("  瓯江路   12号 ")
    '瓯江路 12号'
    >>> clean_term("   ") is None
    True
    """
    if text is None:
        return None
    term = " ".join(text.split())
    return term or None


def named_areas(term: str, names: Mapping[str, str]) -> tuple[str, ...]:
    """Codes of the areas (grid, community, township) whose name contains ``term``.

    An area inside another matched one is left out (its parent's code covers
    it, as the store matches code prefixes).

    Examples
    --------
    >>> named_areas("柳亭", {"330399001": "柳亭街道", "330399001002": "柳亭康社区",
    ...                      "330399002": "白埠街道"})
    ('330399001',)
    """
    hits = sorted(code for code, name in names.items() if name and term in name)
    out: list[str] = []
    for code in hits:  # sorted: a parent comes before the codes it prefixes
        if not any(code.startswith(parent) for parent in out):
            out.append(code)
    return tuple(out[:MAX_NAMED_AREAS])
