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
from geoclf.plotting import nice_length, plot_class_map, plot_classes, plot_history, plot_reliability, plot_samples, save_figure


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


def _texts(ax):
    from matplotlib.offsetbox import AnchoredOffsetbox, TextArea

    found = [t.get_text() for t in ax.texts]
    for artist in ax.artists:
        if isinstance(artist, AnchoredOffsetbox):
            found += [child.get_text() for child in artist.findobj(TextArea)]
    return found


def test_a_projected_class_map_has_a_scale_bar_and_a_north_arrow():
    codes = np.zeros((20, 30), dtype=np.uint8)
    figure = plot_classes(codes, (199000.0, 202000.0, 549000.0, 551000.0), ["a"], ["#ff0000"], "EPSG:5186")
    assert _texts(figure.axes[0]) == ["N", "500 m"]  # a fifth of 3 km, rounded down to 1, 2 or 5 x 10^k
    wide = plot_classes(codes, (0.0, 30000.0, 0.0, 20000.0), ["a"], ["#ff0000"], "EPSG:5186")
    assert "5 km" in _texts(wide.axes[0])
    geographic = plot_classes(codes, (126.0, 127.0, 37.0, 37.5), ["a"], ["#ff0000"], "EPSG:4326")
    assert _texts(geographic.axes[0]) == ["N"]  # degrees have no one length: no scale bar
    assert [nice_length(v) for v in (3000, 999, 10, 7.5)] == [500, 100, 2, 1]


def test_a_reliability_bin_of_a_few_points_is_faint_and_counted(tmp_path):
    bins = [{"low": 0.5, "high": 0.6, "count": 2, "confidence": 0.55, "accuracy": 1.0},
            {"low": 0.9, "high": 1.0, "count": 40, "confidence": 0.95, "accuracy": 0.9}]
    figure = plot_reliability({"ece": 0.1, "bins": bins})
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.texts] == ["2", "40"]
    alphas = [patch.get_alpha() for patch in ax.patches[:2]]
    assert alphas == [0.3, None]
    assert "fewer than 10 points" in [t.get_text() for t in ax.get_legend().get_texts()]
    save_figure(figure, tmp_path / "r.png")
    assert_real_picture(tmp_path / "r.png")


def test_class_map_refuses_foreign_rasters(tmp_path, model):
    import rasterio
    from affine import Affine

    with rasterio.open(tmp_path / "x.tif", "w", driver="GTiff", width=2, height=2, count=1, dtype="uint8", transform=Affine(1, 0, 0, 0, -1, 2)) as dst:
        dst.write(np.zeros((1, 2, 2), "uint8"))
    with pytest.raises(GeoclfError, match="not a class map written by geoclf"):
        plot_class_map(tmp_path / "x.tif")


def test_plot_finds_the_label_field_as_train_does(cli, tmp_path):
    points = spiral_samples(per_class=5).rename(columns={"species": "Class"})
    points.to_file(tmp_path / "s.gpkg", engine="pyogrio")
    result = cli("plot", "samples", tmp_path / "s.gpkg", "-o", tmp_path / "s.png")
    assert result.code == 0, result.err
    assert_real_picture(tmp_path / "s.png")
