"""One colour per class, shared by the GeoTIFF colour table, the QGIS style and the plots.

The default palette is tab10 in class order; a user names the colours a legend should have
(water blue, forest green) with `--colors water=#1f78b4,forest=tab:green`.
"""

from __future__ import annotations

from .errors import SettingError


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


def parse_color_pairs(text: str) -> dict[str, str]:
    """'water=blue, urban=#e31a1c' -> {'water': '#0000ff', 'urban': '#e31a1c'}: any colour matplotlib reads."""
    from matplotlib.colors import to_hex

    pairs = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, equals, color = (part.strip() for part in item.rpartition("="))
        if not equals or not name or not color:
            raise SettingError("{colors} takes CLASS=COLOUR pairs, comma-separated (water=#1f78b4,forest=green); got {item!r}", item=item)
        try:
            pairs[name] = to_hex(color)
        except ValueError:
            raise SettingError("{colors}: {color!r} is not a colour; give #rrggbb or a name such as blue or tab:green",
                               color=color) from None
    return pairs


def colors_for(classes: list[str], given: str | None = None) -> list[str]:
    """The default palette for `classes`, with the colours `given` (CLASS=COLOUR pairs) in place of their classes'."""
    colors = class_colors(len(classes))
    if not given:
        return colors
    pairs = parse_color_pairs(given)
    unknown = sorted(set(pairs) - set(classes))
    if unknown:
        raise SettingError("{colors} names {unknown}, not a class of the samples ({classes})",
                           unknown=", ".join(map(repr, unknown)), classes=", ".join(map(repr, classes)))
    return [pairs.get(name, color) for name, color in zip(classes, colors)]
