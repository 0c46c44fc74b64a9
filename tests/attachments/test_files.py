import os
import time

import pytest

from gridgis.attachments.files import TEMP_FOLDER, BlobFolder, sha256_of


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_a_file_is_written_atomically_under_its_content_name(tmp_path):
    folder = BlobFolder(tmp_path / "f")
    assert not (tmp_path / "f").exists()  # created on the first write only
    data = b"photo bytes"
    name = sha256_of(data)
    temp = folder.stage(data)
    assert temp.parent.name == TEMP_FOLDER and not folder.exists(name)
    assert folder.commit(temp, name) and folder.read(name) == data
    assert files_under(folder.root) == [f"{name[:2]}/{name}"]
    again = folder.stage(data)
    assert not folder.commit(again, name)  # the same content: stored once
    assert files_under(folder.root) == [f"{name[:2]}/{name}"]


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    folder = BlobFolder(tmp_path)

    def broken(fd):
        raise OSError("disk full")
    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        folder.stage(b"x" * 1000)
    assert files_under(tmp_path) == []


def test_discard_and_sweep(tmp_path):
    folder = BlobFolder(tmp_path)
    temp = folder.stage(b"abc")
    folder.discard(temp)
    folder.discard(temp)  # twice is fine
    left = folder.stage(b"left by a crash")
    fresh = folder.stage(b"being written by another process")
    old = time.time() - 7200
    os.utime(left, (old, old))
    assert folder.sweep() == 1
    assert not left.exists() and fresh.exists()


@pytest.mark.parametrize("name", ["../x", "ab", "A" * 64, "0" * 64 + "/x", "0" * 64 + ".."])
def test_only_content_names_are_paths(tmp_path, name):
    with pytest.raises(ValueError):
        BlobFolder(tmp_path).path(name)
