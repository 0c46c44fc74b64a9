"""Run the ``gridgis`` command line from QGIS: find it, follow its progress, catch its errors.

This module imports neither QGIS nor gridgis: QGIS's own Python and the
environment gridgis is installed in never share packages. The command's
standard error carries progress (JSON lines with ``GRIDGIS_PROGRESS=json``),
the files written and, on failure, one line ``错误 / error: …``.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ENV_EXECUTABLE",
    "Completed",
    "GridgisRunError",
    "candidates",
    "error_line",
    "find_gridgis",
    "run_gridgis",
]

ENV_EXECUTABLE = "GRIDGIS_EXECUTABLE"
"""Environment variable naming the ``gridgis`` executable (before the usual places)."""

_EXE = "gridgis.exe" if sys.platform == "win32" else "gridgis"
_BIN = "Scripts" if sys.platform == "win32" else "bin"
_ERROR_MARK = "错误 / error:"


class GridgisRunError(Exception):
    """gridgis could not be found or ended with an error; ``str()`` is one line."""


@dataclass
class Completed:
    """A finished run: exit code, standard output and the lines of standard error."""

    code: int
    stdout: str
    stderr: list[str] = field(default_factory=list)


def candidates(configured: str | None = None) -> list[Path]:
    """Where ``gridgis`` is looked for, in order.

    The configured path (a provider setting), ``$GRIDGIS_EXECUTABLE``, ``PATH``,
    ``~/.local/bin``, pipx's venv, and the ``.venv`` of a repository the plugin
    folder lies in (or links to).
    """
    found: list[Path] = []
    for given in (configured, os.environ.get(ENV_EXECUTABLE)):
        if given:
            found.append(Path(given).expanduser())
    on_path = shutil.which(_EXE)
    if on_path:
        found.append(Path(on_path))
    home = Path.home()
    found += [home / ".local" / "bin" / _EXE,
              home / ".local" / "pipx" / "venvs" / "gridgis" / _BIN / _EXE]
    here = Path(__file__).resolve().parent
    found += [parent / ".venv" / _BIN / _EXE for parent in here.parents]
    return found


def find_gridgis(configured: str | None = None) -> str:
    """The first runnable ``gridgis`` of :func:`candidates`.

    Raises
    ------
    GridgisRunError
        When a configured path is not runnable, or nothing is found.
    """
    if configured and not _runnable(Path(configured).expanduser()):
        raise GridgisRunError(f"设置的 gridgis 程序不存在或不可执行：{configured} "
                              "(the configured gridgis executable cannot be run)")
    for path in candidates(configured):
        if _runnable(path):
            return str(path)
    raise GridgisRunError("找不到 gridgis 程序：请安装 gridgis，或在「处理 → 选项 → 提供程序 → "
                          "gridgis」中设置其路径 (gridgis executable not found; set its path "
                          "in Processing options)")


def _runnable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def error_line(stderr: Sequence[str], code: int) -> str:
    """The one-line message of a failed run (its ``错误 / error:`` line when it printed one)."""
    for line in stderr:
        if line.startswith(_ERROR_MARK):
            return line[len(_ERROR_MARK):].strip()
    lines = [line.strip(" │╭╰─") for line in stderr if line.strip(" │╭╰─")]
    useful = [line for line in lines if not line.startswith(("Usage:", "Try "))]
    last = (useful or lines or [f"exit code {code}"])[-1]
    return f"gridgis 运行失败（退出码 {code}）：{last}"


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH")}
    env.update({"GRIDGIS_PROGRESS": "json", "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1",
                "COLUMNS": "160", "TERM": "dumb"})
    return env


def run_gridgis(executable: str, args: Sequence[str], *,
                on_progress: Callable[[float, str], None] | None = None,
                on_line: Callable[[str], None] | None = None,
                is_cancelled: Callable[[], bool] | None = None,
                ok_codes: Sequence[int] = (0,)) -> Completed:
    """Run ``executable args`` and follow it until it ends.

    Parameters
    ----------
    executable : str
        The ``gridgis`` program (:func:`find_gridgis`).
    args : sequence of str
        The command and its arguments, e.g. ``["validate", "plan.gpkg"]``.
    on_progress : callable, optional
        Called with ``(share 0-1, step)`` for every progress line.
    on_line : callable, optional
        Called with every other line of standard error.
    is_cancelled : callable, optional
        Polled while the command runs; True stops it.
    ok_codes : sequence of int
        Exit codes that are no failure (``validate`` ends with 1 on a plan with errors).

    Returns
    -------
    Completed

    Raises
    ------
    GridgisRunError
        On an exit code outside ``ok_codes`` (the one-line message), or when cancelled.
    """
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    proc = subprocess.Popen([executable, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=_environment(), encoding="utf-8", errors="replace",
                            creationflags=flags)
    lines: queue.Queue[str | None] = queue.Queue()
    chunks: list[str] = []

    def pump_err() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            lines.put(line.rstrip("\n"))
        lines.put(None)

    def pump_out() -> None:
        chunks.append(proc.stdout.read())  # type: ignore[union-attr]

    threads = [threading.Thread(target=pump_err, daemon=True),
               threading.Thread(target=pump_out, daemon=True)]
    for thread in threads:
        thread.start()
    stderr: list[str] = []
    ended = False
    while not ended:
        if is_cancelled is not None and is_cancelled():
            proc.kill()
            proc.wait()
            for stream in (proc.stdout, proc.stderr):
                stream.close()  # type: ignore[union-attr]
            raise GridgisRunError("已取消 (cancelled)")
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if line is None:
            ended = True
        elif not _progress(line, on_progress):
            stderr.append(line)
            if on_line is not None and line.strip():
                on_line(line)
    code = proc.wait()
    for thread in threads:
        thread.join()
    for stream in (proc.stdout, proc.stderr):
        stream.close()  # type: ignore[union-attr]
    if code not in ok_codes:
        raise GridgisRunError(error_line(stderr, code))
    return Completed(code, "".join(chunks), stderr)


def _progress(line: str, on_progress: Callable[[float, str], None] | None) -> bool:
    """Whether ``line`` is a progress line (handed to ``on_progress``)."""
    if not line.startswith('{"progress"'):
        return False
    try:
        step = json.loads(line)
        share = float(step["progress"])
    except (ValueError, KeyError, TypeError):
        return False
    if on_progress is not None:
        on_progress(share, str(step.get("step", "")))
    return True
