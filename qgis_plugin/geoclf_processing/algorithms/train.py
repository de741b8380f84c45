import os

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
)

from ..settings import (
    description,
    setting_arguments,
    setting_parameter,
    settings_help,
    training_settings,
)
from .base import GeoclfAlgorithm, label_arguments, layer_arguments


class TrainAlgorithm(GeoclfAlgorithm):
    NAME = "trainclassifier"
    DISPLAY_NAME = "Train classifier"
    COMMAND = "train"
    OPTIONS = {
        "--output": "OUTPUT", "--layer": "INPUT", "--label": "LABEL", "--features": "FEATURES", "--covariate": "COVARIATES",
        "--no-xy": "USE_XY", "--cv": "CV_FOLDS", "--cv-by": "CV_BY", "--cv-block-size": "CV_BLOCK_SIZE", "--background": "BACKGROUND",
        "--image": "IMAGES", "--max-per-polygon": "MAX_PER_POLYGON",
    }
    HELP = (
        "Trains a small neural network (an MLP) that predicts the class of a point from its coordinates, "
        "and saves it as one .geoclf model file.<br><br>"
        "<b>Samples</b>: labelled sample points, or training polygons drawn over an image, in any format QGIS reads; "
        "memory layers and 'selected features only' work (they are exported to a temporary GeoPackage). A polygon "
        "trains on every cell of the first image (or covariate raster) whose centre it holds, and its cells are "
        "always held out together.<br>"
        "<b>Images</b> (optional): rasters whose every band is an input, named by the band descriptions (or b1, b2, ...). "
        "Predict class raster then maps the image's own grid by default.<br>"
        "<b>Cells per polygon at most</b> (0: all): so that large polygons do not outweigh small ones.<br>"
        "<b>Label field</b>: the field holding each point's class, e.g. the species; left empty, a field named "
        "species, class or label (in any case), or else the layer's only text field.<br>"
        "<b>Attribute fields</b> (optional): numeric fields of the points to use as inputs too.<br>"
        "<b>Covariate rasters</b> (optional): rasters whose first band, sampled at each point, is an input "
        "(named after the layer); any CRS or resolution. Points on nodata or outside are left out.<br>"
        "<b>Use coordinates</b>: whether x and y are inputs (on by default).<br>"
        "<b>Background points</b> (presence-only records): that many points drawn at random over the layer's extent "
        "(plus 5%), trained as the class 'background' at equal weight, as Maxent does; the species' probability "
        "raster is then a relative suitability.<br>"
        "<b>Model file</b>: where to write the model (.geoclf); its CRS is the layer's. Left as a temporary file, "
        "the model is written beside the point layer's file instead (SAMPLES.geoclf, or SAMPLES_2.geoclf when that "
        "exists), so that it outlives the session.<br><br>"
        "<b>Cross-validation folds</b> (advanced; 0: none): before training, train and test on that many folds; the "
        "figures are shown in the log and stored in the model file. <b>Fold method</b>: square blocks, k-means clusters "
        "of the coordinates, whole training polygons (polygon), or random (which flatters the model). <b>Fold block size</b> (empty: the extent's longer "
        "side / (2 x folds)): the side of a block, in the layer's CRS units.<br><br>"
        "geoclf's training settings (as `geoclf train --help` lists them; those left empty are chosen by geoclf "
        "for the inputs):<br>"
    )

    INPUT, LABEL, FEATURES, COVARIATES, USE_XY = "INPUT", "LABEL", "FEATURES", "COVARIATES", "USE_XY"
    BACKGROUND, IMAGES, MAX_PER_POLYGON = "BACKGROUND", "IMAGES", "MAX_PER_POLYGON"
    OUTPUT, CV_FOLDS, CV_BY, CV_BLOCK_SIZE = "OUTPUT", "CV_FOLDS", "CV_BY", "CV_BLOCK_SIZE"

    def shortHelpString(self):  # noqa: N802
        return self.HELP + settings_help(training_settings())

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(
            QgsProcessingParameterFeatureSource(self.INPUT, "Samples (points or training polygons)",
                                                [QgsProcessing.TypeVectorPoint, QgsProcessing.TypeVectorPolygon])
        )
        self.addParameter(  # optional: left empty, geoclf takes a field named species, class or label, or the only text one
            QgsProcessingParameterField(self.LABEL, "Label field", parentLayerParameterName=self.INPUT, optional=True)
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.FEATURES, "Attribute fields", parentLayerParameterName=self.INPUT,
                type=QgsProcessingParameterField.Numeric, allowMultiple=True, optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(self.COVARIATES, "Covariate rasters", QgsProcessing.TypeRaster, optional=True)
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(self.IMAGES, "Images (every band an input)", QgsProcessing.TypeRaster, optional=True)
        )
        self.addParameter(QgsProcessingParameterBoolean(self.USE_XY, "Use coordinates", defaultValue=True))
        self.addParameter(
            QgsProcessingParameterNumber(self.MAX_PER_POLYGON, "Cells per polygon at most (0 = all)",
                                         QgsProcessingParameterNumber.Integer, 0, minValue=0)
        )
        self.addParameter(
            QgsProcessingParameterNumber(self.BACKGROUND, "Background points (presence-only records; 0 = none)",
                                         QgsProcessingParameterNumber.Integer, 0, minValue=0)
        )
        for setting in training_settings():  # the advanced ones go to the dialog's collapsed group
            self.addParameter(setting_parameter(setting))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, "Model file", "geoclf model (*.geoclf)"))
        integer = QgsProcessingParameterNumber.Integer
        for parameter in (
            QgsProcessingParameterNumber(self.CV_FOLDS, "Cross-validation folds", integer, 0, minValue=0),
            QgsProcessingParameterEnum(self.CV_BY, "Fold method", description()["fold_methods"], defaultValue=0),
            QgsProcessingParameterNumber(
                self.CV_BLOCK_SIZE, "Fold block size", QgsProcessingParameterNumber.Double, None, True, minValue=0.0
            ),
        ):
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(parameter)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        path, layer = self.point_layer_for_geoclf(parameters, self.INPUT, context, feedback)
        output = self.model_destination(parameters, context)
        inputs = []
        features = self.parameterAsFields(parameters, self.FEATURES, context)
        if features:
            inputs += ["--features", ",".join(features)]
        for image in self.parameterAsLayerList(parameters, self.IMAGES, context):
            inputs += ["--image", image.source()]
        for raster in self.parameterAsLayerList(parameters, self.COVARIATES, context):
            inputs += ["--covariate", f"{raster.name()}={raster.source()}"]
        cap = self.parameterAsInt(parameters, self.MAX_PER_POLYGON, context)
        if cap:
            inputs += ["--max-per-polygon", cap]
        if not self.parameterAsBoolean(parameters, self.USE_XY, context):
            inputs.append("--no-xy")
        background = self.parameterAsInt(parameters, self.BACKGROUND, context)
        if background:
            inputs += ["--background", background]
        folds = self.parameterAsInt(parameters, self.CV_FOLDS, context)
        if folds:
            inputs += ["--cv", folds, "--cv-by", description()["fold_methods"][self.parameterAsEnum(parameters, self.CV_BY, context)]]
            if parameters.get(self.CV_BLOCK_SIZE) not in (None, ""):
                inputs += ["--cv-block-size", repr(self.parameterAsDouble(parameters, self.CV_BLOCK_SIZE, context))]
        self.run_geoclf(
            [
                path, *layer_arguments(layer),
                *label_arguments(self.parameterAsString(parameters, self.LABEL, context)), *inputs,
                *setting_arguments(self, parameters, context, training_settings()),
                "-o", output, "--overwrite",
            ],
            feedback,
        )
        return {self.OUTPUT: output}

    def model_destination(self, parameters, context):
        """The model file: as given, or, where the dialog left a temporary file, beside the samples' own file."""
        given = parameters.get(self.OUTPUT)
        if given not in (None, "", QgsProcessing.TEMPORARY_OUTPUT):
            return self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        source = layer.source().split("|")[0] if layer is not None else ""
        if not os.path.isfile(source):  # a memory layer or a database: no folder to write beside
            return self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        stem = os.path.splitext(source)[0]
        candidates = (f"{stem}.geoclf", *(f"{stem}_{n}.geoclf" for n in range(2, 1000)))
        return next(path for path in candidates if not os.path.exists(path))
