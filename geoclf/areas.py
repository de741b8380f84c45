"""How much area each class covers: counted on the map, and estimated from a reference sample.

The mapped area is what the pixels say. With reference points (classes observed in the
field, ideally a random sample stratified by map class), the error-adjusted areas and the
accuracies come with 95% confidence intervals by Olofsson et al. (2014)
(accuracy_estimates.py): the figures good practice asks a map's user to report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np
import rasterio

from .accuracy_estimates import StratifiedEstimate, stratified_estimate
from .class_maps import Legend, nodata_code, open_class_map, read_legend, row_cell_areas
from .errors import GeoclfError, SettingError, warn
from .samples import Samples

ROWS_PER_READ = 512


@dataclass(frozen=True)
class AreaReport:
    """Mapped cells and hectares per class; with a reference sample, its error matrix (rows: map class, columns:
    reference class, in `legend` order) and the stratified estimates."""

    legend: Legend
    cells: np.ndarray
    hectares: np.ndarray
    counts: np.ndarray | None = None
    estimate: StratifiedEstimate | None = None
    skipped: int = 0  # reference points on nodata or outside the map

    @property
    def total_hectares(self) -> float:
        return float(self.hectares.sum())

    def to_dict(self) -> dict:
        classes = []
        for index, (code, name) in enumerate(zip(self.legend.codes, self.legend.names)):
            row = {"class": name, "code": code, "cells": int(self.cells[index]), "mapped_ha": float(self.hectares[index])}
            if self.estimate is not None:
                e = self.estimate
                row.update(
                    reference_points=int(self.counts[:, index].sum()),
                    area_ha=_number(e.proportions[index] * self.total_hectares),
                    area_ci_ha=_number(e.proportions_ci[index] * self.total_hectares),
                    users_accuracy=_number(e.users[index]), users_accuracy_ci=_number(e.users_ci[index]),
                    producers_accuracy=_number(e.producers[index]), producers_accuracy_ci=_number(e.producers_ci[index]),
                )
            classes.append(row)
        data = {"total_ha": self.total_hectares, "classes": classes}
        if self.estimate is not None:
            data.update(reference_points=int(self.counts.sum()), skipped_points=self.skipped,
                        overall_accuracy=_number(self.estimate.overall), overall_accuracy_ci=_number(self.estimate.overall_ci),
                        error_matrix=self.counts.astype(int).tolist())
        return data

    def to_text(self) -> str:
        width = max(12, *(len(name) for name in self.legend.names)) + 2
        lines = [f"{'class':<{width}}{'cells':>12}{'mapped ha':>14}{'share':>8}"]
        for name, cells, hectares in zip(self.legend.names, self.cells, self.hectares):
            lines.append(f"{name:<{width}}{cells:>12d}{hectares:>14.2f}{hectares / max(self.total_hectares, 1e-300):>8.1%}")
        lines.append(f"{'total':<{width}}{int(self.cells.sum()):>12d}{self.total_hectares:>14.2f}")
        if self.estimate is None:
            return "\n".join(lines)
        e, total = self.estimate, self.total_hectares
        skipped = f" ({self.skipped} on nodata or outside the map, left out)" if self.skipped else ""
        lines += ["", f"from {int(self.counts.sum())} reference points{skipped}, with 95% confidence intervals "
                  "(Olofsson et al. 2014, stratified by map class):",
                  f"{'class':<{width}}{'area ha':>24}{'user accuracy':>18}{'producer accuracy':>20}"]
        for index, name in enumerate(self.legend.names):
            lines.append(f"{name:<{width}}{_interval(e.proportions[index] * total, e.proportions_ci[index] * total, '.1f'):>24}"
                         f"{_interval(e.users[index], e.users_ci[index]):>18}{_interval(e.producers[index], e.producers_ci[index]):>20}")
        lines.append(f"overall accuracy {_interval(e.overall, e.overall_ci)}")
        return "\n".join(lines)


def _number(value) -> float | None:
    return float(value) if np.isfinite(value) else None


def _interval(value, half, form: str = ".3f") -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:{form}} ± {half:{form}}" if np.isfinite(half) else f"{value:{form}} ± n/a"


def mapped_areas(path: str | os.PathLike, on_rows: Callable[[int, int], None] | None = None) -> AreaReport:
    """Cells and hectares of each class in the map, read a block of rows at a time (memory stays flat)."""
    with open_class_map(path) as src:
        legend, nodata = read_legend(src), nodata_code(src)
        row_areas = row_cell_areas(src)
        cells, hectares = np.zeros(65536, dtype=np.int64), np.zeros(65536)
        for top in range(0, src.height, ROWS_PER_READ):
            rows = min(ROWS_PER_READ, src.height - top)
            codes = src.read(1, window=rasterio.windows.Window(0, top, src.width, rows)).astype(np.int64).ravel()
            if codes.min(initial=0) < 0 or codes.max(initial=0) >= 65536:
                raise GeoclfError(f"{path} holds codes outside 0..65535; a class map holds class codes")
            weights = np.repeat(row_areas[top : top + rows], src.width)
            cells += np.bincount(codes, minlength=65536)
            hectares += np.bincount(codes, weights=weights, minlength=65536)
            if on_rows is not None:
                on_rows(top + rows, src.height)
    if nodata is not None and 0 <= nodata < 65536:
        cells[nodata] = 0
    legend = legend.with_codes(np.flatnonzero(cells))
    return AreaReport(legend, cells[legend.codes], hectares[legend.codes])


def class_areas(path: str | os.PathLike, reference: Samples | None = None, on_rows=None) -> AreaReport:
    """The mapped areas, and with `reference` points (their label: the class observed there) the error-adjusted
    areas, user's, producer's and overall accuracy with 95% confidence intervals."""
    report = mapped_areas(path, on_rows)
    if reference is None:
        return report
    mapped, observed = map_codes_at(path, reference), reference.labels
    on_map = mapped >= 0
    if not on_map.any():
        raise GeoclfError(f"none of the {len(mapped)} reference points lies on a mapped cell of {path}; check their CRS and the map's extent")
    legend = report.legend
    unknown = sorted(set(observed[on_map]) - set(legend.names))
    if unknown:
        raise SettingError(
            "reference labels {unknown} in {field!r} are not classes of the map ({classes}); check {label} or rename them",
            unknown=", ".join(map(repr, unknown)), field=reference.label, classes=", ".join(map(repr, legend.names)),
        )
    index_of_code = {code: index for index, code in enumerate(legend.codes)}
    index_of_name = {name: index for index, name in enumerate(legend.names)}
    counts = np.zeros((len(legend.codes), len(legend.codes)), dtype=np.int64)
    for code, name in zip(mapped[on_map], observed[on_map]):
        counts[index_of_code[int(code)], index_of_name[name]] += 1
    thin = [name for name, n, area in zip(legend.names, counts.sum(axis=1), report.hectares) if area > 0 and n < 2]
    if thin:
        warn(f"map class(es) {', '.join(map(repr, thin))} have fewer than 2 reference points: their intervals, and the "
             "error-adjusted areas, cannot be estimated; add reference points in every mapped class")
    weights = report.hectares / report.total_hectares
    return AreaReport(report.legend, report.cells, report.hectares, counts, stratified_estimate(counts, weights), int((~on_map).sum()))


def map_codes_at(path: str | os.PathLike, points: Samples) -> np.ndarray:
    """The map's code under each point (reprojected to the map's CRS); -1 on nodata or outside the map."""
    from .point_values import coordinates

    with open_class_map(path) as src:
        if points.crs is None:
            raise GeoclfError("the reference points have no CRS; assign one (in QGIS: Layer Properties > Source) so they can be placed on the map")
        located = points.points.to_crs(src.crs.to_wkt())
        xy = coordinates(located)
        rows, cols = rasterio.transform.rowcol(src.transform, xy[:, 0], xy[:, 1])
        rows, cols = np.asarray(rows), np.asarray(cols)
        inside = (rows >= 0) & (rows < src.height) & (cols >= 0) & (cols < src.width)
        codes = np.full(len(xy), -1, dtype=np.int64)
        if inside.any():
            codes[inside] = np.array([value[0] for value in src.sample(xy[inside])], dtype=np.int64)
        if src.nodata is not None:
            codes[codes == int(src.nodata)] = -1
    return codes
