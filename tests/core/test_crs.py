"""geoclf.crs: the one place arrays and extents move between CRSs."""

import numpy as np
import pyproj
import pytest

from geoclf.crs import move_xy, transform_bounds, xy_transform


def test_nothing_to_move_for_the_same_or_an_unknown_crs():
    assert xy_transform("EPSG:5186", pyproj.CRS("EPSG:5186")) is None
    assert xy_transform(None, "EPSG:4326") is None and xy_transform("EPSG:4326", None) is None
    assert transform_bounds((1, 2, 3, 4), None, "EPSG:4326") == (1.0, 2.0, 3.0, 4.0)
    x, y = move_xy([1.0, 2.0], [3.0, 4.0], "EPSG:5186", "EPSG:5186")  # the values themselves, as arrays
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [3.0, 4.0]


def test_points_go_there_and_back_in_x_y_order():
    forward, back = xy_transform("EPSG:5186", "EPSG:4326"), xy_transform("EPSG:4326", "EPSG:5186")
    x, y = np.array([200_000.0, 201_000.0]), np.array([550_000.0, 551_000.0])
    lon, lat = forward(x, y)
    assert np.all((126 < lon) & (lon < 128)) and np.all((37 < lat) & (lat < 38))  # longitude first: central Korea
    np.testing.assert_allclose(back(lon, lat), (x, y), atol=1e-6)
    np.testing.assert_allclose(move_xy(x, y, "EPSG:5186", "EPSG:4326"), (lon, lat))


def test_a_box_moved_holds_every_point_of_its_edges():
    box = (199_000.0, 549_000.0, 201_000.0, 551_000.0)
    west, south, east, north = transform_bounds(box, "EPSG:5186", "EPSG:4326")
    t = np.linspace(0, 1, 50)
    edges_x = np.concatenate([box[0] + t * (box[2] - box[0]), box[0] + t * (box[2] - box[0]), np.full(50, box[0]), np.full(50, box[2])])
    edges_y = np.concatenate([np.full(50, box[1]), np.full(50, box[3]), box[1] + t * (box[3] - box[1]), box[1] + t * (box[3] - box[1])])
    lon, lat = xy_transform("EPSG:5186", "EPSG:4326")(edges_x, edges_y)
    assert west <= lon.min() and lon.max() <= east and south <= lat.min() and lat.max() <= north
    assert east - west == pytest.approx(lon.max() - lon.min(), rel=1e-3)


def test_the_shortest_longitude_span_crosses_the_antimeridian_when_that_is_shorter():
    from geoclf.crs import longitude_span, points_extent, wrap_longitudes

    assert longitude_span([10.0, 20.0, 15.0]) == (10.0, 20.0)
    assert longitude_span([175.0, 178.0, -179.0, -178.0]) == (175.0, 182.0)
    assert longitude_span([170.0, 180.0]) == (170.0, 180.0)  # 180 is -180: still the short way
    assert longitude_span([5.0]) == (5.0, 5.0)
    np.testing.assert_allclose(wrap_longitudes([181.0, -180.0, 540.0]), [-179.0, -180.0, -180.0])
    xy = np.array([[179.5, -19.0], [-179.5, -18.0]])
    assert points_extent(xy, "EPSG:4326") == (179.5, -19.0, 180.5, -18.0)
    assert points_extent(xy, "EPSG:32660") == (-179.5, -19.0, 179.5, -18.0)  # metres: no wrapping
