"""The compiled kernels' disk cache: keyed on every kernel source, never filled silently."""

import os
import subprocess
import sys
from pathlib import Path

from gridgis.index import compile_kernels
from gridgis.index._kernels import MODULES
from gridgis.index._kernels._stamp import STAMP_NAME, source_hash
from gridgis.index.warmup import _MESSAGE

_BUILD = ("import shapely\n"
          "from gridgis.index import PolygonIndex\n"
          "PolygonIndex([shapely.box(0, 0, 1, 1)]).query([0.5], [0.5])\n")


def _env(cache: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    return env


def _python(code: str, cache: Path | None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=_env(cache), capture_output=True,
                          text=True, check=True)


def test_a_changed_kernel_source_drops_the_stale_cache(tmp_path):
    # numba alone would keep a caller's cached code when only a kernel it calls changed
    where = _python("from gridgis.index import _kernels as k; print(k._DIR)", tmp_path)
    folder = Path(where.stdout.strip())
    assert folder.is_relative_to(tmp_path)
    assert (folder / STAMP_NAME).read_text() == source_hash()
    stale = [folder / f"{name}.some_kernel-12.py312.{ext}" for name in MODULES
             for ext in ("nbi", "nbc")]
    other = folder / "elsewhere.kernel-3.py312.nbi"  # not ours: kept
    for path in [*stale, other]:
        path.write_bytes(b"old machine code")
    _python("import gridgis.index", tmp_path)  # the stamp matches: nothing is dropped
    assert all(p.exists() for p in stale)
    (folder / STAMP_NAME).write_text("the hash of older sources")
    _python("import gridgis.index", tmp_path)
    assert not any(p.exists() for p in stale)
    assert other.exists()
    assert (folder / STAMP_NAME).read_text() == source_hash()


def test_the_hash_covers_every_kernel_module(tmp_path):
    for name in MODULES:
        (tmp_path / f"{name}.py").write_text("x = 1\n")
    before = source_hash(tmp_path)
    for name in MODULES:
        (tmp_path / f"{name}.py").write_text("x = 2\n")
        assert source_hash(tmp_path) != before
        (tmp_path / f"{name}.py").write_text("x = 1\n")


def test_a_cold_cache_says_it_compiles(tmp_path):
    # only the first line is awaited: the compilation itself takes a minute or more
    proc = subprocess.Popen([sys.executable, "-c", _BUILD], env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()
    finally:
        proc.kill()
        proc.communicate()
    assert first.strip() == _MESSAGE


def test_a_warm_cache_says_nothing():
    assert compile_kernels() >= 0.0  # fills this environment's cache, if it was not yet
    out = _python(_BUILD, None)
    assert _MESSAGE not in out.stderr
