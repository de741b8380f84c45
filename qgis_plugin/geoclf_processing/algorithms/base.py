"""What every geoclf algorithm shares: naming, help, and the input-layer hand-over."""

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException


class GeoclfAlgorithm(QgsProcessingAlgorithm):
    """Subclasses set NAME, DISPLAY_NAME, GROUP, HELP and implement the parameters and the run."""

    NAME = ""
    DISPLAY_NAME = ""
    GROUP = "classification"
    HELP = ""

    def name(self):
        return self.NAME

    def displayName(self):  # noqa: N802
        return self.DISPLAY_NAME

    def group(self):
        return self.GROUP

    def groupId(self):  # noqa: N802
        return self.GROUP.replace(" ", "")

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


def layer_arguments(layer):
    return ["--layer", layer] if layer else []
