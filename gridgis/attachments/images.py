"""Photos decoded with Pillow: their size, their EXIF place and a JPEG thumbnail.

A photo is decoded once, with the decoder of the type its bytes showed
(:mod:`gridgis.attachments.sniff`), never a guess of Pillow's; a file that
does not decode whole (cut off during upload, damaged) is refused, and so is
one with more pixels than the limit (a decompression bomb) before it is
decoded. HEIC/HEIF photos are decoded with ``pi-heif`` (libheif in a wheel);
where it cannot be imported they are stored as they are, without thumbnail
or EXIF place (:func:`heif_support` says which).

The thumbnail is the photo turned upright (EXIF orientation applied), its
longest side scaled down to ``thumbnail_px`` (never enlarged), flattened on
white and saved as JPEG without any metadata: no EXIF, so no GPS.
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass
from typing import Any

from gridgis.attachments.limits import AttachmentLimits
from gridgis.attachments.location import PhotoLocation, gps_location
from gridgis.attachments.sniff import HEIC, HEIF, JPEG, PNG, MediaType
from gridgis.errors import AttachmentError

__all__ = ["THUMBNAIL_MEDIA_TYPE", "Picture", "heif_support", "read_picture"]

THUMBNAIL_MEDIA_TYPE = "image/jpeg"
"""Every thumbnail is a JPEG."""
THUMBNAIL_QUALITY = 80
PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG", HEIC: "HEIF", HEIF: "HEIF"}
"""The Pillow decoder of each accepted photo type."""
GPS_IFD = 0x8825
ORIENTATION = 0x0112
TURNED = frozenset({5, 6, 7, 8})
"""EXIF orientations that swap width and height."""


@dataclass(frozen=True)
class Picture:
    """What a photo holds: its upright size, EXIF place and thumbnail (JPEG bytes).

    All None but ``decoded`` False for a HEIC/HEIF photo where no decoder is installed.
    """

    decoded: bool
    width: int | None = None
    height: int | None = None
    location: PhotoLocation | None = None
    thumbnail: bytes | None = None


@functools.cache
def heif_support() -> bool:
    """Whether HEIC/HEIF photos can be decoded (``pi-heif`` imported and registered)."""
    try:
        import pi_heif
    except ImportError:  # pragma: no cover - pi-heif is a dependency; a broken install
        return False
    pi_heif.register_heif_opener()
    return True


def _damaged(media: MediaType, exc: BaseException | None = None) -> AttachmentError:
    why = f" ({type(exc).__name__})" if exc is not None else ""
    return AttachmentError(
        f"{media.name} 图片已损坏或不完整（上传中断？），请重新上传 / the {media.name} image is "
        f"damaged or cut short{why} (an interrupted upload?); upload it again", field="file")


def _location(image: Any) -> PhotoLocation | None:
    """The EXIF place, or None; a malformed EXIF block is ignored, not fatal."""
    try:
        return gps_location(image.getexif().get_ifd(GPS_IFD))
    except Exception:  # any damage in EXIF only loses the place
        return None


def _orientation(image: Any) -> int:
    try:
        return int(image.getexif().get(ORIENTATION) or 1)
    except Exception:  # as above
        return 1


def _thumbnail(image: Any, size: int) -> bytes:
    from PIL import Image, ImageOps

    upright = ImageOps.exif_transpose(image)
    if upright.mode == "P":
        upright = upright.convert("RGBA")
    if upright.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        flat = Image.new("RGB", upright.size, (255, 255, 255))
        flat.paste(upright.convert("RGBA"), mask=upright.convert("RGBA").getchannel("A"))
        upright = flat
    elif upright.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        upright = upright.convert("F").point(lambda v: v / 256).convert("L")
    if upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    upright.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
    return out.getvalue()


def read_picture(data: bytes, media: MediaType, *, limits: AttachmentLimits) -> Picture:
    """Decode a photo: its upright size, EXIF place and thumbnail.

    Parameters
    ----------
    data : bytes
        The whole file.
    media : MediaType
        Its type as sniffed (JPEG, PNG, HEIC or HEIF).
    limits : AttachmentLimits
        ``max_pixels`` and ``thumbnail_px``.

    Returns
    -------
    Picture

    Raises
    ------
    AttachmentError
        Naming ``file``: the photo does not decode whole, or has more pixels
        than ``max_pixels``.
    """
    from PIL import Image

    if media in (HEIC, HEIF) and not heif_support():  # pragma: no cover - see heif_support
        return Picture(decoded=False)
    fmt = PILLOW_FORMAT[media]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        width = height = limits.max_pixels + 1  # refused below, by our own limit
    except Exception as exc:  # whatever the bytes, a refusal, never a crash
        raise _damaged(media, exc) from None
    if width * height > limits.max_pixels:
        raise AttachmentError(
            f"图片像素过多（{width}×{height}），上限 {limits.max_pixels} 像素 / the image has "
            f"{width}×{height} pixels, more than {limits.max_pixels}", field="file")
    try:
        location = _location(image)
        if _orientation(image) in TURNED:
            width, height = height, width
        if fmt == "JPEG":  # decode at the scale the thumbnail needs (DCT scaling)
            image.draft("RGB", (limits.thumbnail_px, limits.thumbnail_px))
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            thumbnail = _thumbnail(image, limits.thumbnail_px)
    except AttachmentError:
        raise
    except Exception as exc:  # truncated or damaged: refused, never a crash
        raise _damaged(media, exc) from None
    finally:
        image.close()
    return Picture(decoded=True, width=width, height=height, location=location,
                   thumbnail=thumbnail)
