"""Shared fixtures: the sample district, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridgis import Layers, sample_district, write_layers


@pytest.fixture(scope="session")
def sample_layers() -> Layers:
    """The full built-in sample district (generated in about two seconds)."""
    return sample_district()


@pytest.fixture(scope="session")
def small_layers() -> Layers:
    """A small sample district for tests that copy or edit layers."""
    return sample_district(scale=0.1, seed=7)


@pytest.fixture(scope="session")
def small_gpkg(small_layers: Layers, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small district written to a GeoPackage."""
    return write_layers(small_layers, tmp_path_factory.mktemp("district") / "small.gpkg")
