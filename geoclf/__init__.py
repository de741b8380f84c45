"""geoclf: classify a map from labelled sample points with a small PyTorch network.

The flow runs one way: samples -> features -> model -> grid -> raster.

    >>> import geoclf
    >>> samples = geoclf.read_samples("samples.gpkg", label="species")
    >>> model = geoclf.train(samples, geoclf.TrainingConfig(hidden=(64, 64)))
    >>> model.save("model.geoclf")
    >>> grid = geoclf.Grid.from_bounds(model.extent, model.crs, resolution=10)
    >>> geoclf.predict_raster(model, grid, "classes.tif")
"""

__version__ = "0.1.0"

from .datasets import SPIRAL_SPECIES, spiral_samples, spiral_xy  # noqa: E402
from .errors import GeoclfError  # noqa: E402
from .evaluation import evaluate  # noqa: E402
from .grid import Grid, resolve_grid  # noqa: E402
from .model import Model  # noqa: E402
from .prediction import predict_points  # noqa: E402
from .raster import predict_raster  # noqa: E402
from .samples import Samples, read_points, read_samples, write_points  # noqa: E402
from .training import TrainingConfig, train  # noqa: E402

__all__ = [
    "GeoclfError",
    "Grid",
    "Model",
    "SPIRAL_SPECIES",
    "Samples",
    "TrainingConfig",
    "evaluate",
    "predict_points",
    "predict_raster",
    "read_points",
    "read_samples",
    "resolve_grid",
    "spiral_samples",
    "spiral_xy",
    "train",
    "write_points",
]
