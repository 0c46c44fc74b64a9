"""A folder of files named by their content (SHA-256), written atomically.

Each file is written to a temporary name inside the folder (``.tmp/``),
flushed to disk, then renamed into place: a reader never sees half a file,
and a failure leaves nothing but what :meth:`BlobFolder.discard` removes at
once (or, after a crash, :meth:`BlobFolder.sweep` at the next start). The
same content is stored once, whoever sends it and however often.

Layout: ``<folder>/<first two hex digits>/<sha256>[.<suffix>]``, for example
``district.attachments/3f/3f8a…c1`` and its thumbnail ``…c1.thumb.jpg``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

__all__ = ["TEMP_FOLDER", "BlobFolder", "sha256_of"]

TEMP_FOLDER = ".tmp"
"""Where files are written before they are renamed into place."""
_NAME = re.compile(r"^[0-9a-f]{64}(\.[a-z]{1,8}(\.[a-z]{1,8})?)?$")


def sha256_of(data: bytes) -> str:
    """The SHA-256 of ``data`` in hexadecimal (a file's name in the folder)."""
    return hashlib.sha256(data).hexdigest()


class BlobFolder:
    """Files named by their content, in one folder (created on the first write).

    Parameters
    ----------
    root : path-like
        The folder.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, name: str) -> Path:
        """Where the file ``name`` (a SHA-256, with an optional suffix) lives."""
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a content name (64 hex digits, a suffix)")
        return self.root / name[:2] / name

    def stage(self, data: bytes) -> Path:
        """Write ``data`` to a new temporary file in the folder, flushed to disk."""
        temp_dir = self.root / TEMP_FOLDER
        temp_dir.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=temp_dir, prefix="upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return Path(temp)

    def commit(self, temp: Path, name: str) -> bool:
        """Rename a staged file into place as ``name``; False when that content was there.

        Either way the temporary file is gone afterwards.
        """
        target = self.path(name)
        if target.exists():
            temp.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)
        return True

    @staticmethod
    def discard(temp: Path | None) -> None:
        """Remove a staged file that will not be committed (no error when gone)."""
        if temp is not None:
            temp.unlink(missing_ok=True)

    def remove(self, name: str) -> None:
        """Remove a stored file (no error when it is not there)."""
        self.path(name).unlink(missing_ok=True)

    def read(self, name: str) -> bytes:
        """The content of a stored file (FileNotFoundError when missing)."""
        return self.path(name).read_bytes()

    def exists(self, name: str) -> bool:
        """Whether the file ``name`` is stored."""
        return self.path(name).is_file()

    def sweep(self, *, older_than_s: float = 3600.0) -> int:
        """Remove temporary files left by a crash, older than ``older_than_s``; how many."""
        temp_dir = self.root / TEMP_FOLDER
        if not temp_dir.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for temp in temp_dir.iterdir():
            try:
                if temp.is_file() and temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
            except OSError:  # another process removed or committed it meanwhile
                continue
        return removed
