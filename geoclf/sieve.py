"""A class map cleaned of specks: patches smaller than a number of cells take the class around them.

A per-cell classifier leaves single cells of another class in a field (salt and pepper);
a map reader wants patches at the scale of the survey. GDAL's sieve filter (through
rasterio.features) merges each patch under the threshold into its largest neighbour.
The cleaned map keeps the original's colours, names, tags and QGIS style.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import rasterio
import rasterio.features

from .class_maps import open_class_map, read_legend
from .errors import SettingError
from .outputs import atomic_outputs, check_destination, sidecar
from .style import write_qml

CONNECTIVITIES = (4, 8)


def sieve_map(source: str | os.PathLike, output: str | os.PathLike, min_cells: int, connectivity: int = 4,
              overwrite: bool = False) -> int:
    """Write `output`: `source` with every patch under `min_cells` cells merged into a neighbour; returns how
    many cells changed class. Nodata cells are neither sieved nor used as neighbours."""
    if not isinstance(min_cells, (int, np.integer)) or min_cells < 1:
        raise SettingError("{min_cells} must be a whole number of cells, 1 or more, got {value}", value=min_cells)
    if connectivity not in CONNECTIVITIES:
        raise SettingError("{connectivity} must be 4 (edges) or 8 (edges and corners), got {value}", value=connectivity)
    check_destination(output, overwrite, reads=(source,), form="raster")
    check_destination(sidecar(output, ".qml"), overwrite, reads=(source,), form="style")
    with open_class_map(source) as src:
        codes = src.read(1)
        valid = codes != src.nodata if src.nodata is not None else np.ones(codes.shape, dtype=bool)
        sieved = rasterio.features.sieve(codes, size=int(min_cells), mask=valid, connectivity=connectivity)
        sieved[~valid] = codes[~valid]
        profile = {**src.profile, "compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256}
        if src.width < 256 or src.height < 256:
            profile.update(tiled=False, blockxsize=None, blockysize=None)
            profile = {key: value for key, value in profile.items() if value is not None}
        tags, description, legend = src.tags(), src.descriptions[0], read_legend(src)
        try:
            colormap = src.colormap(1)
        except ValueError:
            colormap = None
    style_source = sidecar(source, ".qml")
    with atomic_outputs({"sieved map": (output, "raster"), "sieved map's style": (sidecar(output, ".qml"), "style")}, overwrite) as temporaries:
        with rasterio.open(temporaries["sieved map"], "w", **profile) as dst:
            dst.write(sieved, 1)
            dst.update_tags(**tags)
            if description:
                dst.set_band_description(1, description)
            if colormap is not None:
                dst.write_colormap(1, colormap)
        if style_source.is_file():  # the user's own style, as they left it
            shutil.copyfile(style_source, temporaries["sieved map's style"])
        else:
            legend = legend.with_codes(np.unique(sieved[valid]))
            write_qml(temporaries["sieved map's style"], legend.names, legend.colors, legend.codes)
    return int(np.count_nonzero(sieved != codes))
