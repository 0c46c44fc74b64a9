"""A throw-away PostgreSQL + PostGIS server for the tests (Debian's packages, no download).

:class:`Cluster` runs ``initdb`` and ``pg_ctl`` on a temporary folder and listens on
loopback only, with trust authentication for its own user. PostgreSQL refuses to run as
root, so as root the server runs as the ``postgres`` user Debian's package created
(``runuser``). Each test gets a database of its own, copied from a template that holds
the PostGIS extension (a copy takes a few milliseconds).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["MISSING", "Cluster", "postgres_bin"]

TEMPLATE = "gridgis_template"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's ``bin`` folder that has PostGIS too, or None."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        version = Path(folder).parent.name
        if (Path(folder) / "initdb").exists() and Path(
                f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            return Path(folder)
    return None


MISSING = ("PostgreSQL 和 PostGIS 未安装（make postgres 安装 Debian 的 postgresql、"
           "postgresql-15-postgis-3）/ PostgreSQL with PostGIS is not installed: `make postgres` "
           "installs Debian's postgresql and postgresql-15-postgis-3")
"""Why the PostGIS tests skip (the only reason they may)."""


WATCHDOG = """
import os, shutil, subprocess, sys, time
owner, root, *stop = sys.argv[1:]
while True:
    try:
        os.kill(int(owner), 0)
    except ProcessLookupError:
        break
    except PermissionError:
        pass
    time.sleep(1)
subprocess.run(stop, capture_output=True)
shutil.rmtree(root, ignore_errors=True)
"""
"""Stops a test cluster whose test run was killed (pytest's own teardown never ran)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running PostgreSQL server on a temporary folder (stop it with :meth:`stop`)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="gridgis-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else None
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._names = itertools.count(1)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "--encoding=UTF8", "--locale=C")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "-t", "120", "-o", options, "start")
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, str(os.getpid()), str(self.root),
             *self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")],
            start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.sql("postgres", f"CREATE DATABASE {TEMPLATE}")
        self.sql(TEMPLATE, "CREATE EXTENSION postgis")

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin / tool), *args]
        return ["runuser", "-u", "postgres", "--", *command] if self.as_root else command

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(self._command(tool, *args), capture_output=True, text=True,
                              cwd=self.root)
        if done.returncode:
            log = self.root / "log"
            raise RuntimeError(f"{tool} failed: {done.stderr}\n"
                               f"{log.read_text() if log.exists() else ''}")

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, statement: str) -> None:
        """Run one statement in autocommit."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres "
                             f"dbname={database}", autocommit=True) as conn:
            conn.execute(statement)

    def new_database(self) -> str:
        """A new database with PostGIS; its URL."""
        name = f"gridgis_test_{os.getpid()}_{next(self._names)}"
        self.sql("postgres", f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Remove a database made by :meth:`new_database` (its connections ended)."""
        self.sql("postgres", f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            self._watchdog.kill()
            self._watchdog.wait()
            shutil.rmtree(self.root, ignore_errors=True)


class Backend:
    """One store backend of a test: its name, where it keeps the store, how to open it.

    ``spec`` is the SQLite file ``district.incidents.sqlite`` in the test's folder or
    the URL of a fresh PostgreSQL database; the attachments go to
    ``district.attachments`` in the test's folder with either.
    """

    def __init__(self, name: str, spec: str, folder: Path) -> None:
        self.name = name
        self.spec = spec
        self.folder = folder

    def open(self, **options: object):
        """Open (or reopen) the store."""
        from gridgis.store import open_store

        extra = {"attachments_folder": self.folder / "district.attachments"} \
            if self.name == "postgis" else {}
        return open_store(self.spec, **extra, **options)  # type: ignore[arg-type]

    def sql(self, statement: str, **params: object) -> None:
        """Run one statement on the store's database, behind the store's back."""
        import sqlalchemy as sa

        url = f"sqlite:///{self.spec}" if self.name == "sqlite" else \
            self.spec.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(statement), params)
        finally:
            engine.dispose()
