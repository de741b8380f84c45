from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ..settings import map_settings, setting_arguments, setting_parameter, settings_help
from .base import GeoclfAlgorithm, covariate_arguments, covariates_parameter, load_with_style


def extent_argument(rectangle, crs):
    """xmin,ymin,xmax,ymax [CRS] as geoclf reads it; without a CRS the model's is meant."""
    text = ",".join(repr(v) for v in (rectangle.xMinimum(), rectangle.yMinimum(), rectangle.xMaximum(), rectangle.yMaximum()))
    if crs is not None and crs.isValid():
        text += f" [{crs.authid() or crs.toProj()}]"
    return text


class PredictRasterAlgorithm(GeoclfAlgorithm):
    NAME = "predictclassraster"
    DISPLAY_NAME = "Predict class raster"
    COMMAND = "predict-raster"
    OPTIONS = {
        "--model": "MODEL", "--output": "OUTPUT", "--resolution": "PIXEL_SIZE", "--size": "SIZE", "--like": "LIKE",
        "--probabilities": "PROBABILITIES", "--covariate": "COVARIATES", "--confidence": "CONFIDENCE", "--mask": "MASK",
        "--max-distance": "MAX_DISTANCE",
    }
    HELP = (
        "Classifies every cell of a grid with a geoclf model and writes a GeoTIFF class map: one band of "
        "class codes (255 = nodata), with a colour table and the class names as legend labels.<br><br>"
        "<b>Model file</b>: a .geoclf model from 'Train classifier'.<br>"
        "<b>Extent</b> (optional): the area to map, in any CRS (e.g. the map canvas extent); it is transformed "
        "to the model's CRS, and the raster is in the model's CRS. Left empty: the samples' extent plus 5%.<br>"
        "<b>Align to raster</b> (optional): take another raster's grid instead (extent, cells and CRS), so the map "
        "lines up with it cell for cell.<br>"
        "<b>Pixel size</b>: cell size in the model's CRS units; 0 picks a round size giving about 1000 cells across.<br>"
        "<b>Size in cells</b> (optional): columns,rows, instead of a pixel size.<br>"
        "<b>Class raster</b>: the GeoTIFF to write.<br>"
        "<b>Probability raster</b> (optional): one float32 band per class with the predicted probability.<br>"
        "<b>Confidence raster</b> (optional): the winning class's probability per cell, so the map shows where it is a guess.<br>"
        "<b>Mask layer</b> (optional): draw only inside these polygons; cells outside are nodata.<br>"
        "<b>Only inside the hull of the samples</b>: draw only inside the convex hull of the training points.<br>"
        "<b>Maximum distance from a sample</b>: draw only this close (model CRS units) to a training point; 0 = everywhere.<br>"
        "<br>"
        "A model trained with covariate rasters reads them from where they were at training time, "
        "reprojected and resampled onto the grid (<b>Covariate resampling</b>); cells where one is nodata are nodata. "
        "<b>Covariate rasters to use instead</b>: one NAME=PATH[:BAND] per line points an input at another "
        "raster, a new year's data say.<br><br>"
        "geoclf predict-raster's settings:<br>"
    )

    MODEL, EXTENT, PIXEL_SIZE, OUTPUT, PROBABILITIES = "MODEL", "EXTENT", "PIXEL_SIZE", "OUTPUT", "PROBABILITIES"
    CONFIDENCE, MASK, HULL, MAX_DISTANCE = "CONFIDENCE", "MASK", "HULL", "MAX_DISTANCE"
    LIKE, SIZE = "LIKE", "SIZE"

    def shortHelpString(self):  # noqa: N802
        return self.HELP + settings_help(map_settings())

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.MODEL, "Model file", extension="geoclf"))
        self.addParameter(QgsProcessingParameterExtent(self.EXTENT, "Extent (empty: the samples' extent)", optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(self.LIKE, "Align to raster (its grid instead of an extent)", optional=True))
        self.addParameter(
            QgsProcessingParameterNumber(self.PIXEL_SIZE, "Pixel size (0 = automatic)", QgsProcessingParameterNumber.Double, 0.0, minValue=0.0)
        )
        self.addParameter(QgsProcessingParameterString(self.SIZE, "Size in cells (columns,rows; instead of a pixel size)", optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, "Class raster"))
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.PROBABILITIES, "Probability raster", optional=True, createByDefault=False)
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.CONFIDENCE, "Confidence raster", optional=True, createByDefault=False)
        )
        self.addParameter(
            QgsProcessingParameterFeatureSource(self.MASK, "Mask layer", [QgsProcessing.TypeVectorPolygon], optional=True)
        )
        self.addParameter(QgsProcessingParameterBoolean(self.HULL, "Only inside the hull of the samples", defaultValue=False))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MAX_DISTANCE, "Maximum distance from a sample (0 = everywhere)", QgsProcessingParameterNumber.Double, 0.0, minValue=0.0
            )
        )
        for setting in map_settings():  # covariate resampling, confidence measure, COG, device, huge grids
            self.addParameter(setting_parameter(setting))
        self.addParameter(covariates_parameter())

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        pixel = self.parameterAsDouble(parameters, self.PIXEL_SIZE, context)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        probabilities = self.parameterAsOutputLayer(parameters, self.PROBABILITIES, context)
        arguments = self._grid_arguments(parameters, context)
        arguments += ["-m", self.parameterAsFile(parameters, self.MODEL, context), "-o", output, "--overwrite"]
        if pixel > 0:
            arguments += ["--resolution", repr(pixel)]
        size = self.parameterAsString(parameters, self.SIZE, context).strip()
        if size:
            arguments += ["--size", size]
        arguments += covariate_arguments(self, parameters, context)
        if probabilities:
            arguments += ["--probabilities", probabilities]
        confidence = self.parameterAsOutputLayer(parameters, self.CONFIDENCE, context)
        if confidence:
            arguments += ["--confidence", confidence]
        arguments += self._mask_arguments(parameters, context, feedback)
        arguments += setting_arguments(self, parameters, context, map_settings())
        self.run_geoclf(arguments, feedback)
        load_with_style(context, output)
        results = {self.OUTPUT: output}
        if probabilities:
            results[self.PROBABILITIES] = probabilities
        if confidence:
            results[self.CONFIDENCE] = confidence
        return results

    def _grid_arguments(self, parameters, context):
        """The grid as geoclf takes it: another raster's (--like), an extent, or neither (the samples' extent)."""
        like = self.parameterAsRasterLayer(parameters, self.LIKE, context)
        has_extent = parameters.get(self.EXTENT) not in (None, "")
        if like is not None:
            if has_extent:
                raise QgsProcessingException("give an extent or a raster to align to, not both")
            return ["--like", like.source()]
        if not has_extent:
            return []
        extent = self.parameterAsExtent(parameters, self.EXTENT, context)
        return [extent_argument(extent, self.parameterAsExtentCrs(parameters, self.EXTENT, context))]

    def _mask_arguments(self, parameters, context, feedback):
        arguments = []
        hull = self.parameterAsBoolean(parameters, self.HULL, context)
        if parameters.get(self.MASK) not in (None, ""):
            if hull:
                raise QgsProcessingException("choose a mask layer or 'only inside the hull of the samples', not both")
            # An empty list of compatible formats: always exported, so geoclf reads exactly this layer.
            arguments += ["--mask", self.parameterAsCompatibleSourceLayerPath(parameters, self.MASK, context, [], "gpkg", feedback)]
        elif hull:
            arguments += ["--mask", "hull"]
        distance = self.parameterAsDouble(parameters, self.MAX_DISTANCE, context)
        if distance > 0:
            arguments += ["--max-distance", repr(distance)]
        return arguments
