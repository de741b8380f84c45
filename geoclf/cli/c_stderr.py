"""What C libraries print straight to the terminal, held back so that an error stays one line.

GDAL's TIFF writer (libtiff) reports a full disk by writing '_tiffWriteProc: No space
left on device.' to file descriptor 2 itself, past Python's logging and warnings, before
rasterio raises. While a command runs, descriptor 2 is a pipe read into a list; Python's
own stderr (progress bars, geoclf's messages) goes to the terminal as before. The CLI
then shows the held lines as warnings after a success, or drops them behind its one-line
error (--debug shows them).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Iterator


@contextlib.contextmanager
def held_c_stderr() -> Iterator[list[str]]:
    """Yield the list that collects the lines written to descriptor 2 by anything but Python's sys.stderr."""
    held: list[str] = []
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real descriptor 2 (an embedding host): nothing to hold
        yield held
        return
    read_end, write_end = os.pipe()
    reader = threading.Thread(target=_collect, args=(read_end, held), daemon=True)
    reader.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    python_stderr = sys.stderr
    sys.stderr = open(os.dup(terminal), "w", buffering=1, encoding=python_stderr.encoding or "utf-8", errors="replace")
    try:
        yield held
    finally:
        sys.stderr.close()
        sys.stderr = python_stderr
        os.dup2(terminal, 2)  # the pipe's last write end closes: the reader sees its end
        os.close(terminal)
        reader.join(timeout=5)  # a child process that kept the pipe open must not hang the exit


def _collect(read_end: int, held: list[str]) -> None:
    with open(read_end, "r", encoding="utf-8", errors="replace") as pipe:
        held.extend(line.rstrip("\n") for line in pipe if line.strip())
