"""The small sample district's base information, generated once per session."""

from __future__ import annotations

import pytest

from gridgis.baseinfo import sample_baseinfo
from gridgis.index.grid import GridIndex


@pytest.fixture(scope="session")
def small_index(small_layers) -> GridIndex:
    return GridIndex.from_layers(small_layers)


@pytest.fixture(scope="session")
def small_baseinfo(small_layers, small_index):
    return sample_baseinfo(small_layers, index=small_index)


@pytest.fixture(scope="session")
def loaded_store(small_baseinfo, tmp_path_factory):
    """A store holding the small district's base information (read-only tests share it)."""
    from gridgis.baseinfo import load_sample
    from gridgis.store import SQLiteStore

    store = SQLiteStore(tmp_path_factory.mktemp("baseinfo") / "s.sqlite")
    load_sample(store.engine, small_baseinfo)
    yield store
    store.close()
