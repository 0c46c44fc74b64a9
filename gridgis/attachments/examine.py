"""Everything an upload is checked for, in order: size, type, content, place."""

from __future__ import annotations

from dataclasses import dataclass

from gridgis.attachments.images import Picture, read_picture
from gridgis.attachments.limits import AttachmentLimits, check_size
from gridgis.attachments.location import LocationCheck, compare
from gridgis.attachments.sniff import Kind, MediaType, sniff

__all__ = ["Examined", "examine"]


@dataclass(frozen=True)
class Examined:
    """An upload that passed: its type, size, picture (None for a video) and place check."""

    media: MediaType
    size: int
    picture: Picture | None
    location: LocationCheck | None


def examine(data: bytes, *, limits: AttachmentLimits,
            point: tuple[float, float] | None = None) -> Examined:
    r"""Check an upload and read what it holds.

    The size comes first (the largest limit of any kind), then the type from
    the bytes, then the limit of that kind, then a photo is decoded whole
    (size, EXIF place, thumbnail). A video is checked by type and size only.

    Parameters
    ----------
    data : bytes
        The whole file.
    limits : AttachmentLimits
    point : (float, float), optional
        The incident's lon/lat (WGS84), to compare the photo's place with.

    Returns
    -------
    Examined

    Raises
    ------
    AttachmentTooLargeError
        Over the size limit.
    UnsupportedMediaError
        Not JPEG, PNG, HEIC/HEIF or MP4 (the message names what it is).
    AttachmentError
        Empty, damaged or cut short, or too many pixels.

    Examples
    --------
    >>> examine(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41",
    ...         limits=AttachmentLimits()).media.media_type
    'video/mp4'
    """
    check_size(len(data), limits)
    media = sniff(data)
    check_size(len(data), limits, media)
    picture = None
    location = None
    if media.kind is Kind.IMAGE:
        picture = read_picture(data, media, limits=limits)
        if picture.location is not None and point is not None:
            location = compare(picture.location, *point, far_m=limits.far_m)
    return Examined(media=media, size=len(data), picture=picture, location=location)
