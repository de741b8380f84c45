import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import MultiPoint, Point, Polygon

from geoclf import GeoclfError, read_points, read_samples, spiral_samples, write_layer


def _write(frame, path, layer="pts"):
    frame.to_file(path, layer=layer, engine="pyogrio")
    return path


@pytest.fixture
def points():
    return spiral_samples(per_class=5)


def test_reads_the_only_point_layer_with_crs_and_labels(spiral_gpkg):
    samples = read_samples(spiral_gpkg)
    assert len(samples) == 300
    assert samples.crs.to_epsg() == 5186
    assert sorted(set(samples.labels)) == ["crayfish", "diving beetle", "tadpole"]


@pytest.mark.parametrize("suffix", [".geojson", ".shp"])
def test_other_formats_read_the_same(tmp_path, points, suffix):
    path = _write(points, tmp_path / f"pts{suffix}")
    samples = read_samples(path)
    np.testing.assert_allclose(samples.points.geometry.x, points.geometry.x)
    assert samples.crs.to_epsg() == 5186


def test_multipoints_are_exploded(tmp_path):
    frame = gpd.GeoDataFrame(
        {"species": ["a", "b"]}, geometry=[MultiPoint([(0, 0), (1, 1), (2, 2)]), Point(5, 5)], crs="EPSG:5186"
    )
    samples = read_samples(_write(frame, tmp_path / "multi.gpkg"))
    assert len(samples) == 4
    assert list(samples.labels) == ["a", "a", "a", "b"]
    assert set(samples.points.geom_type) == {"Point"}


def test_layer_choice(tmp_path, points):
    path = tmp_path / "two.gpkg"
    _write(points, path, "first")
    _write(points.iloc[:3], path, "second")
    with pytest.raises(GeoclfError, match=r"several point layers; choose one with layer: first \(Point\), second \(Point\)"):
        read_points(path)
    assert len(read_points(path, "second")) == 3
    with pytest.raises(GeoclfError, match=r"no layer 'third'; its layers are: first \(Point\), second \(Point\)"):
        read_points(path, "third")


def test_point_layer_is_found_among_other_layers(tmp_path, points):
    path = tmp_path / "mixed.gpkg"
    _write(gpd.GeoDataFrame({"n": [1]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)])], crs="EPSG:5186"), path, "lakes")
    _write(points, path, "samples")
    assert len(read_points(path)) == len(points)


def test_non_point_layer(tmp_path):
    frame = gpd.GeoDataFrame({"species": ["a"]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)])], crs="EPSG:5186")
    with pytest.raises(GeoclfError, match="holds Polygon geometries; geoclf needs a point layer"):
        read_points(_write(frame, tmp_path / "poly.gpkg"))


def test_missing_file_and_unreadable_file(tmp_path):
    with pytest.raises(GeoclfError, match="no such file"):
        read_points(tmp_path / "nope.gpkg")
    junk = tmp_path / "junk.gpkg"
    junk.write_text("not a geopackage")
    with pytest.raises(GeoclfError, match="not a vector file GDAL can read"):
        read_points(junk)


def test_missing_label_lists_the_fields(tmp_path, points):
    path = _write(points.assign(depth=1.0), tmp_path / "p.gpkg")
    with pytest.raises(GeoclfError, match=r"no field 'kind'; choose the label with label from: species, depth"):
        read_samples(path, label="kind")


def test_empty_geometries_are_named_by_feature_id(tmp_path):
    frame = gpd.GeoDataFrame(
        {"species": ["a", "b", "c", "d"]}, geometry=[Point(0, 0), None, Point(), Point(3, 3)], crs="EPSG:5186"
    )
    with pytest.raises(GeoclfError, match=r"features 2, 3 have no geometry"):
        read_points(_write(frame, tmp_path / "empty.gpkg"))


def test_nan_coordinates_are_named_by_feature_id(tmp_path):
    frame = gpd.GeoDataFrame(
        {"species": ["a", "b"]}, geometry=[Point(0, 0), Point(0, 0)], crs="EPSG:5186"
    )
    frame.loc[1, "geometry"] = Point(np.nan, 5.0)
    path = tmp_path / "nan.geojson"
    with open(path, "w") as handle:  # GeoJSON cannot say NaN, so write the text GDAL reads as NaN
        handle.write(
            '{"type": "FeatureCollection", "features": ['
            '{"type": "Feature", "id": 1, "properties": {"species": "a"}, "geometry": {"type": "Point", "coordinates": [0, 0]}},'
            '{"type": "Feature", "id": 2, "properties": {"species": "b"}, "geometry": {"type": "Point", "coordinates": [NaN, 5]}}]}'
        )
    with pytest.raises(GeoclfError, match=r"features 2 have (NaN or infinite coordinates|no geometry)"):
        read_points(path)


def test_unlabelled_features_are_named(tmp_path):
    frame = gpd.GeoDataFrame({"species": ["a", None]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:5186")
    with pytest.raises(GeoclfError, match=r"features 2 have no 'species'"):
        read_samples(_write(frame, tmp_path / "nolabel.gpkg"))


def test_write_points_is_atomic_and_refuses_to_overwrite(tmp_path, points):
    path = tmp_path / "out.gpkg"
    write_layer(points, path, "samples")
    with pytest.raises(GeoclfError, match="already exists: pass --overwrite"):
        write_layer(points, path, "samples")
    write_layer(points.iloc[:2], path, "samples", overwrite=True)
    assert len(read_points(path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.gpkg"]
    with pytest.raises(GeoclfError, match="Shapefile"):
        write_layer(points, tmp_path / "out.shp", "samples")


def test_geopackages_are_written_as_version_1_2_which_qgis_3_22_loads_without_a_warning(tmp_path, points):
    import sqlite3

    write_layer(points, tmp_path / "out.gpkg", "samples")
    with sqlite3.connect(tmp_path / "out.gpkg") as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
    assert len(read_points(tmp_path / "out.gpkg")) == len(points)


@pytest.mark.parametrize(
    "fields, chosen",
    [({"plot_id": [1, 2], "Class": ["a", "b"], "note": ["x", "y"]}, "Class"),  # a usual name, in any case
     ({"plot_id": [1, 2], "taxon": ["a", "b"]}, "taxon"),  # else the only text field
     ({"species": [1, 2], "taxon": ["a", "b"]}, "species")],  # a usual name wins, whatever it holds
)
def test_without_a_label_field_named_the_usual_one_or_the_only_text_one_is_taken(tmp_path, fields, chosen):
    frame = gpd.GeoDataFrame(fields, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:5186")
    assert read_samples(_write(frame, tmp_path / "s.gpkg")).label == chosen


def test_without_a_label_field_two_text_fields_ask_which(tmp_path):
    frame = gpd.GeoDataFrame({"taxon": ["a", "b"], "observer": ["x", "y"]}, geometry=[Point(0, 0), Point(1, 1)], crs="EPSG:5186")
    with pytest.raises(GeoclfError, match=r"which field holds the class\? none is named species, class or label, and 2 are text fields; "
                                          r"choose it with label from: taxon, observer"):
        read_samples(_write(frame, tmp_path / "s.gpkg"))
