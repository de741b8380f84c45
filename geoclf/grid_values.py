"""Input values on a grid, window by window: cell centres in the model's CRS and covariates through WarpedVRTs.

Values come with a validity mask: a cell where a covariate is nodata is nodata in the
map, not a guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .choices import RESAMPLINGS
from .crs import is_geographic, wrap_longitudes, xy_transform
from .errors import GeoclfError, SettingError
from .inputs import InputSpec

if TYPE_CHECKING:
    from .grid import Grid


class GridInputs:
    """Input values for every cell of a grid, window by window.

    Covariates are opened once as WarpedVRTs aligned to the grid (reprojected and
    resampled on the fly), so rasters in any CRS or resolution just work.
    """

    def __init__(self, specs: list[InputSpec], grid: "Grid", model_crs, resampling: str = "bilinear"):
        import rasterio
        from rasterio.enums import Resampling
        from rasterio.vrt import WarpedVRT

        if resampling not in RESAMPLINGS:
            raise SettingError("unknown {resampling} {value!r}; choose from {allowed}", value=resampling, allowed=", ".join(RESAMPLINGS))
        attributes = [spec.name for spec in specs if spec.kind == "attribute"]
        if attributes:
            raise GeoclfError(
                f"the model uses attribute inputs ({', '.join(attributes)}), known only at sample points, so it cannot "
                "draw a raster; use predict-points or evaluate, or train with covariate rasters instead"
            )
        self.specs, self.grid = specs, grid
        if model_crs is not None and grid.crs is None:
            raise GeoclfError(f"the grid has no CRS but the model is in {model_crs.to_string()}; give a grid with a CRS")
        self._to_model = xy_transform(grid.crs, model_crs)
        self._geographic = is_geographic(model_crs)
        self._sources, self._vrts = [], {}
        if any(spec.kind == "covariate" for spec in specs) and grid.crs is None:
            raise GeoclfError("the grid has no CRS, so covariate rasters cannot be aligned to it; give a grid with a CRS")
        for spec in specs:
            if spec.kind == "covariate":
                source = rasterio.open(spec.path)
                self._sources.append(source)
                self._vrts[spec.name] = WarpedVRT(
                    source, crs=grid.crs.to_wkt(), transform=grid.transform, width=grid.width, height=grid.height,
                    resampling=Resampling[resampling], src_nodata=source.nodatavals[spec.band - 1], nodata=np.nan,
                    dtype="float64",
                )

    def read(self, window) -> tuple[np.ndarray, np.ndarray]:
        """(values (cells, inputs), valid (cells,)) for the window's cells, row-major."""
        x, y = self.grid.cell_centers(window)
        if self._to_model is not None and any(spec.kind == "coordinate" for spec in self.specs):
            x, y = self._to_model(x, y)
        if self._geographic:  # a grid across the antimeridian runs past 180; the network learned [-180, 180)
            x = wrap_longitudes(x)
        columns, valid = [], np.ones(x.shape, dtype=bool)
        for spec in self.specs:
            if spec.kind == "coordinate":
                columns.append(x if spec.name == "x" else y)
                continue
            band = self._vrts[spec.name].read(spec.band, window=window, masked=True)
            column = np.ma.filled(band.astype(np.float64), np.nan).ravel()
            valid &= np.isfinite(column)
            columns.append(column)
        return np.column_stack(columns), valid

    def close(self) -> None:
        for vrt in self._vrts.values():
            vrt.close()
        for source in self._sources:
            source.close()

    def __enter__(self) -> "GridInputs":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
