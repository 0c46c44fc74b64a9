"""Duplicate checks (查重) on people and addresses.

- **people**: the same identity number twice among active records is a
  duplicate (a person lives at one place on the register); the same name and
  birth date at the same address under two numbers is a likely typo.
- **addresses**: two active door plates whose text is the same once
  normalised (full-width digits and letters, blanks, 号/幢 spelling) in the
  same community.

:func:`address_key` and the identity number are what the register checks
on every 新增; :func:`find_duplicates` lists the groups already stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from gridgis.baseinfo.tables import addresses, people
from gridgis.store.reading import reading

__all__ = ["address_key", "find_duplicates", "same_address", "same_id_number"]

_BLANKS = re.compile(r"[\s\-－—_·.。,，]+")


def address_key(community: str | None, text: str) -> str:
    """The text two door plates share when they name the same place.

    Examples
    --------
    >>> address_key("330399001001", "瓯江路 １２ 号") == address_key("330399001001", "瓯江路12号")
    True
    """
    plain = unicodedata.normalize("NFKC", text).upper()
    plain = _BLANKS.sub("", plain).replace("號", "号").replace("栋", "幢")
    return f"{community or ''}|{plain}"


def same_id_number(conn: sa.Connection, id_number: str, *, other_than: str | None = None
                   ) -> str | None:
    """The active person already holding this identity number, or None."""
    query = sa.select(people.c.person_id).where(people.c.id_number == id_number,
                                                people.c.status == "active")
    if other_than is not None:
        query = query.where(people.c.person_id != other_than)
    return conn.execute(query.limit(1)).scalar()


def same_address(conn: sa.Connection, community: str | None, text: str, *,
                 other_than: str | None = None) -> str | None:
    """The active address of the community whose text is the same once normalised, or None."""
    key = address_key(community, text)
    query = sa.select(addresses.c.address_id, addresses.c.full_text).where(
        addresses.c.community_code == community, addresses.c.status == "active")
    if other_than is not None:
        query = query.where(addresses.c.address_id != other_than)
    digits = re.findall(r"\d+", unicodedata.normalize("NFKC", text))
    if digits:  # narrow by the door number before normalising in Python
        query = query.where(addresses.c.full_text.contains(digits[-1]))
    for address_id, full_text in conn.execute(query):
        if address_key(community, full_text) == key:
            return address_id
    return None


def find_duplicates(engine: sa.Engine, kind: str, *, areas: Sequence[str] | None = None
                    ) -> pd.DataFrame:
    """Groups of likely duplicates among active records.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    kind : {"people", "addresses"}
    areas : sequence of str, optional
        Grid-code prefixes the records lie under (None: all).

    Returns
    -------
    pandas.DataFrame
        One row per record in a group: ``group`` (the shared key), ``reason``
        (``id_number``, ``name_birth_address`` or ``address_text``), the
        record's id and grid.
    """
    table, key = (people, "person_id") if kind == "people" else (addresses, "address_id")
    if kind not in ("people", "addresses"):
        raise ValueError("duplicates are checked on people and addresses")
    where = [table.c.status == "active"]
    if areas is not None:
        where.append(sa.or_(*(table.c.grid_code.startswith(a, autoescape=True) for a in areas))
                     if areas else sa.false())
    cols = ([people.c.person_id, people.c.id_number, people.c.name, people.c.birth_date,
             people.c.address_id, people.c.grid_code] if kind == "people" else
            [addresses.c.address_id, addresses.c.full_text, addresses.c.community_code,
             addresses.c.grid_code])
    with reading(engine) as conn:
        frame = pd.DataFrame(conn.execute(sa.select(*cols).where(*where)).all(),
                             columns=[c.name for c in cols])
    out = []
    if kind == "people":
        for reason, by in (("id_number", ["id_number"]),
                           ("name_birth_address", ["name", "birth_date", "address_id"])):
            dup = frame[frame.duplicated(by, keep=False)]
            if reason == "name_birth_address":  # same person under two numbers only
                dup = dup[dup.groupby(by)["id_number"].transform("nunique") > 1]
            groups = ["|".join(map(str, r)) for r in dup[by].itertuples(index=False)]
            out.append(dup.assign(reason=reason, group=groups))
    else:
        frame["group"] = [address_key(c, t) for c, t in zip(frame["community_code"],
                                                             frame["full_text"], strict=True)]
        dup = frame[frame.duplicated("group", keep=False)]
        out.append(dup.assign(reason="address_text"))
    result = pd.concat(out, ignore_index=True) if out else frame.iloc[:0]
    return result[["group", "reason", key, "grid_code"]].sort_values(["reason", "group", key]
                                                                      ).reset_index(drop=True)
