import html
import json

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
)

from ..runner import run_geoclf
from .base import GeoclfAlgorithm, layer_arguments


def _figure(value):
    """n/a where a class cannot be scored (no sample of it, or never predicted)."""
    return "n/a" if value is None else f"{value:.3f}"


def html_report(report, title):
    """The evaluation as a small standalone HTML page (Processing shows it in the Results Viewer)."""
    classes = report["classes"]
    kappa = _figure(report["kappa"])
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td>"
        + "".join(f"<td>{_figure(report['per_class'][name][k])}</td>" for k in ("precision", "recall", "f1"))
        + f"<td>{report['per_class'][name]['support']}</td></tr>"
        for name in classes
    )
    header = "".join(f"<th>{html.escape(name)}</th>" for name in classes)
    matrix = "".join(
        f"<tr><th>{html.escape(name)}</th>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
        for name, row in zip(classes, report["confusion_matrix"])
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p>samples: {report['samples']}<br>overall accuracy: {report['accuracy']:.3f}<br>Cohen's kappa: {kappa}"
        f"<br>expected calibration error: {report['calibration']['ece']:.3f}</p>"
        "<table border='1'><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
        f"{rows}</table><h2>Confusion matrix (rows: true, columns: predicted)</h2>"
        f"<table border='1'><tr><th></th>{header}</tr>{matrix}</table></body></html>\n"
    )


class EvaluateAlgorithm(GeoclfAlgorithm):
    NAME = "evaluate"
    DISPLAY_NAME = "Evaluate classifier"
    HELP = (
        "Measures a geoclf model on labelled points (ideally points it was not trained on): overall accuracy, "
        "Cohen's kappa, per-class precision, recall and F1, and the confusion matrix.<br><br>"
        "<b>Model file</b>: a .geoclf model.<br>"
        "<b>Labelled points</b>: points with their true class.<br>"
        "<b>Label field</b> (optional): the field with the true class; by default the field the model was trained on.<br>"
        "<b>Report</b>: an .html page or a .json file, chosen by the extension."
    )

    MODEL, INPUT, LABEL, OUTPUT, ACCURACY, KAPPA = "MODEL", "INPUT", "LABEL", "OUTPUT", "ACCURACY", "KAPPA"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.MODEL, "Model file", extension="geoclf"))
        self.addParameter(QgsProcessingParameterFeatureSource(self.INPUT, "Labelled points", [QgsProcessing.TypeVectorPoint]))
        self.addParameter(QgsProcessingParameterField(self.LABEL, "Label field", parentLayerParameterName=self.INPUT, optional=True))
        self.addParameter(QgsProcessingParameterFileDestination(self.OUTPUT, "Report", "HTML files (*.html);;JSON files (*.json)"))
        self.addOutput(QgsProcessingOutputNumber(self.ACCURACY, "Overall accuracy"))
        self.addOutput(QgsProcessingOutputNumber(self.KAPPA, "Cohen's kappa"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        path, layer = self.point_layer_for_geoclf(parameters, self.INPUT, context, feedback)
        label = self.parameterAsString(parameters, self.LABEL, context)
        output = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        arguments = ["evaluate", self.parameterAsFile(parameters, self.MODEL, context), path, *layer_arguments(layer), "--json"]
        if label:
            arguments += ["--label", label]
        report = json.loads(run_geoclf(arguments, feedback, progress=False))
        text = json.dumps(report, indent=2) if output.lower().endswith(".json") else html_report(report, "geoclf evaluation")
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        return {self.OUTPUT: output, self.ACCURACY: report["accuracy"], self.KAPPA: report["kappa"]}
