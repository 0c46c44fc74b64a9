"""Two service processes on one store: one transition wins, one report per key, ids unique.

The store's guarantees (optimistic concurrency on the incident's version,
idempotent reports, daily numbers, the hash-chained trail) must hold between
processes, not only between threads of one: several service workers share a
SQLite file or a PostGIS database. Each round, both processes are released
together by a barrier onto the same incident and the same idempotency key.
"""

from __future__ import annotations

import multiprocessing

from gridgis.store import IncidentQuery
from tests.store_worker import ROUNDS, WAIT_LIMIT_S, race
from tests.test_store import T0, ev, record


def test_two_processes_race_on_one_store(backend):
    store = backend.open()
    ids = [store.create(record(), ev())[0]["incident_id"] for _ in range(ROUNDS)]
    store.close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    out = context.Queue()
    workers = [context.Process(target=race, args=(backend.spec, str(backend.folder / "a"),
                                                  ids, name, barrier, out))
               for name in ("worker-1", "worker-2")]
    for w in workers:
        w.start()
    results = dict(out.get(timeout=2 * WAIT_LIMIT_S) for _ in workers)
    for w in workers:
        w.join(timeout=WAIT_LIMIT_S)
        assert w.exitcode == 0
    one, two = results["worker-1"], results["worker-2"]
    assert isinstance(one, list) and isinstance(two, list), results
    assert len(one) == len(two) == ROUNDS

    store = backend.open()
    for i, incident_id in enumerate(ids):  # one transition won, the other was refused
        outcomes = sorted((one[i][0], two[i][0]))
        assert outcomes == ["conflict", "won"], (i, outcomes)
        winner = "worker-1" if one[i][0] == "won" else "worker-2"
        stored = store.get(incident_id)
        assert (stored["version"], stored["status"], stored["unit_id"]) == (
            2, "accepted", winner)
        assert [e["actor"] for e in store.events(incident_id)] == ["tester", winner]
    for a, b in zip(one, two, strict=True):  # one report per idempotency key
        assert a[1] == b[1] and sorted((a[2], b[2])) == [False, True]
    fresh = [r[3] for r in one + two]
    keyed = [r[1] for r in one]
    assert len(set(fresh + keyed + ids)) == 4 * ROUNDS  # every number given once
    assert store.query(IncidentQuery(now=T0, limit=1)).matched == 4 * ROUNDS
    assert store.audit() == (ROUNDS * 2 + 3 * ROUNDS, [])  # every chain holds
    store.close()
