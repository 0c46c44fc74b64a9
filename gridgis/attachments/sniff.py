"""What a file is, read from its first bytes: never from its name or the client's word.

Only four kinds of media are accepted as attachments: JPEG and PNG photos,
HEIC/HEIF photos (what iPhones and many Android phones take) and MP4 videos.
Anything else is refused with :class:`~gridgis.errors.UnsupportedMediaError`
naming the type its bytes show (an ``.exe`` renamed ``photo.jpg`` is named a
Windows program, an HTML page renamed ``.png`` an HTML document).

HEIF and MP4 share one container (ISO base media, ISO/IEC 14496-12): the
``ftyp`` box at the start names a major brand and compatible brands, and the
brands tell a HEIC photo from an MP4 video, an AVIF picture, a QuickTime
``.mov`` or a 3GP clip (ISO/IEC 23008-12 annex B for the HEIF brands).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum

from gridgis.errors import UnsupportedMediaError

__all__ = ["ACCEPTED", "HEAD_BYTES", "HEIC", "HEIF", "JPEG", "MP4", "PNG", "Kind", "MediaType",
           "describe", "sniff"]

HEAD_BYTES = 4096
"""How many leading bytes :func:`sniff` needs at most."""


class Kind(StrEnum):
    """Photo or video (each kind has its own size limit)."""

    IMAGE = "image"
    VIDEO = "video"


@dataclass(frozen=True)
class MediaType:
    """An accepted type: its media type, kind and the name shown to people."""

    media_type: str
    kind: Kind
    name: str


JPEG = MediaType("image/jpeg", Kind.IMAGE, "JPEG")
PNG = MediaType("image/png", Kind.IMAGE, "PNG")
HEIC = MediaType("image/heic", Kind.IMAGE, "HEIC")
HEIF = MediaType("image/heif", Kind.IMAGE, "HEIF")
MP4 = MediaType("video/mp4", Kind.VIDEO, "MP4")
ACCEPTED = (JPEG, PNG, HEIC, HEIF, MP4)
"""Every accepted type."""

HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm",
                         b"hevs"})
"""Brands of HEVC-coded HEIF (``image/heic``, and its sequences)."""
HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2"})
"""Structural HEIF brands: the coding is told by the compatible brands."""
AVIF_BRANDS = frozenset({b"avif", b"avis"})
MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7",
                        b"iso8", b"iso9", b"mp41", b"mp42", b"mp71", b"avc1", b"dash",
                        b"mmp4", b"M4V ", b"M4VH", b"M4VP", b"f4v ", b"XAVC"})
"""Brands of MP4 video (phones write ``isom``, ``mp42`` or ``mp41``)."""
OTHER_BRANDS: dict[bytes, tuple[str, str, str]] = {
    b"qt  ": ("video/quicktime", "QuickTime 视频（.mov）", "QuickTime video (.mov)"),
    b"M4A ": ("audio/mp4", "MP4 音频（.m4a）", "MP4 audio (.m4a)"),
    b"M4B ": ("audio/mp4", "MP4 有声书（.m4b）", "MP4 audio book (.m4b)"),
    b"3gp4": ("video/3gpp", "3GP 视频", "3GP video"),
    b"3gp5": ("video/3gpp", "3GP 视频", "3GP video"),
    b"3gp6": ("video/3gpp", "3GP 视频", "3GP video"),
    b"3g2a": ("video/3gpp2", "3G2 视频", "3G2 video"),
    b"crx ": ("image/x-canon-cr3", "佳能 RAW 照片（CR3）", "Canon raw photo (CR3)"),
    b"jp2 ": ("image/jp2", "JPEG 2000 图片", "JPEG 2000 image"),
}
"""ISO base media brands that are not accepted, named for the refusal."""

SIGNATURES: list[tuple[int, bytes, str, str, str]] = [
    (0, b"MZ", "application/x-msdownload", "Windows 可执行程序（EXE/DLL）",
     "Windows program (EXE/DLL)"),
    (0, b"\x7fELF", "application/x-executable", "Linux 可执行程序（ELF）",
     "Linux program (ELF)"),
    (0, b"\xca\xfe\xba\xbe", "application/java-vm", "Java 类文件或 macOS 程序",
     "Java class or macOS program"),
    (0, b"\xcf\xfa\xed\xfe", "application/x-mach-binary", "macOS 程序", "macOS program"),
    (0, b"%PDF-", "application/pdf", "PDF 文档", "PDF document"),
    (0, b"PK\x03\x04", "application/zip", "ZIP 压缩包（含 Office 文档、APK）",
     "ZIP archive (Office documents and APKs too)"),
    (0, b"PK\x05\x06", "application/zip", "空 ZIP 压缩包", "empty ZIP archive"),
    (0, b"Rar!\x1a\x07", "application/vnd.rar", "RAR 压缩包", "RAR archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", "7z 压缩包", "7z archive"),
    (0, b"\x1f\x8b", "application/gzip", "gzip 压缩文件", "gzip file"),
    (0, b"BZh", "application/x-bzip2", "bzip2 压缩文件", "bzip2 file"),
    (0, b"\xfd7zXZ\x00", "application/x-xz", "xz 压缩文件", "xz file"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage",
     "旧版 Office 文档（doc/xls/ppt）", "legacy Office document (doc/xls/ppt)"),
    (0, b"GIF87a", "image/gif", "GIF 动图", "GIF image"),
    (0, b"GIF89a", "image/gif", "GIF 动图", "GIF image"),
    (0, b"II*\x00", "image/tiff", "TIFF 图片", "TIFF image"),
    (0, b"MM\x00*", "image/tiff", "TIFF 图片", "TIFF image"),
    (0, b"\x00\x00\x01\x00", "image/vnd.microsoft.icon", "ICO 图标", "ICO icon"),
    (0, b"8BPS", "image/vnd.adobe.photoshop", "Photoshop 文件（PSD）", "Photoshop file (PSD)"),
    (0, b"\xff\x0a", "image/jxl", "JPEG XL 图片", "JPEG XL image"),
    (0, b"\x1aE\xdf\xa3", "video/x-matroska", "Matroska/WebM 视频", "Matroska/WebM video"),
    (0, b"FLV\x01", "video/x-flv", "FLV 视频", "FLV video"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11", "video/x-ms-wmv", "WMV/ASF 视频",
     "WMV/ASF video"),
    (0, b"\x00\x00\x01\xba", "video/mpeg", "MPEG 视频", "MPEG video"),
    (0, b"\x00\x00\x01\xb3", "video/mpeg", "MPEG 视频", "MPEG video"),
    (0, b"ID3", "audio/mpeg", "MP3 音频", "MP3 audio"),
    (0, b"OggS", "audio/ogg", "Ogg 音视频", "Ogg audio or video"),
    (0, b"fLaC", "audio/flac", "FLAC 音频", "FLAC audio"),
    (0, b"#!AMR", "audio/amr", "AMR 语音", "AMR voice recording"),
    (0, b"#!SILK", "audio/silk", "微信语音（SILK）", "WeChat voice (SILK)"),
    (0, b"\x02#!SILK", "audio/silk", "微信语音（SILK）", "WeChat voice (SILK)"),
    (0, b"SQLite format 3\x00", "application/vnd.sqlite3", "SQLite 数据库",
     "SQLite database"),
    (0, b"#!", "text/x-shellscript", "脚本程序", "script"),
]
"""(offset, magic, media type, Chinese and English names) of types refused by name."""
RIFF_KINDS = {b"WEBP": ("image/webp", "WebP 图片", "WebP image"),
              b"AVI ": ("video/x-msvideo", "AVI 视频", "AVI video"),
              b"WAVE": ("audio/wav", "WAV 音频", "WAV audio")}
BMP_HEADERS = {12, 40, 52, 56, 64, 108, 124}
"""Sizes of the header that follows a BMP's file header (tells ``BM`` from text)."""


