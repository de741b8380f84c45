from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorDestination,
)

from .base import GeoclfAlgorithm, load_with_style

CONNECTIVITIES = ["4 (edges)", "8 (edges and corners)"]
CONNECTIVITY_HELP = "<b>Cells join a patch across</b> their 4 edges, or their edges and 4 corners too (8)."


def connectivity_parameter():
    return QgsProcessingParameterEnum("CONNECTIVITY", "Cells join a patch across", CONNECTIVITIES, defaultValue=0)


def connectivity_arguments(algorithm, parameters, context):
    return ["--connectivity", "48"[algorithm.parameterAsEnum(parameters, "CONNECTIVITY", context)]]


class SieveAlgorithm(GeoclfAlgorithm):
    NAME = "sieve"
    GROUP = "Class maps"
    DISPLAY_NAME = "Sieve class raster"
    COMMAND = "sieve"
    OPTIONS = {"--min-cells": "MIN_CELLS", "--output": "OUTPUT", "--connectivity": "CONNECTIVITY"}
    HELP = (
        "Removes specks from a class map: every patch of fewer than <b>Minimum patch size</b> cells takes the class of "
        "its largest neighbour (GDAL's sieve filter). Colours, class names and the legend are kept; nodata stays nodata."
        "<br><br><b>Class raster</b>: a class map. <b>Sieved class raster</b>: the GeoTIFF to write.<br>" + CONNECTIVITY_HELP
    )
    INPUT, MIN_CELLS, OUTPUT = "INPUT", "MIN_CELLS", "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Class raster"))
        self.addParameter(QgsProcessingParameterNumber(self.MIN_CELLS, "Minimum patch size (cells)", QgsProcessingParameterNumber.Integer, 4, minValue=1))
        self.addParameter(connectivity_parameter())
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, "Sieved class raster"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        self.run_geoclf(
            [self.parameterAsRasterLayer(parameters, self.INPUT, context).source(), "--min-cells", self.parameterAsInt(parameters, self.MIN_CELLS, context),
             *connectivity_arguments(self, parameters, context), "-o", output, "--overwrite"],
            feedback, progress=False,
        )
        load_with_style(context, output)
        return {self.OUTPUT: output}


class VectorizeAlgorithm(GeoclfAlgorithm):
    NAME = "vectorize"
    GROUP = "Class maps"
    DISPLAY_NAME = "Class raster to polygons"
    COMMAND = "vectorize"
    OPTIONS = {"--output": "OUTPUT", "--connectivity": "CONNECTIVITY"}
    HELP = (
        "Turns a class map into polygons, one per patch of a class, with the class name, its code and its area in "
        "hectares, styled in the map's colours. Sieve the map first for fewer, larger polygons.<br><br>"
        "<b>Class raster</b>: a class map. <b>Class polygons</b>: the GeoPackage to write.<br>" + CONNECTIVITY_HELP
    )
    INPUT, OUTPUT = "INPUT", "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Class raster"))
        self.addParameter(connectivity_parameter())
        self.addParameter(QgsProcessingParameterVectorDestination(self.OUTPUT, "Class polygons", QgsProcessing.TypeVectorPolygon))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        self.run_geoclf(
            [self.parameterAsRasterLayer(parameters, self.INPUT, context).source(), *connectivity_arguments(self, parameters, context),
             "-o", output, "--overwrite"],
            feedback, progress=False,
        )
        load_with_style(context, output)
        return {self.OUTPUT: output}
