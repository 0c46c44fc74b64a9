import io
import struct
import zlib

import pytest
from PIL import Image

from gridgis.attachments.images import heif_support, read_picture
from gridgis.attachments.limits import AttachmentLimits
from gridgis.attachments.location import distance_m
from gridgis.attachments.sniff import HEIC, JPEG, PNG
from gridgis.errors import AttachmentError
from tests.attachments.media import HEIC_FILE, HEIC_LONLAT, jpeg, png

LIMITS = AttachmentLimits()


def thumb(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image


@pytest.mark.parametrize(("size", "expected"), [((640, 480), (320, 240)),
                                               ((480, 1000), (154, 320)),
                                               ((4000, 3000), (320, 240))])
def test_the_thumbnail_s_longest_side_is_320(size, expected):
    found = read_picture(jpeg(size), JPEG, limits=LIMITS)
    assert (found.width, found.height) == size
    assert thumb(found.thumbnail).size == expected


def test_a_small_photo_is_not_enlarged_and_the_size_is_a_setting():
    assert thumb(read_picture(jpeg((200, 100)), JPEG, limits=LIMITS).thumbnail).size == (200, 100)
    small = AttachmentLimits(thumbnail_px=64)
    assert max(thumb(read_picture(jpeg(), JPEG, limits=small).thumbnail).size) == 64


def test_exif_orientation_is_applied():
    # stored 640×480 landscape, orientation 6: shown turned a quarter, 480×640
    found = read_picture(jpeg((640, 480), orientation=6), JPEG, limits=LIMITS)
    assert (found.width, found.height) == (480, 640)
    image = thumb(found.thumbnail).convert("RGB")
    assert image.size == (240, 320)
    # the left half (blue) of the stored picture is on top once turned clockwise
    top, bottom = image.getpixel((120, 40)), image.getpixel((120, 280))
    assert top[2] > 150 and top[0] < 100, top
    assert bottom[0] > 150 and bottom[2] < 100, bottom


def test_thumbnails_carry_no_exif_and_no_place():
    found = read_picture(jpeg(lonlat=(120.65, 28.0)), JPEG, limits=LIMITS)
    assert found.location is not None
    assert not thumb(found.thumbnail).getexif()
    assert b"Exif" not in found.thumbnail


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L", "P", "LA", "I;16"])
def test_pngs_of_every_mode_get_a_jpeg_thumbnail(mode):
    found = read_picture(png((400, 300), mode), PNG, limits=LIMITS)
    assert thumb(found.thumbnail).size == (320, 240) and found.location is None


def test_a_transparent_png_is_flattened_on_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    pixel = thumb(read_picture(out.getvalue(), PNG, limits=LIMITS).thumbnail).getpixel((50, 50))
    assert min(pixel) > 245


def test_cmyk_jpeg():
    found = read_picture(jpeg((300, 200), mode="CMYK"), JPEG, limits=LIMITS)
    assert thumb(found.thumbnail).mode == "RGB"


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_a_truncated_jpeg_is_refused(keep):
    data = jpeg((800, 600), quality=95)
    with pytest.raises(AttachmentError, match="damaged or cut short") as caught:
        read_picture(data[:int(len(data) * keep)], JPEG, limits=LIMITS)
    assert caught.value.field == "file"
    assert str(caught.value).startswith("JPEG 图片已损坏")


def test_a_jpeg_with_only_a_header_is_refused():
    with pytest.raises(AttachmentError):
        read_picture(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", JPEG, limits=LIMITS)


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [9_000, 100_000])
def test_too_many_pixels_are_refused_before_decoding(side):
    # 81 million pixels is over the limit; 10 billion is Pillow's "decompression bomb"
    with pytest.raises(AttachmentError, match="pixels"):
        read_picture(_png_claiming(side, side), PNG, limits=LIMITS)


def test_a_png_with_a_broken_stream_is_refused():
    with pytest.raises(AttachmentError):
        read_picture(_png_claiming(100, 100), PNG, limits=LIMITS)


def test_heic_is_decoded_with_its_place_and_turned_upright():
    assert heif_support()
    found = read_picture(HEIC_FILE.read_bytes(), HEIC, limits=LIMITS)
    assert found.decoded and (found.width, found.height) == (48, 64)
    assert thumb(found.thumbnail).size == (48, 64)
    assert distance_m(found.location.lon, found.location.lat, *HEIC_LONLAT) < 0.05
    assert found.location.datum == "WGS-84"


def test_a_truncated_heic_is_refused():
    data = HEIC_FILE.read_bytes()
    with pytest.raises(AttachmentError, match="HEIC"):
        read_picture(data[:len(data) - 200], HEIC, limits=LIMITS)
