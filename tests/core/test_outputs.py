"""outputs.py: destinations checked before work, inputs never replaced, failures leave nothing."""

import errno
import os

import pytest
from conftest import listing

from geoclf import GeoclfError
from geoclf.outputs import atomic_output, check_destination, check_distinct


def test_an_input_is_never_a_destination_even_with_overwrite(tmp_path):
    (tmp_path / "samples.gpkg").write_text("field data")
    os.symlink(tmp_path / "samples.gpkg", tmp_path / "link.gpkg")
    for spelling in (tmp_path / "samples.gpkg", tmp_path / "sub" / ".." / "samples.gpkg", tmp_path / "link.gpkg"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(GeoclfError, match="is also an input of this command"):
            check_destination(spelling, overwrite=True, reads=[None, "hull", tmp_path / "samples.gpkg"])
    assert check_destination(tmp_path / "other.gpkg", overwrite=False, reads=[tmp_path / "samples.gpkg"]).name == "other.gpkg"


def test_two_roles_on_one_path_are_refused():
    check_distinct([("classes", "a.tif"), ("probabilities", "b.tif")])
    with pytest.raises(GeoclfError, match="the classes and the confidence would both be written to ./a.tif"):
        check_distinct([("classes", "a.tif"), ("probabilities", "b.tif"), ("confidence", "./a.tif")])


def test_a_folder_that_cannot_be_written_is_named():
    with pytest.raises(GeoclfError, match="cannot write in folder /proc"):
        check_destination("/proc/a.tif", overwrite=False)


def test_a_writer_that_fails_leaves_nothing_and_names_the_final_file(tmp_path):
    with pytest.raises(GeoclfError) as caught:
        with atomic_output(tmp_path / "map.tif") as temporary:
            temporary.mkdir()  # a driver that makes a folder (a Shapefile's) and then fails
            (temporary / "part.dbf").write_text("x")
            raise OSError(errno.ENOSPC, f"No space left on device: '{temporary}'")
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'map.tif'} was not written (") and ".partial" not in message
    assert "check the space left in" in message
    assert listing(tmp_path) == set()


def test_a_bug_inside_the_block_is_not_dressed_as_a_write_failure(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with atomic_output(tmp_path / "map.tif") as temporary:
            temporary.write_text("half")
            1 / 0
    assert listing(tmp_path) == set()
