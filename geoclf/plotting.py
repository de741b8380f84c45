"""Pictures from geoclf's own outputs: sample maps, training curves, class maps.

Each function returns a matplotlib Figure; `save_figure` writes it whole or not at all.
The colours are the model's, so a plot matches the GeoTIFF in QGIS.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # files only: geoclf never opens a window

import numpy as np  # noqa: E402
import pyproj  # noqa: E402
import rasterio  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar  # noqa: E402
from rasterio.enums import Resampling  # noqa: E402
from rasterio.plot import plotting_extent  # noqa: E402

from .colors import class_colors  # noqa: E402
from .crs import unit_name  # noqa: E402
from .errors import GeoclfError  # noqa: E402
from .outputs import atomic_output  # noqa: E402
from .style import read_class_codes  # noqa: E402

MAX_PIXELS = 1500  # a class map is drawn at most this many pixels across; larger ones are read decimated
FEW_POINTS = 10  # a reliability bin of fewer points is drawn faint: its accuracy is mostly chance


def save_figure(figure: Figure, path: str | os.PathLike, overwrite: bool = False, dpi: int = 120) -> None:
    """Write a figure as the extension says (.png, .pdf or .svg), whole or not at all."""
    with atomic_output(path, overwrite, form="picture") as temporary:
        figure.savefig(temporary, dpi=dpi, bbox_inches="tight", format=Path(path).suffix.lower().lstrip("."))
    plt.close(figure)


def _label_axes(ax, crs) -> None:
    """Axes in CRS units, with the CRS named, as a map reader expects."""
    if crs is None:
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        return
    crs = pyproj.CRS.from_user_input(crs)
    unit = unit_name(crs, unknown="")
    east, north = ("Longitude", "Latitude") if crs.is_geographic else ("Easting", "Northing")
    ax.set_xlabel(f"{east} ({unit})")
    ax.set_ylabel(f"{north} ({unit})")
    code = crs.to_authority()
    ax.set_title(f"CRS: {':'.join(code) if code else crs.name}", fontsize=9, loc="right")
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.set_aspect("equal")
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))  # long easting labels side by side otherwise touch
    ax.tick_params(axis="x", labelrotation=20)


def nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 x 10^k) of about a fifth of `span`."""
    target = span / 5
    power = 10 ** np.floor(np.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


def _scale_bar_and_north_arrow(ax, crs, extent) -> None:
    """A scale bar in the CRS's linear unit (none for lon/lat, whose degrees are no fixed length) and a north arrow."""
    crs = pyproj.CRS.from_user_input(crs) if crs is not None else None
    unit = unit_name(crs, unknown="")
    if crs is not None and not crs.is_geographic and unit:
        length = nice_length(extent[1] - extent[0])
        shown = f"{length / 1000:g} km" if unit == "metre" and length >= 1000 else f"{length:g} {'m' if unit == 'metre' else unit}"
        ax.add_artist(AnchoredSizeBar(ax.transData, length, shown, loc="lower left", pad=0.4, borderpad=0.6, sep=4,
                                      size_vertical=(extent[3] - extent[2]) / 150, frameon=True))
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.85), xycoords="axes fraction", ha="center", va="center",
                fontsize=12, fontweight="bold", arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 8})


def _points(ax, points: gpd.GeoDataFrame, column: str, classes: list[str], colors: list[str], **style) -> None:
    """Points as dots coloured by class; training polygons as outlines in their class's colour over a dark halo."""
    lookup = dict(zip(classes, colors))
    areas = points.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if areas.any():
        outlines = points[areas].boundary
        outlines.plot(ax=ax, color="black", linewidth=2.6)
        outlines.plot(ax=ax, color=[lookup.get(v, "#000000") for v in points[areas][column].astype(str)], linewidth=1.4)
        points = points[~areas]
    values = points[column].astype(str)
    ax.scatter(points.geometry.x, points.geometry.y, c=[lookup.get(v, "#000000") for v in values], **style)


