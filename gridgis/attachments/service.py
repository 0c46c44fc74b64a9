"""Attach photos and videos to incidents, list them and hand them out, with the access rules.

Like :class:`gridgis.dispatch.Dispatcher`, whom these functions take, this
holds the rules and no HTTP: who may add a photo of which stage
(:mod:`gridgis.attachments.stages`), what an upload must be
(:mod:`gridgis.attachments.examine`), and that an attachment is shown only to
those who may read its incident — to anyone else it does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gridgis.attachments.examine import examine
from gridgis.attachments.limits import AttachmentLimits
from gridgis.attachments.naming import safe_filename
from gridgis.attachments.stages import Stage, check_upload, parse_stage
from gridgis.errors import (
    AccessDeniedError,
    AttachmentError,
    AttachmentNotFoundError,
    IncidentNotFoundError,
)
from gridgis.incidents.names import REPORTER
from gridgis.people.staff import StaffMember
from gridgis.store.attachments import NewAttachment
from gridgis.store.base import Event

if TYPE_CHECKING:
    from gridgis.dispatch import Dispatcher

__all__ = ["ATTACH", "MAX_NOTE", "attachment_for", "attachments_of", "public_photo", "upload"]

ATTACH = "attach"
"""The action of an upload's event: a line of the history, not a step of the loop."""
MAX_NOTE = 2000
"""Characters of an upload's note."""


def upload(dispatcher: Dispatcher, incident_id: str, data: bytes, *, stage: str,
           by: StaffMember | None = None, channel: str | None = None,
           limits: AttachmentLimits | None = None, note: str | None = None,
           filename: str | None = None, client: str | None = None) -> tuple[dict[str, Any], bool]:
    """Attach a photo or video to an incident, checked, with its thumbnail and an event.

    Parameters
    ----------
    dispatcher : Dispatcher
        The district's dispatcher (store, clock, read access).
    incident_id : str
    data : bytes
        The whole file.
    stage : str
        One of :class:`~gridgis.attachments.stages.Stage`.
    by : StaffMember, optional
        The signed-in person uploading (they must be allowed:
        :func:`~gridgis.attachments.stages.check_upload`).
    channel : str, optional
        Instead of ``by``: the public intake channel that sent the photo with
        its report (stage ``report`` only; the photo is then public in Open311).
    limits : AttachmentLimits, optional
    note : str, optional
        At most :data:`MAX_NOTE` characters.
    filename : str, optional
        The name the file had on the sender's side (kept, sanitised, for display).
    client : str, optional
        The address the upload came from, kept in the event.

    Returns
    -------
    (dict, bool)
        The stored attachment's metadata, and False when the same file had
        been attached at the same stage before (nothing new written).

    Raises
    ------
    IncidentNotFoundError
    AccessDeniedError
        The incident is outside ``by``'s jurisdiction, or the stage is for
        the handling unit or the own grid's worker.
    AttachmentError
        A bad stage or note (``field`` names it), an empty, damaged or cut
        short file, too many pixels.
    AttachmentTooLargeError, UnsupportedMediaError
        Over the size limit; a type other than JPEG, PNG, HEIC/HEIF, MP4.
    """
    if (by is None) == (channel is None):
        raise TypeError("give either by (a signed-in person) or channel")
    limits = limits or AttachmentLimits()
    incident = dispatcher.incident(incident_id, events=False, person=by)
    step = parse_stage(stage)
    if by is not None:
        check_upload(by, step, incident)
        actor, role = by.staff_id, by.role.value
    else:
        if step is not Stage.REPORT:
            raise AttachmentError("渠道只能随上报附照片 / a channel attaches photos to its "
                                  "report only", field="stage")
        actor, role = f"open311:{channel}", REPORTER
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE:
        raise AttachmentError(f"说明超过 {MAX_NOTE} 字 / the note is longer than {MAX_NOTE} "
                              "characters", field="note")
    seen = examine(data, limits=limits, point=(incident["lon"], incident["lat"]))
    picture, where = seen.picture, seen.location
    now = dispatcher.clock()
    new = NewAttachment(
        incident_id=incident_id, stage=step.value, kind=seen.media.kind.value,
        media_type=seen.media.media_type, data=data, uploaded_by=actor, role=role,
        uploaded_at=now, thumbnail=picture.thumbnail if picture else None,
        width=picture.width if picture else None, height=picture.height if picture else None,
        exif_lon=where.lon if where else None, exif_lat=where.lat if where else None,
        distance_m=where.distance_m if where else None, far=where.far if where else None,
        channel=channel, original_name=safe_filename(filename), note=text)
    event = Event(at=now, actor=actor, role=role, action=ATTACH, from_state=None,
                  to_state=str(incident["status"]), note=text, client=client, data={
                      "stage": step.value, "media_type": seen.media.media_type,
                      "bytes": seen.size, "sha256": new_sha(data),
                      "distance_m": new.distance_m, "far": new.far})
    return dispatcher.store.attachments.add(new, event=event)


def new_sha(data: bytes) -> str:
    """The SHA-256 the store names the file by (kept in the event: the photo is in the chain)."""
    from gridgis.attachments.files import sha256_of

    return sha256_of(data)


def attachments_of(dispatcher: Dispatcher, incident_id: str, *,
                   person: StaffMember | None) -> list[dict[str, Any]]:
    """An incident's attachments, oldest first, for someone who may read the incident.

    Raises
    ------
    IncidentNotFoundError, AccessDeniedError
    """
    dispatcher.incident(incident_id, events=False, person=person)
    return dispatcher.store.attachments.of(incident_id)


def attachment_for(dispatcher: Dispatcher, attachment_id: str, *,
                   person: StaffMember | None) -> dict[str, Any]:
    """An attachment's metadata, only for someone who may read its incident.

    Raises
    ------
    AttachmentNotFoundError
        When there is none, and when its incident lies outside what
        ``person`` may read (the same answer: its existence is not disclosed).
    """
    row = dispatcher.store.attachments.get(attachment_id)
    try:
        if row is None:
            raise IncidentNotFoundError(attachment_id)
        dispatcher.incident(row["incident_id"], events=False, person=person)
    except (IncidentNotFoundError, AccessDeniedError):
        raise AttachmentNotFoundError(f"没有附件 {attachment_id} / no attachment "
                                      f"{attachment_id!r}") from None
    return row


def public_photo(dispatcher: Dispatcher, attachment_id: str) -> dict[str, Any]:
    """A photo a public channel sent with its report (what Open311 shows anyone).

    Raises
    ------
    AttachmentNotFoundError
        For any other attachment.
    """
    row = dispatcher.store.attachments.get(attachment_id)
    if row is None or row["channel"] is None or row["stage"] != Stage.REPORT \
            or row["thumbnail_bytes"] is None:
        raise AttachmentNotFoundError(f"没有公开照片 {attachment_id} / no public photo "
                                      f"{attachment_id!r}")
    return row
