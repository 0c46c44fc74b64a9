"""``gridgis serve`` on a store it cannot use: one line on stderr, exit code 2."""

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from gridgis.store import SQLiteStore


def _serve(store, *, unprivileged=False):
    """Run ``gridgis serve --store STORE``; as root, without the power to override modes."""
    prefix = []
    if unprivileged and os.geteuid() == 0:
        # root writes read-only files; a user namespace drops that power (the same uid)
        if shutil.which("unshare") is None or subprocess.run(
                ["unshare", "--user", "true"], capture_output=True).returncode != 0:
            pytest.skip("running as root without user namespaces: modes cannot be enforced")
        prefix = ["unshare", "--user"]
    return subprocess.run([*prefix, sys.executable, "-m", "gridgis", "serve", "--store",
                           str(store), "--port", "1"], capture_output=True, text=True,
                          timeout=600)


def _one_line(result, *words):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_a_damaged_store_is_one_line(tmp_path):
    store = tmp_path / "damaged.sqlite"
    store.write_bytes(b"these are not the pages of a database " * 200)
    line = _one_line(_serve(store), str(store), "not a SQLite database", "不是 SQLite 数据库")
    assert line.startswith("错误 / error:")


def test_a_read_only_store_that_needs_its_schema_is_one_line(tmp_path):
    store = tmp_path / "old.sqlite"
    with sqlite3.connect(store) as conn:  # a database without the service's schema
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    store.chmod(0o444)
    _one_line(_serve(store, unprivileged=True), str(store), "read-only", "只读")
    with sqlite3.connect(store) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert tables == {"notes"}  # nothing was created


def test_a_read_only_store_already_migrated_is_one_line(tmp_path):
    store = tmp_path / "current.sqlite"
    SQLiteStore(store).close()
    for f in tmp_path.iterdir():
        f.chmod(0o444)
    _one_line(_serve(store, unprivileged=True), str(store), "read-only", "只读")


def test_a_store_in_a_read_only_folder_is_one_line(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    store = folder / "new.sqlite"
    try:
        _one_line(_serve(store, unprivileged=True), str(store), "cannot be opened or created",
                  "无法打开或创建")
        assert not store.exists()
    finally:
        folder.chmod(0o755)


def test_a_store_missing_a_table_is_one_line(tmp_path):
    store = tmp_path / "partial.sqlite"
    SQLiteStore(store).close()
    with sqlite3.connect(store) as conn:
        conn.execute("DROP TABLE events")
    conn.close()
    _one_line(_serve(store), str(store), "lacks table events", "缺少表 events")


def test_create_app_refuses_the_same_stores(tmp_path):
    from api.main import create_app
    from api.settings import Settings
    from gridgis.errors import StoreError

    store = tmp_path / "damaged.sqlite"
    store.write_bytes(b"not a database at all " * 100)
    with pytest.raises(StoreError, match="not a SQLite database") as got:
        create_app(Settings(store=str(store)))
    assert got.value.path == str(store)


def test_a_bad_setting_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDGIS_ALLOWED_HOSTS", "grid.example.org/admin")
    line = _one_line(_serve(tmp_path / "fine.sqlite"), "allowed_hosts", "not host names")
    assert line.startswith("error:")
