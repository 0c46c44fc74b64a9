"""Zip the QGIS plugin for "Install from ZIP": ``python qgis_plugin/package.py OUT.zip``.

The archive holds the folder ``gridgis_processing/`` (what QGIS unpacks into
its plugins folder), without caches.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

PLUGIN = Path(__file__).resolve().parent / "gridgis_processing"


def package(out: str | Path) -> Path:
    """Write the plugin's zip to ``out`` and return its path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PLUGIN.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                archive.write(path, Path(PLUGIN.name) / path.relative_to(PLUGIN))
    return out


if __name__ == "__main__":
    print(package(sys.argv[1] if len(sys.argv) > 1 else "dist/gridgis_processing.zip"))
