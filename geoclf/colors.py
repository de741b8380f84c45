"""One colour per class, shared by the GeoTIFF colour table, the QGIS style and the plots."""

from __future__ import annotations


def class_colors(count: int) -> list[str]:
    """Distinct, print-safe colours as '#rrggbb': tab10, tab20, then an even spread of turbo."""
    from matplotlib import (
        colormaps,  # only when a model is made: predict-raster should not pay for it
    )
    from matplotlib.colors import to_hex

    if count <= 10:
        source = colormaps["tab10"].colors
    elif count <= 20:
        source = colormaps["tab20"].colors
    else:
        turbo = colormaps["turbo"]
        source = [turbo(i / max(count - 1, 1)) for i in range(count)]
    return [to_hex(color) for color in source[:count]]


def rgb255(color: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b) in 0..255, as GDAL colour tables want."""
    value = color.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))


def hex_color(rgb) -> str:
    """(r, g, b) in 0..255 -> '#rrggbb', the inverse of rgb255 (colours read from a GDAL colour table)."""
    return "#" + "".join(f"{int(v):02x}" for v in rgb[:3])
