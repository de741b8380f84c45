"""QGIS plugin entry point: QGIS calls classFactory(iface) when the plugin is enabled."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import GeoclfPlugin

    return GeoclfPlugin(iface)
