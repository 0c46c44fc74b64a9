"""Photos and videos of incidents: type from the bytes, size, EXIF place, thumbnails, access.

The modules each do one job: :mod:`~gridgis.attachments.sniff` (the type,
from the bytes), :mod:`~gridgis.attachments.limits`,
:mod:`~gridgis.attachments.location` (EXIF GPS and the distance to the
report), :mod:`~gridgis.attachments.images` (decoding and thumbnails),
:mod:`~gridgis.attachments.files` (content-addressed, atomic files),
:mod:`~gridgis.attachments.stages` (who adds photos of which stage),
:mod:`~gridgis.attachments.examine` and :mod:`~gridgis.attachments.service`
(the whole upload, with the dispatcher). The metadata lives in the store
(:mod:`gridgis.store.attachments`). Names load on first use: the store
imports the files module without pulling in Pillow or the dispatcher.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gridgis.attachments.examine import Examined, examine
    from gridgis.attachments.limits import AttachmentLimits
    from gridgis.attachments.location import LocationCheck, PhotoLocation, distance_m
    from gridgis.attachments.service import (
        ATTACH,
        attachment_for,
        attachments_of,
        public_photo,
        upload,
    )
    from gridgis.attachments.sniff import ACCEPTED, Kind, MediaType, sniff
    from gridgis.attachments.stages import STAGE_NAMES, Stage, check_upload

_LAZY: dict[str, str] = {
    name: f"gridgis.attachments.{module}"
    for module, names in {
        "examine": ("Examined", "examine"),
        "limits": ("AttachmentLimits",),
        "location": ("LocationCheck", "PhotoLocation", "distance_m"),
        "service": ("ATTACH", "attachment_for", "attachments_of", "public_photo", "upload"),
        "sniff": ("ACCEPTED", "Kind", "MediaType", "sniff"),
        "stages": ("STAGE_NAMES", "Stage", "check_upload"),
    }.items()
    for name in names
}

__all__ = [
    "ACCEPTED",
    "ATTACH",
    "STAGE_NAMES",
    "AttachmentLimits",
    "Examined",
    "Kind",
    "LocationCheck",
    "MediaType",
    "PhotoLocation",
    "Stage",
    "attachment_for",
    "attachments_of",
    "check_upload",
    "distance_m",
    "examine",
    "public_photo",
    "sniff",
    "upload",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gridgis.attachments' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
