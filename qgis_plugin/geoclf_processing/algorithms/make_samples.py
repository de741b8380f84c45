from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingParameterCrs,
    QgsProcessingParameterNumber,
    QgsProcessingParameterPoint,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from .base import GeoclfAlgorithm

DEFAULT_CRS = "EPSG:5186"  # as `geoclf make-samples`: Korea 2000 / Central Belt 2010
DEFAULT_CENTER = "200000,550000 [EPSG:5186]"


class MakeSpiralSamplesAlgorithm(GeoclfAlgorithm):
    NAME = "spiralsamples"
    DISPLAY_NAME = "Generate spiral samples"
    COMMAND = "make-samples"
    OPTIONS = {
        "--per-class": "PER_CLASS", "--seed": "SEED", "--noise": "NOISE", "--center": "CENTER", "--scale": "SCALE", "--crs": "CRS",
        "--label": "LABEL",
    }
    GROUP = "Sample data"
    HELP = (
        "Writes the teaching spiral as labelled sample points: three species (crayfish, diving beetle, tadpole) "
        "winding around a centre, in a field named by <b>Label field</b> ('species'). Handy to try the other algorithms.<br><br>"
        "<b>Points per class</b>: how many points each species gets.<br>"
        "<b>Noise</b>: standard deviation of the angle noise in radians (0.2 as in the text).<br>"
        "<b>Seed</b>: the same seed gives the same points.<br>"
        "<b>Centre</b>: where the spiral's centre lies (any CRS; it is transformed to the output CRS).<br>"
        "<b>Scale</b>: CRS units (metres) per spiral unit; the spiral spans twice this across.<br>"
        "<b>CRS</b>: the CRS of the points.<br>"
        "<b>Label field</b>: the name of the field holding each point's species.<br>"
        "<b>Samples</b>: the GeoPackage to write (layer 'samples')."
    )

    PER_CLASS, NOISE, SEED, CENTER, SCALE, CRS, OUTPUT = "PER_CLASS", "NOISE", "SEED", "CENTER", "SCALE", "CRS", "OUTPUT"
    LABEL = "LABEL"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterNumber(self.PER_CLASS, "Points per class", QgsProcessingParameterNumber.Integer, 100, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(self.NOISE, "Noise", QgsProcessingParameterNumber.Double, 0.2, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(self.SEED, "Seed", QgsProcessingParameterNumber.Integer, 0, minValue=0))
        # Optional with defaults: qgis_process treats a point or CRS default as "not specified".
        self.addParameter(QgsProcessingParameterPoint(self.CENTER, "Centre", defaultValue=DEFAULT_CENTER, optional=True))
        self.addParameter(QgsProcessingParameterNumber(self.SCALE, "Scale (CRS units per spiral unit)", QgsProcessingParameterNumber.Double, 1000.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterCrs(self.CRS, "CRS", defaultValue=DEFAULT_CRS, optional=True))
        self.addParameter(QgsProcessingParameterString(self.LABEL, "Label field", defaultValue="species"))
        self.addParameter(QgsProcessingParameterVectorDestination(self.OUTPUT, "Samples", QgsProcessing.TypeVectorPoint))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        given = {name: parameters.get(name) not in (None, "") for name in (self.CRS, self.CENTER)}
        crs = self.parameterAsCrs(parameters, self.CRS, context) if given[self.CRS] else QgsCoordinateReferenceSystem(DEFAULT_CRS)
        center_parameters = parameters if given[self.CENTER] else {**parameters, self.CENTER: DEFAULT_CENTER}
        center = self.parameterAsPoint(center_parameters, self.CENTER, context, crs)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        self.run_geoclf(
            [
                "spiral", output,
                "--per-class", self.parameterAsInt(parameters, self.PER_CLASS, context),
                "--noise", repr(self.parameterAsDouble(parameters, self.NOISE, context)),
                "--seed", self.parameterAsInt(parameters, self.SEED, context),
                "--center", f"{center.x()!r},{center.y()!r}",
                "--scale", repr(self.parameterAsDouble(parameters, self.SCALE, context)),
                "--crs", crs.authid() or crs.toWkt(QgsCoordinateReferenceSystem.WKT_PREFERRED),
                "--label", self.parameterAsString(parameters, self.LABEL, context).strip() or "species",
                "--overwrite",
            ],
            feedback,
            progress=False,
        )
        return {self.OUTPUT: output}
