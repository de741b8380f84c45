"""geoclf: classify a map from labelled sample points with a small PyTorch network.

The flow runs one way: samples -> features -> model -> grid -> raster.

    >>> import geoclf
    >>> samples = geoclf.read_samples("samples.gpkg", label="species")
    >>> model = geoclf.train(samples, geoclf.TrainingConfig(hidden=(64, 64)))
    >>> model.save("model.geoclf")
    >>> grid = geoclf.Grid.from_bounds(model.extent, model.crs, resolution=10)
    >>> geoclf.predict_raster(model, grid, "classes.tif")

Names are imported on first use, so `geoclf --help` does not pay for torch.
"""

import importlib
import pkgutil

__version__ = "0.1.0"

_EXPORTS = {
    "CrossValidationReport": "validation",
    "EvaluationReport": "evaluation",
    "GeoclfError": "errors",
    "Grid": "grid",
    "MapOutputs": "raster",
    "MapSettings": "config",
    "Model": "model",
    "SPIRAL_SPECIES": "datasets",
    "Samples": "samples",
    "TrainingConfig": "config",
    "TrainingReport": "training_report",
    "checkerboard_samples": "datasets",
    "cross_validate": "validation",
    "evaluate": "evaluation",
    "predict_points": "prediction",
    "predict_raster": "raster",
    "read_points": "samples",
    "read_samples": "samples",
    "resolve_grid": "grid",
    "spiral_samples": "datasets",
    "spiral_xy": "datasets",
    "stream_samples": "datasets",
    "train": "training",
    "write_layer": "samples",
}
__all__ = sorted(_EXPORTS)


# every module of the package, so `geoclf.training` works after a bare `import geoclf`
_SUBMODULES = {module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_")}


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'geoclf' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
