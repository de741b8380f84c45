"""The class map: every grid cell classified at its centre, written window by window.

Memory stays flat whatever the grid size: one window of cells is made, classified
and written at a time. The GeoTIFF carries a colour table and class names, and a
QGIS style sidecar (.qml) makes the legend show the species names.
"""

from __future__ import annotations

import contextlib
import json
import os
import xml.etree.ElementTree as ET
from typing import Callable

import numpy as np
import rasterio

from .colors import rgb255
from .errors import GeoclfError
from .features import GridInputs, check_covariates
from .grid import MAX_CELLS, Grid
from .model import Model
from .outputs import atomic_output, check_destination, sidecar

NODATA_CLASS = 255
BLOCK = 256  # GeoTIFF tile size and prediction window: 65,536 cells per forward pass
GDAL_CACHE_MB = 64


def class_band_description(model: Model) -> str:
    return f"{model.label}: " + ", ".join(f"{code}={name}" for code, name in enumerate(model.classes))


def predict_raster(
    model: Model,
    grid: Grid,
    path: str | os.PathLike,
    probabilities: str | os.PathLike | None = None,
    overwrite: bool = False,
    force: bool = False,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    resampling: str = "bilinear",
) -> None:
    """Write the class map (uint8 codes, nodata 255) and optionally one float32 probability band per class.

    A cell where any input is missing (a covariate's nodata, or outside its raster) is
    nodata. Covariates are resampled onto the grid with `resampling`.
    `progress(done, total)` is called with cell counts after each window.
    """
    if grid.cells > MAX_CELLS and not force:
        raise GeoclfError(
            f"the grid is {grid.width} x {grid.height} = {grid.cells:,} cells, over the limit of {MAX_CELLS:,}; "
            "use a coarser --resolution, or --force if you mean it"
        )
    specs = check_covariates(model.inputs)
    outputs = [path, sidecar(path, ".qml")] + ([probabilities] if probabilities else [])
    for output in outputs:
        check_destination(output, overwrite)
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
    with contextlib.ExitStack() as stack:
        # GDAL's block cache defaults to 5% of RAM; capped, memory stays flat for any grid size.
        stack.enter_context(rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB))
        inputs = stack.enter_context(GridInputs(specs, grid, model.crs, resampling))
        temporary = [stack.enter_context(atomic_output(output, overwrite)) for output in outputs]
        classes_out = stack.enter_context(
            rasterio.open(temporary[0], "w", count=1, dtype="uint8", nodata=NODATA_CLASS, **profile)
        )
        probs_out = None
        if probabilities:
            probs_out = stack.enter_context(
                rasterio.open(temporary[2], "w", count=count, dtype="float32", nodata=np.nan, predictor=3, **profile)
            )
        done = 0
        for window in grid.windows(BLOCK):
            values, valid = inputs.read(window)
            codes = np.full(len(valid), NODATA_CLASS, dtype=np.uint8)
            probs = np.full((len(valid), count), np.nan, dtype=np.float32)
            if valid.any():
                probs[valid] = model.predict_proba(values[valid], device=device)
                codes[valid] = probs[valid].argmax(axis=1)
            shape = (int(window.height), int(window.width))
            classes_out.write(codes.reshape(shape), 1, window=window)
            if probs_out is not None:
                probs_out.write(probs.T.reshape((count, *shape)), window=window)
            done += len(valid)
            if progress is not None:
                progress(done, grid.cells)
        _describe_class_raster(classes_out, model)
        if probs_out is not None:
            for band, name in enumerate(model.classes, start=1):
                probs_out.set_band_description(band, name)
            probs_out.update_tags(GEOCLF_CLASSES=json.dumps(model.classes))
            probs_out.close()
        classes_out.close()
        write_qml(temporary[1], model.classes, model.colors)


def _describe_class_raster(dataset, model: Model) -> None:
    dataset.write_colormap(1, {code: (*rgb255(color), 255) for code, color in enumerate(model.colors)})
    dataset.set_band_description(1, class_band_description(model))
    dataset.update_tags(
        GEOCLF_CLASSES=json.dumps(model.classes),
        GEOCLF_LABEL=model.label,
        **{f"CLASS_{code}": name for code, name in enumerate(model.classes)},
    )


def write_qml(path: str | os.PathLike, classes: list[str], colors: list[str]) -> None:
    """A QGIS layer style with a paletted renderer: QGIS loads it with the raster, legend and all."""
    root = ET.Element("qgis", version="3.22.0", styleCategories="AllStyleCategories")
    pipe = ET.SubElement(root, "pipe")
    renderer = ET.SubElement(
        pipe, "rasterrenderer", type="paletted", band="1", opacity="1", alphaBand="-1", nodataColor=""
    )
    ET.SubElement(renderer, "rasterTransparency")
    palette = ET.SubElement(renderer, "colorPalette")
    for code, (name, color) in enumerate(zip(classes, colors)):
        ET.SubElement(palette, "paletteEntry", value=str(code), color=color, alpha="255", label=name)
    ET.SubElement(root, "blendMode").text = "0"
    tree = ET.ElementTree(root)
    ET.indent(tree)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n")
        tree.write(handle, encoding="unicode")
        handle.write("\n")


def read_class_names(path: str | os.PathLike) -> list[str]:
    """Class names stored in a class map (or probability raster) written by geoclf."""
    with rasterio.open(path) as src:
        tags = src.tags()
    if "GEOCLF_CLASSES" not in tags:
        raise GeoclfError(f"{path} is not a class map written by geoclf; make one with `geoclf predict-raster`")
    return list(json.loads(tags["GEOCLF_CLASSES"]))
