"""How many threads torch computes with, and how they wait: chosen for the machine, or --threads.

torch starts one thread per core of the machine, however many cores the process may
use (a container, `taskset`), and between two parallel steps its OpenMP threads spin,
burning a core, for a long while. Two geoclf runs at once on two cores then keep four
spinning threads on two cores, and each run fell to 2% of its speed alone. geoclf counts
the cores it may use, and shortens the spin before torch starts (GOMP_SPINCOUNT, read by
the GNU OpenMP that torch's Linux wheels use): two runs at once then kept 58% of the
speed of one alone, which itself lost 3% (benchmarks/training_speed.py). A wait policy
or spin count the user set is left alone.
"""

from __future__ import annotations

import os

SPIN_COUNT = "1000"  # busy-wait iterations before a thread sleeps; GNU OpenMP's default is 300,000
OPENMP_WAIT_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), not the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def prepare_threads() -> None:
    """Before torch is imported: a short OpenMP spin, unless the user set how OpenMP waits."""
    if not any(name in os.environ for name in OPENMP_WAIT_SETTINGS):
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT


def use_threads(threads: int | None = None) -> int:
    """Set torch's thread count (None: usable_cores()) and return it."""
    import torch

    count = threads or usable_cores()
    torch.set_num_threads(count)
    return count
