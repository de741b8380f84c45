"""The `geoclf` Processing provider: its algorithms, its setting and its output formats."""

import os

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms.areas import ClassAreasAlgorithm
from .algorithms.cleanup import SieveAlgorithm, VectorizeAlgorithm
from .algorithms.evaluate import EvaluateAlgorithm
from .algorithms.importance import ImportanceAlgorithm
from .algorithms.make_samples import MakeSpiralSamplesAlgorithm
from .algorithms.predict_points import PredictPointsAlgorithm
from .algorithms.predict_raster import PredictRasterAlgorithm
from .algorithms.train import TrainAlgorithm
from .runner import EXECUTABLE_SETTING

HERE = os.path.dirname(__file__)


class GeoclfProvider(QgsProcessingProvider):
    def id(self):
        return "geoclf"

    def name(self):
        return "geoclf"

    def longName(self):  # noqa: N802
        return "geoclf: species maps from sample points with a neural network"

    def icon(self):
        return QIcon(os.path.join(HERE, "icon.svg"))

    def load(self):
        """Adds the 'geoclf executable' setting under Processing > Options > Providers."""
        try:
            from processing.core.ProcessingConfig import ProcessingConfig, Setting
        except ImportError:  # Processing plugin absent: the environment variable and PATH still work
            return super().load()
        ProcessingConfig.settingIcons[self.name()] = self.icon()
        ProcessingConfig.addSetting(
            Setting(self.name(), EXECUTABLE_SETTING, "geoclf executable", "", valuetype=Setting.FILE)
        )
        ProcessingConfig.readSettings()
        self.refreshAlgorithms()
        return True

    def unload(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig
        except ImportError:
            return
        ProcessingConfig.removeSetting(EXECUTABLE_SETTING)

    def loadAlgorithms(self):  # noqa: N802
        for algorithm in (
            TrainAlgorithm(),
            PredictRasterAlgorithm(),
            PredictPointsAlgorithm(),
            EvaluateAlgorithm(),
            ImportanceAlgorithm(),
            ClassAreasAlgorithm(),
            SieveAlgorithm(),
            VectorizeAlgorithm(),
            MakeSpiralSamplesAlgorithm(),
        ):
            self.addAlgorithm(algorithm)

    # geoclf writes GeoTIFF rasters and GeoPackage vectors, nothing else: no memory layers
    def supportsNonFileBasedOutput(self):  # noqa: N802
        return False

    def supportedOutputRasterLayerExtensions(self):  # noqa: N802
        return ["tif"]

    def supportedOutputVectorLayerExtensions(self):  # noqa: N802
        return ["gpkg"]

    def defaultVectorFileExtension(self, hasGeometry=True):  # noqa: N802, N803
        return "gpkg"

    def defaultRasterFileExtension(self):  # noqa: N802
        return "tif"
