"""Learning material (学习资料): laws and regulations, training notes, model-case commentaries.

Material is not personal data: every signed-in person reads it. The
township and the county add it (:func:`add_material`); the county's
commentary on a model case (典型案例评析) is written when it marks the case
(:mod:`gridgis.mediation.agreements`). :class:`MaterialIndex` finds it with
the similar-case machinery: the same jieba words (:func:`~gridgis.mediation.text.tokenize`)
in a ``bm25s`` index, filtered by kind and tag.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np
import pandas as pd
import sqlalchemy as sa

from gridgis.errors import AccessDeniedError, InputError
from gridgis.mediation import tables as t
from gridgis.mediation.names import MATERIAL_KIND_NAMES, MaterialKind
from gridgis.mediation.store import MediationStore, conflict
from gridgis.mediation.text import tokenize, tokenize_many
from gridgis.people.roles import StaffRole
from gridgis.people.staff import StaffMember
from gridgis.store.reading import reading

__all__ = ["AUTHORS", "MaterialHit", "MaterialIndex", "add_material", "material_id_for",
           "material_version", "materials_frame"]

AUTHORS = frozenset({StaffRole.TOWNSHIP, StaffRole.COMMAND_CENTRE})
"""Roles that add learning material."""
TAGS_MAX = t.materials.c.tags.type.length
"""Characters the tags of a piece of material take at most (comma-separated)."""


def material_id_for(kind: str, title: str, source: str) -> str:
    """The id of a piece of material: the same for the same kind, title and source."""
    digest = hashlib.sha256(f"{kind}\n{title.strip()}\n{source.strip()}".encode())
    return f"XX{digest.hexdigest()[:14].upper()}"


def add_material(store: MediationStore, person: StaffMember, *, kind: str, title: str,
                 source: str, body: str, tags: Sequence[str], on: dt.date
                 ) -> tuple[dict[str, Any], bool]:
    """Add a law summary or training note (commentaries come with a model case).

    Returns
    -------
    (dict, bool)
        The material and whether it was written now (False: the same was added before).

    Raises
    ------
    AccessDeniedError
        Not a township or county person.
    InputError
        An empty title or body, or the kind ``commentary``.
    ConflictError
        Material of the same kind, title and source holds another text.
    """
    if not person.active or person.role not in AUTHORS:
        raise AccessDeniedError("仅乡镇（街道）和县级可发布学习资料 / only the township and the "
                                "county add learning material")
    kind = MaterialKind(kind)
    if kind is MaterialKind.COMMENTARY:
        raise InputError("kind: 案例评析随典型案例发布 / a commentary comes with marking a "
                         "model case", field="kind")
    for name, value in (("title", title), ("source", source), ("body", body)):
        if not value.strip():
            raise InputError(f"{name}: 不能为空 / must not be empty", field=name)
    joined = ",".join(dict.fromkeys(x.strip() for x in tags if x.strip()))
    if len(joined) > TAGS_MAX:
        raise InputError(f"tags: 标签合计不能超过 {TAGS_MAX} 个字符 / the tags are too long",
                         field="tags")
    row = {"material_id": material_id_for(kind, title, source), "kind": kind.value,
           "title": title.strip(), "source": source.strip(), "body": body.strip(),
           "tags": joined,
           "case_id": None, "published_on": on, "recorded_by": person.staff_id,
           "revision": 1}
    with store.engine.begin() as conn:
        before = conn.execute(sa.select(t.materials).where(
            t.materials.c.material_id == row["material_id"])).mappings().first()
        if before is not None:
            if before["body"] != row["body"] or before["tags"] != row["tags"]:
                raise conflict(f"已有同名同出处的{MATERIAL_KIND_NAMES[kind]}，内容不同 / "
                               "material of that title and source exists with other text",
                               "title")
            return dict(before), False
        conn.execute(sa.insert(t.materials).values(**row))
    return row, True


def materials_frame(store: MediationStore) -> pd.DataFrame:
    """Every piece of material as a frame."""
    with reading(store.engine) as conn:
        rows = conn.execute(sa.select(t.materials).order_by(t.materials.c.material_id)).all()
    return pd.DataFrame(rows, columns=[c.name for c in t.materials.columns])


def material_version(store: MediationStore) -> tuple[Any, ...]:
    """A fingerprint of the material: an index is stale when it changes."""
    with reading(store.engine) as conn:
        n, last, revisions = conn.execute(sa.select(
            sa.func.count(), sa.func.max(t.materials.c.material_id),
            sa.func.sum(t.materials.c.revision))).one()
    return int(n), last, int(revisions or 0)


@dataclass(frozen=True)
class MaterialHit:
    """One piece of material found, with its score."""

    material_id: str
    score: float


class MaterialIndex:
    """A BM25 index of learning material (title, source, tags and text).

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`materials_frame`.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame.reset_index(drop=True)
        self.ids = self.frame["material_id"].to_numpy(str)
        self.kinds = self.frame["kind"].to_numpy(str)
        self.tags = [set(x.split(",")) if x else set() for x in self.frame["tags"]]
        texts = (self.frame["title"] + "。" + self.frame["source"] + "。" +
                 self.frame["tags"].str.replace(",", " ") + "。" + self.frame["body"])
        self.retriever = bm25s.BM25()
        if len(self.frame):
            self.retriever.index(tokenize_many(texts), show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, query: str | None, *, kind: str | None = None, tag: str | None = None,
               k: int = 20) -> list[MaterialHit]:
        """The best ``k`` matches of ``query`` (no query: the newest ids first), filtered.

        Parameters
        ----------
        query : str or None
        kind : str, optional
            ``law``, ``training`` or ``commentary``.
        tag : str, optional
            A tag the material carries (a dispute type such as ``M06``, or a word).
        k : int
        """
        keep = np.ones(len(self), bool)
        if kind:
            keep &= self.kinds == kind
        if tag:
            keep &= np.array([tag in x for x in self.tags], bool)
        words = tokenize(query) if query else []
        if not len(self):
            return []
        if not words:
            rows = np.flatnonzero(keep)[::-1][:k]
            return [MaterialHit(str(self.ids[i]), 0.0) for i in rows]
        scores = np.where(keep, self.retriever.get_scores(words), 0)
        rows = np.flatnonzero(scores > 0)
        rows = rows[np.lexsort((self.ids[rows], -scores[rows]))][:k]
        return [MaterialHit(str(self.ids[i]), float(scores[i])) for i in rows]
