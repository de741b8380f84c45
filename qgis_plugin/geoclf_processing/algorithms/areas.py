import json

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterLayer,
)

from .base import GeoclfAlgorithm, label_arguments, layer_arguments


class ClassAreasAlgorithm(GeoclfAlgorithm):
    NAME = "classareas"
    GROUP = "Class maps"
    DISPLAY_NAME = "Class areas with confidence intervals"
    COMMAND = "areas"
    OPTIONS = {"--reference": "REFERENCE", "--layer": "REFERENCE", "--label": "LABEL", "--output": "OUTPUT"}
    HELP = (
        "The area of each class of a class map, in hectares (on the ellipsoid for a map in degrees).<br><br>"
        "With <b>reference points</b> (the class observed on the ground or on imagery at each point, ideally a random "
        "sample stratified by map class), also the error-adjusted area of each class, user's, producer's and overall "
        "accuracy, each with its 95% confidence interval, by the stratified estimators of Olofsson et al. (2014, "
        "Remote Sensing of Environment 148): the figures good practice asks a map to be reported with.<br><br>"
        "<b>Class raster</b>: a class map (from 'Predict class raster', or any one-band map of whole numbers).<br>"
        "<b>Reference points</b> (optional) and their <b>Label field</b> (left empty: a field named species, class or "
        "label).<br><b>Report</b>: a .json or .txt file with every figure."
    )

    INPUT, REFERENCE, LABEL, OUTPUT, OVERALL = "INPUT", "REFERENCE", "LABEL", "OUTPUT", "OVERALL_ACCURACY"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Class raster"))
        self.addParameter(QgsProcessingParameterFeatureSource(self.REFERENCE, "Reference points", [QgsProcessing.TypeVectorPoint], optional=True))
        self.addParameter(QgsProcessingParameterField(self.LABEL, "Label field", parentLayerParameterName=self.REFERENCE, optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, "Report", "JSON files (*.json);;Text files (*.txt)"))
        self.addOutput(QgsProcessingOutputNumber(self.OVERALL, "Overall accuracy"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        arguments = [self.parameterAsRasterLayer(parameters, self.INPUT, context).source()]
        if parameters.get(self.REFERENCE) not in (None, ""):
            path, layer = self.point_layer_for_geoclf(parameters, self.REFERENCE, context, feedback)
            arguments += ["--reference", path, *layer_arguments(layer), *label_arguments(self.parameterAsString(parameters, self.LABEL, context))]
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        report = json.loads(self.run_geoclf([*arguments, "--json", "-o", output, "--overwrite"], feedback, progress=False, echo=False))
        for row in report["classes"]:
            line = f"{row['class']}: {row['mapped_ha']:.2f} ha mapped"
            if row.get("area_ha") is not None:
                line += f", {row['area_ha']:.2f} ± {row['area_ci_ha']:.2f} ha estimated"
            feedback.pushInfo(line)
        results = {self.OUTPUT: output}
        if report.get("overall_accuracy") is not None:
            feedback.pushInfo(f"overall accuracy {report['overall_accuracy']:.3f} ± {report['overall_accuracy_ci']:.3f}")
            results[self.OVERALL] = report["overall_accuracy"]
        return results
