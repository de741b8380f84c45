"""Registers the geoclf Processing provider; nothing else touches the GUI."""

from qgis.core import QgsApplication

from .provider import GeoclfProvider


class GeoclfPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS calls this name, also under qgis_process)
        if self.provider is None:
            self.provider = GeoclfProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
