"""Fixtures of the mediation tests: the small district's cases, in a store on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridgis.mediation import MediationStore
from gridgis.mediation.sample import MediationSample, sample_mediation
from gridgis.store import SQLiteStore
from tests.service.conftest import (  # noqa: F401 - the service's fixtures
    anonymous,
    app,
    client,
    clock,
    desk,
    store,
)


@pytest.fixture(scope="session")
def mediation_sample(small_layers) -> MediationSample:
    """Three years of cases of the small district (about 1,600)."""
    return sample_mediation(small_layers, seed=7, per_year=500)


@pytest.fixture(scope="session")
def mediation_store(mediation_sample, tmp_path_factory: pytest.TempPathFactory
                    ) -> MediationStore:
    """The cases loaded in a SQLite store."""
    path: Path = tmp_path_factory.mktemp("mediation") / "store.sqlite"
    cases = MediationStore(SQLiteStore(path).engine)
    cases.load(mediation_sample.frames())
    return cases


@pytest.fixture(scope="session")
def case_index(mediation_store):
    """The similar-case index of the stored cases."""
    from gridgis.mediation.search import index_of_store

    return index_of_store(mediation_store)
