"""The people's mediation data platform (人民调解): cases, registries, similar cases, warnings.

- :mod:`gridgis.mediation.names`: dispute types, outcomes, referrals, organisation kinds;
- :mod:`gridgis.mediation.tables`: the tables, made in the incidents' store where missing;
- :mod:`gridgis.mediation.access`: who reads which case, parties masked;
- :mod:`gridgis.mediation.store`: reading and writing them;
- :mod:`gridgis.mediation.sample`: three years of cases for the sample district;
- :mod:`gridgis.mediation.text` and :mod:`gridgis.mediation.search`: Chinese words and
  BM25 similar-case search;
- :mod:`gridgis.mediation.warning`: early warning by area × type × month and more.
"""

from gridgis.mediation.access import CaseScope, case_scope
from gridgis.mediation.names import DISPUTE_TYPES, DisputeType
from gridgis.mediation.store import CaseNotFoundError, MediationStore

__all__ = ["DISPUTE_TYPES", "CaseNotFoundError", "CaseScope", "DisputeType", "MediationStore",
           "case_scope"]
