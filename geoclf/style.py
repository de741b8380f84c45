"""How a class map describes itself, so that it opens in QGIS with the species in the legend.

The GeoTIFF carries a colour table, the class names as band description and tags
(GEOCLF_CLASSES, CLASS_<code>), and a QGIS style sidecar (.qml) with a paletted
renderer; read_class_names reads the names back from any map geoclf wrote.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import rasterio

from .colors import rgb255
from .errors import GeoclfError

if TYPE_CHECKING:
    from .model import Model


def class_band_description(model: "Model") -> str:
    return f"{model.label}: " + ", ".join(f"{code}={name}" for code, name in enumerate(model.classes))


def describe_class_raster(dataset, model: "Model") -> None:
    """Colour table, band description and class-name tags on an open class map."""
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
