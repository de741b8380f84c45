"""How a class map describes itself, so that it opens in QGIS with the species in the legend.

The GeoTIFF carries a colour table, the label field's name as band description, the
class names and codes as tags (GEOCLF_CLASSES, GEOCLF_CODES, CLASS_<code>), and a QGIS
style sidecar (.qml) with a paletted renderer; read_class_codes reads them back from any
map geoclf wrote. Confidence rasters and predicted points get their QGIS styles here too.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import numpy as np
import rasterio

from .colors import rgb255
from .errors import GeoclfError

if TYPE_CHECKING:
    from .model import Model


def raster_codes(classes: list[str]) -> list[int]:
    """The value each class (in the model's order) takes in a class map.

    Numeric labels from 0 to 254 are codes already (land-cover 10, 20, 100; 255 is
    nodata): the map keeps them, so it matches the user's legend and other rasters.
    Any other labels take their position in the model's class list.
    """
    numbers = [int(name) for name in classes if name.isdigit()]
    if len(numbers) == len(classes) and all(number < 255 for number in numbers) and len(set(numbers)) == len(numbers):
        return numbers
    return list(range(len(classes)))


def code_lookup(classes: list[str]) -> np.ndarray | None:
    """A 256-entry table from the network's class index (255: nodata) to the map's code; None when they are equal."""
    codes = raster_codes(classes)
    if codes == list(range(len(classes))):
        return None
    lookup = np.full(256, 255, dtype=np.uint8)
    lookup[: len(codes)] = codes
    return lookup


def class_band_description(model: "Model") -> str:
    """The label field's name: QGIS heads the legend with 'Band 1: DESCRIPTION', above the classes' own entries."""
    return model.label


def describe_class_raster(dataset, model: "Model") -> None:
    """Colour table, band description and class-name tags (by the map's own codes) on an open class map."""
    codes = raster_codes(model.classes)
    dataset.write_colormap(1, {code: (*rgb255(color), 255) for code, color in zip(codes, model.colors)})
    dataset.set_band_description(1, class_band_description(model))
    dataset.update_tags(
        GEOCLF_CLASSES=json.dumps(model.classes),
        GEOCLF_CODES=json.dumps(codes),
        GEOCLF_LABEL=model.label,
        **{f"CLASS_{code}": name for code, name in zip(codes, model.classes)},
    )


def write_qml(path: str | os.PathLike, classes: list[str], colors: list[str], codes: list[int] | None = None) -> None:
    """A QGIS layer style with a paletted renderer: QGIS loads it with the raster, legend and all.

    The codes are the classes' values in the map (by default, as geoclf writes them: raster_codes)."""
    root = ET.Element("qgis", version="3.22.0", styleCategories="AllStyleCategories")
    pipe = ET.SubElement(root, "pipe")
    renderer = ET.SubElement(
        pipe, "rasterrenderer", type="paletted", band="1", opacity="1", alphaBand="-1", nodataColor=""
    )
    ET.SubElement(renderer, "rasterTransparency")
    palette = ET.SubElement(renderer, "colorPalette")
    for code, name, color in zip(codes if codes is not None else raster_codes(classes), classes, colors):
        ET.SubElement(palette, "paletteEntry", value=str(code), color=color, alpha="255", label=name)
    ET.SubElement(root, "blendMode").text = "0"
    _write_style(root, path)


SYMBOL_LAYERS = {  # how one class is drawn: (symbol type, QGIS symbol layer class, its options)
    "point": ("marker", "SimpleMarker", (("name", "circle"), ("size", "2.6"), ("outline_color", "35,35,35,255"), ("outline_width", "0.2"))),
    "polygon": ("fill", "SimpleFill", (("style", "solid"), ("outline_style", "no"))),
}


def categories_qml(classes: list[str], colors: list[str], column: str, geometry: str = "point") -> str:
    """A QGIS style for a point or polygon layer: one category per class of `column`, in the class map's colours."""
    kind, layer_class, extra = SYMBOL_LAYERS[geometry]
    root = ET.Element("qgis", version="3.22.0", styleCategories="Symbology")
    renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=column, symbollevels="0", enableorderby="0",
                             forceraster="0")
    categories, symbols = ET.SubElement(renderer, "categories"), ET.SubElement(renderer, "symbols")
    for index, (name, color) in enumerate(zip(classes, colors)):
        ET.SubElement(categories, "category", symbol=str(index), value=name, label=name, render="true")
        symbol = ET.SubElement(symbols, "symbol", type=kind, name=str(index), alpha="1", clip_to_extent="1", force_rhr="0")
        layer = ET.SubElement(symbol, "layer", {"class": layer_class, "enabled": "1", "pass": "0", "locked": "0"})
        options = ET.SubElement(layer, "Option", type="Map")
        for key, value in (("color", ",".join(map(str, (*rgb255(color), 255)))), *extra):
            ET.SubElement(options, "Option", type="QString", name=key, value=value)
    return _style_text(root)


CONFIDENCE_RAMP = ((0.0, "#d7191c"), (0.5, "#fdae61"), (0.75, "#ffffbf"), (0.9, "#a6d96a"), (1.0, "#1a9641"))  # unsure red, sure green
PROBABILITY_RAMP = ((0.0, "#f7fbff"), (0.25, "#c6dbef"), (0.5, "#6baed6"), (0.75, "#2171b5"), (1.0, "#08306b"))  # none pale, sure dark


def write_ramp_qml(path: str | os.PathLike, ramp=CONFIDENCE_RAMP, band: int = 1) -> None:
    """A QGIS style showing one band of values from 0 to 1 on a colour ramp, with its legend: a confidence raster
    from unsure (red) to sure (green), or a probability raster's first class (another band: Layer Properties)."""
    root = ET.Element("qgis", version="3.22.0", styleCategories="AllStyleCategories")
    renderer = ET.SubElement(
        ET.SubElement(root, "pipe"), "rasterrenderer", type="singlebandpseudocolor", band=str(band), opacity="1", alphaBand="-1",
        classificationMin="0", classificationMax="1", nodataColor="",
    )
    ET.SubElement(renderer, "rasterTransparency")
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader", colorRampType="INTERPOLATED",
                           classificationMode="1", clip="0", minimumValue="0", maximumValue="1")
    for value, color in ramp:
        ET.SubElement(shader, "item", value=f"{value:g}", color=color, alpha="255", label=f"{value:g}")
    ET.SubElement(root, "blendMode").text = "0"
    _write_style(root, path)


def _style_text(root: ET.Element) -> str:
    """A QGIS style document (.qml), indented as QGIS writes it."""
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def _write_style(root: ET.Element, path: str | os.PathLike) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(_style_text(root))


def read_class_names(path: str | os.PathLike) -> list[str]:
    """Class names stored in a class map (or probability raster) written by geoclf."""
    return read_class_codes(path)[0]


def read_class_codes(path: str | os.PathLike) -> tuple[list[str], list[int]]:
    """(class names, the code of each in the map) stored in a class map written by geoclf."""
    with rasterio.open(path) as src:
        tags = src.tags()
    if "GEOCLF_CLASSES" not in tags:
        raise GeoclfError(f"{path} is not a class map written by geoclf; make one with `geoclf predict-raster`")
    classes = list(json.loads(tags["GEOCLF_CLASSES"]))
    return classes, list(json.loads(tags.get("GEOCLF_CODES", "null")) or range(len(classes)))
