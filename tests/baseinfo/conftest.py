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
