"""Plain arrays on disk: what an index file may hold, and a digest of its content.

An index file is read with ``allow_pickle=False``: it holds only numbers,
booleans and fixed-width strings, never Python objects (a pickled object in a
``.npz`` runs code when it is loaded). Variable-length bytes (WKB) are stored
as one ``uint8`` array with ``int64`` offsets, metadata as UTF-8 JSON in a
``uint8`` array, and :func:`digest` fingerprints every array so a file whose
arrays were changed after it was written is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["PLAIN_KINDS", "digest", "from_json", "join_bytes", "read_meta", "read_plain",
           "split_bytes", "to_json"]

PLAIN_KINDS = frozenset("biufUS")
"""numpy dtype kinds an index file may hold: bool, integers, floats, fixed-width strings."""


def to_json(value: Any) -> np.ndarray:
    """A JSON-serialisable value as a ``uint8`` array of its UTF-8 text."""
    return np.frombuffer(json.dumps(value, sort_keys=True).encode("utf-8"), dtype=np.uint8)


def from_json(array: np.ndarray) -> Any:
    """The value :func:`to_json` wrote (ValueError when it is not UTF-8 JSON)."""
    if array.dtype != np.uint8 or array.ndim != 1:
        raise ValueError("the metadata is not a JSON text")
    return json.loads(array.tobytes().decode("utf-8"))


def join_bytes(values: Iterable[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Byte strings as one ``uint8`` array and ``int64`` offsets (``len + 1`` of them)."""
    values = list(values)
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum([len(v) for v in values], out=offsets[1:])
    return np.frombuffer(b"".join(values), dtype=np.uint8), offsets


def split_bytes(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The byte strings :func:`join_bytes` joined, as an object array."""
    if data.dtype != np.uint8 or offsets.dtype != np.int64 or len(offsets) == 0 or \
            offsets[0] != 0 or offsets[-1] != len(data) or (np.diff(offsets) < 0).any():
        raise ValueError("the byte offsets do not match the bytes")
    raw = data.tobytes()
    out = np.empty(len(offsets) - 1, dtype=object)
    out[:] = [raw[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]
    return out


def digest(arrays: Mapping[str, np.ndarray], *, skip: str = "meta") -> str:
    """SHA-256 of every array but ``skip``: names, dtypes, shapes and bytes, by name."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        if name == skip:
            continue
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        if a.size:  # the bytes in place (a mapped file is hashed without a copy)
            h.update(a.reshape(-1).view(np.uint8))
    return h.hexdigest()


def read_plain(path: str | os.PathLike[str], *, mmap: bool = False) -> dict[str, np.ndarray]:
    """Every array of a ``.npz`` file, read without unpickling anything.

    Parameters
    ----------
    path : path-like
        The ``.npz`` file.
    mmap : bool, default False
        Map the arrays of uncompressed members from the file instead of reading
        them (copy-on-write): processes that load the same file share its
        pages through the operating system's cache. Compressed members are read.

    Raises
    ------
    ValueError
        The file is not an ``.npz`` archive, or holds an array that is not plain
        (objects, records): it is refused before anything in it is run.
    """
    if mmap:
        arrays = _mapped_members(path)
    else:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise ValueError(f"{path} is not an .npz archive")
            arrays = {name: data[name] for name in data.files}
    for name, a in arrays.items():
        if a.dtype.kind not in PLAIN_KINDS:
            raise ValueError(f"array {name!r} of {path} is {a.dtype}, not a plain array")
    return arrays


def _mapped_members(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive, mapped from the file where stored uncompressed."""
    arrays: dict[str, np.ndarray] = {}
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ValueError(f"{path} is not an .npz archive") from None
    with archive, open(path, "rb") as raw:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                raise ValueError(f"{path} holds {info.filename!r}, not an array")
            name = info.filename[:-4]
            if info.compress_type != zipfile.ZIP_STORED:
                with archive.open(info) as member:
                    arrays[name] = np.lib.format.read_array(member, allow_pickle=False)
                continue
            raw.seek(info.header_offset)
            local = raw.read(30)
            if local[:4] != b"PK\x03\x04":
                raise ValueError(f"{path}: damaged archive member {info.filename!r}")
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            start = info.header_offset + 30 + name_len + extra_len
            raw.seek(start)
            version = np.lib.format.read_magic(raw)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"array {name!r} of {path}: .npy format {version} not read")
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
                else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(raw)
            if dtype.hasobject:
                raise ValueError(f"array {name!r} of {path} holds objects")
            offset = raw.tell()
            if int(np.prod(shape, dtype=np.int64)) == 0 or dtype.itemsize == 0:
                arrays[name] = np.zeros(shape, dtype=dtype, order="F" if fortran else "C")
                continue
            mapped = np.memmap(path, dtype=dtype, mode="c", offset=offset, shape=shape,
                               order="F" if fortran else "C")
            arrays[name] = mapped.view(np.ndarray)  # a plain array over the mapped pages
    return arrays


def read_meta(path: str | os.PathLike[str]) -> Any:
    """The JSON metadata of an index file alone (the other arrays are not read)."""
    with np.load(path, allow_pickle=False) as data:
        return from_json(data["meta"])
