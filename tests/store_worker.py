"""One of two service processes racing on one store (run by tests/test_store_processes.py)."""

from __future__ import annotations

from typing import Any

ROUNDS = 12
WAIT_LIMIT_S = 300  # a bound for a wait on the other process (imports, a lock), not a timing claim


def race(spec: str, folder: str, ids: list[str], name: str, barrier: Any, out: Any) -> None:
    """Open the store, then race the other process: transitions, keyed and new reports.

    Each round both processes wait at the barrier, then move the same incident
    from version 1 (one may win), report under the same idempotency key (one
    creates) and report a new matter (both create). Puts ``(name, results)``
    on ``out``: per round the outcome of the transition, the keyed report's
    id and whether this process created it, and the new report's id; or
    ``(name, error)`` when anything failed (the barrier is broken then, so the
    other process stops too instead of waiting).
    """
    from gridgis.errors import ConflictError
    from gridgis.store import Event, open_store
    from tests.test_store import T0, ev, record

    extra = {"attachments_folder": folder} if spec.startswith("postgresql") else {}
    results: list[tuple[str, str, bool, str]] = []
    try:
        store = open_store(spec, **extra)
        try:
            for i, incident_id in enumerate(ids):
                barrier.wait(timeout=WAIT_LIMIT_S)
                try:
                    store.update(incident_id, expected_version=1,
                                 changes={"status": "accepted", "unit_id": name},
                                 event=Event(at=T0, actor=name, role="community",
                                             action="accept", from_state="reported",
                                             to_state="accepted"))
                    moved = "won"
                except ConflictError:
                    moved = "conflict"
                keyed, created = store.create(record(description=f"{name} {i}"), ev(),
                                              idempotency_key=f"round-{i}")
                fresh, _ = store.create(record(description=f"{name} new {i}"), ev())
                results.append((moved, keyed["incident_id"], created, fresh["incident_id"]))
        finally:
            store.close()
    except BaseException as exc:  # reported to the test, which fails with it
        barrier.abort()
        out.put((name, f"{type(exc).__name__}: {exc}"))
        return
    out.put((name, results))
