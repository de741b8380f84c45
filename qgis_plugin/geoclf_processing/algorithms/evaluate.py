import json

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
)

from .base import (
    COVARIATES_HELP,
    GeoclfAlgorithm,
    covariate_arguments,
    covariates_parameter,
    label_arguments,
    layer_arguments,
)


class EvaluateAlgorithm(GeoclfAlgorithm):
    NAME = "evaluate"
    DISPLAY_NAME = "Evaluate classifier"
    COMMAND = "evaluate"
    OPTIONS = {
        "--layer": "INPUT", "--label": "LABEL", "--covariate": "COVARIATES", "--output": "OUTPUT", "--reliability-plot": "RELIABILITY_PLOT",
    }
    HELP = (
        "Measures a geoclf model on labelled points (ideally points it was not trained on): overall accuracy, "
        "Cohen's kappa, per-class user's accuracy (precision), producer's accuracy (recall) and F1, and the confusion "
        "matrix with its totals.<br><br>"
        "<b>Model file</b>: a .geoclf model.<br>"
        "<b>Labelled points</b>: points with their true class.<br>"
        "<b>Label field</b> (optional): the field with the true class; by default the field the model was trained on.<br>"
        "<b>Report</b>: an .html page or a .json file, chosen by the extension.<br>"
        "<b>Reliability diagram</b> (optional): a PNG of the predicted probabilities against how often they were right.<br>"
        + COVARIATES_HELP
    )

    MODEL, INPUT, LABEL, OUTPUT, ACCURACY, KAPPA = "MODEL", "INPUT", "LABEL", "OUTPUT", "ACCURACY", "KAPPA"
    RELIABILITY_PLOT = "RELIABILITY_PLOT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.MODEL, "Model file", extension="geoclf"))
        self.addParameter(QgsProcessingParameterFeatureSource(self.INPUT, "Labelled points", [QgsProcessing.TypeVectorPoint]))
        self.addParameter(QgsProcessingParameterField(self.LABEL, "Label field", parentLayerParameterName=self.INPUT, optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, "Report", "HTML files (*.html);;JSON files (*.json)"))
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.RELIABILITY_PLOT, "Reliability diagram", "PNG files (*.png)", optional=True, createByDefault=False
            )
        )
        self.addParameter(covariates_parameter())
        self.addOutput(QgsProcessingOutputNumber(self.ACCURACY, "Overall accuracy"))
        self.addOutput(QgsProcessingOutputNumber(self.KAPPA, "Cohen's kappa"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        path, layer = self.point_layer_for_geoclf(parameters, self.INPUT, context, feedback)
        label = self.parameterAsString(parameters, self.LABEL, context)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        arguments = [self.parameterAsFile(parameters, self.MODEL, context), path, *layer_arguments(layer), *label_arguments(label)]
        arguments += covariate_arguments(self, parameters, context)
        plot = self.parameterAsFileOutput(parameters, self.RELIABILITY_PLOT, context)
        if plot:
            arguments += ["--reliability-plot", plot]
        # geoclf writes the report (HTML or JSON, by the extension) and prints its figures for the outputs below
        report = json.loads(self.run_geoclf([*arguments, "--json", "-o", output, "--overwrite"], feedback, progress=False, echo=False))
        kappa = "n/a" if report["kappa"] is None else f"{report['kappa']:.3f}"
        feedback.pushInfo(f"overall accuracy {report['accuracy']:.3f}, Cohen's kappa {kappa}, on {report['samples']} points; "
                          f"the whole report (per class, confusion matrix, calibration): {output}")
        results = {self.OUTPUT: output, self.ACCURACY: report["accuracy"], self.KAPPA: report["kappa"]}
        if plot:
            results[self.RELIABILITY_PLOT] = plot
        return results
