from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterVectorDestination,
)

from .base import (
    COVARIATES_HELP,
    GeoclfAlgorithm,
    covariate_arguments,
    covariates_parameter,
    layer_arguments,
)


class PredictPointsAlgorithm(GeoclfAlgorithm):
    NAME = "predictpoints"
    DISPLAY_NAME = "Predict points"
    COMMAND = "predict-points"
    OPTIONS = {"--output": "OUTPUT", "--layer": "INPUT", "--covariate": "COVARIATES"}
    HELP = (
        "Classifies points with a geoclf model: the output is a copy of the points with a 'predicted' field "
        "(the class name) and one 'prob_CLASS' field per class (spaces and signs as _), styled by class.<br><br>"
        "<b>Model file</b>: a .geoclf model from 'Train classifier'.<br>"
        "<b>Point layer</b>: the points to classify, in any CRS (they are reprojected to the model's CRS "
        "for prediction and keep their own CRS in the output); they must have a CRS when the model has one.<br>"
        "<b>Classified points</b>: the GeoPackage to write.<br>" + COVARIATES_HELP
    )

    MODEL, INPUT, OUTPUT = "MODEL", "INPUT", "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.MODEL, "Model file", extension="geoclf"))
        self.addParameter(QgsProcessingParameterFeatureSource(self.INPUT, "Point layer", [QgsProcessing.TypeVectorPoint]))
        self.addParameter(QgsProcessingParameterVectorDestination(self.OUTPUT, "Classified points", QgsProcessing.TypeVectorPoint))
        self.addParameter(covariates_parameter())

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        path, layer = self.point_layer_for_geoclf(parameters, self.INPUT, context, feedback)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        self.run_geoclf(
            [self.parameterAsFile(parameters, self.MODEL, context), path, *layer_arguments(layer),
             *covariate_arguments(self, parameters, context), "-o", output, "--overwrite"],
            feedback,
            progress=False,
        )
        return {self.OUTPUT: output}
