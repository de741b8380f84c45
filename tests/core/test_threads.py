"""Threads chosen for the machine (geoclf/threads.py), in child processes: a thread count set in this one would stay."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import run_geoclf

import geoclf

SPIN = "from geoclf.cli import main; import os; main(['--version']); print(os.environ.get('GOMP_SPINCOUNT'))"


def child_python(code: str, env: dict | None = None, cores: set[int] | None = None) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**clean, **(env or {})},
                          preexec_fn=None if cores is None else (lambda: os.sched_setaffinity(0, cores)))
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is a Linux call")
def test_threads_follow_the_cores_this_process_may_use():
    """torch alone would count the machine's cores; a process pinned to one core computes with one thread."""
    assert child_python("from geoclf.threads import use_threads; print(use_threads())", cores={0}) == "1"
    assert child_python("from geoclf.threads import use_threads; print(use_threads(3))", cores={0}) == "3"


def test_the_command_line_shortens_openmp_spinning_unless_the_user_chose():
    assert child_python(SPIN) == "1000"
    assert child_python(SPIN, env={"OMP_WAIT_POLICY": "ACTIVE"}) == "None"
    assert child_python(SPIN, env={"GOMP_SPINCOUNT": "5"}) == "5"


def test_threads_option_is_taken_and_zero_is_refused(tmp_path):
    samples = tmp_path / "s.gpkg"
    geoclf.write_layer(geoclf.spiral_samples(per_class=20), samples, layer="samples")
    done = run_geoclf("train", samples, "-o", tmp_path / "m.geoclf", "--epochs", "2", "--threads", "1", "-q")
    assert done.returncode == 0, done.stderr
    refused = run_geoclf("train", samples, "-o", tmp_path / "n.geoclf", "--threads", "0")
    assert refused.returncode == 2 and "--threads" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "n.geoclf").exists()