def _iso_brands(head: bytes) -> tuple[bytes, set[bytes]] | None:
    """The major and compatible brands of an ISO base media ``ftyp`` box, or None."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    size = struct.unpack(">I", head[:4])[0]
    if size < 16 or size % 4:
        return None
    body = head[16:min(size, len(head))]
    return head[8:12], {body[i:i + 4] for i in range(0, len(body) - 3, 4)}


def _iso_type(major: bytes, compatible: set[bytes]) -> MediaType | tuple[str, str, str]:
    brands = {major} | compatible
    if major in HEIC_BRANDS:
        return HEIC
    if major in AVIF_BRANDS or (major in HEIF_BRANDS and brands & AVIF_BRANDS
                                and not brands & HEIC_BRANDS):
        return ("image/avif", "AVIF 图片", "AVIF image")
    if major in HEIF_BRANDS:
        return HEIC if brands & HEIC_BRANDS else HEIF
    if major in MP4_BRANDS:
        return MP4
    if major in OTHER_BRANDS:
        return OTHER_BRANDS[major]
    shown = major.decode("latin-1").strip() or "?"
    shown = "".join(c if c.isprintable() else "?" for c in shown)
    return ("application/octet-stream", f"ISO 媒体文件（品牌 {shown}）",
            f"ISO base media file (brand {shown!r})")


def _text_type(head: bytes) -> tuple[str, str, str] | None:
    """HTML, SVG, XML, JSON or plain text, when the bytes read as text."""
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end
            return None
        text = head[:exc.start].decode("utf-8")
    lead = text.lstrip("\ufeff \t\r\n").lower()
    if lead.startswith(("<!doctype html", "<html", "<head", "<body", "<script", "<iframe",
                        "<!--", "<div", "<a ", "<img", "<meta", "<style", "<p>", "<h1")):
        return ("text/html", "HTML 网页", "HTML document")
    if "<svg" in lead[:2048]:
        return ("image/svg+xml", "SVG 矢量图（可含脚本）", "SVG image (may hold scripts)")
    if lead.startswith("<?xml") or lead.startswith("<"):
        return ("application/xml", "XML 文档", "XML document")
    if lead.startswith(("{", "[")):
        return ("application/json", "JSON 文本", "JSON text")
    return ("text/plain", "纯文本", "plain text")


def describe(head: bytes) -> tuple[str, str, str]:
    r"""The media type the bytes show, with its Chinese and English names.

    Parameters
    ----------
    head : bytes
        The file's first bytes (:data:`HEAD_BYTES` are enough).

    Returns
    -------
    (str, str, str)
        A media type (``application/octet-stream`` when unknown) and its names.

    Examples
    --------
    >>> describe(b"MZ\x90\x00")[0]
    'application/x-msdownload'
    >>> describe(b"<!DOCTYPE html><html>")[0]
    'text/html'
    """
    if not head:
        return ("application/x-empty", "空文件", "empty file")
    found = _sniff_accepted(head)
    if isinstance(found, MediaType):
        return (found.media_type, found.name, found.name)
    if found is not None:
        return found
    if head[:4] == b"RIFF" and head[8:12] in RIFF_KINDS:
        return RIFF_KINDS[head[8:12]]
    if head[:2] == b"BM" and len(head) >= 18 and struct.unpack("<I", head[14:18])[0] \
            in BMP_HEADERS:
        return ("image/bmp", "BMP 位图", "BMP image")
    for offset, magic, media, zh, en in SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return (media, zh, en)
    return _text_type(head) or ("application/octet-stream", "未知二进制文件",
                                "unknown binary data")


def _sniff_accepted(head: bytes) -> MediaType | tuple[str, str, str] | None:
    if head[:3] == b"\xff\xd8\xff":
        return JPEG
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    brands = _iso_brands(head)
    if brands is not None:
        return _iso_type(*brands)
    return None


def sniff(head: bytes) -> MediaType:
    r"""The accepted type of a file, from its first bytes.

    Parameters
    ----------
    head : bytes
        The file's first bytes (:data:`HEAD_BYTES` are enough; more are ignored).

    Returns
    -------
    MediaType
        One of :data:`ACCEPTED`.

    Raises
    ------
    UnsupportedMediaError
        For any other type; the message names the type found, whatever the
        file's name says.

    Examples
    --------
    >>> sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00").media_type
    'image/jpeg'
    >>> sniff(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom").name
    'MP4'
    >>> sniff(b"GIF89a\x01\x00")
    Traceback (most recent call last):
    ...
    gridgis.errors.UnsupportedMediaError: 不支持的文件类型：GIF 动图（image/gif）...
    """
    head = head[:HEAD_BYTES]
    found = _sniff_accepted(head)
    if isinstance(found, MediaType):
        return found
    media, zh, en = describe(head)
    raise UnsupportedMediaError(
        f"不支持的文件类型：{zh}（{media}），按文件内容判断，与文件名无关；只接受 JPEG、PNG、"
        f"HEIC/HEIF 照片和 MP4 视频 / unsupported file type: {en} ({media}), judged from its "
        "bytes whatever its name; only JPEG, PNG and HEIC/HEIF photos and MP4 videos are "
        "accepted", found=media)
