import numpy as np
import pytest

from geoclf import SPIRAL_SPECIES, GeoclfError, spiral_samples, spiral_xy


def test_spiral_follows_the_teaching_formula():
    per_class, noise, seed = 50, 0.2, 7
    xy, codes = spiral_xy(per_class, noise, seed)
    rng = np.random.default_rng(seed)
    r = np.arange(per_class) / per_class
    for j in range(3):
        theta = 4 * j + 4 * r + noise * rng.standard_normal(per_class)
        expected = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
        np.testing.assert_allclose(xy[codes == j], expected)
    assert np.bincount(codes).tolist() == [per_class] * 3


def test_spiral_without_noise_is_exact_and_seed_free():
    a, _ = spiral_xy(20, noise=0.0, seed=1)
    b, _ = spiral_xy(20, noise=0.0, seed=2)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.hypot(a[:, 0], a[:, 1]) < 1)


def test_spiral_samples_are_placed_on_the_ground():
    points = spiral_samples(per_class=10, center=(1000.0, 2000.0), scale=50.0, crs="EPSG:32652", seed=3)
    xy, codes = spiral_xy(10, 0.2, 3)
    np.testing.assert_allclose(points.geometry.x, 1000 + 50 * xy[:, 0])
    np.testing.assert_allclose(points.geometry.y, 2000 + 50 * xy[:, 1])
    assert points.crs.to_epsg() == 32652
    assert list(points["species"]) == [SPIRAL_SPECIES[c] for c in codes]


def test_default_crs_is_projected():
    crs = spiral_samples(per_class=2).crs
    assert crs.to_epsg() == 5186 and crs.is_projected


@pytest.mark.parametrize(
    "kwargs, needle",
    [({"per_class": 0}, "^per_class must"), ({"noise": -1}, "^noise must"), ({"scale": 0}, "^scale must"), ({"crs": "EPSG:0"}, "unknown CRS")],
)
def test_bad_spiral_options(kwargs, needle):
    with pytest.raises(GeoclfError, match=needle):
        spiral_samples(**kwargs)
