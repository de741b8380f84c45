"""The class map written: every window's arrays into GeoTIFFs (or COGs), whole or not at all.

Memory stays flat whatever the grid size: one window of cells is classified
(windows.py) and written at a time. The GeoTIFF carries a colour table and class
names, and a QGIS style sidecar (.qml) makes the legend show the species names (style.py).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.windows import Window

from .config import MapSettings
from .errors import SettingError
from .grid import MAX_CELLS, Grid
from .inputs import check_covariates
from .masks import Mask
from .model import Model
from .network import resolve_device
from .outputs import atomic_outputs, check_destination, check_distinct, sidecar
from .style import CONFIDENCE_RAMP, PROBABILITY_RAMP, code_lookup, describe_class_raster, write_qml, write_ramp_qml
from .windows import BLOCK, NODATA_CLASS, WindowPredictor, WindowResult

GDAL_CACHE_MB = 64
WRITE_AHEAD = 2  # windows computed but not yet written, at most


@dataclass(frozen=True)
class MapOutputs:
    """The files a class map goes to: the classes and optionally the probabilities and the confidence, each with a .qml
    style beside it that QGIS loads with the raster."""

    classes: str | os.PathLike
    probabilities: str | os.PathLike | None = None
    confidence: str | os.PathLike | None = None
    overwrite: bool = False
    FORMS = {"classes": "raster", "classes' style": "style", "probabilities": "raster", "probabilities' style": "style",
             "confidence": "raster", "confidence's style": "style"}

    def check(self, reads=()) -> None:
        """Before any work: no two outputs on one path, each named for its format, writable, and none of them a
        file the work `reads` (the model, its covariates, an extent or mask file)."""
        paths = self.paths()
        styles = {role for role in paths if self.FORMS[role] == "style"}
        # The rasters the user named first: their own faults (an input, a wrong extension) are often why sidecars meet.
        for role, path in paths.items():
            if role not in styles:
                check_destination(path, self.overwrite, reads=reads, form=self.FORMS[role])
        check_distinct(paths.items())
        for role in styles:
            check_destination(paths[role], self.overwrite, reads=reads, form="style")

    def paths(self) -> dict[str, str | os.PathLike]:
        """Every file written, by role: classes, style, and the optional rasters asked for."""
        paths = {"classes": self.classes, "classes' style": sidecar(self.classes, ".qml")}
        if self.probabilities:
            paths["probabilities"] = self.probabilities
            paths["probabilities' style"] = sidecar(self.probabilities, ".qml")
        if self.confidence:
            paths["confidence"] = self.confidence
            paths["confidence's style"] = sidecar(self.confidence, ".qml")
        return paths


def predict_raster(
    model: Model,
    grid: Grid,
    outputs: MapOutputs | str | os.PathLike,
    *,
    settings: MapSettings = MapSettings(),
    mask: Mask | None = None,
    progress: Callable[[int, int], None] | None = None,
    results: Callable[[WindowPredictor, list[Window]], Iterable[WindowResult]] | None = None,
) -> None:
    """Write the class map (uint8 codes, nodata 255), and optionally probabilities and confidence (float32).

    `outputs` is a MapOutputs, or the class map's path alone. A cell where any input is
    missing (a covariate's nodata, or outside its raster) or outside `mask` is nodata.
    The windows are computed here, one after the other, or on a Dask cluster when the
    settings name one (geoclf.dask_windows), or by `results(predictor, windows)` when
    given. `progress(done, total)` counts cells.
    """
    settings.check()
    if not isinstance(outputs, MapOutputs):
        outputs = MapOutputs(outputs)
    if grid.cells > MAX_CELLS and not settings.force:
        raise SettingError(
            "the grid is {width} x {height} = {cells:,} cells, over the limit of {most:,}; use a coarser {resolution}, "
            "or {force} if you mean it", width=grid.width, height=grid.height, cells=grid.cells, most=MAX_CELLS,
        )
    model = model.with_inputs(check_covariates(model.inputs))
    outputs.check(reads=[spec.path for spec in model.inputs])
    paths = outputs.paths()
    measure = settings.confidence_measure if outputs.confidence else None
    device = resolve_device(settings.device)
    predictor = WindowPredictor(model, grid, bool(outputs.probabilities), measure, mask, settings.resampling, device)
    windows = list(grid.windows(BLOCK))
    with contextlib.ExitStack() as stack:
        stack.callback(predictor.close)
        if results is None and (settings.workers is not None or settings.scheduler):
            from .dask_windows import dask_client, dask_results

            results = dask_results(stack.enter_context(dask_client(settings.scheduler or None, settings.workers)))
        # GDAL's block cache defaults to 5% of RAM; capped, memory stays flat for any grid size.
        stack.enter_context(rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB))
        final = stack.enter_context(atomic_outputs({role: (path, MapOutputs.FORMS[role]) for role, path in paths.items()}, outputs.overwrite))
        # As COGs, GeoTIFFs are written beside the final temporaries first, then copied as COGs.
        written = {name: (_intermediate(p) if settings.cog else p) for name, p in final.items() if not name.endswith("style")}
        if settings.cog:
            for intermediate in written.values():
                stack.callback(_remove, intermediate)
        datasets = _open_outputs(stack, written, grid, model)
        stream = results(predictor, windows) if results is not None else (predictor.compute(w) for w in windows)
        _write_behind(stream, datasets, code_lookup(model.classes), progress, grid.cells)
        for dataset in datasets.values():
            dataset.close()
        if settings.cog:
            for name, intermediate in written.items():
                _copy_as_cog(intermediate, final[name], "MODE" if name == "classes" else "AVERAGE")
        write_qml(final["classes' style"], model.classes, model.colors)
        if "probabilities' style" in final:
            write_ramp_qml(final["probabilities' style"], PROBABILITY_RAMP)
        if "confidence's style" in final:
            write_ramp_qml(final["confidence's style"], CONFIDENCE_RAMP)


def _write_behind(stream: Iterable[WindowResult], datasets: dict, lookup, progress, cells: int) -> None:
    """Each window's arrays written on a thread of their own while the next window is computed.

    GDAL compresses and writes without the GIL, so the writer overlaps the forward pass
    instead of waiting for it. At most WRITE_AHEAD windows wait to be written: memory
    stays flat. A write's error is raised here, at the next window.
    """

    def write(result: WindowResult) -> None:
        datasets["classes"].write(result.codes if lookup is None else lookup[result.codes], 1, window=result.window)
        if "probabilities" in datasets:
            datasets["probabilities"].write(result.probabilities, window=result.window)
        if "confidence" in datasets:
            datasets["confidence"].write(result.confidence, 1, window=result.window)

    done, pending = 0, collections.deque()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="geoclf-writer") as writer:
        for result in stream:
            pending.append(writer.submit(write, result))
            while len(pending) > WRITE_AHEAD:
                pending.popleft().result()
            done += result.codes.size
            if progress is not None:
                progress(done, cells)
        while pending:
            pending.popleft().result()


def _intermediate(path: Path) -> Path:
    return path.with_name(path.stem + ".gtiff" + path.suffix)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _open_outputs(stack: contextlib.ExitStack, paths: dict, grid: Grid, model: Model) -> dict:
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "transform": grid.transform,
        "crs": rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()) if grid.crs is not None else None,
        "tiled": True,
        "blockxsize": BLOCK,
        "blockysize": BLOCK,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    count = len(model.classes)
    datasets = {"classes": stack.enter_context(rasterio.open(paths["classes"], "w", count=1, dtype="uint8", nodata=NODATA_CLASS, **profile))}
    describe_class_raster(datasets["classes"], model)
    # Probabilities are 12x the bytes of the classes: Zstandard level 1 with the floating-point predictor packs them as
    # small as deflate does at twice its speed (benchmarks/predict_raster.py), and GDAL reads it since 2.3.
    # (GDAL's NUM_THREADS compression gained 8% more but cost 120 MB of memory: not used.)
    floats = {**profile, "compress": "zstd", "zstd_level": 1, "predictor": 3, "dtype": "float32", "nodata": np.nan}
    if "probabilities" in paths:
        dataset = stack.enter_context(rasterio.open(paths["probabilities"], "w", count=count, **floats))
        for band, name in enumerate(model.classes, start=1):
            dataset.set_band_description(band, name)
        dataset.update_tags(GEOCLF_CLASSES=json.dumps(model.classes))
        datasets["probabilities"] = dataset
    if "confidence" in paths:
        dataset = stack.enter_context(rasterio.open(paths["confidence"], "w", count=1, **floats))
        datasets["confidence"] = dataset
    return datasets


def _copy_as_cog(source: Path, target: Path, overview_resampling: str) -> None:
    """A Cloud Optimized GeoTIFF copy, with overviews (mode for classes, so no class is invented)."""
    rasterio.shutil.copy(
        source, target, driver="COG", COMPRESS="DEFLATE", BLOCKSIZE=BLOCK, OVERVIEWS="AUTO",
        OVERVIEW_RESAMPLING=overview_resampling, BIGTIFF="IF_SAFER",
    )
