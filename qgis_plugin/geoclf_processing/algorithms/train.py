from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..runner import run_geoclf
from .base import GeoclfAlgorithm, layer_arguments

ACTIVATIONS = ["relu", "sigmoid", "tanh"]


class TrainAlgorithm(GeoclfAlgorithm):
    NAME = "trainclassifier"
    DISPLAY_NAME = "Train classifier"
    HELP = (
        "Trains a small neural network (an MLP) that predicts the class of a point from its coordinates, "
        "and saves it as one .geoclf model file.<br><br>"
        "<b>Point layer</b>: labelled sample points in any format QGIS reads; memory layers and "
        "'selected features only' work (they are exported to a temporary GeoPackage).<br>"
        "<b>Label field</b>: the field holding each point's class, e.g. the species.<br>"
        "<b>Attribute fields</b> (optional): numeric fields of the points to use as inputs too.<br>"
        "<b>Covariate rasters</b> (optional): rasters whose first band, sampled at each point, is an input "
        "(named after the layer); any CRS or resolution. Points on nodata or outside are left out.<br>"
        "<b>Use coordinates</b>: whether x and y are inputs (on by default).<br>"
        "<b>Hidden layers</b>: widths of the hidden layers, comma-separated (64,64 is two layers of 64).<br>"
        "<b>Activation</b>: relu (default), sigmoid or tanh.<br>"
        "<b>Epochs</b> and <b>Learning rate</b>: how long and how fast the Adam optimizer trains.<br>"
        "<b>Seed</b>: the same seed on the same points gives the same model.<br>"
        "<b>Model file</b>: where to write the model (.geoclf); its CRS is the layer's."
    )

    INPUT, LABEL, FEATURES, COVARIATES, USE_XY = "INPUT", "LABEL", "FEATURES", "COVARIATES", "USE_XY"
    HIDDEN, ACTIVATION, EPOCHS, LEARNING_RATE, SEED, OUTPUT = "HIDDEN", "ACTIVATION", "EPOCHS", "LEARNING_RATE", "SEED", "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFeatureSource(self.INPUT, "Point layer", [QgsProcessing.TypeVectorPoint]))
        self.addParameter(QgsProcessingParameterField(self.LABEL, "Label field", parentLayerParameterName=self.INPUT))
        self.addParameter(
            QgsProcessingParameterField(
                self.FEATURES, "Attribute fields", parentLayerParameterName=self.INPUT,
                type=QgsProcessingParameterField.Numeric, allowMultiple=True, optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(self.COVARIATES, "Covariate rasters", QgsProcessing.TypeRaster, optional=True)
        )
        self.addParameter(QgsProcessingParameterBoolean(self.USE_XY, "Use coordinates", defaultValue=True))
        self.addParameter(QgsProcessingParameterString(self.HIDDEN, "Hidden layers", defaultValue="64,64"))
        self.addParameter(QgsProcessingParameterEnum(self.ACTIVATION, "Activation", options=ACTIVATIONS, defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(self.EPOCHS, "Epochs", QgsProcessingParameterNumber.Integer, 200, minValue=1))
        self.addParameter(
            QgsProcessingParameterNumber(self.LEARNING_RATE, "Learning rate", QgsProcessingParameterNumber.Double, 0.01, minValue=0.0)
        )
        self.addParameter(QgsProcessingParameterNumber(self.SEED, "Seed", QgsProcessingParameterNumber.Integer, 0, minValue=0))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, "Model file", "geoclf model (*.geoclf)"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        path, layer = self.point_layer_for_geoclf(parameters, self.INPUT, context, feedback)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        inputs = []
        features = self.parameterAsFields(parameters, self.FEATURES, context)
        if features:
            inputs += ["--features", ",".join(features)]
        for raster in self.parameterAsLayerList(parameters, self.COVARIATES, context):
            inputs += ["--covariate", f"{raster.name()}={raster.source()}"]
        if not self.parameterAsBoolean(parameters, self.USE_XY, context):
            inputs.append("--no-xy")
        run_geoclf(
            [
                "train", path, *layer_arguments(layer),
                "--label", self.parameterAsString(parameters, self.LABEL, context), *inputs,
                "--hidden", self.parameterAsString(parameters, self.HIDDEN, context),
                "--activation", ACTIVATIONS[self.parameterAsEnum(parameters, self.ACTIVATION, context)],
                "--epochs", self.parameterAsInt(parameters, self.EPOCHS, context),
                "--lr", repr(self.parameterAsDouble(parameters, self.LEARNING_RATE, context)),
                "--seed", self.parameterAsInt(parameters, self.SEED, context),
                "-o", output, "--overwrite",
            ],
            feedback,
        )
        return {self.OUTPUT: output}
