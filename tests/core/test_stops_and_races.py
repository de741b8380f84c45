"""Real signals sent to real geoclf processes, and two real runs racing for one output: nothing half-written
stays, nothing finished is clobbered."""

import signal
import subprocess
import sys
import time

import pytest
import rasterio
from conftest import listing

EXTENT = "199000,549000,201000,551000"
SLOW_MAP = ["predict-raster", EXTENT, "-m", "model.geoclf", "--size", "4000,4000", "-q"]  # seconds of work


@pytest.fixture
def work(tmp_path, model_path):
    (tmp_path / "model.geoclf").write_bytes(model_path.read_bytes())
    return tmp_path


def start(args, folder, ignored=()) -> subprocess.Popen:
    """geoclf as run from a terminal, whatever runs the tests (a shell starts a background job with SIGINT ignored,
    nohup ignores SIGHUP, and a child inherits both); with the `ignored` signals ignored, as nohup would."""

    def dispositions():
        for stop in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
            signal.signal(stop, signal.SIG_IGN if stop in ignored else signal.SIG_DFL)

    return subprocess.Popen([sys.executable, "-m", "geoclf", *args], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=dispositions)


def wait_for_partial(folder, process, timeout=120) -> set[str]:
    """The run's temporary files, once it has made them (it is then writing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        partial = {name for name in listing(folder) if ".partial" in name}
        if partial:
            return partial
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the run made no temporary file in time")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stop_signal_cleans_up_as_ctrl_c_does(work, stop):
    before = listing(work)
    run = start([*SLOW_MAP, "-o", "c.tif", "--probabilities", "p.tif"], work)
    wait_for_partial(work, run)
    run.send_signal(stop)
    _, err = run.communicate(timeout=120)
    assert run.returncode == 128 + stop
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith("no output was written"), err
    assert listing(work) == before


def test_a_run_under_nohup_outlives_a_closed_terminal(work):
    run = start([*SLOW_MAP, "-o", "c.tif"], work, ignored=(signal.SIGHUP,))
    wait_for_partial(work, run)
    run.send_signal(signal.SIGHUP)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    assert {name for name in listing(work) if not name.startswith("model")} == {"c.tif", "c.qml"}


def test_a_killed_run_leaves_temporaries_the_next_run_clears_but_never_a_live_runs(work, model_path):
    killed = start([*SLOW_MAP, "-o", "killed.tif"], work)
    left = wait_for_partial(work, killed)
    killed.kill()
    killed.wait(timeout=60)
    assert left <= listing(work)  # SIGKILL cannot be caught: its temporary stays, for now
    live = start([*SLOW_MAP, "-o", "live.tif"], work)
    live_partial = wait_for_partial(work, live) - left
    quick = subprocess.run([sys.executable, "-m", "geoclf", "predict-raster", EXTENT, "-m", "model.geoclf", "-o", "quick.tif", "-q"],
                           cwd=work, capture_output=True, text=True, timeout=300)
    assert quick.returncode == 0, quick.stderr
    names = listing(work)
    assert not (left & names), "the killed run's temporary was not cleared"
    assert live_partial <= names, "a live run's temporary was removed"
    live.communicate(timeout=300)
    assert live.returncode == 0 and {"live.tif", "quick.tif"} <= listing(work)


def test_two_runs_racing_for_one_new_output_never_clobber(work):
    """Both start while c.tif does not exist; exactly one places it, the other says so in one line and leaves nothing."""
    runs = [start([*SLOW_MAP[:4], "--size", "3000,3000", "-q", "-o", "c.tif", "--resampling", "nearest"], work) for _ in range(2)]
    results = [run.communicate(timeout=300) for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 1], results
    loser_err = next(err for run, (_, err) in zip(runs, results) if run.returncode == 1)
    assert len(loser_err.strip().splitlines()) == 1
    assert "appeared while geoclf ran" in loser_err or "already exists" in loser_err  # late start: refused before work
    assert {name for name in listing(work) if name.startswith(".")} == set()
    with rasterio.open(work / "c.tif") as src:
        assert src.shape == (3000, 3000) and src.read(1).max() <= 2
