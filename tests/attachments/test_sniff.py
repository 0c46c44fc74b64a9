import pytest

from gridgis.attachments.sniff import HEIC, HEIF, JPEG, MP4, PNG, Kind, describe, sniff
from gridgis.errors import UnsupportedMediaError
from tests.attachments.media import HEIC_FILE, HTML, box, exe, jpeg, mp4, png


def test_the_accepted_types_are_told_by_their_bytes():
    assert sniff(jpeg()) is JPEG
    assert sniff(png()) is PNG
    assert sniff(HEIC_FILE.read_bytes()) is HEIC
    assert sniff(mp4()) is MP4 and MP4.kind is Kind.VIDEO
    assert sniff(mp4(b"mp42", (b"mp42", b"isom"))) is MP4


@pytest.mark.parametrize(("major", "compatible", "expected"), [
    (b"mif1", (b"mif1", b"heic"), HEIC),  # Samsung and Huawei write mif1 first
    (b"msf1", (b"msf1", b"hevc"), HEIC),
    (b"mif1", (b"mif1", b"miaf"), HEIF),
    (b"heix", (b"mif1",), HEIC),
])
def test_heif_brands(major, compatible, expected):
    assert sniff(box(b"ftyp", major + bytes(4) + b"".join(compatible))) is expected


@pytest.mark.parametrize(("data", "found", "named"), [
    (exe(), "application/x-msdownload", "Windows"),
    (HTML, "text/html", "HTML"),
    (b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "image/svg+xml",
     "SVG"),
    (b"GIF89a\x01\x00\x01\x00", "image/gif", "GIF"),
    (b"%PDF-1.7\n", "application/pdf", "PDF"),
    (b"PK\x03\x04\x14\x00", "application/zip", "ZIP"),
    (mp4(b"qt  ", (b"qt  ",)), "video/quicktime", "QuickTime"),
    (mp4(b"M4A ", (b"M4A ", b"isom")), "audio/mp4", "audio"),
    (box(b"ftyp", b"avif" + bytes(4) + b"mif1avif"), "image/avif", "AVIF"),
    (box(b"ftyp", b"mif1" + bytes(4) + b"mif1avifmiaf"), "image/avif", "AVIF"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", "WebP"),
    ("井盖缺失，请处理".encode(), "text/plain", "plain text"),
    (bytes([0, 1, 2, 250, 251, 252]) * 10, "application/octet-stream", "unknown"),
    (b"", "application/x-empty", "empty"),
])
def test_other_types_are_refused_naming_what_they_are(data, found, named):
    with pytest.raises(UnsupportedMediaError) as caught:
        sniff(data)
    assert caught.value.found == found and describe(data)[0] == found
    message = str(caught.value)
    assert named in message and found in message
    zh, en = message.split(" / ", 1)
    assert "不支持的文件类型" in zh and "JPEG" in en  # Chinese first, English after


def test_a_renamed_program_is_still_a_program():
    # the name plays no part: sniff sees only bytes, whatever the file was called
    with pytest.raises(UnsupportedMediaError, match="Windows"):
        sniff(exe())
    data = jpeg()
    assert sniff(data[:3] + b"\xe0") is JPEG  # a JPEG's first bytes are enough


def test_a_broken_ftyp_box_is_not_mp4():
    bad = b"\x00\x00\x00\x05ftypisom" + bytes(20)  # a box shorter than its header
    with pytest.raises(UnsupportedMediaError):
        sniff(bad)
    with pytest.raises(UnsupportedMediaError):
        sniff(b"\x00\x00\x00\x18ftyp")  # cut inside the box
