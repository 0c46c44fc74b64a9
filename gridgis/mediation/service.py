"""The mediation platform as the service uses it: the store and an index kept fresh."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from gridgis.mediation.materials import MaterialIndex, material_version, materials_frame
from gridgis.mediation.search import CaseIndex, index_of_store
from gridgis.mediation.store import MediationStore

__all__ = ["MediationService"]


class MediationService:
    """The mediation store of a service, its similar-case and learning-material indexes.

    The index is built on first use (words segmented then are kept in the
    store, so the next build only reads them) and built again when the
    cases change (their count or last id).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The incidents' store engine (the mediation tables are made there).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.store = MediationStore(engine)
        self._index: CaseIndex | None = None
        self._version: tuple[object, ...] | None = None
        self._lock = threading.Lock()
        self._materials: MaterialIndex | None = None
        self._materials_version: tuple[object, ...] | None = None

    def index(self) -> CaseIndex:
        """The similar-case index of the store's cases as they stand."""
        version = self.store.version()
        with self._lock:
            if self._index is None or version != self._version:
                self._index = index_of_store(self.store)
                self._version = version
            return self._index

    def materials(self) -> MaterialIndex:
        """The learning material's index as the material stands."""
        version = material_version(self.store)
        with self._lock:
            if self._materials is None or version != self._materials_version:
                self._materials = MaterialIndex(materials_frame(self.store))
                self._materials_version = version
            return self._materials
