from qgis.core import (
    QgsProcessing,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterNumber,
)

from .base import COVARIATES_HELP, GeoclfAlgorithm, covariate_arguments, covariates_parameter, label_arguments, layer_arguments


class ImportanceAlgorithm(GeoclfAlgorithm):
    NAME = "importance"
    DISPLAY_NAME = "Input importance"
    COMMAND = "importance"
    OPTIONS = {"--layer": "INPUT", "--label": "LABEL", "--repeats": "REPEATS", "--covariate": "COVARIATES", "--output": "OUTPUT", "--seed": "SEED"}
    HELP = (
        "Which inputs a model leans on: each input in turn is shuffled over labelled points, and the drop in accuracy "
        "and the rise in log loss are measured (permutation importance), with their spread over repeats. The table goes "
        "to the log, the bar chart to a PNG.<br><br>"
        "<b>Model file</b>: a .geoclf model.<br>"
        "<b>Labelled points</b>: ideally points the model was not trained on; on its own training points an input "
        "it memorised looks more useful than it is. <b>Label field</b> (optional): their true class; by default the "
        "field the model was trained on.<br>"
        "<b>Shuffles of each input</b>: the repeats the spread is measured over. <b>Seed of the shuffles</b> (advanced): "
        "the same seed, the same figures.<br><b>Bar chart</b>: the PNG to draw.<br>" + COVARIATES_HELP
    )
    MODEL, INPUT, LABEL, REPEATS, OUTPUT, SEED = "MODEL", "INPUT", "LABEL", "REPEATS", "OUTPUT", "SEED"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.MODEL, "Model file", extension="geoclf"))
        self.addParameter(QgsProcessingParameterFeatureSource(self.INPUT, "Labelled points", [QgsProcessing.TypeVectorPoint]))
        self.addParameter(QgsProcessingParameterField(self.LABEL, "Label field", parentLayerParameterName=self.INPUT, optional=True))
        self.addParameter(QgsProcessingParameterNumber(self.REPEATS, "Shuffles of each input", QgsProcessingParameterNumber.Integer, 10, minValue=1))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, "Bar chart", "PNG files (*.png)"))
        seed = QgsProcessingParameterNumber(self.SEED, "Seed of the shuffles", QgsProcessingParameterNumber.Integer, 0, minValue=0)
        seed.setFlags(seed.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(seed)
        self.addParameter(covariates_parameter())

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        path, layer = self.point_layer_for_geoclf(parameters, self.INPUT, context, feedback)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        self.run_geoclf(
            [self.parameterAsFile(parameters, self.MODEL, context), path, *layer_arguments(layer),
             *label_arguments(self.parameterAsString(parameters, self.LABEL, context)),
             "--repeats", self.parameterAsInt(parameters, self.REPEATS, context), "--seed", self.parameterAsInt(parameters, self.SEED, context),
             *covariate_arguments(self, parameters, context),
             "-o", output, "--overwrite"],
            feedback,
        )
        return {self.OUTPUT: output}
