"""One colour per class, shared by the GeoTIFF colour table, the QGIS style and the plots."""

from __future__ import annotations

from matplotlib import colormaps
from matplotlib.colors import to_hex, to_rgb


def class_colors(count: int) -> list[str]:
    """Distinct, print-safe colours as '#rrggbb': tab10, tab20, then an even spread of turbo."""
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
    return tuple(round(255 * c) for c in to_rgb(color))
