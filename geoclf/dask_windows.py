"""Drawing a class map on a Dask cluster: windows go out to workers, arrays come back to be written.

Each worker receives the WindowPredictor once (the model travels as its file's bytes)
and classifies the windows it is given with the same code as a local run, so the map
is the same, cell for cell. The client writes the windows as they arrive, and keeps
only a few in flight per worker, so its memory stays flat too.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from rasterio.windows import Window

from .errors import GeoclfError, SettingError
from .windows import WindowPredictor, WindowResult

IN_FLIGHT_PER_WORKER = 4


def _compute(predictor: WindowPredictor, window: Window) -> WindowResult:
    return predictor.compute(window)


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None):
    """A client of the cluster at `scheduler` (tcp://host:port), or of a local cluster of `workers` processes.

    Exactly one of the two is given: MapSettings.check refuses both, and predict_raster
    asks for a client only when one is set.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SettingError("{scheduler} and {workers} need dask.distributed: pip install 'dask[distributed]'") from None
    with contextlib.ExitStack() as stack:
        if workers is not None:
            cluster = stack.enter_context(
                LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
            )
            address = cluster
        else:
            address = scheduler
        try:
            client = stack.enter_context(Client(address, timeout="10s"))
        except (OSError, TimeoutError) as error:
            raise GeoclfError(f"cannot reach the Dask scheduler at {scheduler}: {error}; check the address and that it runs") from None
        yield client


def dask_results(client) -> "callable":
    """A `results` function for predict_raster that computes the windows on `client`'s workers."""

    def results(predictor: WindowPredictor, windows: list[Window]) -> Iterator[WindowResult]:
        from dask.distributed import as_completed

        [shared] = client.scatter([predictor], broadcast=True)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        pending = iter(windows)
        futures = as_completed()
        for window in pending:
            futures.add(client.submit(_compute, shared, window, pure=False))
            if futures.count() >= IN_FLIGHT_PER_WORKER * workers:
                break
        try:
            for future in futures:
                yield future.result()
                following = next(pending, None)
                if following is not None:
                    futures.add(client.submit(_compute, shared, following, pure=False))
        finally:
            for future in futures.futures:
                future.cancel()

    return results
