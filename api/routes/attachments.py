"""Photos and videos of incidents: upload (multipart), list, and the bytes and thumbnails.

The rules are the library's (:mod:`gridgis.attachments`): what a file must be,
who may add a photo of which stage, who may see it. An attachment of an
incident one may not read answers 404 as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.auth import SignedIn, client_address
from api.deps import get_dispatcher
from api.errors import problem_responses
from api.models import CstOut
from api.settings import Settings
from gridgis.attachments import STAGE_NAMES, AttachmentLimits, Stage
from gridgis.attachments.images import THUMBNAIL_MEDIA_TYPE
from gridgis.attachments.service import (
    MAX_NOTE,
    attachment_for,
    attachments_of,
    upload,
)
from gridgis.attachments.sniff import ACCEPTED
from gridgis.dispatch import Dispatcher

__all__ = ["CACHE_CONTROL", "FORM_ROOM", "AttachmentOut", "attachment_out", "create_router",
           "limits_from", "upload_limit"]

Dispatch = Annotated[Dispatcher, Depends(get_dispatcher)]
CACHE_CONTROL = "private, max-age=300"
"""Files are for the signed-in reader only: browsers may keep them briefly, proxies never."""
FORM_ROOM = 64_000
"""Bytes an upload's body may hold beyond the file: the other fields and the boundaries."""
NO_THUMBNAIL = "视频无缩略图 / videos have no thumbnail"
_STAGES = "、".join(f"{s.value}（{STAGE_NAMES[s]}）" for s in Stage)
_BINARY = {"schema": {"type": "string", "format": "binary"}}


class AttachmentOut(BaseModel):
    """An incident's photo or video: what it is, where it was taken, who added it."""

    attachment_id: str
    incident_id: str
    stage: Stage
    stage_name: str = Field(description="阶段的中文名 / the stage in Chinese (处置前, 处置后…)")
    kind: str = Field(description="image or video")
    media_type: str = Field(description="the type its bytes show (never the name's)")
    bytes: int
    sha256: str = Field(description="the file's SHA-256 (also in the upload's event)")
    width: int | None = Field(None, description="upright, after the EXIF orientation")
    height: int | None = None
    exif_lon: float | None = Field(None, description="where the photo says it was taken "
                                                     "(EXIF GPS, WGS84)")
    exif_lat: float | None = None
    distance_m: float | None = Field(None, description="from the incident's point")
    far: bool | None = Field(None, description="farther than GRIDGIS_ATTACHMENT_FAR_M from "
                                               "the incident's point; None without EXIF place")
    uploaded_by: str
    role: str
    channel: str | None = Field(None, description="the public channel that sent it with its "
                                                  "report")
    uploaded_at: CstOut
    original_name: str | None
    note: str | None
    href: str = Field(description="the file")
    thumbnail_href: str | None = Field(description="a JPEG of 320 px at most; None for videos")
    thumbnail_note: str | None = Field(None, description="why there is no thumbnail")


def attachment_out(row: dict[str, Any]) -> AttachmentOut:
    """The answer for a stored attachment, with the links to its file and thumbnail."""
    aid = row["attachment_id"]
    has_thumbnail = row["thumbnail_bytes"] is not None
    return AttachmentOut(
        **{k: v for k, v in row.items() if k in AttachmentOut.model_fields},
        stage_name=STAGE_NAMES[Stage(row["stage"])], href=f"/attachments/{aid}",
        thumbnail_href=f"/attachments/{aid}/thumbnail" if has_thumbnail else None,
        thumbnail_note=None if has_thumbnail else NO_THUMBNAIL)


def limits_from(settings: Settings) -> AttachmentLimits:
    """The library's limits from the service's settings."""
    return AttachmentLimits(max_image_bytes=settings.attachment_max_bytes,
                            max_video_bytes=settings.attachment_video_max_bytes,
                            far_m=settings.attachment_far_m)


def upload_limit(settings: Settings) -> int:
    """The body an upload may send: the largest file and room for the form around it."""
    return limits_from(settings).max_bytes + FORM_ROOM


