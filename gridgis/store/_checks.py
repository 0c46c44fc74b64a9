"""What is wrong with a store file, said in one line (Chinese / English)."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import sqlalchemy as sa

from gridgis.errors import StoreError

__all__ = ["missing_schema", "store_error"]


def store_error(exc: BaseException, path: str | os.PathLike[str] | None) -> StoreError:
    """A :class:`StoreError` naming the file and the cause of a database or OS error."""
    where = str(path) if path is not None else ":memory:"
    orig: Any = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", "") or ""
    reason = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
    if name == "SQLITE_NOTADB" or (isinstance(orig, sqlite3.DatabaseError)
                                   and "not a database" in reason):
        text = (f"事件库 {where} 不是 SQLite 数据库（已损坏或放错文件）/ the incident store "
                f"{where} is not a SQLite database (damaged, or another file): restore it "
                "from a backup or name another file with --store")
    elif name.startswith("SQLITE_READONLY") or isinstance(orig, PermissionError):
        text = (f"事件库 {where} 只读，无法建立、升级或写入 / the incident store {where} is "
                f"read-only ({reason}): the service creates, migrates and writes it; make the "
                "file and its folder writable")
    elif name == "SQLITE_CANTOPEN" or isinstance(orig, OSError):
        text = (f"事件库 {where} 无法打开或创建 / the incident store {where} cannot be opened "
                f"or created ({reason}): check that its folder exists and is writable")
    else:
        text = (f"事件库 {where} 无法使用 / the incident store {where} cannot be used "
                f"({reason})")
    return StoreError(text, path=None if path is None else str(path))


def missing_schema(cursor: Any, metadata: sa.MetaData) -> list[str]:
    """Tables and columns of ``metadata`` the database lacks (empty: none).

    Reads the catalogue through a DB-API ``cursor`` in autocommit, so the check
    takes no lock that writers would wait for.
    """
    present = {row[0] for row in cursor.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = []
    for name, table in metadata.tables.items():
        if name not in present:
            missing.append(f"表 {name} / table {name}")
            continue
        quoted = '"' + name.replace('"', '""') + '"'
        columns = {row[1] for row in cursor.execute(f"PRAGMA table_info({quoted})")}
        missing += [f"列 {name}.{c.name} / column {name}.{c.name}"
                    for c in table.columns if c.name not in columns]
    return missing
