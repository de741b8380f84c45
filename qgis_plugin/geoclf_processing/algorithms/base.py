"""What every geoclf algorithm shares: naming, help, and the input-layer hand-over."""

import os

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingException,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterString,
)

from ..runner import run_geoclf

COVARIATES = "COVARIATES"
COVARIATES_HELP = (
    "<b>Covariate rasters to use instead</b> (optional): one NAME=PATH[:BAND] per line points the model's input "
    "NAME at another raster, a new year's data say."
)


class GeoclfAlgorithm(QgsProcessingAlgorithm):
    """Subclasses set NAME, DISPLAY_NAME, GROUP, HELP, COMMAND and OPTIONS and implement the parameters and the run."""

    NAME = ""
    DISPLAY_NAME = ""
    GROUP = "Classification"  # capitalised as QGIS's own groups ("Raster analysis"); the id is lower case
    HELP = ""
    COMMAND = ""  # the geoclf command the algorithm runs
    # Each option of that command (besides the generated settings) by the parameter that gives it: errors name the
    # parameter's label instead of the flag, and a test checks that every option of the command has its parameter.
    OPTIONS = {}

    def run_geoclf(self, arguments, feedback, progress=True, echo=True):
        """`geoclf COMMAND ARGUMENTS`, its error shown in this dialog's words."""
        labels = {flag: self.parameterDefinition(name).description() for flag, name in self.OPTIONS.items() if self.parameterDefinition(name)}
        return run_geoclf([self.COMMAND, *arguments], feedback, progress, labels, echo)

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802
        return self.DISPLAY_NAME

    def group(self):
        return self.GROUP

    def groupId(self):  # noqa: N802
        return self.GROUP.lower().replace(" ", "")

    def shortHelpString(self):  # noqa: N802
        return self.HELP

    def createInstance(self):  # noqa: N802
        return type(self)()

    def point_layer_for_geoclf(self, parameters, name, context, feedback):
        """(path, layer name) of a GeoPackage geoclf can read.

        Memory layers, selections, filters and formats other than GeoPackage or Shapefile
        are exported to a temporary GeoPackage first; plain files pass through as they are.
        """
        source = self.parameterAsSource(parameters, name, context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, name))
        path, layer = self.parameterAsCompatibleSourceLayerPathAndLayerName(
            parameters, name, context, ["gpkg", "shp"], "gpkg", feedback
        )
        return path, layer


class ClassStyle(QgsProcessingLayerPostProcessorInterface):
    """Applies the .qml geoclf writes beside an output: a class raster's palette with the species names, polygons' colours."""

    _pending = []  # QGIS does not own Python post-processors; hold each until it has run

    def __init__(self, qml):
        super().__init__()
        self.qml = qml
        ClassStyle._pending.append(self)

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        ClassStyle._pending.remove(self)
        if os.path.exists(self.qml):
            layer.loadNamedStyle(self.qml)
            layer.triggerRepaint()


def load_with_style(context, output):
    """The output, when QGIS loads it at the end, styled by the .qml geoclf wrote beside it."""
    if context.willLoadLayerOnCompletion(output):
        context.layerToLoadOnCompletionDetails(output).setPostProcessor(ClassStyle(os.path.splitext(output)[0] + ".qml"))


def layer_arguments(layer):
    return ["--layer", layer] if layer else []


def label_arguments(label):
    """--label when the dialog names a field; left empty, geoclf chooses (train) or takes the model's (evaluate)."""
    return ["--label", label] if label else []


def covariates_parameter():
    """Covariate rasters to read instead of those the model was trained on (geoclf's --covariate), one per line."""
    parameter = QgsProcessingParameterString(
        COVARIATES, "Covariate rasters to use instead (NAME=PATH[:BAND], one per line)", multiLine=True, optional=True
    )
    parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return parameter


def covariate_arguments(algorithm, parameters, context):
    return [
        argument
        for line in algorithm.parameterAsString(parameters, COVARIATES, context).splitlines()
        if line.strip()
        for argument in ("--covariate", line.strip())
    ]
