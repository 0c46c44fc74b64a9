"""A Dask ``distributed`` client: a local cluster by default, or a scheduler's address."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

__all__ = ["dask_client"]


@contextlib.contextmanager
def dask_client(address: str | None = None, *, workers: int = 2,
                threads_per_worker: int = 1) -> Iterator[Any]:
    """A ``distributed.Client`` for the duration of a ``with`` block.

    Parameters
    ----------
    address : str, optional
        A running scheduler (``tcp://host:8786``: ``dask scheduler`` and
        ``dask worker`` on any machines that see the same files). None: a local
        cluster of worker processes on this machine, closed afterwards.
    workers : int, default 2
        Worker processes of the local cluster.
    threads_per_worker : int, default 1
        Threads of each local worker (the assignment kernels are compiled and
        release the GIL; one thread a process keeps one kernel a core).

    Yields
    ------
    distributed.Client
    """
    from distributed import Client, LocalCluster

    if address is not None:
        with Client(address) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker,
                      processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client
