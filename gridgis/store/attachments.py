"""Photos and videos of incidents: their metadata in the store, their bytes in a folder beside it.

The bytes live in a folder named after the store file
(``district.incidents.sqlite`` → ``district.attachments/``), each file named
by its SHA-256 (:class:`gridgis.attachments.files.BlobFolder`): the same
photo sent twice, to one incident or to two, is stored once. An in-memory
store keeps them in a temporary folder removed at :meth:`AttachmentStore.close`.

Each upload is one row of ``attachments`` and one event ``attach`` in the
incident's history, written in one transaction with the incident's version
moved on (the trail's rule: one event per version, see
:mod:`gridgis.store.audit`), so ``gridgis audit verify`` still holds after
uploads; the incident's state does not change. A link a public channel sent
instead of a file (Open311 ``media_url``) is a row of ``attachment_links``,
recorded the same way and never fetched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import secrets
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from gridgis.attachments.files import BlobFolder, sha256_of
from gridgis.errors import AttachmentNotFoundError
from gridgis.store.reading import reading

if TYPE_CHECKING:
    from gridgis.store.base import Event

__all__ = ["THUMBNAIL_SUFFIX", "AttachmentStore", "NewAttachment", "attachment_folder_for",
           "attachment_links", "attachments", "attachments_metadata",
           "create_attachment_tables"]

THUMBNAIL_SUFFIX = ".thumb.jpg"
"""A thumbnail's file is its photo's SHA-256 with this suffix."""
STORE_SUFFIX = ".incidents.sqlite"

attachments_metadata = sa.MetaData()
attachments = sa.Table(
    "attachments", attachments_metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("attachment_id", sa.String(32), nullable=False, unique=True),
    sa.Column("incident_id", sa.String(32), nullable=False, index=True),
    sa.Column("stage", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("media_type", sa.String(32), nullable=False),
    sa.Column("bytes", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("thumbnail_bytes", sa.Integer),
    sa.Column("exif_lon", sa.Float),
    sa.Column("exif_lat", sa.Float),
    sa.Column("distance_m", sa.Float),
    sa.Column("far", sa.Boolean),
    sa.Column("uploaded_by", sa.String(128), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(32)),
    sa.Column("uploaded_at", sa.DateTime, nullable=False),
    sa.Column("original_name", sa.String(255)),
    sa.Column("note", sa.Text),
)
"""One row per upload; ``channel`` names the public intake channel of a citizen's photo."""
attachment_links = sa.Table(
    "attachment_links", attachments_metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(32), nullable=False, index=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("channel", sa.String(32)),
    sa.Column("recorded_by", sa.String(128), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)
"""Links to media a channel sent with a report (recorded, never fetched)."""


def create_attachment_tables(conn: sa.Connection) -> None:
    """Create the attachment tables where missing (idempotent: safe on every open)."""
    attachments_metadata.create_all(conn, checkfirst=True)


def attachment_folder_for(store_path: str | os.PathLike[str]) -> Path:
    """The folder of a store file's attachments.

    Examples
    --------
    >>> attachment_folder_for("layers/district.incidents.sqlite").as_posix()
    'layers/district.attachments'
    >>> attachment_folder_for("/data/roomy.sqlite").name
    'roomy.attachments'
    """
    p = Path(store_path)
    stem = p.name[:-len(STORE_SUFFIX)] if p.name.endswith(STORE_SUFFIX) else p.stem
    return p.with_name(f"{stem}.attachments")


@dataclass(frozen=True)
class NewAttachment:
    """An upload that passed every check, ready to be stored."""

    incident_id: str
    stage: str
    kind: str
    media_type: str
    data: bytes
    uploaded_by: str
    role: str
    uploaded_at: dt.datetime
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None
    exif_lon: float | None = None
    exif_lat: float | None = None
    distance_m: float | None = None
    far: bool | None = None
    channel: str | None = None
    original_name: str | None = None
    note: str | None = None


def _new_id() -> str:
    """An attachment id: unguessable (96 random bits), so ids say nothing of others."""
    return "a" + secrets.token_hex(12)


class AttachmentStore:
    """The attachments of one incident store.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine (the tables exist: the store makes them on opening).
    folder : path-like, optional
        Where the files go; None: a temporary folder, removed at :meth:`close`
        (for a store in memory).
    write_event : callable
        The store's writer of chained events, ``(connection, incident_id, event)``:
        the one function that extends an incident's hash chain.
    touch : callable
        The store's ``(connection, incident_id, at) -> status``: moves the
        incident's version on, its state unchanged (raises
        :class:`~gridgis.errors.IncidentNotFoundError` for an unknown one).
    """

    def __init__(self, engine: sa.Engine, folder: str | os.PathLike[str] | None, *,
                 write_event: Callable[[sa.Connection, str, Event], None],
                 touch: Callable[[sa.Connection, str, dt.datetime], str]) -> None:
        self.engine = engine
        self.write_event = write_event
        self.touch = touch
        self.temporary = folder is None
        root = Path(tempfile.mkdtemp(prefix="gridgis-attachments-")) if folder is None \
            else Path(folder)
        self.files = BlobFolder(root)
        self._cleanup = weakref.finalize(self, shutil.rmtree, root, True) \
            if self.temporary else None
        self.files.sweep()

    @property
    def folder(self) -> Path:
        """The folder holding the files."""
        return self.files.root

    def moved_to(self, folder: str | os.PathLike[str]) -> AttachmentStore:
        """The same tables with the files in ``folder`` (this one closed).

        For a service told to keep attachments elsewhere
        (``GRIDGIS_ATTACHMENTS_FOLDER``).
        """
        self.close()
        return AttachmentStore(self.engine, folder, write_event=self.write_event,
                               touch=self.touch)

    # -- writes -----------------------------------------------------------------------------
    def add(self, new: NewAttachment, *, event: Event) -> tuple[dict[str, Any], bool]:
        """Store an upload and record ``event`` in the incident's history, all or nothing.

        The event's ``from_state`` and ``to_state`` are set to the incident's
        status when it is written, and its ``data`` gets the ``attachment_id``.
        The same file sent again for the same incident and stage is not
        stored twice: the first upload is returned (and nothing written).

        Returns
        -------
        (dict, bool)
            The stored row and whether it was added now.

        Raises
        ------
        IncidentNotFoundError
            When the incident does not exist (nothing is left behind).
        """
        sha = sha256_of(new.data)
        found = self._same(new.incident_id, new.stage, sha)
        if found is not None:
            return found, False
        staged = [(self.files.stage(new.data), sha)]
        placed = False
        try:
            if new.thumbnail is not None:
                staged.append((self.files.stage(new.thumbnail), sha + THUMBNAIL_SUFFIX))
            with self.engine.begin() as conn:  # the write lock: files and rows change together
                found = self._same(new.incident_id, new.stage, sha, conn=conn)
                if found is not None:
                    return found, False
                status = self._touch(conn, new.incident_id, event.at)
                row = {f.name: getattr(new, f.name) for f in dataclasses.fields(new)
                       if f.name not in ("data", "thumbnail")}
                row |= {"attachment_id": _new_id(), "bytes": len(new.data), "sha256": sha,
                        "thumbnail_bytes": None if new.thumbnail is None
                        else len(new.thumbnail)}
                conn.execute(sa.insert(attachments).values(**row))
                self._append(conn, new.incident_id, dataclasses.replace(
                    event, from_state=status, to_state=status,
                    data={"attachment_id": row["attachment_id"], **event.data}))
                for temp, name in staged:
                    placed = self.files.commit(temp, name) or placed
        except BaseException:
            for temp, _ in staged:
                self.files.discard(temp)
            if placed:  # files this call put in place, unless another upload uses them now
                self._forget(sha)
            raise
        return self.get(row["attachment_id"]), True  # type: ignore[return-value]

    def add_link(self, incident_id: str, url: str, *, event: Event,
                 channel: str | None = None) -> None:
        """Record a link sent with a report (never fetched) and its event."""
        with self.engine.begin() as conn:
            status = self._touch(conn, incident_id, event.at)
            conn.execute(sa.insert(attachment_links).values(
                incident_id=incident_id, url=url, channel=channel, recorded_by=event.actor,
                recorded_at=event.at))
            self._append(conn, incident_id, dataclasses.replace(
                event, from_state=status, to_state=status))

    def _touch(self, conn: sa.Connection, incident_id: str, at: dt.datetime) -> str:
        """Move the incident's version on (its state unchanged); its status."""
        return self.touch(conn, incident_id, at)

    def _append(self, conn: sa.Connection, incident_id: str, event: Event) -> None:
        self.write_event(conn, incident_id, event)

    def _forget(self, sha: str) -> None:
        """Remove a file and its thumbnail that no row refers to (under the write lock)."""
        with self.engine.begin() as conn:
            used = conn.execute(sa.select(attachments.c.seq).where(
                attachments.c.sha256 == sha).limit(1)).first()
            if used is None:
                self.files.remove(sha)
                self.files.remove(sha + THUMBNAIL_SUFFIX)

    # -- reads ------------------------------------------------------------------------------
    def _same(self, incident_id: str, stage: str, sha: str, *,
              conn: sa.Connection | None = None) -> dict[str, Any] | None:
        query = sa.select(attachments).where(
            attachments.c.incident_id == incident_id, attachments.c.stage == stage,
            attachments.c.sha256 == sha)
        if conn is not None:
            row = conn.execute(query).mappings().first()
        else:
            with reading(self.engine) as c:
                row = c.execute(query).mappings().first()
        return None if row is None else _public(row)

    def get(self, attachment_id: str) -> dict[str, Any] | None:
        """One attachment's metadata, or None."""
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(attachments).where(
                attachments.c.attachment_id == attachment_id)).mappings().first()
        return None if row is None else _public(row)

    def of(self, incident_id: str) -> list[dict[str, Any]]:
        """An incident's attachments, in the order they were added."""
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(attachments).where(
                attachments.c.incident_id == incident_id).order_by(attachments.c.seq)
            ).mappings().all()
        return [_public(r) for r in rows]

    def first_photos(self, incident_ids: Iterable[str], *, stage: str,
                     channel_only: bool = False) -> dict[str, dict[str, Any]]:
        """The first photo with a thumbnail of ``stage`` per incident (one query).

        ``channel_only`` keeps only photos a public channel sent with the report.
        """
        ids = sorted(set(incident_ids))
        out: dict[str, dict[str, Any]] = {}
        c = attachments.c
        where = [c.stage == stage, c.thumbnail_bytes.is_not(None)]
        if channel_only:
            where.append(c.channel.is_not(None))
        with reading(self.engine) as conn:
            for start in range(0, len(ids), 500):
                rows = conn.execute(sa.select(attachments).where(
                    c.incident_id.in_(ids[start:start + 500]), *where).order_by(c.seq)
                ).mappings().all()
                for row in rows:
                    out.setdefault(row["incident_id"], _public(row))
        return out

    def first_links(self, incident_ids: Iterable[str]) -> dict[str, str]:
        """The first recorded link per incident (one query per 500 incidents)."""
        ids = sorted(set(incident_ids))
        out: dict[str, str] = {}
        c = attachment_links.c
        with reading(self.engine) as conn:
            for start in range(0, len(ids), 500):
                for iid, url in conn.execute(sa.select(c.incident_id, c.url).where(
                        c.incident_id.in_(ids[start:start + 500])).order_by(c.seq)).all():
                    out.setdefault(iid, url)
        return out

    def file_path(self, row: dict[str, Any], *, thumbnail: bool = False) -> Path:
        """Where an attachment's file (or its thumbnail) lies.

        Raises
        ------
        AttachmentNotFoundError
            When there is no thumbnail (a video), or the file is gone from the
            folder (the message says to restore it from a backup).
        """
        name = row["sha256"] + (THUMBNAIL_SUFFIX if thumbnail else "")
        if thumbnail and row.get("thumbnail_bytes") is None:
            raise AttachmentNotFoundError(
                f"附件 {row['attachment_id']} 没有缩略图（视频无缩略图）/ attachment "
                f"{row['attachment_id']} has no thumbnail (videos have none)")
        path = self.files.path(name)
        if not path.is_file():
            raise AttachmentNotFoundError(
                f"附件 {row['attachment_id']} 的文件已不在 {self.folder}，请从备份恢复 / the "
                f"file of attachment {row['attachment_id']} is gone from {self.folder}; "
                "restore the folder from a backup")
        return path

    def content(self, row: dict[str, Any]) -> bytes:
        """The bytes of an attachment (see :meth:`file_path`)."""
        return self.file_path(row).read_bytes()

    def thumbnail(self, row: dict[str, Any]) -> bytes | None:
        """The JPEG thumbnail of an attachment, or None (videos have none)."""
        if row.get("thumbnail_bytes") is None:
            return None
        return self.file_path(row, thumbnail=True).read_bytes()

    def count(self) -> int:
        """How many uploads are stored."""
        with reading(self.engine) as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(attachments))
                       .scalar_one())

    def close(self) -> None:
        """Remove the temporary folder of a store in memory (a folder on disk stays)."""
        if self._cleanup is not None:
            self._cleanup()


def _public(row: Any) -> dict[str, Any]:
    out = dict(row)
    out.pop("seq", None)
    if out.get("far") is not None:
        out["far"] = bool(out["far"])
    return out
