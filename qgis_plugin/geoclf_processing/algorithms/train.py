from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
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
ENCODINGS = ["none", "fourier", "sinusoidal"]
CLASS_WEIGHTS = ["none", "balanced"]
RESPONSES = ["auto", "threshold", "smooth"]
FOLD_METHODS = ["block", "cluster", "random"]
# geoclf train's defaults (a test compares them with geoclf's TrainingConfig)
DEFAULTS = {"hidden": "64,64", "epochs": 200, "lr": 0.01, "encoding": "none", "dropout": 0.0, "weight_decay": None,
            "response": "auto", "feature_bins": None, "class_weight": "none", "val_fraction": 0.0, "patience": 0}


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
        "<b>Model file</b>: where to write the model (.geoclf); its CRS is the layer's.<br><br>"
        "Advanced parameters:<br>"
        "<b>Location encoding</b>: sines and cosines of x, y at several frequencies (on the sphere for "
        "longitude/latitude), for sharper, curlier boundaries.<br>"
        "<b>Response to covariates</b>: how the species respond to the covariates and attributes. 'threshold': "
        "binned inputs, and a penalty that makes the network use few of them (rules like 'deeper than 1 m'); "
        "'smooth': raw inputs under weight decay (overlapping habitats); 'auto' (default) tries both on 3 inner folds "
        "of the points and keeps the one with the lower held-out log loss. Not used with coordinates alone.<br>"
        "<b>Covariate bins</b> (empty: from the response, 32 or 0): each covariate and attribute is encoded "
        "piecewise-linearly over this many quantile bins; 0 feeds raw values.<br>"
        "<b>Dropout</b> and <b>Weight decay</b>: regularization against overfitting few or noisy samples. "
        "Weight decay left empty is chosen by geoclf: for a map from x, y alone, on 3 inner folds of the samples "
        "(from 0 for clean data to the class shares for pure noise); with covariates, from the response (2 for smooth, else 0).<br>"
        "<b>Class weights</b>: 'balanced' makes rare species count as much as common ones.<br>"
        "<b>Validation share</b>: a stratified hold-out; with it, probabilities are calibrated (temperature scaling) "
        "and <b>Patience</b> (epochs; 0: off) stops training when the hold-out loss stops improving, keeping the best epoch.<br>"
        "<b>Cross-validation folds</b> (0: none): before training, train and test on that many folds; the figures are "
        "shown in the log and stored in the model file. <b>Fold method</b>: square blocks, k-means clusters of the "
        "coordinates, or random (which flatters the model)."
    )

    INPUT, LABEL, FEATURES, COVARIATES, USE_XY = "INPUT", "LABEL", "FEATURES", "COVARIATES", "USE_XY"
    HIDDEN, ACTIVATION, EPOCHS, LEARNING_RATE, SEED, OUTPUT = "HIDDEN", "ACTIVATION", "EPOCHS", "LEARNING_RATE", "SEED", "OUTPUT"
    ENCODING, DROPOUT, WEIGHT_DECAY, CLASS_WEIGHT = "ENCODING", "DROPOUT", "WEIGHT_DECAY", "CLASS_WEIGHT"
    RESPONSE, FEATURE_BINS = "RESPONSE", "FEATURE_BINS"
    VAL_FRACTION, PATIENCE, CV_FOLDS, CV_BY = "VAL_FRACTION", "PATIENCE", "CV_FOLDS", "CV_BY"

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
        self.addParameter(QgsProcessingParameterString(self.HIDDEN, "Hidden layers", defaultValue=DEFAULTS["hidden"]))
        self.addParameter(QgsProcessingParameterEnum(self.ACTIVATION, "Activation", options=ACTIVATIONS, defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(self.EPOCHS, "Epochs", QgsProcessingParameterNumber.Integer, DEFAULTS["epochs"], minValue=1))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.LEARNING_RATE, "Learning rate", QgsProcessingParameterNumber.Double, DEFAULTS["lr"], minValue=0.0
            )
        )
        self.addParameter(QgsProcessingParameterNumber(self.SEED, "Seed", QgsProcessingParameterNumber.Integer, 0, minValue=0))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, "Model file", "geoclf model (*.geoclf)"))
        double, integer = QgsProcessingParameterNumber.Double, QgsProcessingParameterNumber.Integer
        advanced = [
            QgsProcessingParameterEnum(self.ENCODING, "Location encoding", ENCODINGS, defaultValue=ENCODINGS.index(DEFAULTS["encoding"])),
            QgsProcessingParameterNumber(self.DROPOUT, "Dropout", double, DEFAULTS["dropout"], minValue=0.0, maxValue=0.95),
            QgsProcessingParameterEnum(
                self.RESPONSE, "Response to covariates", RESPONSES, defaultValue=RESPONSES.index(DEFAULTS["response"])
            ),
            QgsProcessingParameterNumber(
                self.FEATURE_BINS, "Covariate bins", integer, DEFAULTS["feature_bins"], True, minValue=0, maxValue=256
            ),
            QgsProcessingParameterNumber(self.WEIGHT_DECAY, "Weight decay", double, DEFAULTS["weight_decay"], True, minValue=0.0),
            QgsProcessingParameterEnum(
                self.CLASS_WEIGHT, "Class weights", CLASS_WEIGHTS, defaultValue=CLASS_WEIGHTS.index(DEFAULTS["class_weight"])
            ),
            QgsProcessingParameterNumber(
                self.VAL_FRACTION, "Validation share", double, DEFAULTS["val_fraction"], minValue=0.0, maxValue=0.9
            ),
            QgsProcessingParameterNumber(self.PATIENCE, "Patience", integer, DEFAULTS["patience"], minValue=0),
            QgsProcessingParameterNumber(self.CV_FOLDS, "Cross-validation folds", integer, 0, minValue=0),
            QgsProcessingParameterEnum(self.CV_BY, "Fold method", FOLD_METHODS, defaultValue=0),
        ]
        for parameter in advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        path, layer = self.point_layer_for_geoclf(parameters, self.INPUT, context, feedback)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        inputs = []
        features = self.parameterAsFields(parameters, self.FEATURES, context)
        if features:
            inputs += ["--features", ",".join(features)]
        rasters = self.parameterAsLayerList(parameters, self.COVARIATES, context)
        for raster in rasters:
            inputs += ["--covariate", f"{raster.name()}={raster.source()}"]
        if not self.parameterAsBoolean(parameters, self.USE_XY, context):
            inputs.append("--no-xy")
        if parameters.get(self.WEIGHT_DECAY) not in (None, ""):  # empty: geoclf chooses it
            inputs += ["--weight-decay", repr(self.parameterAsDouble(parameters, self.WEIGHT_DECAY, context))]
        if parameters.get(self.FEATURE_BINS) not in (None, ""):
            inputs += ["--feature-bins", self.parameterAsInt(parameters, self.FEATURE_BINS, context)]
        if rasters or features:  # the response is about covariates and attributes only
            inputs += ["--response", RESPONSES[self.parameterAsEnum(parameters, self.RESPONSE, context)]]
        folds = self.parameterAsInt(parameters, self.CV_FOLDS, context)
        if folds:
            inputs += ["--cv", folds, "--cv-by", FOLD_METHODS[self.parameterAsEnum(parameters, self.CV_BY, context)]]
        run_geoclf(
            [
                "train", path, *layer_arguments(layer),
                "--label", self.parameterAsString(parameters, self.LABEL, context), *inputs,
                "--hidden", self.parameterAsString(parameters, self.HIDDEN, context),
                "--activation", ACTIVATIONS[self.parameterAsEnum(parameters, self.ACTIVATION, context)],
                "--epochs", self.parameterAsInt(parameters, self.EPOCHS, context),
                "--lr", repr(self.parameterAsDouble(parameters, self.LEARNING_RATE, context)),
                "--seed", self.parameterAsInt(parameters, self.SEED, context),
                "--encoding", ENCODINGS[self.parameterAsEnum(parameters, self.ENCODING, context)],
                "--dropout", repr(self.parameterAsDouble(parameters, self.DROPOUT, context)),
                "--class-weight", CLASS_WEIGHTS[self.parameterAsEnum(parameters, self.CLASS_WEIGHT, context)],
                "--val-fraction", repr(self.parameterAsDouble(parameters, self.VAL_FRACTION, context)),
                "--patience", self.parameterAsInt(parameters, self.PATIENCE, context),
                "-o", output, "--overwrite",
            ],
            feedback,
        )
        return {self.OUTPUT: output}