def _file_headers(row: dict[str, Any], *, thumbnail: bool) -> dict[str, str]:
    name = f"{row['attachment_id']}{'-thumbnail.jpg' if thumbnail else ''}"
    original = row.get("original_name")
    disposition = f'inline; filename="{name}"'
    if original and not thumbnail:
        disposition += f"; filename*=UTF-8''{quote(original, safe='')}"
    return {"Cache-Control": CACHE_CONTROL, "Content-Disposition": disposition,
            "ETag": f'"{row["sha256"][:32]}{"t" if thumbnail else ""}"'}


def create_router(settings: Settings) -> APIRouter:
    """The attachment routes, the limits from ``GRIDGIS_ATTACHMENT_*``."""
    limits = limits_from(settings)
    router = APIRouter(tags=["attachments"])
    files = {a.media_type: _BINARY for a in ACCEPTED}
    # a default, not an annotation: annotations are strings read in the module's globals
    upload_file = File(description=(
        "照片或视频：JPEG、PNG、HEIC/HEIF 或 MP4，按内容判断 / a JPEG, PNG, HEIC/HEIF photo or "
        f"an MP4 video (judged from its bytes), at most {limits.max_image_bytes} bytes for a "
        f"photo, {limits.max_video_bytes} for a video"))

    @router.post("/incidents/{incident_id}/attachments", response_model=AttachmentOut,
                 status_code=201,
                 responses=problem_responses(400, 401, 403, 404, 413, 415, 422, 503))
    def add_attachment(
        person: SignedIn,
        request: Request,
        response: Response,
        dispatcher: Dispatch,
        incident_id: str,
        stage: Annotated[str, Form(max_length=16, description=f"阶段 / the stage: {_STAGES}")],
        file: UploadFile = upload_file,
        note: Annotated[str | None, Form(max_length=MAX_NOTE)] = None,
    ) -> AttachmentOut:
        """Add a photo or video to an incident you may read.

        The stages after (处置后) and progress are for the unit handling the
        matter or a grid worker of its grid; verify for the grid's worker.
        201 with the metadata; 200 with the first upload when the same file
        was sent for the same stage before. A photo whose EXIF place lies
        farther than ``GRIDGIS_ATTACHMENT_FAR_M`` from the incident is
        flagged ``far``, not refused.
        """
        data = file.file.read(limits.max_bytes + 1)
        row, created = upload(dispatcher, incident_id, data, stage=stage, by=person,
                              limits=limits, note=note, filename=file.filename,
                              client=client_address(request))
        response.status_code = 201 if created else 200
        response.headers["Location"] = f"/attachments/{row['attachment_id']}"
        return attachment_out(row)

    @router.get("/incidents/{incident_id}/attachments", response_model=list[AttachmentOut],
                responses=problem_responses(401, 403, 404, 503))
    def list_attachments(person: SignedIn, dispatcher: Dispatch,
                         incident_id: str) -> list[AttachmentOut]:
        """An incident's photos and videos, in the order they were added."""
        return [attachment_out(r) for r in attachments_of(dispatcher, incident_id,
                                                          person=person)]

    @router.get("/attachments/{attachment_id}", response_class=FileResponse,
                responses={200: {"description": "the file as uploaded", "content": files},
                           **problem_responses(401, 404, 503)})
    def read_attachment(person: SignedIn, dispatcher: Dispatch,
                        attachment_id: str) -> FileResponse:
        """The file, to those who may read its incident (404 for anyone else)."""
        row = attachment_for(dispatcher, attachment_id, person=person)
        path = dispatcher.store.attachments.file_path(row)
        return FileResponse(path, media_type=row["media_type"],
                            headers=_file_headers(row, thumbnail=False))

    @router.get("/attachments/{attachment_id}/thumbnail", response_class=Response,
                responses={200: {"description": "a JPEG, 320 px on its longest side at most",
                                 "content": {THUMBNAIL_MEDIA_TYPE: _BINARY}},
                           **problem_responses(401, 404, 503)})
    def read_thumbnail(person: SignedIn, dispatcher: Dispatch, attachment_id: str) -> Response:
        """The JPEG thumbnail of a photo (404 for a video: it has none)."""
        row = attachment_for(dispatcher, attachment_id, person=person)
        path = dispatcher.store.attachments.file_path(row, thumbnail=True)
        return Response(path.read_bytes(), media_type=THUMBNAIL_MEDIA_TYPE,
                        headers=_file_headers(row, thumbnail=True))

    return router
