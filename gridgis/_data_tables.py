"""Tables a district may replace: the package's own CSV, or the user's file of the same columns."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["read_data_table"]


def read_data_table(path: str | os.PathLike[str] | None, shipped: str
                    ) -> tuple[pd.DataFrame, object]:
    """Every cell as text, from ``path`` or, without one, ``gridgis/data/<shipped>``.

    Returns
    -------
    (pandas.DataFrame, object)
        The table (no value read as missing) and where it came from for
        messages: the path, or ``"(shipped)"``.

    Raises
    ------
    FileNotFoundError
        When ``path`` is given and is no file (the caller says which table).
    """
    if path is None:
        source = resources.files("gridgis").joinpath(f"data/{shipped}")
        with resources.as_file(source) as file:
            return pd.read_csv(file, dtype=str, keep_default_na=False), "(shipped)"
    if not Path(path).is_file():
        raise FileNotFoundError(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False), Path(path)
