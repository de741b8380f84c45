import numpy as np
import pytest
from conftest import assert_real_picture

from geoclf import (
    GeoclfError,
    Grid,
    predict_points,
    predict_raster,
    read_samples,
    spiral_samples,
)
from geoclf.plotting import plot_class_map, plot_history, plot_samples, save_figure


def test_samples_map(tmp_path, spiral_gpkg, model):
    samples = read_samples(spiral_gpkg)
    save_figure(plot_samples(samples.points, "species", model.classes, model.colors), tmp_path / "s.png")
    assert_real_picture(tmp_path / "s.png")


def test_training_curve_with_and_without_validation(tmp_path, model):
    save_figure(plot_history(model.history), tmp_path / "h.png")
    assert_real_picture(tmp_path / "h.png")
    history = [{"epoch": e, "loss": 1 / e, "val_loss": 1.2 / e, "val_accuracy": 1 - 1 / (e + 1)} for e in range(1, 50)]
    save_figure(plot_history(history), tmp_path / "hv.png")
    assert_real_picture(tmp_path / "hv.png", min_size=(800, 300))
    with pytest.raises(GeoclfError, match="no training history"):
        plot_history([])


def test_class_map_with_samples_and_predicted_points(tmp_path, spiral_gpkg, model):
    predict_raster(model, Grid.from_bounds(model.extent, model.crs, resolution=10), tmp_path / "c.tif")
    points = predict_points(model, spiral_samples(per_class=4, seed=3))
    figure = plot_class_map(tmp_path / "c.tif", read_samples(spiral_gpkg).points, "species", points)
    save_figure(figure, tmp_path / "map.png")
    assert_real_picture(tmp_path / "map.png")
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["crayfish", "diving beetle", "tadpole", "samples", "predicted points"]


def test_class_map_refuses_foreign_rasters(tmp_path, model):
    import rasterio
    from affine import Affine

    with rasterio.open(tmp_path / "x.tif", "w", driver="GTiff", width=2, height=2, count=1, dtype="uint8", transform=Affine(1, 0, 0, 0, -1, 2)) as dst:
        dst.write(np.zeros((1, 2, 2), "uint8"))
    with pytest.raises(GeoclfError, match="not a class map written by geoclf"):
        plot_class_map(tmp_path / "x.tif")