def plot_samples(points: gpd.GeoDataFrame, label: str, classes=None, colors=None, title: str = "Samples") -> Figure:
    """Sample points coloured by class, with a legend of class names."""
    classes = classes or sorted(points[label].astype(str).unique())
    colors = colors or class_colors(len(classes))
    figure, ax = plt.subplots(figsize=(7, 6))
    _points(ax, points, label, classes, colors, s=28, edgecolors="black", linewidths=0.4)
    handles = [Line2D([], [], marker="o", ls="", color=c, markeredgecolor="black", label=n) for n, c in zip(classes, colors)]
    ax.legend(handles=handles, title=label, loc="upper left", bbox_to_anchor=(1.01, 1))
    _label_axes(ax, points.crs)
    ax.set_title(title, loc="left")
    return figure


def plot_history(history: list[dict], title: str = "Training") -> Figure:
    """Loss per epoch, and hold-out loss and accuracy when training kept a validation set."""
    if not history:
        raise GeoclfError("the model has no training history to draw; train it with `geoclf train`")
    epochs = [h["epoch"] for h in history]
    has_val = "val_loss" in history[0]
    figure, axes = plt.subplots(1, 2 if has_val else 1, figsize=(11 if has_val else 6.5, 4.2), squeeze=False)
    ax = axes[0, 0]
    ax.plot(epochs, [h["loss"] for h in history], label="training loss")
    if has_val:
        ax.plot(epochs, [h["val_loss"] for h in history], label="validation loss")
        acc = axes[0, 1]
        acc.plot(epochs, [h["val_accuracy"] for h in history], color="tab:green")
        acc.set_xlabel("epoch")
        acc.set_ylabel("validation accuracy")
        acc.set_ylim(0, 1.02)
        acc.grid(alpha=0.3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    figure.suptitle(title)
    return figure


def plot_reliability(calibration: dict, title: str = "Reliability") -> Figure:
    """The reliability diagram: accuracy per probability bin against the diagonal of perfect calibration."""
    rows = [r for r in calibration["bins"] if r["count"]]
    if not rows:
        raise GeoclfError("no scored points to draw a reliability diagram from")
    figure, (ax, counts) = plt.subplots(2, 1, figsize=(6, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    centres = [(r["low"] + r["high"]) / 2 for r in rows]
    width = rows[0]["high"] - rows[0]["low"]
    solid = [r["count"] >= FEW_POINTS for r in rows]
    bars = ax.bar(centres, [r["accuracy"] for r in rows], width=width * 0.9, color="tab:blue", edgecolor="black", label="accuracy")
    for bar, row, enough in zip(bars, rows, solid):
        if not enough:  # a bin of a handful of points: its accuracy is mostly chance
            bar.set_alpha(0.3)
            bar.set_hatch("//")
        ax.annotate(f"{row['count']}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=7)
    if not all(solid):
        ax.bar([], [], color="tab:blue", alpha=0.3, hatch="//", edgecolor="black", label=f"fewer than {FEW_POINTS} points")
    ax.plot([r["confidence"] for r in rows], [r["accuracy"] for r in rows], "o", color="tab:orange", label="mean probability")
    ax.plot([0, 1], [0, 1], "--", color="gray", label="perfect calibration")
    ax.set_ylabel("accuracy of the predicted class")
    ax.set_ylim(0, 1.08)
    ax.legend(loc="upper left")
    ax.set_title(f"{title}: expected calibration error {calibration['ece']:.3f}", loc="left")
    counts.bar(centres, [r["count"] for r in rows], width=width * 0.9, color="gray")
    counts.set_xlabel("probability of the predicted class")
    counts.set_ylabel("points")
    counts.set_xlim(0, 1)
    return figure


def plot_class_map(
    path: str | os.PathLike,
    samples: gpd.GeoDataFrame | None = None,
    label: str | None = None,
    points: gpd.GeoDataFrame | None = None,
    points_column: str = "predicted",
    title: str = "Class map",
) -> Figure:
    """A class map GeoTIFF from predict-raster, with its own colour table and class names."""
    classes, map_codes = read_class_codes(path)
    with rasterio.open(path) as src:
        table = src.colormap(1)
        factor = max(1, int(np.ceil(max(src.width, src.height) / MAX_PIXELS)))
        codes = src.read(1, out_shape=(src.height // factor or 1, src.width // factor or 1), resampling=Resampling.nearest)
        extent = plotting_extent(src)
        crs = src.crs.to_wkt() if src.crs else None
    colors = ["#%02x%02x%02x" % table[code][:3] for code in map_codes]
    index = np.full(256, len(classes), dtype=np.uint8)  # the map's codes back to class positions; the rest is nodata
    index[map_codes] = np.arange(len(classes))
    return plot_classes(index[codes], extent, classes, colors, crs, samples, label, points, points_column, title)


def plot_classes(
    codes: np.ndarray,
    extent: tuple[float, float, float, float],
    classes: list[str],
    colors: list[str],
    crs=None,
    samples: gpd.GeoDataFrame | None = None,
    label: str | None = None,
    points: gpd.GeoDataFrame | None = None,
    points_column: str = "predicted",
    title: str = "Class map",
) -> Figure:
    """Class codes on a grid (row 0 at the top; codes >= len(classes) are nodata) with a legend of class names.

    `extent` is (left, right, bottom, top); samples are drawn as dots coloured by
    `label`, predicted points as crosses coloured by `points_column`.
    """
    figure, ax = plt.subplots(figsize=(7.5, 6))
    masked = np.ma.masked_greater_equal(codes, len(classes))
    ax.imshow(masked, extent=extent, cmap=ListedColormap(colors), vmin=-0.5, vmax=len(classes) - 0.5, interpolation="nearest", alpha=0.85)
    handles = [Patch(facecolor=c, edgecolor="black", label=n) for n, c in zip(classes, colors)]
    for frame, column, marker in ((samples, label, "o"), (points, points_column, "X")):
        if frame is None:
            continue
        frame = frame.to_crs(crs) if (crs and frame.crs is not None) else frame
        _points(ax, frame, column, classes, colors, s=24 if marker == "o" else 60, marker=marker, edgecolors="black", linewidths=0.5)
        if marker == "o" and frame.geom_type.isin(["Polygon", "MultiPolygon"]).all():
            handles.append(Patch(facecolor="none", edgecolor="black", linewidth=1.4, label="training areas"))
        else:
            kind = "samples" if marker == "o" else "predicted points"
            handles.append(Line2D([], [], marker=marker, ls="", color="white", markeredgecolor="black", label=kind))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1))
    _label_axes(ax, crs)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    _scale_bar_and_north_arrow(ax, crs, extent)
    ax.set_title(title, loc="left")
    return figure


def plot_importance(report, title: str = "Permutation importance") -> Figure:
    """Each input's drop in accuracy and rise in log loss when shuffled, most important on top, with the spread
    over repeats as error bars."""
    order = report.order()[::-1]  # barh draws from the bottom up
    names = [report.inputs[i] for i in order]
    figure, axes = plt.subplots(1, 2, figsize=(9, 1.2 + 0.45 * len(names)), sharey=True)
    for ax, values, xlabel, color in ((axes[0], report.accuracy_drop, "drop in accuracy", "tab:blue"),
                                      (axes[1], report.log_loss_rise, "rise in log loss", "tab:orange")):
        ax.barh(names, values[order].mean(axis=1), xerr=values[order].std(axis=1), color=color, edgecolor="black", capsize=3)
        ax.axvline(0, color="gray", linewidth=0.8)
        ax.set_xlabel(xlabel)
    axes[0].set_title(f"{title}: accuracy {report.accuracy:.3f} on {report.samples} points", loc="left")
    figure.tight_layout()
    return figure
