"""A class map as polygons: one feature per patch of a class, with its name, code and area.

Polygons go where rasters do not: a field plan, a report's table, a join with parcels.
GDAL's polygonize (through rasterio.features.shapes) traces each patch of equal cells;
the layer is written whole or not at all, with a QGIS style in the map's colours.
"""

from __future__ import annotations

import os

import geopandas as gpd
import numpy as np
import pyproj
import rasterio.features
from shapely.geometry import shape

from .class_maps import Legend, open_class_map, read_legend
from .outputs import check_destination, sidecar
from .samples import write_layer
from .style import categories_qml

CODE_FIELD, AREA_FIELD = "code", "area_ha"


def class_polygons(source: str | os.PathLike, connectivity: int = 4) -> tuple[gpd.GeoDataFrame, Legend]:
    """The patches of the map as polygons, with the class name (in a field named as the map's label), code and
    area in hectares (on the ellipsoid in a geographic CRS); and the map's legend, with every code found."""
    with open_class_map(source) as src:
        codes = src.read(1)
        valid = codes != src.nodata if src.nodata is not None else None
        legend = read_legend(src)
        crs = pyproj.CRS(src.crs.to_wkt())
        found = [(shape(geometry), int(value)) for geometry, value in
                 rasterio.features.shapes(codes, mask=valid, connectivity=connectivity, transform=src.transform)]
    legend = legend.with_codes(np.unique([code for _, code in found]))
    frame = gpd.GeoDataFrame(
        {legend.label: [legend.name_of(code) for _, code in found], CODE_FIELD: np.array([code for _, code in found], dtype=np.int32)},
        geometry=[geometry for geometry, _ in found], crs=crs,
    )
    frame[AREA_FIELD] = polygon_hectares(frame)
    return frame, legend


def polygon_hectares(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Each polygon's area in hectares: on the CRS's ellipsoid when it is geographic, else in its unit squared."""
    crs = frame.crs
    if crs.is_geographic:
        geod = crs.get_geod()
        return np.array([abs(geod.geometry_area_perimeter(geometry)[0]) for geometry in frame.geometry]) / 1e4
    metres = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return frame.geometry.area.to_numpy() * metres**2 / 1e4


def vectorize_map(source: str | os.PathLike, output: str | os.PathLike, connectivity: int = 4, overwrite: bool = False,
                  layer: str = "classes") -> int:
    """Write the map's patches to `output` (a GeoPackage, with a .qml style beside it); returns how many polygons."""
    check_destination(output, overwrite, reads=(source,), form="polygons")
    check_destination(sidecar(output, ".qml"), overwrite, reads=(source,), form="style")  # before the work, not after
    frame, legend = class_polygons(source, connectivity)
    style = categories_qml(legend.names, legend.colors, legend.label, geometry="polygon")
    write_layer(frame, output, layer=layer, overwrite=overwrite, style=style, form="polygons")
    return len(frame)
