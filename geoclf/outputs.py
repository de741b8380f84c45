"""Outputs that appear whole or not at all.

Every file geoclf writes goes to a hidden temporary name in the destination folder
and is renamed into place only when it is complete, so an error or Ctrl-C never
leaves a half-written file where the user expects a result.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Iterator

from .errors import GeoclfError


def check_destination(path: str | os.PathLike, overwrite: bool) -> Path:
    """Fail early, before any work, if `path` cannot be written."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise GeoclfError(f"{path} already exists: pass --overwrite to replace it, or choose another name")
    if path.is_dir():
        raise GeoclfError(f"{path} is a folder: give a file name for the output")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GeoclfError(f"folder {folder} does not exist: create it first or choose another output path")
    if not os.access(folder, os.W_OK):
        raise GeoclfError(f"folder {folder} is not writable: choose another output path")
    return path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` if the block succeeds.

    The temporary name keeps the extension, so format drivers that look at it
    (GDAL, pyogrio) still pick the right one.
    """
    final = check_destination(path, overwrite)
    temporary = final.with_name(f".{final.stem}-{uuid.uuid4().hex[:8]}.partial{final.suffix}")
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())  # some writers create 0600 files; a result is for sharing
        os.replace(temporary, final)
    finally:
        # Nothing is left behind on failure; after success the temporary name is gone already.
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sidecar(path: str | os.PathLike, suffix: str) -> Path:
    """The path of a sidecar file, e.g. classes.tif -> classes.qml (QGIS's convention)."""
    return Path(path).with_suffix(suffix)
