"""How large an attachment may be, and how far from the report a photo may have been taken."""

from __future__ import annotations

from dataclasses import dataclass

from gridgis.attachments.sniff import Kind, MediaType
from gridgis.errors import AttachmentError, AttachmentTooLargeError

__all__ = ["MB", "AttachmentLimits", "check_size"]

MB = 1_000_000
"""A megabyte as limits are said (10^6 bytes)."""


@dataclass(frozen=True)
class AttachmentLimits:
    """Bounds of uploads; every number is checked.

    Parameters
    ----------
    max_image_bytes : int, default 20 MB
        The largest photo (JPEG, PNG, HEIC/HEIF) accepted.
    max_video_bytes : int, default 20 MB
        The largest MP4 video accepted (a phone records about 1 MB a second:
        a longer clip is better shortened or linked).
    far_m : float, default 200
        A photo whose EXIF location lies farther than this from the
        incident's point is flagged (``far``), not refused.
    thumbnail_px : int, default 320
        The longest side of a thumbnail.
    max_pixels : int, default 64 million
        Photos with more pixels are refused (a decompression bomb: a few
        kilobytes that expand to gigabytes when decoded).

    Examples
    --------
    >>> AttachmentLimits().max_bytes
    20000000
    """

    max_image_bytes: int = 20 * MB
    max_video_bytes: int = 20 * MB
    far_m: float = 200.0
    thumbnail_px: int = 320
    max_pixels: int = 64_000_000

    def __post_init__(self) -> None:
        for name, low, high in (("max_image_bytes", 1_000, 1_000 * MB),
                                ("max_video_bytes", 1_000, 1_000 * MB),
                                ("far_m", 1.0, 100_000.0), ("thumbnail_px", 32, 2048),
                                ("max_pixels", 10_000, 500_000_000)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name} is {value}; give {low} to {high}")

    @property
    def max_bytes(self) -> int:
        """The largest file of any kind."""
        return max(self.max_image_bytes, self.max_video_bytes)

    def limit_for(self, kind: Kind) -> int:
        """The size limit of a kind."""
        return self.max_video_bytes if kind is Kind.VIDEO else self.max_image_bytes


def check_size(size: int, limits: AttachmentLimits, media: MediaType | None = None) -> None:
    """Refuse a file over its limit (``media`` unknown yet: the largest limit of any kind).

    Raises
    ------
    AttachmentTooLargeError
        Naming the size and the limit.
    AttachmentError
        For an empty file (naming ``file``).
    """
    if size == 0:
        raise AttachmentError("文件为空 / the file is empty", field="file")
    limit = limits.max_bytes if media is None else limits.limit_for(media.kind)
    if size > limit:
        what = ("文件", "the file") if media is None else (
            ("视频", "a video") if media.kind is Kind.VIDEO else ("照片", "a photo"))
        raise AttachmentTooLargeError(
            f"{what[0]}大小 {size / MB:.1f} MB 超过上限 {limit / MB:g} MB / {what[1]} of "
            f"{size} bytes exceeds the limit of {limit} bytes", limit=limit)
