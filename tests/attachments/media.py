"""Media made for the tests: real JPEGs with an EXIF GPS block (Pillow's Exif API), PNGs,
an MP4 header, and files that only pretend to be photos."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from PIL import ExifTags, Image

DATA = Path(__file__).parent / "data"
HEIC_FILE = DATA / "gps.heic"
HEIC_LONLAT = (120.65, 28.01)
"""Where the HEIC fixture says it was taken."""
GPS = ExifTags.GPS


def dms(value: float) -> tuple[float, float, float]:
    """Degrees as EXIF's (degrees, minutes, seconds)."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def gps_exif(lon: float, lat: float, *, orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        GPS.GPSVersionID: b"\x02\x03\x00\x00",
        GPS.GPSLatitudeRef: "N" if lat >= 0 else "S", GPS.GPSLatitude: dms(lat),
        GPS.GPSLongitudeRef: "E" if lon >= 0 else "W", GPS.GPSLongitude: dms(lon),
        GPS.GPSMapDatum: "WGS-84"}
    return exif


def picture(size: tuple[int, int] = (640, 480), mode: str = "RGB") -> Image.Image:
    """Two halves of different colours, so that turning it shows."""
    w, h = size
    colour = {"RGB": (200, 40, 40), "RGBA": (200, 40, 40, 128), "L": 90, "P": 3,
              "LA": (90, 128), "CMYK": (0, 200, 200, 0), "I;16": 40000}[mode]
    image = Image.new(mode, size, colour)
    other = {"RGB": (20, 60, 220), "RGBA": (20, 60, 220, 255), "L": 200, "P": 7,
             "LA": (200, 255), "CMYK": (200, 100, 0, 0), "I;16": 1000}[mode]
    image.paste(other, (0, 0, w // 2, h))
    return image


def jpeg(size: tuple[int, int] = (640, 480), *, lonlat: tuple[float, float] | None = None,
         orientation: int | None = None, mode: str = "RGB", quality: int = 90) -> bytes:
    """A JPEG, with an EXIF GPS block when ``lonlat`` is given."""
    out = io.BytesIO()
    kwargs = {}
    if lonlat is not None or orientation is not None:
        exif = gps_exif(*lonlat, orientation=orientation) if lonlat else Image.Exif()
        if lonlat is None:
            exif[ExifTags.Base.Orientation] = orientation
        kwargs["exif"] = exif
    picture(size, mode).save(out, format="JPEG", quality=quality, **kwargs)
    return out.getvalue()


def png(size: tuple[int, int] = (400, 300), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    picture(size, mode).save(out, format="PNG")
    return out.getvalue()


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(brand: bytes = b"isom", compatible: tuple[bytes, ...] = (b"isom", b"iso2", b"mp41"),
        payload: int = 4096) -> bytes:
    """The start of an MP4 file: ``ftyp``, an empty ``moov`` and some ``mdat``."""
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + b"".join(compatible))
    return ftyp + box(b"moov", b"") + box(b"mdat", bytes(range(256)) * (payload // 256))


def exe() -> bytes:
    """The start of a Windows program (the DOS stub and a PE header)."""
    stub = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(44)
    return stub + struct.pack("<I", 64) + b"This program cannot be run in DOS mode.\r\n" \
        + b"PE\x00\x00" + bytes(512)


HTML = (b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script>"
        b"</body></html>\n")


def noisy_jpeg(size: tuple[int, int], *, seed: int = 0, quality: int = 95) -> bytes:
    """A JPEG of noise: it does not compress, so its size follows its pixels."""
    import random

    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()
