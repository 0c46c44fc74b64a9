"""The original name of an uploaded file, made safe to keep and to show."""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_NAME", "safe_filename"]

MAX_NAME = 120
"""Characters kept of a file name (the extension kept when it is cut)."""


def safe_filename(name: str | None) -> str | None:
    r"""A file name as sent, reduced to its last part without control or path characters.

    The name is only shown (it never names a stored file: those are named by
    their content), so it is kept readable: NFC-normalised, without folders,
    control characters or the characters Windows refuses; at most
    :data:`MAX_NAME` characters.

    Examples
    --------
    >>> safe_filename("C:\\Users\\王\\..\\井盖 1.jpg")
    '井盖 1.jpg'
    >>> safe_filename("../../etc/passwd\x00.png")
    'passwd.png'
    >>> safe_filename("..") is None
    True
    """
    if not name:
        return None
    text = unicodedata.normalize("NFC", str(name))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C"
                   and c not in '<>:"|?*')
    text = text.strip(" .")
    if not text:
        return None
    if len(text) > MAX_NAME:
        _stem, dot, ext = text.rpartition(".")
        keep = f".{ext}" if dot and 0 < len(ext) <= 10 else ""
        text = text[:MAX_NAME - len(keep)] + keep
    return text
