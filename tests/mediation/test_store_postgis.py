"""The mediation tables on a PostGIS store answer as on the SQLite one."""

from __future__ import annotations

import pandas as pd

from gridgis.mediation import MediationStore, case_scope
from gridgis.people import StaffMember


def test_the_cases_read_alike_on_postgis(postgis, mediation_sample, mediation_store):
    store = postgis.open()
    cases = MediationStore(store.engine)
    assert cases.load(mediation_sample.frames()) == len(mediation_sample.cases)
    assert cases.count() == mediation_store.count()
    town = mediation_sample.cases["grid_code"].str[:9].value_counts().index[0]
    person = StaffMember("jd01", "李敏", "township", town)
    for scope in (None, case_scope(person)):
        ours = cases.cases(scope=scope).sort_values("case_id").reset_index(drop=True)
        theirs = mediation_store.cases(scope=scope).sort_values("case_id").reset_index(
            drop=True)
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    store.close()
